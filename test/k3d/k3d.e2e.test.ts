// End to end on a real k3d cluster: a 2-node flannel cluster, a Redis Cluster over NodePort with
// announce, bootstrapped through the same redis-cluster.ts the lab uses, then sockets, pod
// deletion with nodes.conf surviving, and teardown. Skips with the reason where k3d cannot run
// (no Docker daemon, no k3d); REQUIRE_K3D=1 makes that a failure, so CI cannot pass by skipping.
import { describe, expect, test } from 'vitest';
import { resolveK3d } from '../../src/deploy/k3d/binary.ts';
import { K3dProvider } from '../../src/deploy/k3d/k3d.ts';
import { describeUnmet, unmet } from '../../src/deploy/provider.ts';
import { members, planFor, RedisCluster, redisTopologySpec } from '../../src/deploy/redis-cluster.ts';
import { readSockets } from '../../src/probes/socket-table.ts';
import { ProbeError } from '../../src/util/errors.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';

const provider = new K3dProvider({ log: (l) => console.log(`k3d e2e: ${l}`) });

describe('k3d provider, end to end', { timeout: 900_000 }, () => {
  test('flannel-vxlan, NodePort with announce: cluster forms, sockets read, pod comes back with its data', async (ctx) => {
    const reqs = await provider.check();
    if (unmet(reqs).length) {
      const reason = `k3d cannot run here: ${describeUnmet(reqs)}`;
      if (process.env.REQUIRE_K3D === '1') {
        throw new Error(`REQUIRE_K3D=1 but ${reason}`);
      }
      ctx.skip(reason);
    }

    const plan = planFor({
      exposure: 'nodeport',
      announce: 'ip',
      members: members({ count: 3, nodes: 2, announce: () => true }),
    });
    await using topo = await provider.start(redisTopologySpec(plan, 'flannel-vxlan', 2));
    const cluster = new RedisCluster(topo, plan);

    expect(topo.nodes.map((n) => n.name)).toEqual([
      expect.stringMatching(/-server-0$/),
      expect.stringMatching(/-agent-0$/),
    ]);
    expect(topo.nodes[0]!.cniAddresses).toHaveProperty('cni0');
    expect(topo.clusterInfo?.cni.name).toBe('flannel');

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
    // Announced addresses: every member is known at a node IP with its fixed NodePorts.
    const view = await cluster.cli(r0, ['cluster', 'nodes']);
    for (const [i, m] of plan.members.entries()) {
      expect(view).toContain(`${topo.pod(m.name).hostIP}:${30000 + i}@${31000 + i}`);
    }

    // The official redis image has no ss/netstat: the table comes from /proc/net/tcp.
    const sockets = await readSockets(topo, { pod: 'redis-0' });
    expect(sockets.tool).toBe('proc');
    expect(sockets.sockets.some((s) => s.state === 'LISTEN' && s.local.port === 16379)).toBe(true);

    // Packet capture from the host where possible; otherwise the reason is a ProbeError.
    try {
      const cap = await topo.capture({ pod: 'redis-0' }, { name: 'e2e-bus', filter: 'tcp port 16379', maxSeconds: 20 });
      await cluster.cli(r0, ['cluster', 'info']);
      await new Promise((r) => setTimeout(r, 1500));
      const res = await cap.stop();
      expect(res.text.length).toBeGreaterThan(0);
    } catch (e) {
      if (!(e instanceof ProbeError)) {
        throw e;
      }
      console.log(`k3d e2e: capture skipped: ${e.message}`);
    }

    // deletePod: a new pod, the same data (nodes.conf) hence the same node id.
    const r1 = plan.members[1]!;
    const id = await cluster.myId(r1);
    const before = topo.pod(r1.name);
    const after = await topo.deletePod(r1.name);
    expect(after.generation).toBe(before.generation + 1);
    expect(await cluster.myId(r1)).toBe(id);

    const name = `rcnc-${topo.id}`;
    await topo.stop();
    const list = await run([(await resolveK3d()).path, 'cluster', 'list', '-o', 'json'], { reject: false });
    expect(list.stdout).not.toContain(`"${name}"`);
  });
});
