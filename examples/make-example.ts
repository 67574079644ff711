// Regenerates an example directory from a real lab run: builds the cell, lets a replica join the
// way operators do (`redis-cli --cluster add-node … --cluster-slave`) while tcpdump runs in every
// pod, collects what `rcnc analyze` reads through topology.exec/capture, and writes expected.json
// from analyzeDir. Run as root from the repository root:
//
//   npx tsx examples/make-example.ts flannel-nodeport-nat-meet
//
// Then review `git diff examples/` (ids, ports and pids change on every run) and run
// `npx vitest run --project unit src/analyze`.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeDir, renderAnalyzeText } from '../src/analyze/analyze.ts';
import { collectArtifacts } from '../src/analyze/collect.ts';
import { NetnsProvider } from '../src/deploy/netns/netns.ts';
import type { Capture } from '../src/deploy/provider.ts';
import { memberPorts, members, planFor, RedisCluster, redisTopologySpec } from '../src/deploy/redis-cluster.ts';
import type { Exposure } from '../src/model/dimensions.ts';
import { hasFlag } from '../src/probes/cluster-nodes.ts';
import { readView, waitForMeet } from '../src/probes/convergence.ts';
import { findFailedConnections } from '../src/probes/logs.ts';
import { run } from '../src/util/exec.ts';
import { waitFor } from '../src/util/wait.ts';

interface Example {
  title: string;
  nodes: number;
  exposure: Exposure;
  /** The joiner dials its own node's IP (else the entry master's node). */
  dialOwnNode: boolean;
  meet: 'ok' | 'fails';
  /** Write pods.txt as `kubectl get pods -A -o wide` (NAMESPACE column). */
  allNamespaces?: boolean;
  /** Node index whose interfaces are listed with ifconfig instead of ip addr. */
  ifconfigNode?: number;
}

const EXAMPLES: Record<string, Example> = {
  'flannel-nodeport-nat-meet': {
    title:
      'one flannel-vxlan node; masters announce node IP + NodePorts, redis-3 joins over NodePort without announcing: redis-0 records it at cni0 10.42.0.1',
    nodes: 1,
    exposure: 'nodeport',
    dialOwnNode: false,
    meet: 'fails',
  },
  'flannel-nodeport-cross-node': {
    title:
      'two flannel-vxlan nodes; redis-3 on node-1 joins through its own node IP, the entry redis-0 is on node-0: redis-0 records it at flannel.1 10.42.1.0',
    nodes: 2,
    exposure: 'nodeport',
    dialOwnNode: true,
    meet: 'fails',
    allNamespaces: true,
    ifconfigNode: 1,
  },
  'flannel-pod-ip-ok': {
    title: 'two flannel-vxlan nodes; everyone meets over pod IPs, which flannel never NATs: the join works',
    nodes: 2,
    exposure: 'pod-ip',
    dialOwnNode: false,
    meet: 'ok',
  },
};

const name = process.argv[2] ?? '';
const example = EXAMPLES[name];
if (!example) {
  console.error(`usage: npx tsx examples/make-example.ts <${Object.keys(EXAMPLES).join('|')}>`);
  process.exit(2);
}
const out = join(import.meta.dirname, name);
const NAMESPACE = 'rcnc';

const all = members({
  count: 4,
  nodes: example.nodes,
  placement: (i) => (i === 3 ? example.nodes - 1 : i % example.nodes),
  // Over NodePort the masters only form when they announce; the joiner never does.
  announce: (i) => i !== 3 && example.exposure === 'nodeport',
});
const plan = planFor({
  exposure: example.exposure,
  announce: 'none',
  members: all,
  // Redis' default: the ghost outlives the collection by a wide margin.
  nodeTimeoutMs: 15_000,
});
const [entry, , , joiner] = all as [(typeof all)[0], unknown, unknown, (typeof all)[0]];
const startedAt = new Date();
await using topo = await new NetnsProvider().start(redisTopologySpec(plan, 'flannel-vxlan', example.nodes));
const cluster = new RedisCluster(topo, plan);
await cluster.createManually(all.slice(0, 3));
await waitForMeet(cluster, { members: all.slice(0, 3), requireStateOk: false });

const captures = new Map<string, Capture>();
for (const m of all) {
  captures.set(m.name, await topo.capture({ pod: m.name }, { name: m.name, filter: 'tcp', maxSeconds: 120 }));
}
const added = await cluster.addNode(joiner, entry, {
  slave: true,
  viaNode: example.dialOwnNode ? joiner.node : undefined,
});
console.log(`add-node: ${added.lastLine}`);
if (example.meet === 'fails') {
  await waitFor({
    target: `${entry.name} to hold a ghost whose dial-back fails`,
    timeoutMs: plan.nodeTimeoutMs,
    intervalMs: 50,
    check: async () => {
      const view = await readView(cluster, entry);
      const ghosts = view.nodes.filter((n) => hasFlag(n, 'handshake'));
      const failed = findFailedConnections(await topo.logs(entry.name));
      return {
        done: ghosts.some((g) => failed.some((f) => f.nodeId === g.id)),
        state: `${ghosts.length} handshake entries, ${failed.length} failed connections`,
      };
    },
  });
} else {
  await waitForMeet(cluster);
}

await rm(out, { recursive: true, force: true });
const files = await collectArtifacts(topo, {
  dir: out,
  pods: all.map((m) => ({ name: m.name, port: memberPorts(plan, m).port })),
  captures,
  nodeInterfaces: (i) => (i === example.ifconfigNode ? 'ifconfig' : 'ip-addr'),
  startedAt,
  namespace: NAMESPACE,
  allNamespaces: example.allNamespaces,
});
const redis = (await run(['redis-server', '--version'])).stdout.trim();
await writeFile(
  join(out, 'README.md'),
  `# ${name}\n\n${example.title}.\n\nMade by \`npx tsx examples/make-example.ts ${name}\` on ${startedAt.toISOString().slice(0, 10)} ` +
    `(netns lab, ${redis.split(' ').slice(0, 3).join(' ')}): \`redis-cli cluster nodes\`, \`ss -tanp\`, \`netstat -anop\`, ` +
    `the Redis log and \`tcpdump -i any -nn -tt -v\` text of every pod, \`${example.ifconfigNode === undefined ? 'ip addr' : 'ip addr` / `ifconfig'}\` ` +
    `of every node, and \`kubectl get pods${example.allNamespaces ? ' -A' : ''} -o wide\` / \`get nodes -o wide\`` +
    `${topo.services.length ? ' / `get svc -o wide`' : ''} tables of the lab. \`expected.json\` is \`rcnc analyze ${name} --json\`.\n`,
);
const report = await analyzeDir(out);
await writeFile(join(out, 'expected.json'), JSON.stringify(report, null, 2) + '\n');
console.log(renderAnalyzeText(report));
console.log(`wrote ${files.length + 2} files to ${out}`);
