// The nat-meet rows of the docker provider: Redis Cluster in containers on one Docker host, over
// container IPs on a user-defined bridge, published ports (the NodePort analog: host address and
// a fixed published port) and the host network, with the daemon's userland proxy on and off. The
// two modes rewrite a container's connection to a published port differently; each expectation
// cites the Docker source behind it (docs/docker.md, which names the libnetwork code).
import type { ProfileName } from '../../src/model/dimensions.ts';
import type { NatMeetExpectation } from './types.ts';

/** The NatMeetOptions these rows use (cells.ts imports this file, so the type is not imported back). */
interface DockerNatMeetOptions {
  bootstrap: 'redis-cli' | 'manual';
  dial?: 'own-node';
  relay?: 'userland-proxy';
  join?: 'meet' | 'add-node';
}

export interface DockerNatMeetRow {
  title: string;
  profile: ProfileName;
  exposure: 'pod-ip' | 'nodeport' | 'host-network';
  announce: 'none' | 'ip';
  options: DockerNatMeetOptions;
  expectation: NatMeetExpectation;
}

const MEET =
  'docs/datapath.md#redis-meet-and-handshake (Redis records the TCP peer address on MEET when cluster-announce-ip is unset)';
const PROXY =
  'docs/docker.md#userland-proxy (docker-proxy accepts the connection and dials the container itself, from the bridge address)';
const HAIRPIN =
  'docs/docker.md#hairpin-nat (userland-proxy off: a container dialing a published port is DNATed and not masqueraded)';

const modes: { profile: ProfileName; mode: string }[] = [
  { profile: 'docker-userland-proxy', mode: 'userland-proxy on' },
  { profile: 'docker-iptables', mode: 'userland-proxy off' },
];

const publishedPortJoin = (profile: ProfileName): DockerNatMeetRow =>
  profile === 'docker-userland-proxy'
    ? {
        title:
          'replica joins over a published port with redis-cli --cluster add-node, without announce (userland-proxy on): the classic failure',
        profile,
        exposure: 'nodeport',
        announce: 'none',
        // add-node, as testcontainers-based CI setups join: its [OK] is the symptom they see.
        options: { bootstrap: 'manual', dial: 'own-node', relay: 'userland-proxy', join: 'add-node' },
        expectation: {
          meet: 'fails',
          ghostClass: 'bridge-gateway',
          fixWorks: true,
          summary:
            'docker-proxy carries the MEET, so the master records the joiner at the bridge gateway with port 16379, where nothing listens; announcing fixes it',
          source: `${PROXY}; docs/docker.md#redis-behind-published-ports; ${MEET}`,
        },
      }
    : {
        title:
          'replica joins over a published port with redis-cli --cluster add-node, without announce (userland-proxy off)',
        profile,
        exposure: 'nodeport',
        announce: 'none',
        options: { bootstrap: 'manual', dial: 'own-node', join: 'add-node' },
        expectation: {
          meet: 'ok',
          summary:
            'the MEET is DNATed but keeps its source, so the master records the joiner’s container IP and reaches it: the join works, with an address no client outside the Docker host can reach',
          source: `${HAIRPIN}; docs/docker.md#redis-behind-published-ports; ${MEET}`,
        },
      };

export const dockerNatMeetRows: DockerNatMeetRow[] = modes.flatMap(({ profile, mode }) => [
  publishedPortJoin(profile),
  {
    title: `every node announces the host address and its published ports (${mode})`,
    profile,
    exposure: 'nodeport',
    announce: 'ip',
    options: { bootstrap: 'redis-cli' },
    expectation: {
      meet: 'ok',
      summary: 'announced addresses travel in the bus header, so the rewrite on the way does not matter',
      source: 'docs/datapath.md#redis-announce, docs/docker.md#redis-behind-published-ports',
    },
  },
  {
    title: `container IPs on a user-defined bridge, no announce (${mode})`,
    profile,
    exposure: 'pod-ip',
    announce: 'none',
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary: 'containers on one bridge reach each other directly: no NAT, no proxy',
      source: 'docs/docker.md#container-to-container',
    },
  },
  {
    title: `--network host, no announce (${mode})`,
    profile,
    exposure: 'host-network',
    announce: 'none',
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary: 'every node is the Docker host’s own address; neither the proxy nor a DNAT rule is on the path',
      source: 'docs/docker.md#host-network',
    },
  },
]);
