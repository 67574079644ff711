// Steps the sentinel cells share: waits for replication and for Sentinel's views to settle, and a
// manual failover judged by what every sentinel hands out afterwards.
import type { StartedTopology } from '../../src/deploy/provider.ts';
import { hostPort, MASTER_NAME, type RedisSentinelSet, type SentinelMember } from '../../src/deploy/redis-sentinel.ts';
import { clientReach, readSentinelViews, vantages, type SentinelView } from '../../src/probes/sentinel.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { SentinelFailover } from './types.ts';

/** Bounds for conditions Sentinel reaches in a few of its 1 s / 2 s periods. */
export const SETTLE_MS = 30_000;
export const FAILOVER_MS = 30_000;

/** Every replica's link to its master is up. */
export async function replicasUp(set: RedisSentinelSet, replicas: SentinelMember[], timeoutMs = SETTLE_MS) {
  await waitFor({
    target: `replication links of ${replicas.map((r) => r.name).join(', ')} to be up`,
    timeoutMs,
    intervalMs: 100,
    check: async () => {
      const down: string[] = [];
      for (const r of replicas) {
        const info = await set.replication(r);
        if (info['master_link_status'] !== 'up') {
          down.push(`${r.name} role:${info['role']} master_link_status:${info['master_link_status'] ?? '?'}`);
        }
      }
      return { done: down.length === 0, state: down.join('; ') };
    },
  });
}

/**
 * Settled: every sentinel knows the others, records every replica address the master lists, and
 * each replica record has either connected and answered INFO, or been flagged s_down
 * (down-after-milliseconds).
 */
export async function settled(set: RedisSentinelSet, timeoutMs = SETTLE_MS): Promise<SentinelView[]> {
  const others = set.plan.sentinels.length - 1;
  const { value } = await waitFor({
    target: `every sentinel to know ${others} sentinels and every replica the master lists, each connected or s_down`,
    timeoutMs,
    intervalMs: 200,
    check: async () => {
      const master = (await set.currentMasters())[0] ?? set.master;
      const listed = await set.cli(master, ['info', 'replication']);
      const addresses = [...listed.matchAll(/slave\d+:ip=([^,]+),port=(\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
      const views = await readSentinelViews(set);
      const open = views.flatMap((v) => {
        const known = v.replicas.map((e) => `${e['ip']}:${e['port']}`);
        const missing = addresses.filter((a) => !known.includes(a)).map((a) => `${v.sentinel} lacks ${a}`);
        // A record Sentinel has not had an INFO reply from yet (info-refresh 0) is one it will not
        // promote (sentinelSelectSlave skips replicas without a recent INFO): a failover asked for
        // then aborts with no good replica although one is about to qualify.
        const pending = v.replicas
          .filter(
            (e) =>
              !/s_down/.test(e['flags'] ?? '') &&
              (/disconnected/.test(e['flags'] ?? '') || Number(e['info-refresh'] ?? 0) === 0),
          )
          .map((e) => `${v.sentinel}: ${e['ip']}:${e['port']} ${e['flags']} info-refresh ${e['info-refresh'] ?? '?'}`);
        const sentinels = v.sentinels.length === others ? [] : [`${v.sentinel} knows ${v.sentinels.length} sentinels`];
        return [...missing, ...pending, ...sentinels];
      });
      return {
        done: addresses.length > 0 && open.length === 0,
        state: open.join('; ') || 'no replica listed',
        value: views,
      };
    },
  });
  return value!;
}

/**
 * SENTINEL FAILOVER, then until every sentinel hands out one address that is a data pod's own,
 * not the old master's, and that pod answers as master.
 */
export async function manualFailover(
  topo: StartedTopology,
  set: RedisSentinelSet,
  old: SentinelMember,
): Promise<SentinelFailover> {
  const how = `SENTINEL FAILOVER ${MASTER_NAME} on ${set.plan.sentinels[0]!.name}`;
  const t = performance.now();
  const reply = await set.reply(set.plan.sentinels[0]!, ['sentinel', 'failover', MASTER_NAME]);
  if (!/^OK/.test(reply)) {
    return { how, outcome: /NOGOODSLAVE/.test(reply) ? 'no-good-replica' : 'not-promoted', detail: reply };
  }
  const promoted = await waitPromoted(set, old, FAILOVER_MS);
  const afterMs = Math.round(performance.now() - t);
  if (!promoted.member) {
    return { how, outcome: 'not-promoted', detail: promoted.detail, afterMs };
  }
  const clients = [];
  for (const v of vantages(set, promoted.member)) {
    clients.push(await clientReach(topo, set, v));
  }
  return { how, outcome: 'promoted', promoted: promoted.member.name, newMaster: promoted.address, afterMs, clients };
}

/** Every sentinel hands out the same new address, a data pod's own (not `old`), answering as master. */
export async function waitPromoted(
  set: RedisSentinelSet,
  old: SentinelMember,
  timeoutMs: number,
): Promise<{ member?: SentinelMember; address?: string; detail?: string }> {
  try {
    const { value } = await waitFor({
      target: `every sentinel to hand out a promoted replica instead of ${old.name}`,
      timeoutMs,
      intervalMs: 100,
      check: async () => {
        const handed = await Promise.all(set.plan.sentinels.map((s) => set.masterAddress(s).catch(() => undefined)));
        const addresses = [...new Set(handed.map((a) => (a ? hostPort(a) : '(none)')))];
        const member = set.plan.data.find(
          (m) => addresses.length === 1 && set.trueAddresses(m).includes(addresses[0]!),
        );
        const role = member && member !== old ? (await set.replication(member))['role'] : undefined;
        return {
          done: role === 'master',
          state: `handed out ${addresses.join(', ')}${member ? ` (${member.name}, role ${role ?? 'old master'})` : ''}`,
          value: { member, address: addresses[0] },
        };
      },
    });
    return value!;
  } catch (e) {
    return { detail: (e as Error).message };
  }
}
