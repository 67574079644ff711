// A topology pod as a Docker container: its argv (downward-API variables expanded, the run's
// Redis binaries named as the image has them), its fixed address on the topology's network, its
// published ports (a NodePort Service becomes `-p nodePort:targetPort`), its data volume, and a
// readiness wait that runs the pod's probe the way `exec` does (docs/docker.md#pods-as-containers).
import { basename } from 'node:path';
import { GenericContainer, type WaitStrategy } from 'testcontainers';
import { TopologyError } from '../../util/errors.ts';
import { waitFor } from '../../util/wait.ts';
import type { NodePortServiceSpec, PodSpec } from '../provider.ts';
import type { RedisBinaries } from './image.ts';
import { POD_LABEL, RUN_ID_LABEL, TOPOLOGY_LABEL, type DockerNames } from './names.ts';

/** Where `$(CONFIG_DIR)` and `$(DATA_DIR)` point inside a container (as on Kubernetes). */
export const CONFIG_DIR = '/etc/rcnc';
export const DATA_DIR = '/data';

/**
 * The container's argv: `$(VAR)` expanded like the kubelet does (unknown ones stay as written),
 * and the run's redis-server / redis-cli, given as paths on this machine, named by the name the
 * image has them under (on its PATH).
 */
export function containerArgv(command: string[], vars: Record<string, string>, redis: RedisBinaries): string[] {
  const expanded = command.map((arg) => arg.replace(/\$\((\w+)\)/g, (m, v: string) => vars[v] ?? m));
  const [first, ...rest] = expanded;
  if (first === undefined) {
    return [];
  }
  const name =
    first === redis.server || basename(first) === 'redis-server'
      ? 'redis-server'
      : first === redis.cli || basename(first) === 'redis-cli'
        ? 'redis-cli'
        : first;
  return [name, ...rest];
}

/** `-p nodePort:targetPort` for every Service port selecting this pod. */
export const publishedPorts = (pod: string, services: readonly NodePortServiceSpec[]) =>
  services
    .filter((s) => s.pod === pod)
    .flatMap((s) => s.ports.map((p) => ({ container: p.targetPort, host: p.nodePort })));

/** The n-th address of an IPv4 subnet (`172.18.0.0/16`, 2 → `172.18.0.2`). */
export function addressIn(subnet: string, n: number): string {
  const [ip, bits] = subnet.split('/');
  const octets = (ip ?? '').split('.').map(Number);
  const size = 2 ** (32 - Number(bits));
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || !(n > 0 && n < size - 1)) {
    throw new TopologyError(`no address number ${n} in ${subnet}`);
  }
  const base = octets.reduce((a, o) => a * 256 + o, 0);
  const v = base - (base % size) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

/**
 * Demultiplexes the logs API's answer for a container without a TTY: frames of an 8-byte header
 * (stream type, three zero bytes, big-endian length) and the payload (Docker Engine API, "Attach
 * to a container": stream format).
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at]!;
    const size = buf.readUInt32BE(at + 4);
    if (type > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
      // Not a multiplexed stream (a TTY container): the bytes are the log.
      return buf.toString('utf8');
    }
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The logs API's `since` for a container's StartedAt (RFC 3339 with nanoseconds): seconds and
 * nanoseconds, which the daemon parses exactly (whole seconds would take in the previous run's
 * last lines after a quick restart).
 */
export function logsSince(startedAt: string): string {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(startedAt);
  const seconds = Math.floor(Date.parse(m ? `${m[1]}${m[3]}` : startedAt) / 1000);
  if (!Number.isFinite(seconds)) {
    return '0';
  }
  return `${seconds}.${(m?.[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

type DockerodeContainer = Parameters<WaitStrategy['waitUntilReady']>[0];

/**
 * testcontainers' own wait machinery, with the pod's readiness probe as the condition: its default
 * (`forListeningPorts`) connects from this process's namespace and runs a shell in the container,
 * neither of which works here (docs/docker.md#testcontainers).
 */
export class ReadinessWait implements WaitStrategy {
  private timeoutMs = 30_000;
  private timeoutSet = false;
  constructor(
    private readonly pod: string,
    private readonly probe: (container: DockerodeContainer) => Promise<{ done: boolean; state: string }>,
  ) {}

  async waitUntilReady(container: DockerodeContainer): Promise<void> {
    await waitFor({
      target: `pod ${this.pod} ready`,
      timeoutMs: this.timeoutMs,
      intervalMs: 25,
      isFatal: (e) => e instanceof TopologyError,
      check: () => this.probe(container),
    });
  }

  withStartupTimeout(ms: number): this {
    this.timeoutMs = ms;
    this.timeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }

  getStartupTimeout(): number {
    return this.timeoutMs;
  }
}

export interface PodContainerOptions {
  names: DockerNames;
  runId: string;
  topologyId: string;
  image: string;
  spec: PodSpec;
  argv: string[];
  /** The user-defined network and the address to take on it; absent for host-network pods. */
  endpoint?: { network: string; ip: string };
  published: { container: number; host: number }[];
  wait: WaitStrategy;
}

/** A GenericContainer with what its builder has no method for: a fixed IP and a restart policy. */
class PodContainer extends GenericContainer {
  constructor(image: string, endpoint: PodContainerOptions['endpoint']) {
    super(image);
    // restartPolicy Always, as the kubelet: a container that exits is started again.
    this.hostConfig.RestartPolicy = { Name: 'always', MaximumRetryCount: 0 };
    if (endpoint) {
      this.createOpts.NetworkingConfig = {
        EndpointsConfig: { [endpoint.network]: { IPAMConfig: { IPv4Address: endpoint.ip } } },
      };
    }
  }
}

/** The container for one pod generation, not started. */
export function podContainer(o: PodContainerOptions): GenericContainer {
  const c = new PodContainer(o.image, o.endpoint)
    .withName(o.names.container(o.spec.name))
    .withLabels({ [RUN_ID_LABEL]: o.runId, [TOPOLOGY_LABEL]: o.topologyId, [POD_LABEL]: o.spec.name })
    .withCommand(o.argv)
    .withWorkingDir(DATA_DIR)
    // A named volume: the pod's PersistentVolume, kept when the pod is deleted and recreated.
    .withBindMounts([{ source: o.names.volume(o.spec.name), target: DATA_DIR }])
    .withCopyContentToContainer(
      Object.entries(o.spec.files ?? {}).map(([file, content]) => ({ content, target: `${CONFIG_DIR}/${file}` })),
    )
    .withNetworkMode(o.endpoint ? o.endpoint.network : 'host')
    .withWaitStrategy(o.wait);
  // Never pulled: the image is in the store (image.ts), and the default policy pulls only what is missing.
  return o.published.length ? c.withExposedPorts(...o.published) : c;
}
