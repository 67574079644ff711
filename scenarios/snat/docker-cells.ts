// The snat rows of the docker provider: which source a Redis server in a container sees when a
// client reaches it by container IP, through its published port from another container (by the
// host's address or, as testcontainers does from inside a container, by the bridge gateway), from
// the Docker host itself (its address or 127.0.0.1), and from a machine outside the Docker host.
// The userland proxy's mode decides most of them; every row cites the Docker source behind it.
import type { ProfileName } from '../../src/model/dimensions.ts';
import type { RewriteClass } from './types.ts';

export const DOCKER_SNAT_PATHS = [
  'container-ip',
  'container-published-port',
  'container-gateway-published-port',
  'host-published-port',
  'host-loopback-published-port',
  'outside-published-port',
] as const;
export type DockerSnatPath = (typeof DOCKER_SNAT_PATHS)[number];

export interface DockerSnatRow {
  profile: ProfileName;
  path: DockerSnatPath;
  rewrite: RewriteClass;
  source: string;
}

const PROXY = 'docs/docker.md#userland-proxy (docker-proxy dials the container from the bridge address)';
const HAIRPIN =
  'docs/docker.md#hairpin-nat (userland-proxy off: DOCKER DNAT with no `! -i <bridge>`, and no SNAT for a container source)';

const table: Record<DockerSnatPath, { on: [RewriteClass, string]; off: [RewriteClass, string] }> = {
  'container-ip': {
    on: ['none', 'docs/docker.md#container-to-container'],
    off: ['none', 'docs/docker.md#container-to-container'],
  },
  'container-published-port': {
    on: ['bridge-gateway', `${PROXY}; docs/docker.md#published-ports-from-a-container (nat DOCKER -i <bridge> RETURN)`],
    off: ['none', `${HAIRPIN}; docs/docker.md#published-ports-from-a-container`],
  },
  'container-gateway-published-port': {
    on: ['bridge-gateway', `${PROXY}; docs/docker.md#published-ports-from-a-container`],
    off: ['none', `${HAIRPIN}; docs/docker.md#published-ports-from-a-container`],
  },
  'host-published-port': {
    on: [
      'none',
      'docs/docker.md#published-ports-from-the-docker-host (OUTPUT DNAT to the container; nothing masquerades a local source leaving by the bridge)',
    ],
    off: [
      'bridge-gateway',
      'docs/docker.md#published-ports-from-the-docker-host (hairpin mode adds -o <bridge> --src-type LOCAL MASQUERADE)',
    ],
  },
  'host-loopback-published-port': {
    on: [
      'bridge-gateway',
      `docs/docker.md#published-ports-from-the-docker-host (the OUTPUT jump skips 127.0.0.0/8, so docker-proxy answers); ${PROXY}`,
    ],
    off: [
      'bridge-gateway',
      'docs/docker.md#published-ports-from-the-docker-host (DNAT, route_localnet on the bridge, then the LOCAL-source MASQUERADE)',
    ],
  },
  'outside-published-port': {
    on: ['none', 'docs/docker.md#published-ports-from-outside (PREROUTING DNAT; nothing rewrites the source)'],
    off: ['none', 'docs/docker.md#published-ports-from-outside (PREROUTING DNAT; nothing rewrites the source)'],
  },
};

export const dockerSnatRows: DockerSnatRow[] = (
  [
    ['docker-userland-proxy', 'on'],
    ['docker-iptables', 'off'],
  ] as const
).flatMap(([profile, mode]) =>
  DOCKER_SNAT_PATHS.map((path) => ({ profile, path, rewrite: table[path][mode][0], source: table[path][mode][1] })),
);
