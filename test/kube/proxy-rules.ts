// What the kube-proxy rules comparison (cluster.e2e.test.ts) and the capture of its fixtures
// (test/fixtures/kube-proxy/) share: the Services compared, what their addresses stand for, and the
// fixture header that records both.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { KUBE_VERSIONS } from '../../src/deploy/kube/versions.ts';
import type { StartedTopology, TopologySpec } from '../../src/deploy/provider.ts';
import { members, planFor, redisPods, redisServices } from '../../src/deploy/redis-cluster.ts';
import type { RuleScope } from '../../src/probes/kube-proxy-rules.ts';

const REPO = join(import.meta.dirname, '..', '..');

/**
 * The Services of the nat-meet NodePort cells (a client and a bus port per member), under both
 * traffic policies, with one endpoint on node-0 and one on node-1 for each: every node then has a
 * Service of each policy with its endpoint on the node and one with it only on the other node.
 */
export function proxiedSpec(redis: { server: string; cli: string }): TopologySpec {
  const ms = members({ count: 4, nodes: 2 });
  const common = { redisServer: redis.server, redisCli: redis.cli, announce: 'none' as const };
  const cluster = planFor({ ...common, exposure: 'nodeport', policy: 'Cluster', members: ms.slice(0, 2) });
  const local = planFor({ ...common, exposure: 'nodeport', policy: 'Local', members: ms.slice(2) });
  return {
    profile: 'flannel-vxlan',
    nodes: 2,
    pods: [...redisPods(cluster), ...redisPods(local)],
    services: [...redisServices(cluster), ...redisServices(local)],
  };
}

/** What each address of a topology stands for, the same on the lab and on the cluster. */
export function scopeOf(t: StartedTopology, namespace: string): RuleScope {
  const roles: Record<string, string> = {};
  t.pods().forEach((p) => (roles[p.ip] = `pod:${p.name}`));
  t.services.forEach((s) => (roles[s.clusterIP] = `clusterIP:${s.name}`));
  t.nodes.forEach((n) => (roles[n.ip] = `node-${n.index}`));
  return { namespace, roles };
}

/** The kube cluster a dump came from, for its header. */
export const clusterWords = (mode: 'iptables' | 'nftables') =>
  `a kube cluster's node: Kubernetes ${KUBE_VERSIONS.kubernetes} (real kube-proxy, mode ${mode}), flannel ${KUBE_VERSIONS.flannel}.`;

/**
 * Writes one node's dump into `dir` as `<file>`, after a header saying how it was made (`how`) and
 * what its addresses stand for (`# scope namespace …`, `# role <ip> <role>`: the unit tests read them).
 */
export async function saveDump(o: { dir: string; file: string; how: string; text: string; scope: RuleScope }) {
  const dir = resolve(o.dir);
  const header = [
    ...o.how.split('\n').map((l) => `# ${l}`),
    `# ${new Date().toISOString().slice(0, 10)}, into ${relative(REPO, dir)}.`,
    "# Services: the nat-meet NodePort cells' redis-0-np and redis-1-np (policy Cluster), redis-2-np and",
    '# redis-3-np (policy Local), ports client and bus; endpoints redis-0 and redis-2 on node-0, redis-1',
    '# and redis-3 on node-1.',
    `# scope namespace ${o.scope.namespace}`,
    ...Object.entries(o.scope.roles).map(([ip, role]) => `# role ${ip} ${role}`),
  ];
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, o.file), `${header.join('\n')}\n${o.text}`);
}
