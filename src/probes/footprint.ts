// What a formed cluster costs the machine: Redis's own resident memory (INFO memory of every
// member), the rules kube-proxy and the CNI left on every node, the connections conntrack
// tracks, the interfaces, and the kernel memory the machine reports in use for such objects.
import { readFile } from 'node:fs/promises';
import type { StartedTopology } from '../deploy/provider.ts';
import type { RedisCluster, RedisMember } from '../deploy/redis-cluster.ts';

export interface Footprint {
  /** Sum of used_memory_rss over the members. */
  redisRssBytes: number;
  /** `-A` rules in iptables-save, per node. */
  iptablesRulesPerNode: number[];
  /** nf_conntrack_count summed over the nodes. */
  conntrackEntries: number;
  /** Links in every node's namespace (veths, bridges, tunnels). */
  nodeInterfaces: number;
}

/** Slab + kernel stacks + page tables, from /proc/meminfo: the kernel memory lab objects grow. */
export async function kernelBytes(): Promise<number> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return (kb('Slab') + kb('KernelStack') + kb('PageTables')) * 1024;
}

export async function measureFootprint(
  topo: Pick<StartedTopology, 'exec' | 'nodes'>,
  cluster: RedisCluster,
  members: RedisMember[],
): Promise<Footprint> {
  const rss = await Promise.all(
    members.map(async (m) => Number(/used_memory_rss:(\d+)/.exec(await cluster.cli(m, ['info', 'memory']))?.[1] ?? 0)),
  );
  const perNode = await Promise.all(
    topo.nodes.map(async (n) => {
      const [rules, conntrack, links] = await Promise.all([
        topo.exec({ node: n.index }, ['iptables-save']),
        topo.exec({ node: n.index }, ['sysctl', '-n', 'net.netfilter.nf_conntrack_count'], { reject: false }),
        topo.exec({ node: n.index }, ['ip', '-o', 'link', 'show']),
      ]);
      return {
        rules: rules.stdout.split('\n').filter((l) => l.startsWith('-A ')).length,
        conntrack: Number(conntrack.stdout.trim()) || 0,
        links: links.stdout.split('\n').filter(Boolean).length,
      };
    }),
  );
  return {
    redisRssBytes: rss.reduce((a, b) => a + b, 0),
    iptablesRulesPerNode: perNode.map((n) => n.rules),
    conntrackEntries: perNode.reduce((a, n) => a + n.conntrack, 0),
    nodeInterfaces: perNode.reduce((a, n) => a + n.links, 0),
  };
}
