// The load client end to end: a real 3-master + 3-replica cluster over NodePort (every member
// announces node IP + NodePorts), the ioredis worker in the external-client namespace. A clean run
// must see no error and lose nothing; with a master SIGKILLed mid-load, its replica must take
// over, the client must see a finite error window, and no WAIT-confirmed write may be lost.
import { readdir, readFile } from 'node:fs/promises';
import { test as base, describe, expect } from 'vitest';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { describeUnmet, type StartedTopology } from '../../src/deploy/provider.ts';
import {
  memberPorts,
  members,
  planFor,
  RedisCluster,
  redisTopologySpec,
  type RedisMember,
} from '../../src/deploy/redis-cluster.ts';
import { clientEndpoints, clientNatMap, startClient, type ClientOptions } from '../../src/probes/client.ts';
import { hasFlag, slotCount } from '../../src/probes/cluster-nodes.ts';
import { readView, readViews, waitForMeet } from '../../src/probes/convergence.ts';
import { isRcncError, RequirementError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import { labSkipReason } from './leftovers.ts';

const NODE_TIMEOUT_MS = 2_000;
// Failover = failure detection (node timeout, plus up to half of it for the FAIL to spread) +
// the replica's election delay (500 ms + rank + jitter) + the vote: a few node timeouts at most.
const PROMOTION_BOUND_MS = NODE_TIMEOUT_MS * 8;
// What the client may take to see the cluster whole again once a replica is promoted: its retries
// end within about a second; the window is bounded by promotion plus that, with a wide margin.
const MAX_ERROR_WINDOW_MS = PROMOTION_BOUND_MS + 5_000;
// Longer than the rest of the test: the lab's teardown cancels the pending restart.
const VICTIM_DOWN_MS = 10 * 60_000;
const KEY_PREFIX = 'failover';

interface Lab {
  topo: StartedTopology;
  cluster: RedisCluster;
  masters: RedisMember[];
  /** Master name → its replica. */
  replicaOf: Map<string, RedisMember>;
  idOf: Map<string, string>;
}

type Fixture = Lab | { skipReason: string };

const requireLab = process.env.RCNC_REQUIRE_LAB === '1';

const test = base.extend<{ lab: Fixture }>({
  lab: [
    // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern
    async ({}, use) => {
      if (labSkipReason) {
        throw new RequirementError(`RCNC_REQUIRE_LAB=1 but the netns lab cannot run here: ${labSkipReason}`);
      }
      const provider = new NetnsProvider({ runId: process.env.RCNC_RUN_ID });
      const unmet = describeUnmet(await provider.check());
      if (unmet) {
        if (requireLab) {
          throw new RequirementError(`RCNC_REQUIRE_LAB=1 but the netns lab cannot run here: ${unmet}`);
        }
        await use({ skipReason: unmet });
        return;
      }
      const plan = planFor({
        exposure: 'nodeport',
        announce: 'ip',
        members: members({ count: 6, nodes: 3, announce: () => true }),
        nodeTimeoutMs: NODE_TIMEOUT_MS,
        persistence: false,
        redisServer: process.env.RCNC_REDIS_SERVER,
        redisCli: process.env.RCNC_REDIS_CLI,
      });
      await using topo = await provider.start(redisTopologySpec(plan, 'flannel-vxlan', 3, true));
      const cluster = new RedisCluster(topo, plan);
      // The first three become masters, each of the others a replica on another node.
      await cluster.createWithRedisCli(plan.members, 1);
      await waitForMeet(cluster, { timeoutMs: 30_000 });
      // Replicas in sync, so WAIT 1 can be confirmed from the first write on.
      await waitFor({
        target: 'every replica linked to its master',
        timeoutMs: 30_000,
        intervalMs: 100,
        check: async () => {
          const down: string[] = [];
          for (const m of plan.members) {
            const info = await cluster.cli(m, ['info', 'replication']);
            if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) {
              down.push(m.name);
            }
          }
          return { done: down.length === 0, state: `link down: ${down.join(', ')}` };
        },
      });
      const views = await readViews(cluster);
      const idOf = new Map(views.map((v) => [v.member, v.id]));
      const byId = new Map(views.map((v) => [v.id, plan.members.find((m) => m.name === v.member)!]));
      const self = (member: string) => views.find((v) => v.member === member)!.nodes.find((n) => hasFlag(n, 'myself'))!;
      const masters = plan.members.filter((m) => hasFlag(self(m.name), 'master'));
      const replicaOf = new Map<string, RedisMember>();
      for (const m of plan.members) {
        const masterId = self(m.name).masterId;
        if (masterId) {
          replicaOf.set(byId.get(masterId)!.name, m);
        }
      }
      await use({ topo, cluster, masters, replicaOf, idOf });
    },
    { scope: 'file' },
  ],
});

const clientOptions = (cluster: RedisCluster, o: Partial<ClientOptions>): ClientOptions => ({
  startupNodes: clientEndpoints(cluster),
  natMap: clientNatMap(cluster),
  rate: 300,
  waitEvery: 5,
  ...o,
});

/**
 * This process's load-client workers. The spawn chain (setpriv → ip netns exec → node) execs in
 * place, so a worker's parent is this process; other runs' workers on the machine do not count.
 */
const workers = async () => {
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    const [cmd, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    ]);
    // stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (cmd.includes('client-worker.ts') && ppid === process.pid) {
      found.push(Number(pid));
    }
  }
  return found;
};

const pidGone = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return false;
  } catch {
    return true;
  }
};

describe.skipIf(!!labSkipReason && !requireLab)('load client (ioredis Cluster in the external namespace)', () => {
  test('the lab cluster is 3 masters, each with a replica on another node', ({ lab, skip }) => {
    if ('skipReason' in lab) {
      return skip(lab.skipReason);
    }
    expect(lab.masters.map((m) => m.name)).toEqual(['redis-0', 'redis-1', 'redis-2']);
    for (const m of lab.masters) {
      expect(lab.replicaOf.get(m.name)?.node, m.name).not.toBe(m.node);
    }
  });

  test('a clean run: no errors, every acked write reads back, WAIT confirmed by a replica', async ({ lab, skip }) => {
    if ('skipReason' in lab) {
      return skip(lab.skipReason);
    }
    const { topo, cluster } = lab;
    const client = await startClient(
      topo,
      { external: true },
      clientOptions(cluster, { maxOps: 600, maxDurationMs: 20_000 }),
    );
    try {
      // Positive control for the leftover checks: a live worker is found, as a child of this process.
      expect(await workers()).toContain(client.pid);
      await client.start();
      const report = await client.done();
      const verify = await client.verify();
      expect(report.endReason).toBe('count');
      expect(report.ops).toBe(600);
      expect(report.errors, JSON.stringify(report.errorsByKind)).toBe(0);
      expect(report.errorWindow).toBeNull();
      expect(report.byOp.get.ops).toBeGreaterThan(0);
      expect(report.readMisses).toBe(0);
      expect(report.ackedWrites).toBe(report.byOp.set.ops + report.byOp.setw.ops);
      // Healthy replicas answer WAIT 1 well within its 500 ms timeout.
      expect(report.waitConfirmedWrites).toBe(report.byOp.setw.ops);
      expect(report.waitConfirmedWrites).toBeGreaterThan(0);
      expect(verify).toMatchObject({
        checked: report.ackedWrites,
        lostAckedWrites: 0,
        lostWaitConfirmedWrites: 0,
        unreadable: [],
      });
      // Positive control: the load really went through the cluster, to every master.
      for (const m of lab.masters) {
        expect(Number((await cluster.cli(m, ['dbsize'])).trim()), m.name).toBeGreaterThan(0);
      }
    } finally {
      await client[Symbol.asyncDispose]();
    }
    // Disposal is idempotent and leaves no worker behind.
    await client[Symbol.asyncDispose]();
    expect(pidGone(client.pid)).toBe(true);
    expect(await workers()).not.toContain(client.pid);
  });

  test('a cluster the client cannot reach fails the start with the target and the bound, and leaves no worker', async ({
    lab,
    skip,
  }) => {
    if ('skipReason' in lab) {
      return skip(lab.skipReason);
    }
    const before = await workers();
    // A node-network address nobody has: connects fail, ioredis keeps retrying, the bound ends it.
    const err = await startClient(
      lab.topo,
      { external: true },
      {
        startupNodes: [{ host: '172.18.0.250', port: 30000 }],
        readyTimeoutMs: 1_500,
      },
    ).catch((e: unknown) => e);
    expect(isRcncError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /load client in the external client (failed|exited .*) while waiting for the connection to the cluster: could not connect: (main|wait) client: cluster ready .* from 172\.18\.0\.250:30000 timed out after \d+ms/,
    );
    expect(await workers()).toEqual(before);
  });

  test('a master killed mid-load: its replica takes over, errors stay in a finite window, no WAIT-confirmed write is lost', async ({
    lab,
    skip,
  }) => {
    if ('skipReason' in lab) {
      return skip(lab.skipReason);
    }
    const { topo, cluster } = lab;
    const victim = lab.masters[1]!;
    const heir = lab.replicaOf.get(victim.name)!;
    const victimId = lab.idOf.get(victim.name)!;
    await using client = await startClient(
      topo,
      { external: true },
      clientOptions(cluster, { maxOps: 50_000, maxDurationMs: 60_000, keyPrefix: KEY_PREFIX }),
    );
    await client.start();
    await client.waitForOps(300);

    // A real crash: SIGKILL to the pod's redis-server. The lab's kubelet would restart it at once,
    // and with appendonly off a master back within the node timeout keeps its role (nodes.conf)
    // with an empty dataset, so no failover happens; the back-off keeps it down for this test.
    const killedAt = client.loadTime()!;
    await topo.killContainer(victim.name, { restartDelayMs: VICTIM_DOWN_MS });

    const survivor = lab.masters.find((m) => m !== victim)!;
    await waitFor({
      target: `${heir.name} promoted after ${victim.name} was killed`,
      timeoutMs: PROMOTION_BOUND_MS,
      intervalMs: 50,
      check: async () => {
        const [own, other] = await Promise.all([readView(cluster, heir), readView(cluster, survivor)]);
        const me = own.nodes.find((n) => hasFlag(n, 'myself'))!;
        const dead = other.nodes.find((n) => n.id === victimId);
        const heirSeen = other.nodes.find((n) => n.id === own.id);
        return {
          done:
            hasFlag(me, 'master') &&
            slotCount([me]) > 0 &&
            !!dead &&
            hasFlag(dead, 'fail') &&
            !!heirSeen &&
            hasFlag(heirSeen, 'master'),
          state: `${heir.name}: ${me.flags.join(',')}; ${survivor.name} sees ${victim.name} as ${dead?.flags.join(',')} and ${heir.name} as ${heirSeen?.flags.join(',')}`,
        };
      },
    });
    const promotedAt = client.loadTime()!;
    // Traffic after the promotion: the client must be working again, not merely alive.
    await client.waitForOps(client.opsDone() + 600);
    const report = await client.stop();
    const verify = await client.verify();

    const w = report.errorWindow;
    console.log(
      `failover under load (${victim.name} SIGKILLed at ${Math.round(killedAt)} ms, ${heir.name} master at ${Math.round(promotedAt)} ms): ` +
        `${report.ops} ops, ${report.errors} errors ${JSON.stringify(report.errorsByKind)}, ` +
        `error window ${w?.windowMs} ms (${w?.firstErrorAt}–${w?.lastErrorAt}), ` +
        `latency p50/p99/max ${report.latency?.p50}/${report.latency?.p99}/${report.latency?.max} ms, ` +
        `acked ${report.ackedWrites}, lost ${verify.lostAckedWrites} (seqs ${verify.lostSeqs.slice(0, 10).join(',')}), ` +
        `WAIT-confirmed ${report.waitConfirmedWrites}, lost ${verify.lostWaitConfirmedWrites}, read misses ${report.readMisses}`,
    );

    expect(report.errors).toBeGreaterThan(0);
    expect(w).not.toBeNull();
    expect(Number.isFinite(w!.windowMs)).toBe(true);
    expect(w!.windowMs).toBeGreaterThan(0);
    expect(w!.windowMs).toBeLessThan(MAX_ERROR_WINDOW_MS);
    // The errors belong to the crash: none began before it, and the client recovered after it.
    expect(w!.firstErrorAt).toBeGreaterThanOrEqual(killedAt - 100);
    expect(client.records.slice(-200).filter((r) => !r.ok)).toEqual([]);
    expect(report.waitConfirmedWrites).toBeGreaterThan(0);
    expect(verify.unreadable).toEqual([]);
    expect(verify.checked).toBe(report.ackedWrites);
    expect(verify.lostWaitConfirmedWrites).toBe(0);

    // Positive control: "no confirmed write lost" means something only if some lived on the killed
    // master, so the promoted replica is asked which of them fall in its slots, and reads them.
    // (redis-cli prints error replies such as MOVED to stderr when piped, so only commands that
    // cannot fail are batched: CLUSTER KEYSLOT, then GET of keys the heir owns.)
    const confirmed = client.records
      .filter((r) => r.op === 'setw' && r.ok && (r.r ?? 0) >= 1 && r.t + r.ms < killedAt)
      .map((r) => `${KEY_PREFIX}:${r.seq}`);
    const heirCli = async (commands: string[]) => {
      const r = await topo.exec(
        { pod: heir.name },
        [cluster.plan.redisCli, '-p', String(memberPorts(cluster.plan, heir).port)],
        { input: commands.map((c) => `${c}\n`).join('') },
      );
      return r.stdout.split('\n').slice(0, commands.length);
    };
    const slots = (await heirCli(confirmed.map((k) => `CLUSTER KEYSLOT ${k}`))).map(Number);
    const heirSelf = (await readView(cluster, heir)).nodes.find((n) => hasFlag(n, 'myself'))!;
    const ranges = heirSelf.slots
      .filter((t) => !t.startsWith('['))
      .map((t) => t.split('-').map(Number))
      .map(([a, b]) => [a!, b ?? a!] as const);
    const owned = confirmed.filter((_, i) => ranges.some(([a, b]) => slots[i]! >= a && slots[i]! <= b));
    expect(owned.length, `WAIT-confirmed before the kill: ${confirmed.length}, on ${victim.name}: 0`).toBeGreaterThan(
      0,
    );
    expect(await heirCli(owned.map((k) => `GET ${k}`))).toEqual(owned.map((k) => k.split(':')[1]));
  });
});
