// End to end on real k3d: the paths the unit tests (test/unit/k3d-design.test.ts) drive with fakes,
// here against a real cluster. One flannel cluster (one server, agents) is shared by two topologies
// in turn; a Redis Cluster over NodePort with announce is bootstrapped through the same
// redis-cluster.ts the lab uses; sockets come from /proc/net/tcp; CNI addresses exist once pods
// run; redis-cli on a node runs in a host-network probe pod; a capture and a program of this
// machine in a pod's namespace run where the provider declared it can; a pod comes back with its
// data; node faults hit agents only; and nothing is left after close(). Skips with the reason where
// k3d cannot run (no Docker daemon, no k3d); REQUIRE_K3D=1 makes that a failure, so CI cannot
// pass by skipping.
import { afterAll, describe, expect, test } from 'vitest';
import { DockerK3dBackend } from '../../src/deploy/k3d/backend.ts';
import { resolveK3d } from '../../src/deploy/k3d/binary.ts';
import { K3D_START_BUDGET_MS } from '../../src/deploy/k3d/budgets.ts';
import { K3dProvider } from '../../src/deploy/k3d/k3d.ts';
import { parseClusterList } from '../../src/deploy/k3d/leftovers.ts';
import { describeUnmet, unmet } from '../../src/deploy/provider.ts';
import { members, planFor, RedisCluster, redisTopologySpec } from '../../src/deploy/redis-cluster.ts';
import { classifyAddress, currentAddressBook } from '../../src/probes/address-class.ts';
import { readSockets } from '../../src/probes/socket-table.ts';
import { waitFor } from '../../src/util/wait.ts';

const provider = new K3dProvider({ runId: 'k3d-e2e', log: (l) => console.log(`k3d e2e: ${l}`) });
afterAll(() => provider.close());

describe('k3d provider, end to end', { timeout: K3D_START_BUDGET_MS + 900_000 }, () => {
  test('flannel-vxlan: shared cluster, NodePort with announce, probes, faults on agents, nothing left', async (ctx) => {
    const reqs = await provider.check();
    if (unmet(reqs).length) {
      const reason = `k3d cannot run here: ${describeUnmet(reqs)}`;
      if (process.env.REQUIRE_K3D === '1') {
        throw new Error(`REQUIRE_K3D=1 but ${reason}`);
      }
      ctx.skip(reason);
    }
    // What this machine cannot do with k3d, as declared (captures and host programs need root here).
    const gaps = await provider.declaredGaps();

    // A first topology, stopped at once: the second one must reuse its cluster.
    const probe = await provider.start({ profile: 'flannel-vxlan', nodes: 1, pods: [] });
    const firstNode = probe.nodes[0]!.name;
    await probe.stop();

    const plan = planFor({
      exposure: 'nodeport',
      announce: 'ip',
      members: members({ count: 3, nodes: 2, announce: () => true }),
      redisServer: 'redis-server',
      redisCli: 'redis-cli',
    });
    await using topo = await provider.start(redisTopologySpec(plan, 'flannel-vxlan', 2));
    const cluster = new RedisCluster(topo, plan);
    const clusterName = /^k3d-(.+)-agent-0$/.exec(topo.nodes[0]!.name)?.[1];
    // Agents only, and the same cluster as the first topology.
    expect(topo.nodes.map((n) => n.name)).toEqual([`k3d-${clusterName}-agent-0`, `k3d-${clusterName}-agent-1`]);
    expect(topo.nodes[0]!.name).toBe(firstNode);
    expect(topo.clusterInfo?.cni.name).toBe('flannel');
    // cni0 exists on a node once a pod runs there, and the topology read it after the pods started.
    expect(topo.nodes[0]!.cniAddresses).toHaveProperty('cni0');
    const book = await currentAddressBook(topo);
    expect(classifyAddress(topo.nodes[1]!.cniAddresses.cni0!, book).class).toBe('bridge-gateway');

    await cluster.createWithRedisCli(plan.members);
    const r0 = plan.members[0]!;
    await waitFor({
      target: 'redis-0 cluster_state:ok',
      timeoutMs: 60_000,
      intervalMs: 500,
      check: async () => {
        const info = await cluster.cli(r0, ['cluster', 'info']);
        return { done: /cluster_state:ok/.test(info), state: info.split('\n')[0] ?? '' };
      },
    });
    const view = await cluster.cli(r0, ['cluster', 'nodes']);
    for (const [i, m] of plan.members.entries()) {
      expect(view).toContain(`${topo.pod(m.name).hostIP}:${30000 + i}@${31000 + i}`);
    }

    // The official redis image has no ss/netstat: the table comes from /proc/net/tcp.
    const sockets = await readSockets(topo, { pod: 'redis-0' });
    expect(sockets.tool).toBe('proc');
    expect(sockets.sockets.some((s) => s.state === 'LISTEN' && s.local.port === 16379)).toBe(true);

    // node → NodePort from a host-network probe pod (the k3s image has no redis-cli).
    const fromNode = await topo.exec({ node: 1 }, ['redis-cli', '-h', topo.nodes[1]!.ip, '-p', '30000', 'ping']);
    expect(fromNode.stdout.trim()).toBe('PONG');
    // ip route get in the node container: the node's own route to a pod.
    const route = await topo.exec({ node: 1 }, ['ip', '-o', 'route', 'get', topo.pod('redis-0').ip]);
    expect(route.stdout).toMatch(/\bsrc \d+\.\d+\.\d+\.\d+/);

    if (!gaps.capture) {
      const sent = async () =>
        Number(/cluster_stats_messages_ping_sent:(\d+)/.exec(await cluster.cli(r0, ['cluster', 'info']))?.[1] ?? 0);
      const cap = await topo.capture({ pod: 'redis-0' }, { name: 'e2e-bus', filter: 'tcp port 16379', maxSeconds: 30 });
      const base = await sent();
      await waitFor({
        target: 'redis-0 to send two more cluster-bus PINGs while capturing',
        timeoutMs: 20_000,
        intervalMs: 250,
        check: async () => {
          const n = await sent();
          return { done: n >= base + 2, state: `ping_sent ${n} (from ${base})` };
        },
      });
      expect((await cap.stop()).text).toMatch(/\.16379[ :]/);
    } else {
      await ctx.annotate(`no capture here, as declared: ${gaps.capture}`);
    }
    if (!gaps['host-netns']) {
      // A program of this machine in redis-1's namespace: its own pod IP is local there.
      const argv = topo.spawnArgv({ pod: 'redis-1' }, ['ip', '-4', '-o', 'addr', 'show']);
      const { run } = await import('../../src/util/exec.ts');
      expect((await run(argv)).stdout).toContain(topo.pod('redis-1').ip);
    }

    // deletePod: a new pod, the same data (nodes.conf) hence the same node id.
    const r1 = plan.members[1]!;
    const id = await cluster.myId(r1);
    const before = topo.pod(r1.name);
    const after = await topo.deletePod(r1.name);
    expect(after.generation).toBe(before.generation + 1);
    expect(await cluster.myId(r1)).toBe(id);

    // A node fault on agent-1; the API server (on the server) keeps answering for redis-0 on agent-0.
    await topo.stopNode(1);
    expect(await cluster.cli(r0, ['ping'])).toMatch(/PONG/);
    await topo.startNode(1);

    await topo.stop();
    await provider.close();
    const k3d = new DockerK3dBackend(async () => (await resolveK3d()).path);
    expect(parseClusterList(await k3d.listClusters()).map((c) => c.name)).not.toContain(clusterName);
  });
});
