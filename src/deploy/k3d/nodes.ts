// Node access on k3d, whose nodes are Docker containers. Topology node i is agent i: the server
// (the API server every exec, log and delete goes through) is never a topology node, so no fault
// can reach it (docs/kubernetes.md#k3d-nodes-and-faults).
// - Commands on a node run with the tools of where they exist: Redis tools (redis-cli) in a
//   host-network probe pod with the Redis image pinned to the node, the rest (ip, iptables,
//   crictl) in the node container. Both are the node's network namespace, so both see the same
//   kernel tables; only the file system differs.
// - Programs of this machine (tcpdump, the load client) enter a node's or a pod's namespace with
//   nsenter, where this machine shares the daemon's kernel and runs as root.
// - Faults: docker stop/start, and a raw-table partition that drops frames by the partner's MAC.
import type { V1Pod } from '@kubernetes/client-node';
import { basename } from 'node:path';
import { ProbeError } from '../../util/errors.ts';
import { checkNetnsPath, containerIdOf, netnsFromCrictl } from '../k8s/capture.ts';
import { parseCniAddresses } from '../k8s/cni-addresses.ts';
import { syncMacPartitions } from '../k8s/partition.ts';
import type { ProbePods } from '../k8s/probe-pod.ts';
import type { NodeAccess, NodeFaults } from '../k8s/topology.ts';
import { CapabilityError, type ExecOptions, type ExecResult, type Gaps } from '../provider.ts';
import type { K3dBackend } from './backend.ts';

/** Redis's own tools are in the Redis image, not in the k3s node image. */
export const isRedisTool = (argv0: string): boolean => /^redis-/.test(basename(argv0));

export interface ContainerNodesOptions {
  backend: K3dBackend;
  /** Node container of topology node i (agents only). */
  containers: readonly string[];
  probes: ProbePods;
  sharedDataRoot?: string;
  /** The provider's gaps: `host-netns` says why this machine cannot enter the containers' namespaces. */
  gaps: Gaps;
}

export class ContainerNodes implements NodeAccess {
  readonly faults: NodeFaults;
  readonly sharedDataRoot?: string;

  constructor(private readonly o: ContainerNodesOptions) {
    this.sharedDataRoot = o.sharedDataRoot;
    this.faults = {
      stop: (i) => this.docker(['stop', '-t', '5', this.container(i)]),
      start: (i) => this.docker(['start', this.container(i)]),
      syncPartitions: (nodes, pairs) => syncMacPartitions(this, nodes, pairs),
    };
  }

  /** The container of topology node i; there is none for the server. */
  container(i: number): string {
    const c = this.o.containers[i];
    if (!c) {
      throw new ProbeError(`no agent container for node ${i}`);
    }
    return c;
  }

  private async docker(args: string[]): Promise<void> {
    await this.o.backend.docker(args, { timeoutMs: 60_000 });
  }

  /** Which executor runs a node command: the probe pod for Redis tools, the node container otherwise. */
  executorFor(argv: string[]): 'probe-pod' | 'node-container' {
    return isRedisTool(argv[0] ?? '') ? 'probe-pod' : 'node-container';
  }

  exec(i: number, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.executorFor(argv) === 'probe-pod') {
      // The image's binary by name: a path of this machine (--redis-cli PATH) means nothing there.
      return this.o.probes.exec(i, [basename(argv[0]!), ...argv.slice(1)], opts);
    }
    const stdin = opts.input !== undefined ? ['-i'] : [];
    return this.o.backend.docker(['exec', ...stdin, this.container(i), ...argv], opts);
  }

  async cniAddresses(i: number): Promise<Record<string, string>> {
    const r = await this.exec(i, ['ip', '-4', '-o', 'addr', 'show'], { reject: false });
    if (r.exitCode !== 0) {
      throw new ProbeError(`cannot list the addresses of node ${this.container(i)}: ${r.stderr.trim()}`);
    }
    return parseCniAddresses(r.stdout);
  }

  /** Host pid of a node container (its namespaces are entered through /proc/<pid>). */
  private async nodePid(i: number): Promise<number> {
    const gap = this.o.gaps['host-netns'];
    if (gap) {
      throw new CapabilityError('host-netns', gap);
    }
    const r = await this.o.backend.docker(['inspect', '-f', '{{.State.Pid}}', this.container(i)], { reject: false });
    const pid = Number(r.stdout.trim());
    if (r.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) {
      throw new ProbeError(`node container ${this.container(i)} is not running (pid ${r.stdout.trim() || '?'})`);
    }
    return pid;
  }

  private async crictl(i: number, pod: V1Pod) {
    const id = containerIdOf(pod);
    if (!id) {
      throw new ProbeError(`pod ${pod.metadata?.name} has no running container`);
    }
    const r = await this.exec(i, ['crictl', 'inspect', '-o', 'json', id], { reject: false });
    if (r.exitCode !== 0) {
      throw new ProbeError(`crictl inspect ${id} on ${this.container(i)} failed: ${r.stderr.trim().split('\n')[0]}`);
    }
    return netnsFromCrictl(r.stdout);
  }

  async netnsPrefix(i: number, pod?: V1Pod): Promise<string[]> {
    const nodePid = await this.nodePid(i);
    if (!pod) {
      return ['nsenter', `--net=${await checkNetnsPath(`/proc/${nodePid}/ns/net`)}`, '--'];
    }
    const { netnsPath, pid } = await this.crictl(i, pod);
    // Both paths go through the node container's root, where its netns mounts and /proc live.
    const path = netnsPath ? `/proc/${nodePid}/root${netnsPath}` : `/proc/${nodePid}/root/proc/${pid}/ns/net`;
    return ['nsenter', `--net=${await checkNetnsPath(path)}`, '--'];
  }

  async signalContainer(i: number, pod: V1Pod, signal: NodeJS.Signals): Promise<void> {
    const { pid } = await this.crictl(i, pod);
    if (!pid) {
      throw new ProbeError(`no pid for pod ${pod.metadata?.name}'s container`);
    }
    // The node's PID namespace is the container's parent: SIGKILL and SIGSTOP reach the pod's PID 1.
    await this.exec(i, ['kill', '-s', signal.replace(/^SIG/, ''), String(pid)]);
  }

  async mac(i: number): Promise<string> {
    const r = await this.o.backend.docker([
      'inspect',
      '-f',
      '{{range .NetworkSettings.Networks}}{{.MacAddress}} {{end}}',
      this.container(i),
    ]);
    return r.stdout.trim().split(/\s+/)[0]!;
  }
}
