// The timing-sensitive sentinel cells: the master killed while an ioredis Sentinel client writes,
// and a StatefulSet-style rolling update under the same load. Both measure time to a new master,
// the client's error window and lost acknowledged / WAIT-confirmed writes, and whether clients
// reach the new master where Sentinel says it is. Timeouts are bounds for correctness; the
// measured times are reported, not asserted.
import type { ExecTarget, StartedTopology } from '../../src/deploy/provider.ts';
import {
  hostPort,
  MASTER_NAME,
  members,
  type RedisSentinelSet,
  type SentinelMember,
} from '../../src/deploy/redis-sentinel.ts';
import type { ClientSummary, TimelineEvent } from '../../src/model/results.ts';
import { placeFailures, startClient, type LoadClient } from '../../src/probes/client.ts';
import { clientReach, sentinelEvents, vantages } from '../../src/probes/sentinel.ts';
import { waitFor } from '../../src/util/wait.ts';
import { FAILOVER_MS, manualFailover, replicasUp, SETTLE_MS, settled, waitPromoted } from './steps.ts';
import type { SentinelFailover } from './types.ts';

/** How long the killed master stays down: longer than Sentinel needs to fail over. */
const RESTART_DELAY_MS = 8000;
/** A bound: writes resume once the old master follows the new one. */
const PAUSE_MS = 20_000;
/** Events of a sentinel's log drawn on the timeline. */
const TIMELINE_EVENTS: Record<string, string> = {
  '+sdown': 'sdown',
  '+odown': 'odown',
  '+switch-master': 'switch-master',
  '+convert-to-slave': 'convert-to-slave',
};

/** The load client: inside the cluster on pod IPs (the other node's client pod), outside otherwise. */
async function sentinelClient(topo: StartedTopology, set: RedisSentinelSet, bounds: { ops: number; ms: number }) {
  const inside = set.plan.exposure === 'pod-ip';
  const target: ExecTarget = inside
    ? { pod: `client-${(set.pod(set.master).node + 1) % topo.nodes.length}` }
    : { external: true };
  const sentinels = set.plan.sentinels.map((s) => {
    const a = inside ? set.podAddress(s) : set.address(s);
    return { host: a.ip, port: a.port };
  });
  return startClient(topo, target, {
    startupNodes: [],
    sentinel: { sentinels, name: MASTER_NAME },
    maxOps: bounds.ops,
    maxDurationMs: bounds.ms,
    waitEvery: 10,
  });
}

/** The client's figures, with its error window placed on the fault's clock. */
async function finish(client: LoadClient, faultEpochMs: number): Promise<ClientSummary> {
  const report = await client.stop();
  const verify = await client.verify();
  const shift = (t: number) => (report.startedAtEpochMs ?? faultEpochMs) + t - faultEpochMs;
  return {
    ops: report.ops,
    errors: report.errors,
    errorWindowMs: report.errorWindow?.windowMs ?? null,
    ...placeFailures(client.records, shift),
    ackedWrites: report.ackedWrites,
    lostAckedWrites: verify.lostAckedWrites,
    waitConfirmedWrites: report.waitConfirmedWrites,
    lostWaitConfirmedWrites: verify.lostWaitConfirmedWrites,
    unreadWrites: verify.unreadable.length,
    ...(verify.unreadable[0] ? { unreadError: verify.unreadable[0].err } : {}),
    ...(report.latency ? { p99Ms: report.latency.p99 } : {}),
  };
}

/** What a sentinel logged since the fault, as timeline moments. */
async function loggedMoments(topo: StartedTopology, set: RedisSentinelSet, faultEpochMs: number) {
  const log = await topo.logs(set.plan.sentinels[0]!.name);
  return sentinelEvents(log)
    .filter((e) => e.atEpochMs >= faultEpochMs - 1000 && TIMELINE_EVENTS[e.type])
    .filter((e) => e.type !== '+sdown' || / master /.test(e.text) || e.text.startsWith('+sdown master'))
    .map((e): TimelineEvent => ({ atMs: e.atEpochMs - faultEpochMs, event: TIMELINE_EVENTS[e.type]!, detail: e.text }));
}

async function reach(topo: StartedTopology, set: RedisSentinelSet, master: SentinelMember) {
  const out = [];
  for (const v of vantages(set, master)) {
    out.push(await clientReach(topo, set, v));
  }
  return out;
}

/** Waits until `m` answers as a replica (Sentinel converts a returning old master). */
async function untilReplica(set: RedisSentinelSet, m: SentinelMember, timeoutMs = SETTLE_MS) {
  await waitFor({
    target: `${m.name} to be a replica`,
    timeoutMs,
    intervalMs: 200,
    check: async () => {
      const info = await set.replication(m);
      return {
        done: info['role'] === 'slave' && info['master_link_status'] === 'up',
        state: `role:${info['role']} link:${info['master_link_status']}`,
      };
    },
  });
}

/** The master's container is SIGKILLed under load and restarts after a delay. */
export async function failoverUnderLoad(topo: StartedTopology, set: RedisSentinelSet): Promise<SentinelFailover> {
  const old = set.master;
  await using client = await sentinelClient(topo, set, { ops: 20_000, ms: 60_000 });
  await client.start();
  await client.waitForOps(200);
  const faultEpochMs = Date.now();
  const t = performance.now();
  await topo.killContainer(old.name, { restartDelayMs: RESTART_DELAY_MS });
  const promoted = await waitPromoted(set, old, FAILOVER_MS);
  const afterMs = Math.round(performance.now() - t);
  const timeline: TimelineEvent[] = [{ atMs: 0, event: 'fault', detail: `SIGKILL to ${old.name} (master)` }];
  if (promoted.member) {
    timeline.push({ atMs: afterMs, event: 'promoted', detail: promoted.member.name });
  }
  await client.waitForOps(client.opsDone() + 300);
  const summary = await finish(client, faultEpochMs);
  await untilReplica(set, old);
  timeline.push({ atMs: Math.round(performance.now() - t), event: 'healthy', detail: `${old.name} back as a replica` });
  timeline.push(...(await loggedMoments(topo, set, faultEpochMs)));
  return {
    how: `killed ${old.name} (the master) under load; it restarted after ${RESTART_DELAY_MS} ms`,
    outcome: promoted.member ? 'promoted' : 'not-promoted',
    ...(promoted.member
      ? { promoted: promoted.member.name, newMaster: promoted.address }
      : { detail: promoted.detail }),
    afterMs,
    clients: promoted.member ? await reach(topo, set, promoted.member) : [],
    client: summary,
    timeline: timeline.sort((a, b) => a.atMs - b.atMs),
  };
}

/** A restarted sentinel is back: it answers, hands out the master, and knows the other sentinels. */
async function sentinelBack(set: RedisSentinelSet, s: SentinelMember) {
  await waitFor({
    target: `${s.name} to know the master and the other sentinels again`,
    timeoutMs: SETTLE_MS,
    intervalMs: 200,
    check: async () => {
      const known = (await set.cli(s, ['sentinel', 'sentinels', MASTER_NAME]))
        .split('\n')
        .filter((l) => l === 'name').length;
      const master = await set.masterAddress(s);
      return { done: !!master && known === set.plan.sentinels.length - 1, state: `knows ${known} sentinels` };
    },
  });
}

/**
 * StatefulSet order (highest ordinal first): the replicas, then a SENTINEL FAILOVER away from the
 * master, which restarts once Sentinel made it a replica; then the sentinels' own StatefulSet.
 * Stale records of old pod IPs are cleared with SENTINEL RESET before the failover, as operators
 * do (a failover otherwise waits failover-timeout for a replica that is gone). Writes to the
 * master are paused (CLIENT PAUSE WRITE) across the failover, and the old master follows the new
 * one before they resume, as a preStop hook would: SENTINEL FAILOVER does not stop writes, and a
 * write the other replica confirms before Sentinel repoints it is lost (docs/sentinel.md#rolling-update).
 */
export async function rollingUpdate(topo: StartedTopology, set: RedisSentinelSet): Promise<SentinelFailover> {
  const old = set.master;
  await using client = await sentinelClient(topo, set, { ops: 100_000, ms: 180_000 });
  await client.start();
  await client.waitForOps(200);
  const faultEpochMs = Date.now();
  const t = performance.now();
  const at = () => Math.round(performance.now() - t);
  const timeline: TimelineEvent[] = [];
  const restart = async (m: SentinelMember, back: () => Promise<void>) => {
    timeline.push({ atMs: at(), event: 'restart', detail: m.name });
    await topo.deletePod(m.name);
    await back();
  };
  for (const r of [...set.replicas].reverse()) {
    await restart(r, () => replicasUp(set, [r]));
  }
  await set.reset();
  await settled(set);
  timeline.push({
    atMs: at(),
    event: 'fault',
    detail: `CLIENT PAUSE ${PAUSE_MS} WRITE on ${old.name}, SENTINEL FAILOVER`,
  });
  await set.cli(old, ['client', 'pause', String(PAUSE_MS), 'write']);
  const failover = await manualFailover(topo, set, old);
  if (failover.promoted) {
    timeline.push({ atMs: at(), event: 'promoted', detail: failover.promoted });
  }
  // What a preStop hook does next: follow the new master (persisted), then let writes through.
  const promoted = set.plan.data.find((m) => m.name === failover.promoted);
  if (promoted) {
    await set.replicate(old, promoted);
  }
  await set.cli(old, ['client', 'unpause']);
  await untilReplica(set, old);
  await restart(old, () => replicasUp(set, [old]));
  for (const s of [...set.plan.sentinels].reverse()) {
    await restart(s, () => sentinelBack(set, s));
  }
  await set.reset();
  await settled(set);
  const restartMs = at();
  timeline.push({ atMs: restartMs, event: 'healthy', detail: 'every pod restarted' });
  await client.waitForOps(client.opsDone() + 200);
  const summary = await finish(client, faultEpochMs);
  const master = set.plan.data.find((m) => m.name === failover.promoted) ?? old;
  return {
    how: `restarted all ${set.plan.sentinels.length + set.plan.data.length} pods one at a time (replicas; CLIENT PAUSE WRITE and SENTINEL FAILOVER; ${old.name}; sentinels) in ${restartMs} ms`,
    outcome: failover.outcome,
    ...(failover.promoted
      ? { promoted: failover.promoted, newMaster: failover.newMaster }
      : { detail: failover.detail }),
    afterMs: failover.afterMs,
    clients: await reach(topo, set, master),
    client: summary,
    timeline: [...timeline, ...(await loggedMoments(topo, set, faultEpochMs))].sort((a, b) => a.atMs - b.atMs),
  };
}

/**
 * A bound, not a wait: Sentinel reconnects to what it cannot reach every second
 * (sentinel_ping_period) and re-resolves a name then, so a master it can find is found within a
 * few seconds of the pods' start.
 */
const RESTART_MS = 20_000;

/**
 * Every pod of both StatefulSets deleted at once (a cluster restart, a node pool replaced): each
 * comes back at a new pod IP with its volume, so with the config Sentinel rewrote and the replicas'
 * CONFIG REWRITE. Then until every sentinel hands out one address where a data pod answers as
 * master and every other data pod follows it: `recovered`, or `lost` at the bound.
 */
export async function wholeRestart(topo: StartedTopology, set: RedisSentinelSet): Promise<SentinelFailover> {
  const pods = members(set.plan).map((m) => m.name);
  const how = `deleted all ${pods.length} pods at once; each came back at a new pod IP with its volume`;
  const t = performance.now();
  await topo.deletePods(pods);
  const found = await masterFound(set, RESTART_MS);
  const afterMs = Math.round(performance.now() - t);
  const clients = await reach(topo, set, found.member ?? set.master);
  if (!found.member) {
    return {
      how,
      outcome: 'lost',
      ...(found.address ? { newMaster: found.address } : {}),
      detail: found.detail,
      clients,
    };
  }
  return { how, outcome: 'recovered', promoted: found.member.name, newMaster: found.address, afterMs, clients };
}

/** Every sentinel hands out one address, a data pod's own, that answers as master; the others follow it. */
async function masterFound(
  set: RedisSentinelSet,
  timeoutMs: number,
): Promise<{ member?: SentinelMember; address?: string; detail?: string }> {
  let address: string | undefined;
  try {
    const { value } = await waitFor({
      target: 'every sentinel to hand out a master that answers, and every replica to follow it',
      timeoutMs,
      intervalMs: 200,
      check: async () => {
        const handed = await Promise.all(set.plan.sentinels.map((s) => set.masterAddress(s).catch(() => undefined)));
        const addresses = [...new Set(handed.map((a) => (a ? hostPort(a) : '(none)')))];
        address = addresses.join(', ');
        const member = set.plan.data.find(
          (m) => addresses.length === 1 && set.trueAddresses(m).includes(addresses[0]!),
        );
        const infos = await Promise.all(
          set.plan.data.map(
            async (m) => [m, await set.replication(m).catch((): Record<string, string> => ({}))] as const,
          ),
        );
        const role = infos.find(([m]) => m === member)?.[1]['role'];
        const following = infos
          .filter(([m]) => m !== member)
          .map(
            ([m, info]) =>
              `${m.name} ${info['role'] ?? '?'} of ${info['master_host'] ?? '?'} link ${info['master_link_status'] ?? '?'}`,
          );
        const done =
          role === 'master' && infos.every(([m, info]) => m === member || info['master_link_status'] === 'up');
        return {
          done,
          state: `sentinels hand out ${address}${member ? ` (${member.name}, role ${role ?? '?'})` : ' (no pod has it)'}; ${following.join('; ')}`,
          value: { member, address: addresses[0] },
        };
      },
    });
    return value!;
  } catch (e) {
    return { address, detail: (e as Error).message };
  }
}
