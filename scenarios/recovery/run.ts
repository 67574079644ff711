// Recovery and failure scenarios: what Redis-on-Kubernetes users hit most. Each cell builds a
// 3-master / 3-replica cluster on 3 nodes, writes keys, applies one fault (faults/, one file per
// kind), and records whether the cluster recovered, how long it took, what rcnc had to do when it
// could not recover by itself, and (with the load client) what a client saw. Timeouts are generous
// bounds for correctness; the measured times are reported, not asserted.
import type { PodSpec, Provider, StartedTopology } from '../../src/deploy/provider.ts';
import { RedisCluster, members, planFor, redisTopologySpec, type RedisMember } from '../../src/deploy/redis-cluster.ts';
import type { Cell } from '../../src/model/cell.ts';
import type { CellRecordOf } from '../../src/model/results.ts';
import { meetProblems, readViews, type MemberView } from '../../src/probes/convergence.ts';
import { formShards } from '../../src/suite/formation.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { phaseTimer } from '../../src/suite/phases.ts';
import { DeployError, WaitTimeoutError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { RecoveryOptions } from './cells.ts';
import { waitHealthy } from './faults/cluster.ts';
import { FAULTS } from './faults/index.ts';
import { NODE_TIMEOUT_MS, type RecoveryLab } from './faults/lab.ts';
import type { RecoveryObservation } from './types.ts';
import { recoveryCompatibility } from './words.ts';

export interface RecoveryRun {
  record: CellRecordOf<'recovery'>;
  views: MemberView[];
  recovery: RecoveryObservation;
}

const FORMING_NODE_TIMEOUT_MS = 500;
const KEYS = 300;
const SHARDS = 3;

function recoveryPlan(cell: Cell<'recovery', RecoveryOptions>, scenario: ScenarioContext) {
  const d = cell.dims;
  // Master i on node i, its replica on node i+1: losing any node leaves every shard a copy.
  const all = members({
    count: SHARDS * 2,
    nodes: d.nodes,
    placement: (i) => (i < SHARDS ? i % d.nodes : (i - SHARDS + 1) % d.nodes),
    announce: () => d.announce === 'ip',
  });
  const plan = planFor({
    exposure: d.exposure,
    policy: d.policy,
    announce: d.announce,
    members: all,
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    persistence: true,
    redisServer: scenario.redis.server,
    redisCli: scenario.redis.cli,
  });
  const spec = redisTopologySpec(plan, d.profile, d.nodes, true);
  // Pod IPs are only reachable inside the cluster: there the load client runs in a pod of its own.
  const clientPod: PodSpec = { name: 'client', node: 0, command: ['sleep', '3600'] };
  if (d.exposure === 'pod-ip') {
    spec.pods.push(clientPod);
  }
  return { all, plan, spec };
}

export async function runRecovery(
  provider: Provider,
  cell: Cell<'recovery', RecoveryOptions>,
  scenario: ScenarioContext,
): Promise<RecoveryRun> {
  const d = cell.dims;
  const { phase, all: allTimings } = phaseTimer(scenario.onPhase);
  const { all, plan, spec } = recoveryPlan(cell, scenario);
  await using topo = await provider.start(spec);
  const cluster = new RedisCluster(topo, plan);
  const masters = all.slice(0, SHARDS);
  const replicas = all.slice(SHARDS);
  const replicaOf = new Map(masters.map((m, i) => [m.name, replicas[i]!]));
  phase('topology');

  const ids = await formCluster(cluster, masters, replicaOf);
  phase('bootstrap');

  const lab: RecoveryLab = {
    topo,
    cluster,
    masters,
    replicas,
    replicaOf,
    ids,
    clientTarget: d.exposure === 'pod-ip' ? { pod: 'client' } : { external: true },
    phase,
  };
  const fault = await FAULTS[cell.options.kind](lab);
  phase('fault');

  const views = await settledViews(cluster);
  const observation: RecoveryObservation = {
    ...fault,
    keys: fault.keys ?? { written: KEYS, readable: await readableKeys(cluster, KEYS) },
    clusterState: views[0]?.info.cluster_state,
    slotsAssigned: Number(views[0]?.info.cluster_slots_assigned ?? 0),
    notes: meetProblems(views),
  };
  await saveEvidence(scenario, topo, views);
  phase('observe');
  const record: CellRecordOf<'recovery'> = {
    ...initialRecord(cell),
    observation,
    compatibility: recoveryCompatibility(observation),
    fix: observation.remediation ? remediationFix(d.exposure) : undefined,
    timings: allTimings(),
    artifacts: scenario.artifacts?.paths ?? [],
  };
  return { record, views, recovery: observation };
}

/** Masters meet, each gets its replica, and keys are written; returns every member's node id. */
async function formCluster(
  cluster: RedisCluster,
  masters: RedisMember[],
  replicaOf: Map<string, RedisMember>,
): Promise<Map<string, string>> {
  const all = cluster.plan.members;
  // Replica i follows master i (formShards' rule), which is what replicaOf records.
  await formShards(
    cluster,
    masters,
    masters.map((m) => replicaOf.get(m.name)!),
    FORMING_NODE_TIMEOUT_MS,
  );
  await waitHealthy(cluster, all);
  // The faults run under the scenario's node timeout again.
  await cluster.setNodeTimeout(all, NODE_TIMEOUT_MS);
  const ids = new Map(await Promise.all(all.map(async (m) => [m.name, await cluster.myId(m)] as const)));
  await seedKeys(cluster, KEYS);
  return ids;
}

async function saveEvidence(scenario: ScenarioContext, topo: StartedTopology, views: MemberView[]): Promise<void> {
  if (!scenario.artifacts) {
    return;
  }
  for (const v of views) {
    await scenario.artifacts.save(`${v.member}.cluster-nodes.txt`, v.raw);
    await scenario.artifacts.save(`${v.member}.log`, await topo.logs(v.member, { allRestarts: true }));
  }
}

const remediationFix = (exposure: string) =>
  exposure === 'pod-ip'
    ? 'after every pod restarts at once, CLUSTER MEET every node from one node at its current pod IP (or give nodes stable announced addresses: NodePort or hostNetwork with cluster-announce-ip)'
    : 'CLUSTER MEET every node again from one node at its current address';

/**
 * The views the cell ends with, once no link is between a drop and its reconnect: a peer frees a
 * stale link (half a node timeout without data) and dials again within its 100 ms cron, and a
 * snapshot in that gap reads "disconnected" for a cluster that is whole. Problems that last two
 * node timeouts are real and stay in the notes.
 */
async function settledViews(cluster: RedisCluster): Promise<MemberView[]> {
  let views = await readViews(cluster);
  await waitFor({
    target: 'the final views to agree',
    timeoutMs: 2 * NODE_TIMEOUT_MS,
    intervalMs: 100,
    check: async () => {
      views = await readViews(cluster);
      const problems = meetProblems(views);
      return { done: problems.length === 0, state: problems.join('; ') };
    },
  }).catch((e: unknown) => {
    if (!(e instanceof WaitTimeoutError)) {
      throw e;
    }
  });
  return views;
}

/** Writes `n` keys through redis-cli -c (following MOVED) from the first member's pod. */
async function seedKeys(cluster: RedisCluster, n: number): Promise<void> {
  const input = Array.from({ length: n }, (_, i) => `SET rcnc:seed:${i} ${i}`).join('\n') + '\n';
  const m = cluster.plan.members[0]!;
  const p = cluster.address(m);
  const r = await cluster.topology.exec(
    { pod: m.name },
    [cluster.plan.redisCli, '-c', '-h', p.ip, '-p', String(p.port)],
    { input, timeoutMs: 60_000 },
  );
  const oks = r.stdout.split('\n').filter((l) => l.trim() === 'OK').length;
  if (oks !== n) {
    throw new DeployError(
      `seeding ${n} keys: only ${oks} acknowledged (${r.stdout.trim().split('\n').slice(-2).join(' | ')})`,
    );
  }
}

/** How many seeded keys read back with their value, through redis-cli -c from a live member. */
async function readableKeys(cluster: RedisCluster, n: number): Promise<number> {
  const input = Array.from({ length: n }, (_, i) => `GET rcnc:seed:${i}`).join('\n') + '\n';
  const m = cluster.plan.members[0]!;
  const p = cluster.address(m);
  const r = await cluster.topology.exec(
    { pod: m.name },
    [cluster.plan.redisCli, '-c', '-h', p.ip, '-p', String(p.port)],
    { input, timeoutMs: 60_000, reject: false },
  );
  // -c prints "-> Redirected to slot …" between replies when it follows a MOVED.
  const lines = r.stdout.split('\n').filter((l) => !l.startsWith('-> Redirected'));
  return Array.from({ length: n }, (_, i) => lines[i]?.trim() === String(i)).filter(Boolean).length;
}
