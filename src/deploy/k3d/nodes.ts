// Node access for clusters whose nodes are Docker containers (k3d, or one @testcontainers/k3s
// container): exec and spawn through `docker exec`, CNI addresses, capture prefixes that enter a
// node's or a pod's network namespace from this machine, signals to a pod's process, and node
// faults (docker stop/start, a raw-table partition).
import type { V1Pod } from '@kubernetes/client-node';
import { execa } from 'execa';
import { ProbeError, RequirementError } from '../../util/errors.ts';
import { checkNetnsPath, containerIdOf, hostCaptureUnsupported, netnsFromCrictl } from '../k8s/capture.ts';
import type { NodeAccess, NodeFaults } from '../k8s/topology.ts';
import type { ExecOptions, ExecResult } from '../provider.ts';
import { containerPid, docker, dockerStatus, parseCniAddresses } from './docker.ts';

const CHAIN = 'RCNC-PARTITION';

export class ContainerNodes implements NodeAccess {
  readonly faults?: NodeFaults;

  constructor(
    /** Docker container of node index i. */
    private readonly containers: readonly string[],
    opts: { faults: boolean; sharedDataRoot?: string },
  ) {
    this.sharedDataRoot = opts.sharedDataRoot;
    if (opts.faults) {
      this.faults = {
        stop: (i) => docker(['stop', '-t', '5', this.container(i)], { timeoutMs: 60_000 }).then(() => undefined),
        start: (i) => docker(['start', this.container(i)], { timeoutMs: 60_000 }).then(() => undefined),
        syncPartitions: (nodes, pairs) => this.syncPartitions(nodes, pairs),
      };
    }
  }

  readonly sharedDataRoot?: string;

  private container(i: number): string {
    const c = this.containers[i];
    if (!c) {
      throw new RequirementError(`no node container for node ${i}`);
    }
    return c;
  }

  exec(i: number, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return docker(['exec', ...(opts.input !== undefined ? ['-i'] : []), this.container(i), ...argv], opts);
  }

  spawnArgv(i: number, argv: string[]): string[] {
    return ['docker', 'exec', '-i', this.container(i), ...argv];
  }

  async cniAddresses(i: number): Promise<Record<string, string>> {
    const r = await this.exec(i, ['ip', '-4', '-o', 'addr', 'show'], { reject: false });
    if (r.exitCode === 0) {
      return parseCniAddresses(r.stdout);
    }
    // Node images without `ip`: read the node's namespace with this machine's ip, where allowed.
    if (!(await hostCaptureUnsupported())) {
      const pid = await containerPid(this.container(i));
      const h = await execa('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', '-4', '-o', 'addr', 'show'], {
        reject: false,
      });
      if (h.exitCode === 0) {
        return parseCniAddresses(String(h.stdout));
      }
    }
    return {};
  }

  /** Host pid of the node container, if the daemon runs on this machine's kernel. */
  private async localPid(i: number): Promise<number> {
    const why = await hostCaptureUnsupported();
    if (why) {
      throw new ProbeError(why);
    }
    const status = await dockerStatus();
    if (!status.local || /^(tcp|ssh|https?):/.test(process.env.DOCKER_HOST ?? '')) {
      throw new ProbeError(
        `the Docker daemon is not on this machine's kernel (${status.detail}), so its namespaces are out of reach`,
      );
    }
    return containerPid(this.container(i));
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

  async capturePrefix(i: number, pod?: V1Pod): Promise<string[]> {
    const nodePid = await this.localPid(i);
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
    // The node's PID namespace is the container's parent: SIGKILL reaches PID 1 of the pod from here.
    await this.exec(i, ['kill', '-s', signal.replace(/^SIG/, ''), String(pid)]);
  }

  /**
   * Each listed node drops, in the raw table (untouched by kube-proxy and the CNI), every frame
   * from a partner's MAC: its VXLAN packets, routed pod packets (Calico CrossSubnet) and all.
   */
  private async syncPartitions(nodes: number[], pairs: [number, number][]): Promise<void> {
    const mac = async (i: number) =>
      (
        await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.MacAddress}} {{end}}', this.container(i)])
      ).stdout
        .trim()
        .split(/\s+/)[0]!;
    for (const n of nodes) {
      const ipt = (args: string[], reject = true) => this.exec(n, ['iptables', '-t', 'raw', ...args], { reject });
      await ipt(['-N', CHAIN], false);
      if ((await ipt(['-C', 'PREROUTING', '-j', CHAIN], false)).exitCode !== 0) {
        await ipt(['-I', 'PREROUTING', '1', '-j', CHAIN]);
      }
      await ipt(['-F', CHAIN]);
      for (const [a, b] of pairs) {
        const other = a === n ? b : b === n ? a : undefined;
        if (other !== undefined) {
          await ipt(['-A', CHAIN, '-m', 'mac', '--mac-source', await mac(other), '-j', 'DROP']);
        }
      }
    }
  }
}
