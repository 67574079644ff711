// Node access on the kube provider: its nodes are namespaces of this run, so this machine's own
// programs (ip, iptables, redis-cli, tcpdump, the load client) run on a node with nsenter, and in a
// pod's network namespace through the pod sandbox's pause process, found in the node's cgroups by
// the pod's UID (the kubelet's cgroupfs layout: <cgroupRoot>/kubepods[/<qos>]/pod<uid>/<container>).
import type { V1Pod } from '@kubernetes/client-node';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProbeError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { waitFor } from '../../util/wait.ts';
import { parseCniAddresses } from '../k8s/cni-addresses.ts';
import { syncMacPartitions } from '../k8s/partition.ts';
import type { NodeAccess, NodeFaults } from '../k8s/topology.ts';
import { CapabilityError, type ExecOptions, type ExecResult } from '../provider.ts';
import type { KubeCluster } from './cluster.ts';
import { inPlace } from './daemons.ts';
import { pidsUnder } from './host.ts';

/** Why a kube cluster shared between files (npm test's kube tier) cannot stop its nodes. */
export const KUBE_SHARED_NODE_FAULTS =
  "the shared cluster's node daemons belong to the process that started it (npm test's main process); `rcnc run --provider kube` stops and starts nodes";

/** The hierarchy searched for pod cgroups: every v1 machine has it, and it holds every task. */
const PIDS_HIERARCHY = '/sys/fs/cgroup/pids';

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

function findDir(root: string, name: string, depth = 4): string | undefined {
  if (depth < 0 || !existsSync(root)) {
    return undefined;
  }
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) {
      continue;
    }
    if (e.name === name) {
      return join(root, e.name);
    }
    const found = findDir(join(root, e.name), name, depth - 1);
    if (found) {
      return found;
    }
  }
  return undefined;
}

export class KubeNodes implements NodeAccess {
  readonly faults?: NodeFaults;
  readonly sharedDataRoot: string;
  readonly externalPrefix: string[];

  constructor(
    private readonly cluster: KubeCluster,
    o: { sharedDataRoot: string; nodeFaults: boolean },
  ) {
    this.sharedDataRoot = o.sharedDataRoot;
    // The hub namespace holds the node network's gateway address, as a laptop on k3d's network.
    this.externalPrefix = ['nsenter', `--net=/run/netns/${cluster.names.hub}`, '--'];
    if (o.nodeFaults) {
      // The cluster npm test's kube tier shares is vitest's main process's: its node daemons are
      // that process's children, so only partitions (rules in the nodes' namespaces) work here.
      const attached = (what: string) =>
        Promise.reject(new CapabilityError('node-faults', `${what} a node: ${KUBE_SHARED_NODE_FAULTS}`));
      this.faults = {
        stop: (i) => (cluster.attached ? attached('stopping') : cluster.stopNode(i)),
        start: (i) => (cluster.attached ? attached('starting') : cluster.startStoppedNode(i)),
        syncPartitions: (nodes, pairs) => syncMacPartitions(this, nodes, pairs),
      };
    }
  }

  /**
   * kube-proxy's own rules on every node: the NodePort's match and the DNAT to the pod, in
   * iptables-save's form (iptables mode) or in the kube-proxy nftables table (nftables mode).
   */
  async awaitServices(services: { nodePort: number; endpoint: string }[]): Promise<void> {
    if (services.length === 0) {
      return;
    }
    const nodes = Array.from({ length: this.cluster.nodeCount }, (_, i) => i);
    await waitFor({
      target: `kube-proxy on ${nodes.length} node(s) to program NodePorts ${services.map((s) => `${s.nodePort}→${s.endpoint}`).join(', ')}`,
      timeoutMs: 60_000,
      intervalMs: 200,
      check: async () => {
        const missing: string[] = [];
        for (const i of nodes) {
          const rules = await this.rules(i);
          for (const s of services) {
            // iptables: `-A KUBE-SEP-… -j DNAT --to-destination IP:PORT`, `… --dport N …`; nftables:
            // `meta l4proto tcp dnat to IP:PORT` in the endpoint chain, and `tcp . N : goto external-…`
            // in the service-nodeports map (pkg/proxy/nftables/proxier.go).
            const dnat = rules.includes(`--to-destination ${s.endpoint}`) || rules.includes(`dnat to ${s.endpoint}`);
            if (!dnat || !new RegExp(`(dport|tcp \\.) ${s.nodePort}\\b`).test(rules)) {
              missing.push(`node-${i}: ${s.nodePort}`);
            }
          }
        }
        return {
          done: missing.length === 0,
          state: missing.length ? `not yet on ${missing.join(', ')}` : 'programmed',
        };
      },
    });
  }

  private async rules(i: number): Promise<string> {
    const argv =
      this.cluster.opts.proxyMode === 'nftables'
        ? ['nft', 'list', 'table', 'ip', 'kube-proxy']
        : ['iptables-save', '-t', 'nat'];
    return (await this.exec(i, argv, { reject: false })).stdout;
  }

  exec(i: number, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run(inPlace(this.cluster.nodePlace(i), argv), opts);
  }

  async cniAddresses(i: number): Promise<Record<string, string>> {
    const r = await this.exec(i, ['ip', '-4', '-o', 'addr', 'show'], { reject: false });
    if (r.exitCode !== 0) {
      throw new ProbeError(`cannot list the addresses of node ${i}: ${r.stderr.trim()}`);
    }
    return parseCniAddresses(r.stdout);
  }

  /** Every process of a pod (sandbox and containers), from its cgroup on node i. */
  podPids(i: number, pod: V1Pod): number[] {
    const uid = pod.metadata?.uid;
    const root = this.cluster.cgroupRoots[i];
    if (!uid || !root) {
      throw new ProbeError(`pod ${pod.metadata?.name} has no UID or node ${i} no cgroup root`);
    }
    const dir = findDir(join(PIDS_HIERARCHY, root), `pod${uid}`);
    if (!dir) {
      throw new ProbeError(`no cgroup pod${uid} of pod ${pod.metadata?.name} under ${root} on node ${i}`);
    }
    return pidsUnder(dir);
  }

  private sandboxPid(i: number, pod: V1Pod): number {
    const pid = this.podPids(i, pod).find((p) => comm(p) === 'pause');
    if (!pid) {
      throw new ProbeError(`pod ${pod.metadata?.name} has no running sandbox (pause) process on node ${i}`);
    }
    return pid;
  }

  netnsPrefix(i: number, pod?: V1Pod): Promise<string[]> {
    if (!pod || pod.spec?.hostNetwork) {
      return Promise.resolve(['nsenter', `--net=/run/netns/${this.cluster.names.node(i)}`, '--']);
    }
    return Promise.resolve(['nsenter', `--net=/proc/${this.sandboxPid(i, pod)}/ns/net`, '--']);
  }

  /** The pod's main process: its container's first process that is not the sandbox's pause. */
  signalContainer(i: number, pod: V1Pod, signal: NodeJS.Signals): Promise<void> {
    const pids = this.podPids(i, pod).filter((p) => comm(p) !== 'pause');
    const main = pids.sort((a, b) => a - b)[0];
    if (!main) {
      throw new ProbeError(`pod ${pod.metadata?.name} has no container process on node ${i}`);
    }
    process.kill(main, signal);
    return Promise.resolve();
  }

  /**
   * From netlink, not sysfs: /sys shows the devices of the namespace that mounted it (this
   * machine's, in every node's mount namespace), so /sys/class/net/eth0/address there is this
   * machine's eth0 on every node, and a partition by that MAC dropped nothing.
   */
  async mac(i: number): Promise<string> {
    const r = await this.exec(i, ['ip', '-o', 'link', 'show', 'dev', 'eth0']);
    const mac = /link\/ether ([0-9a-f]{2}(?::[0-9a-f]{2}){5})/.exec(r.stdout)?.[1];
    if (!mac) {
      throw new ProbeError(`node ${i} has no Ethernet address on eth0: ${r.stdout.trim()}`);
    }
    return mac;
  }
}
