// Recovery and failure scenarios: what Redis-on-Kubernetes users hit most. Each cell builds a
// 3-master / 3-replica cluster on 3 nodes, writes keys, applies one fault, and records whether the
// cluster recovered, how long it took, what rcnc had to do when it could not recover by itself,
// and (with the load client) what a client saw. Timeouts are generous bounds for correctness; the
// measured times are reported, not asserted.
import type { ExecTarget, PodSpec, Provider, StartedTopology } from '../../src/deploy/provider.ts';
import {
  RedisCluster,
  members,
  planFor,
  redisPods,
  redisServices,
  redisTopologySpec,
  type RedisMember,
} from '../../src/deploy/redis-cluster.ts';
import type { Cell } from '../../src/model/cell.ts';
import type { CellRecordOf, ClientSummary, TimelineEvent } from '../../src/model/results.ts';
import { clientEndpoints, startClient, type LoadClient } from '../../src/probes/client.ts';
import { hasFlag } from '../../src/probes/cluster-nodes.ts';
import { meetProblems, readViews, summarize, waitForMeet, type MemberView } from '../../src/probes/convergence.ts';
import { synGiveUpIn } from '../../src/probes/syn-timeout.ts';
import { formShards } from '../../src/suite/formation.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { phaseTimer } from '../../src/suite/phases.ts';
import { DeployError, WaitTimeoutError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { RecoveryKind, RecoveryOptions } from './cells.ts';
import type { RecoveryObservation } from './types.ts';
import { recoveryCompatibility } from './words.ts';

export interface RecoveryRun {
  record: CellRecordOf<'recovery'>;
  views: MemberView[];
  recovery: RecoveryObservation;
}

// Short enough that failovers happen within a test, long enough for 2 cores under load.
const NODE_TIMEOUT_MS = 2000;
const FORMING_NODE_TIMEOUT_MS = 500;
const HEAL_TIMEOUT_MS = 45_000;
// Failed commands the timeline draws a tick for; the rest are in the count.
const MAX_FAILED_TICKS = 300;
const KEYS = 300;
const SHARDS = 3;

interface Ctx {
  topo: StartedTopology;
  cluster: RedisCluster;
  masters: RedisMember[];
  replicas: RedisMember[];
  /** Which replica serves which master, by member name. */
  replicaOf: Map<string, RedisMember>;
  ids: Map<string, string>;
  clientTarget: ExecTarget;
  phase: (name: string) => void;
}

function recoveryPlan(cell: Cell<'recovery', RecoveryOptions>, ctx: ScenarioContext) {
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
    redisServer: ctx.redis.server,
    redisCli: ctx.redis.cli,
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
  sctx: ScenarioContext,
): Promise<RecoveryRun> {
  const d = cell.dims;
  const { phase, all: allTimings } = phaseTimer(sctx.onPhase);
  const { all, plan, spec } = recoveryPlan(cell, sctx);
  await using topo = await provider.start(spec);
  const cluster = new RedisCluster(topo, plan);
  const masters = all.slice(0, SHARDS);
  const replicas = all.slice(SHARDS);
  const replicaOf = new Map(masters.map((m, i) => [m.name, replicas[i]!]));
  phase('topology');

  const ids = await formCluster(cluster, masters, replicaOf);
  phase('bootstrap');

  const ctx: Ctx = {
    topo,
    cluster,
    masters,
    replicas,
    replicaOf,
    ids,
    clientTarget: d.exposure === 'pod-ip' ? { pod: 'client' } : { external: true },
    phase,
  };
  const fault = await FAULTS[cell.options.kind](ctx);
  phase('fault');

  const views = await settledViews(cluster);
  const observation: RecoveryObservation = {
    ...fault,
    keys: fault.keys ?? { written: KEYS, readable: await readableKeys(cluster, KEYS) },
    clusterState: views[0]?.info.cluster_state,
    slotsAssigned: Number(views[0]?.info.cluster_slots_assigned ?? 0),
    notes: meetProblems(views),
  };
  await saveEvidence(sctx, topo, views);
  phase('observe');
  const record: CellRecordOf<'recovery'> = {
    ...initialRecord(cell),
    observation,
    compatibility: recoveryCompatibility(observation),
    fix: observation.remediation ? remediationFix(d.exposure) : undefined,
    timings: allTimings(),
    artifacts: sctx.artifacts?.paths ?? [],
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

async function saveEvidence(sctx: ScenarioContext, topo: StartedTopology, views: MemberView[]): Promise<void> {
  if (!sctx.artifacts) {
    return;
  }
  for (const v of views) {
    await sctx.artifacts.save(`${v.member}.cluster-nodes.txt`, v.raw);
    await sctx.artifacts.save(`${v.member}.log`, await topo.logs(v.member, { allRestarts: true }));
  }
}

const remediationFix = (exposure: string) =>
  exposure === 'pod-ip'
    ? 'after every pod restarts at once, CLUSTER MEET every node from one node at its current pod IP (or give nodes stable announced addresses: NodePort or hostNetwork with cluster-announce-ip)'
    : 'CLUSTER MEET every node again from one node at its current address';

// ---------------------------------------------------------------------------------------------

/** What a fault reports; the run adds the final views' state. */
type FaultOutcome = Omit<RecoveryObservation, 'notes' | 'clusterState' | 'slotsAssigned'>;

type Fault = (ctx: Ctx) => Promise<FaultOutcome>;

const FAULTS: Record<RecoveryKind, Fault> = {
  'pod-churn-master': (ctx) => podChurn(ctx, ctx.masters[0]!),
  'pod-churn-replica': (ctx) => podChurn(ctx, ctx.replicas[0]!),
  'whole-restart': wholeRestart,
  'node-loss': nodeLoss,
  failover: failoverUnderTraffic,
  'rolling-restart': rollingRestart,
  'scale-out': scaleOut,
  'partition-link': partitionLink,
  'isolate-node': isolateNode,
};

/** One pod deleted: it returns with a new IP and its nodes.conf, and must be seen at its new address. */
async function podChurn(ctx: Ctx, victim: RedisMember): Promise<FaultOutcome> {
  const before = ctx.topo.pod(victim.name).ip;
  const t = performance.now();
  const restartedAt = Date.now();
  const after = await ctx.topo.deletePod(victim.name);
  // Healed means every peer also dropped its link to the old process: until then a view can read
  // "connected" over a dead link, and turn "disconnected" once the peer notices (see
  // waitPeersReconnected, which has its own bound: the kernel's SYN lifetime).
  const healed = await healthyWithin(ctx.cluster, ctx.cluster.plan.members, HEAL_TIMEOUT_MS, () =>
    waitPeersReconnected(ctx.cluster, victim, restartedAt),
  );
  const id = await ctx.cluster.myId(victim);
  if (id !== ctx.ids.get(victim.name)) {
    throw new DeployError(`${victim.name} came back with a new node id (${id}); its data directory was not kept`);
  }
  return {
    action: `deleted pod ${victim.name}; it came back on ${after.ip} (was ${before}) with the same node id`,
    recovered: healed.ok,
    recoveryMs: healed.ok ? Math.round(performance.now() - t) : undefined,
    duringFault: healed.ok ? undefined : healed.last,
  };
}

/**
 * Every pod deleted at once. With pod IPs every node restarts knowing only stale addresses and
 * nobody can reach anybody; the remediation operators use is to MEET everyone again from one node.
 */
async function wholeRestart(ctx: Ctx): Promise<FaultOutcome> {
  const all = ctx.cluster.plan.members;
  const t = performance.now();
  await ctx.topo.deletePods(all.map((m) => m.name));
  const self = await healthyWithin(ctx.cluster, all, NODE_TIMEOUT_MS * 4);
  if (self.ok) {
    return { action: 'deleted every pod at once', recovered: true, recoveryMs: Math.round(performance.now() - t) };
  }
  const duringFault = summarize(await readViews(ctx.cluster, all));
  const [first, ...rest] = all;
  const t2 = performance.now();
  for (const m of rest) {
    await ctx.cluster.meet(first!, m);
  }
  await waitForMeet(ctx.cluster, { members: all, timeoutMs: HEAL_TIMEOUT_MS, requireStateOk: false });
  // Gossip re-addresses a failed master without repointing the replicas that follow it
  // (cluster.c clusterProcessGossipSection), so they keep dialling the old IP: REPLICATE again.
  const stale = await staleReplicas(ctx);
  for (const { replica, master } of stale) {
    await ctx.cluster.cli(replica, ['cluster', 'replicate', (await ctx.cluster.myId(master)).trim()]);
  }
  const healed = await healthyWithin(ctx.cluster, all, HEAL_TIMEOUT_MS);
  const repointed = stale.length
    ? `; CLUSTER REPLICATE again on ${stale.map((x) => `${x.replica.name} (still replicating from ${x.was})`).join(', ')}`
    : '';
  return {
    action: 'deleted every pod at once',
    duringFault,
    remediation: `CLUSTER MEET from ${first!.name} to every other node at its current address${repointed}`,
    recovered: healed.ok,
    recoveryMs: healed.ok ? Math.round(performance.now() - t2) : undefined,
  };
}

/**
 * A node goes down with its pods. A replica elsewhere takes over; the lost pods are rescheduled on
 * other nodes (new addresses, and under NodePort a new announced node IP) and must be learned.
 */
async function nodeLoss(ctx: Ctx): Promise<FaultOutcome> {
  const lost = 0;
  const victims = ctx.cluster.plan.members.filter((m) => ctx.topo.pod(m.name).node === lost);
  const master = ctx.masters.find((m) => ctx.topo.pod(m.name).node === lost)!;
  const heir = ctx.replicaOf.get(master.name)!;
  const clock = new FaultClock(`node-${lost} stopped`);
  await ctx.topo.stopNode(lost);
  const promoted = await promotedWithin(ctx, heir, HEAL_TIMEOUT_MS, { clock, victim: master });
  const failoverMs = clock.at('promoted') ?? clock.now();
  const moved: string[] = [];
  for (const [i, v] of victims.entries()) {
    const to = 1 + (i % (ctx.topo.nodes.length - 1));
    const info = await ctx.topo.deletePod(v.name, { node: to });
    moved.push(`${v.name} → node-${to} (${info.ip})`);
  }
  clock.mark('rescheduled', moved.join(', '));
  await ctx.topo.startNode(lost);
  const healed = await healthyWithin(ctx.cluster, ctx.cluster.plan.members, HEAL_TIMEOUT_MS);
  if (healed.ok) {
    clock.mark('healthy');
  }
  return {
    action: `stopped node-${lost} (${victims.map((v) => v.name).join(', ')}); rescheduled ${moved.join(', ')}; node-${lost} back`,
    timeline: clock.timeline,
    failover: promoted ? { promoted: heir.name, afterMs: failoverMs } : undefined,
    recovered: healed.ok && promoted,
    recoveryMs: healed.ok ? clock.now() : undefined,
    duringFault: healed.ok ? undefined : healed.last,
  };
}

/** A master process is killed under load and stays down for a crash-loop back-off. */
async function failoverUnderTraffic(ctx: Ctx): Promise<FaultOutcome> {
  const victim = ctx.masters[0]!;
  const heir = ctx.replicaOf.get(victim.name)!;
  await using client = await loadClient(ctx, { ops: 4000, durationMs: 20_000 });
  await client.start();
  await client.waitForOps(200);
  const faultAtLoadMs = client.loadTime() ?? 0;
  const clock = new FaultClock(`${victim.name} killed`);
  await ctx.topo.killContainer(victim.name, { restartDelayMs: NODE_TIMEOUT_MS * 3 });
  const promoted = await promotedWithin(ctx, heir, HEAL_TIMEOUT_MS, { clock, victim });
  const failoverMs = clock.at('promoted') ?? clock.now();
  await client.waitForOps(client.opsDone() + 300);
  const summary = await finishClient(client, faultAtLoadMs);
  const healed = await healthyWithin(ctx.cluster, ctx.cluster.plan.members, HEAL_TIMEOUT_MS);
  if (healed.ok) {
    clock.mark('healthy');
  }
  return {
    // Kubernetes' kubelet restarts a killed container at once: there the process is frozen for the delay.
    action:
      ctx.topo.provider === 'netns'
        ? `killed the redis-server of ${victim.name} (master) under load; the kubelet restarted it after ${NODE_TIMEOUT_MS * 3} ms`
        : `froze the redis-server of ${victim.name} (master) under load for ${NODE_TIMEOUT_MS * 3} ms (SIGSTOP), then killed it; the kubelet restarted it at once`,
    timeline: clock.timeline,
    failover: promoted ? { promoted: heir.name, afterMs: failoverMs } : undefined,
    recovered: healed.ok && promoted,
    recoveryMs: healed.ok ? clock.now() : undefined,
    client: summary,
  };
}

/**
 * A StatefulSet-style rolling restart: replicas first, then each master after a manual CLUSTER
 * FAILOVER to its replica, waiting for health between pods.
 */
async function rollingRestart(ctx: Ctx): Promise<FaultOutcome> {
  await using client = await loadClient(ctx, { ops: 100_000, durationMs: 120_000 });
  await client.start();
  await client.waitForOps(200);
  const faultAtLoadMs = client.loadTime() ?? 0;
  const clock = new FaultClock();
  const mark = (event: string, detail?: string) => clock.mark(event, detail);
  const failedHandovers: string[] = [];
  const restartedAt = new Map<string, number>();
  const restart = async (pod: RedisMember) => {
    mark('restart', pod.name);
    // Links made from here on reach the new process: the old process's links end with it.
    restartedAt.set(pod.name, Date.now());
    await ctx.topo.deletePod(pod.name);
    await waitHealthy(ctx.cluster, ctx.cluster.plan.members);
  };
  for (const r of ctx.replicas) {
    await restart(r);
  }
  for (const m of ctx.masters) {
    const r = ctx.replicaOf.get(m.name)!;
    // The replica may have been promoted already (a slow restart); then there is nothing to hand over.
    if (!(await isMaster(ctx.cluster, r))) {
      // The masters of now (earlier handovers promoted replicas) vote over their own links to the
      // replica, which must post-date its restart.
      const voters: RedisMember[] = [];
      for (const member of ctx.cluster.plan.members) {
        if (member !== r && (await isMaster(ctx.cluster, member))) {
          voters.push(member);
        }
      }
      // Its master's paused offset must reach it, and a majority of the masters' votes; a link
      // that stays stale longer (seen under load) costs one vote, not the handover.
      const since = restartedAt.get(r.name) ?? 0;
      await waitPeersReconnected(ctx.cluster, r, since, [m]);
      await waitPeersReconnected(ctx.cluster, r, since, voters, Math.floor(voters.length / 2) + 1);
      if (await handOver(ctx, r, mark)) {
        mark('promoted', r.name);
      } else {
        mark('handover failed', `${r.name} not promoted; ${m.name} restarted as a master`);
        failedHandovers.push(r.name);
      }
    }
    await restart(m);
  }
  mark('healthy');
  const restartMs = clock.now();
  const summary = await finishClient(client, faultAtLoadMs);
  return {
    action: `restarted all ${ctx.cluster.plan.members.length} pods one at a time (replicas first, masters after CLUSTER FAILOVER) in ${restartMs} ms`,
    timeline: clock.timeline,
    ...(failedHandovers.length
      ? {
          duringFault: `CLUSTER FAILOVER did not promote ${failedHandovers.join(', ')} in ${HANDOVER_ATTEMPTS} attempts of 10 s`,
        }
      : {}),
    recovered: failedHandovers.length === 0,
    recoveryMs: restartMs,
    client: summary,
  };
}

/**
 * CLUSTER FAILOVER on `replica`, tried again when an attempt times out, as operators' rolling
 * updates do: the votes travel back over the voters' own links to the replica, and a voter's link
 * can break just then (seen: a voter's new connection to the replica's NodePort failing with "No
 * route to host" while the master paused, so the vote never arrived and the failover expired).
 * A manual failover gives up after 5 s (CLUSTER_MF_TIMEOUT); twice that ends an attempt.
 */
async function handOver(ctx: Ctx, replica: RedisMember, mark: (event: string, detail?: string) => void) {
  for (let attempt = 1; attempt <= HANDOVER_ATTEMPTS; attempt++) {
    mark('failover', `CLUSTER FAILOVER on ${replica.name}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    await ctx.cluster.cli(replica, ['cluster', 'failover']);
    if (await promotedWithin(ctx, replica, 10_000)) {
      return true;
    }
  }
  return false;
}

const HANDOVER_ATTEMPTS = 3;

/**
 * After a pod restarts at the same announced address, every peer must talk to it over a link made
 * after the restart. A peer's outbound link to the old pod stays open (nothing resets a TCP
 * connection to an address that no longer exists) until it misses PONGs for half the node timeout;
 * what the peer sends over it in the meantime is lost — its failover vote, or a master's paused
 * offset during CLUSTER FAILOVER — and the failover times out. A fresh PONG is not enough (the
 * restarted node's own broadcasts arrive on the peer's inbound link): the outbound link itself must
 * be younger than the restart and answered, as CLUSTER LINKS (Redis 7.0) and pong-recv show.
 *
 * The bound is the kernel's, not ours: a peer that reconnects while the Service still DNATs to the
 * deleted pod (kube-proxy keeps a serving terminating endpoint until the pod is not ready, and
 * conntrack keeps the SYN's DNAT for its retransmissions) sits in SYN-SENT until the kernel gives
 * up the connect; the restarted node's PINGs keep Redis from freeing the link before. The bound is
 * that SYN lifetime, read from the peer's namespace, plus a node timeout to reconnect.
 */
async function waitPeersReconnected(
  cluster: RedisCluster,
  restarted: RedisMember,
  sinceMs: number,
  among: RedisMember[] = cluster.plan.members,
  atLeast?: number,
): Promise<void> {
  const id = await cluster.myId(restarted);
  const peers = among.filter((m) => m !== restarted);
  const needed = atLeast ?? peers.length;
  const synGiveUp = await synGiveUpOf(cluster);
  await waitFor({
    target: `every peer of ${restarted.name} to reach it over a link made after its restart`,
    timeoutMs: Math.max(HEAL_TIMEOUT_MS, synGiveUp + NODE_TIMEOUT_MS),
    intervalMs: 100,
    check: async () => {
      const stale: string[] = [];
      for (const peer of peers) {
        const view = (await readViews(cluster, [peer]))[0]!.nodes.find((n) => n.id === id);
        const outbound = (await clusterLinks(cluster, peer)).find((l) => l.direction === 'to' && l.node === id);
        // Made after the restart and connected: a reconnect made after it can still be a SYN
        // pinned to the old pod IP (events `w` only), over which a vote is lost as surely.
        if (
          !view ||
          view.linkState !== 'connected' ||
          view.pongRecv < sinceMs ||
          !outbound ||
          outbound.createTime < sinceMs ||
          !outbound.events.includes('r')
        ) {
          stale.push(
            `${peer.name} (${outbound ? `link from ${outbound.createTime}, events ${outbound.events || 'none'}` : 'no link'})`,
          );
        }
      }
      return {
        done: peers.length - stale.length >= needed,
        state: `stale links to ${restarted.name} at ${stale.join(', ')}`,
      };
    },
  });
}

/**
 * The longest a peer's connect can stay in SYN-SENT, over the members' namespaces; read once per
 * cluster (a restarted pod's new namespace starts from the same defaults).
 */
const synGiveUps = new WeakMap<RedisCluster, Promise<number>>();
function synGiveUpOf(cluster: RedisCluster): Promise<number> {
  let known = synGiveUps.get(cluster);
  if (!known) {
    known = Promise.all(cluster.plan.members.map((m) => synGiveUpIn(cluster.topology, { pod: m.name }))).then((each) =>
      Math.max(...each),
    );
    synGiveUps.set(cluster, known);
  }
  return known;
}

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

interface ClusterLink {
  direction: string;
  node: string;
  createTime: number;
  /**
   * The handlers on its connection: `r` once connected (clusterLinkConnectHandler installs the
   * read handler), only `w` while the connect is still in progress.
   */
  events: string;
}

/** A member's cluster-bus links as CLUSTER LINKS lists them: direction, peer id, creation time (ms). */
async function clusterLinks(cluster: RedisCluster, m: RedisMember): Promise<ClusterLink[]> {
  const lines = (await cluster.cli(m, ['cluster', 'links'])).split('\n').map((l) => l.trim());
  const links: ClusterLink[] = [];
  for (let i = 0; i < lines.length - 1; i++) {
    const [key, value] = [lines[i], lines[i + 1]!];
    if (key === 'direction') {
      links.push({ direction: value, node: '', createTime: 0, events: '' });
    } else if (key === 'node' && links.length) {
      links.at(-1)!.node = value;
    } else if (key === 'create-time' && links.length) {
      links.at(-1)!.createTime = Number(value);
    } else if (key === 'events' && links.length) {
      links.at(-1)!.events = value;
    } else {
      continue;
    }
    i += 1;
  }
  return links;
}

/** A new shard joins by CLUSTER MEET over the exposure; slots are rebalanced onto it. */
async function scaleOut(ctx: Ctx): Promise<FaultOutcome> {
  const { cluster, topo } = ctx;
  const plan = cluster.plan;
  const next = plan.members.length;
  const added = members({ count: next + 2, nodes: topo.nodes.length, announce: () => plan.members[0]!.announce }).slice(
    next,
  );
  const [master, replica] = added as [RedisMember, RedisMember];
  plan.members.push(master, replica);
  const sub = { ...plan, members: added };
  await topo.addPods(redisPods(sub), redisServices(sub));
  const t = performance.now();
  await cluster.meet(master, ctx.masters[0]!);
  // rebalance needs the new master's cluster_state:ok (it turns ok 2 s after start at the earliest).
  await waitHealthy(
    cluster,
    plan.members.filter((m) => m !== replica),
  );
  const entry = cluster.address(ctx.masters[0]!);
  const r = await topo.exec(
    { pod: ctx.masters[0]!.name },
    [
      plan.redisCli,
      '--cluster',
      'rebalance',
      `${entry.ip}:${entry.port}`,
      '--cluster-use-empty-masters',
      '--cluster-yes',
    ],
    { timeoutMs: 120_000, reject: false },
  );
  if (r.exitCode !== 0) {
    throw new DeployError(
      `redis-cli --cluster rebalance failed (exit ${r.exitCode}): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  await cluster.replicate(replica, master);
  const healed = await healthyWithin(cluster, plan.members, HEAL_TIMEOUT_MS);
  const owned = (await readViews(cluster, [master]))[0]!.nodes.find((n) => hasFlag(n, 'myself'))!.slots;
  return {
    action: `added ${master.name} (master) and ${replica.name} (its replica), met over ${plan.exposure}, rebalanced: ${master.name} now owns ${owned.join(' ')}`,
    recovered: healed.ok && owned.length > 0,
    recoveryMs: healed.ok ? Math.round(performance.now() - t) : undefined,
  };
}

/** One link cut (node-0 ↔ node-1): both ends flag each other PFAIL, but no majority agrees on FAIL. */
async function partitionLink(ctx: Ctx): Promise<FaultOutcome> {
  const [a, b] = [ctx.masters[0]!, ctx.masters[1]!];
  const t = performance.now();
  await ctx.topo.partition(0, 1);
  const seen = await waitFor({
    target: `${a.name} to flag ${b.name} as failing`,
    timeoutMs: HEAL_TIMEOUT_MS,
    intervalMs: 100,
    check: async () => {
      const view = (await readViews(ctx.cluster, [a]))[0]!;
      const entry = view.nodes.find((n) => n.id === ctx.ids.get(b.name));
      return {
        done: !!entry && (hasFlag(entry, 'fail?') || hasFlag(entry, 'fail')),
        state: entry?.flags.join(',') ?? 'unknown',
        value: entry?.flags.join(','),
      };
    },
  });
  // A FAIL needs a majority of masters to agree; node-2 still reaches both, so none should form.
  // Watch for one for two more node timeouts; the timeout is the expected outcome.
  const fail = await waitFor({
    target: 'a FAIL flag to form under a one-link partition',
    timeoutMs: NODE_TIMEOUT_MS * 2,
    intervalMs: 100,
    check: async () => {
      const vs = await readViews(ctx.cluster, ctx.cluster.plan.members);
      return { done: vs.some((v) => v.nodes.some((n) => hasFlag(n, 'fail'))), state: 'no FAIL' };
    },
  }).then(
    () => true,
    () => false,
  );
  const during = await readViews(ctx.cluster, ctx.cluster.plan.members);
  const failFlags = during.flatMap((v) =>
    v.nodes.filter((n) => hasFlag(n, 'fail')).map((n) => `${v.member} sees ${n.id.slice(0, 8)} fail`),
  );
  if (fail && failFlags.length === 0) {
    failFlags.push('a FAIL flag appeared and cleared');
  }
  const promotions = await promotedAny(ctx);
  await ctx.topo.heal(0, 1);
  const healed = await healthyWithin(ctx.cluster, ctx.cluster.plan.members, HEAL_TIMEOUT_MS);
  return {
    action: 'dropped all traffic between node-0 and node-1 (both still reach node-2), then healed',
    duringFault: `${a.name} flagged ${b.name} ${seen.value} after ${Math.round(seen.elapsedMs)} ms; FAIL flags: ${failFlags.length ? failFlags.join('; ') : 'none'}; promotions: ${promotions.length ? promotions.join(', ') : 'none'}`,
    failover: promotions.length
      ? { promoted: promotions.join(','), afterMs: Math.round(performance.now() - t) }
      : undefined,
    recovered: healed.ok,
    recoveryMs: healed.ok ? Math.round(performance.now() - t) : undefined,
  };
}

/** node-0 cut off from both others: the majority marks its master FAIL and promotes its replica. */
async function isolateNode(ctx: Ctx): Promise<FaultOutcome> {
  const victim = ctx.masters[0]!;
  const heir = ctx.replicaOf.get(victim.name)!;
  const t = performance.now();
  await ctx.topo.partition(0, 1);
  await ctx.topo.partition(0, 2);
  const promoted = await promotedWithin(ctx, heir, HEAL_TIMEOUT_MS);
  const failoverMs = Math.round(performance.now() - t);
  await ctx.topo.heal(0, 1);
  await ctx.topo.heal(0, 2);
  const t2 = performance.now();
  const healed = await healthyWithin(ctx.cluster, ctx.cluster.plan.members, HEAL_TIMEOUT_MS);
  const demoted = !(await isMaster(ctx.cluster, victim));
  return {
    action: `isolated node-0 from both other nodes, then healed; ${victim.name} ${demoted ? 'rejoined as a replica' : 'is still a master'}`,
    failover: promoted ? { promoted: heir.name, afterMs: failoverMs } : undefined,
    recovered: healed.ok && promoted && demoted,
    recoveryMs: healed.ok ? Math.round(performance.now() - t2) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Healthy: everyone knows everyone, connected, slots agreed, cluster_state ok, each at its current
 * address, and every replica's link to its master up (a replica that never synced cannot fail over).
 */
async function waitHealthy(
  cluster: RedisCluster,
  ms: RedisMember[],
  opts: { requireStateOk?: boolean; timeoutMs?: number } = {},
) {
  const timeoutMs = opts.timeoutMs ?? HEAL_TIMEOUT_MS;
  const start = performance.now();
  const addresses = Object.fromEntries(ms.map((m) => [m.name, addressOf(cluster, m)]));
  const views = await waitForMeet(cluster, { members: ms, timeoutMs, requireStateOk: opts.requireStateOk, addresses });
  const isReplica = (m: RedisMember) =>
    hasFlag(
      views.find((v) => v.member === m.name)!.nodes.find((n) => hasFlag(n, 'myself'))!,
      'slave',
    );
  const replicas = ms.filter(isReplica);
  // A replica whose reconnect conntrack pinned to a deleted pod's IP (see waitPeersReconnected)
  // stays CONNECTING until repl-timeout ends the attempt (replicationCron); then it dials again.
  const replTimeoutMs = replicas.length
    ? Number((await cluster.cli(replicas[0]!, ['config', 'get', 'repl-timeout'])).split('\n')[1]) * 1000
    : 0;
  await waitFor({
    target: `replication links of ${replicas.map((r) => r.name).join(', ') || 'no replica'} to be up`,
    timeoutMs: Math.max(1000, timeoutMs - (performance.now() - start), replTimeoutMs + NODE_TIMEOUT_MS),
    intervalMs: 100,
    check: async () => {
      const down: string[] = [];
      for (const r of replicas) {
        const info = await cluster.replication(r);
        if (info.master_link_status !== 'up') {
          down.push(`${r.name} master_link_status:${info.master_link_status ?? '?'}`);
        }
      }
      return { done: down.length === 0, state: down.join('; ') };
    },
  });
  return views;
}

const addressOf = (cluster: RedisCluster, m: RedisMember) => {
  const a = cluster.address(m);
  return `${a.ip}:${a.port}@${a.cport}`;
};

async function healthyWithin(
  cluster: RedisCluster,
  ms: RedisMember[],
  timeoutMs: number,
  andThen?: () => Promise<void>,
): Promise<{ ok: boolean; last?: string }> {
  try {
    await waitHealthy(cluster, ms, { timeoutMs });
    await andThen?.();
    return { ok: true };
  } catch (e) {
    return { ok: false, last: (e as Error).message };
  }
}

async function isMaster(cluster: RedisCluster, m: RedisMember): Promise<boolean> {
  const v = (await readViews(cluster, [m]))[0]!;
  return hasFlag(
    v.nodes.find((n) => hasFlag(n, 'myself'))!,
    'master',
  );
}

/** Moments of a failover as the heir saw them, ms after the fault began. */
class FaultClock {
  readonly timeline: TimelineEvent[] = [];
  private readonly t0 = performance.now();
  /** The clock starts with the fault itself, at 0. */
  constructor(fault?: string) {
    if (fault) {
      this.timeline.push({ atMs: 0, event: 'fault', detail: fault });
    }
  }
  /** ms since the fault began. */
  now(): number {
    return Math.round(performance.now() - this.t0);
  }
  /** When an event was marked, ms after the fault. */
  at(event: string): number | undefined {
    return this.timeline.find((e) => e.event === event)?.atMs;
  }
  mark(event: string, detail?: string): void {
    if (!this.timeline.some((e) => e.event === event && e.detail === detail)) {
      this.timeline.push({ atMs: this.now(), event, ...(detail ? { detail } : {}) });
    }
  }
}

/**
 * Waits until `heir` reports itself master with slots; false if it did not within the bound. With
 * a clock, the heir's view of the failed master marks when it turned PFAIL and FAIL.
 */
async function promotedWithin(
  ctx: Ctx,
  heir: RedisMember,
  timeoutMs: number,
  watch?: { clock: FaultClock; victim: RedisMember },
): Promise<boolean> {
  const victimId = watch ? ctx.ids.get(watch.victim.name) : undefined;
  try {
    await waitFor({
      target: `${heir.name} to be promoted`,
      timeoutMs,
      intervalMs: 100,
      check: async () => {
        const v = (await readViews(ctx.cluster, [heir]))[0]!;
        const victim = v.nodes.find((n) => n.id === victimId);
        if (watch && victim && (hasFlag(victim, 'fail?') || hasFlag(victim, 'fail'))) {
          watch.clock.mark('pfail', watch.victim.name);
          if (hasFlag(victim, 'fail')) {
            watch.clock.mark('fail', watch.victim.name);
          }
        }
        const self = v.nodes.find((n) => hasFlag(n, 'myself'))!;
        return { done: hasFlag(self, 'master') && self.slots.length > 0, state: self.flags.join(',') };
      },
    });
    watch?.clock.mark('promoted', heir.name);
    return true;
  } catch {
    return false;
  }
}

/** Replicas whose replication still points at an address their master no longer has. */
async function staleReplicas(ctx: Ctx): Promise<{ replica: RedisMember; master: RedisMember; was: string }[]> {
  const out: { replica: RedisMember; master: RedisMember; was: string }[] = [];
  const views = await readViews(ctx.cluster, ctx.cluster.plan.members);
  const byId = new Map(views.map((v) => [v.id, ctx.cluster.member(v.member)]));
  for (const v of views) {
    const self = v.nodes.find((n) => hasFlag(n, 'myself'))!;
    const master = self.masterId ? byId.get(self.masterId) : undefined;
    if (!hasFlag(self, 'slave') || !master) {
      continue;
    }
    const info = await ctx.cluster.replication(ctx.cluster.member(v.member));
    const current = ctx.topo.pod(master.name);
    const ip = ctx.cluster.plan.exposure === 'pod-ip' ? current.ip : ctx.cluster.address(master).ip;
    if (info.master_host !== ip) {
      out.push({ replica: ctx.cluster.member(v.member), master, was: `${info.master_host}:${info.master_port}` });
    }
  }
  return out;
}

/** Replicas that now call themselves masters. */
async function promotedAny(ctx: Ctx): Promise<string[]> {
  const out: string[] = [];
  for (const r of ctx.replicas) {
    if (await isMaster(ctx.cluster, r).catch(() => false)) {
      out.push(r.name);
    }
  }
  return out;
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

function loadClient(ctx: Ctx, bounds: { ops: number; durationMs: number }): Promise<LoadClient> {
  return startClient(ctx.topo, ctx.clientTarget, {
    startupNodes: clientEndpoints(ctx.cluster),
    maxOps: bounds.ops,
    maxDurationMs: bounds.durationMs,
    waitEvery: 10,
  });
}

async function finishClient(client: LoadClient, faultAtLoadMs?: number): Promise<ClientSummary> {
  const report = await client.stop();
  const verify = await client.verify();
  const w = report.errorWindow;
  // The timeline's time base is the fault; the client's is its own start.
  const placed =
    faultAtLoadMs === undefined
      ? {}
      : {
          ...(w
            ? { errorWindowFromMs: w.firstErrorAt - faultAtLoadMs, errorWindowToMs: w.lastErrorAt - faultAtLoadMs }
            : {}),
          failedAtMs: sample(
            client.records.filter((r) => !r.ok).map((r) => Math.round(r.t - faultAtLoadMs)),
            MAX_FAILED_TICKS,
          ),
        };
  return {
    ops: report.ops,
    errors: report.errors,
    errorWindowMs: w?.windowMs ?? null,
    ...placed,
    ackedWrites: report.ackedWrites,
    lostAckedWrites: verify.lostAckedWrites,
    waitConfirmedWrites: report.waitConfirmedWrites,
    lostWaitConfirmedWrites: verify.lostWaitConfirmedWrites,
    p99Ms: report.latency?.p99,
  };
}

/** At most `n` of the values, evenly spread, first and last kept. */
function sample(values: number[], n: number): number[] {
  if (values.length <= n) {
    return values;
  }
  return Array.from({ length: n }, (_, i) => values[Math.round((i * (values.length - 1)) / (n - 1))]!);
}
