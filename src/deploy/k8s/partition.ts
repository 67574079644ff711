// A partition between Kubernetes nodes, the same on every provider that can run iptables on its
// nodes (k3d's containers, kube's namespaces): each listed node drops, in the raw table (which
// kube-proxy and the CNI leave alone), every frame from a partner's MAC — its VXLAN packets, routed
// pod packets (Calico CrossSubnet) and all. The control plane is never a partner, so API server ↔
// kubelet traffic (exec, logs) still flows.
import type { ExecOptions, ExecResult } from '../provider.ts';

const CHAIN = 'RCNC-PARTITION';

export interface PartitionableNodes {
  exec(node: number, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** The MAC address of the node's interface on the node network. */
  mac(node: number): Promise<string>;
}

export async function syncMacPartitions(
  on: PartitionableNodes,
  nodes: number[],
  pairs: [number, number][],
): Promise<void> {
  for (const n of nodes) {
    const ipt = (args: string[], reject = true) => on.exec(n, ['iptables', '-t', 'raw', ...args], { reject });
    await ipt(['-N', CHAIN], false);
    if ((await ipt(['-C', 'PREROUTING', '-j', CHAIN], false)).exitCode !== 0) {
      await ipt(['-I', 'PREROUTING', '1', '-j', CHAIN]);
    }
    await ipt(['-F', CHAIN]);
    for (const [a, b] of pairs) {
      const other = a === n ? b : b === n ? a : undefined;
      if (other !== undefined) {
        await ipt(['-A', CHAIN, '-m', 'mac', '--mac-source', await on.mac(other), '-j', 'DROP']);
      }
    }
  }
}
