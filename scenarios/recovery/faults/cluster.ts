// What the faults wait for and watch: a healthy cluster (every view whole, every replica's link
// up), a promotion with the moments leading to it, peers reconnected to a restarted member over
// links younger than its restart, and who is master now.
import type { RedisCluster, RedisMember } from '../../../src/deploy/redis-cluster.ts';
import type { TimelineEvent } from '../../../src/model/results.ts';
import { hasFlag } from '../../../src/probes/cluster-nodes.ts';
import { readViews, waitForMeet } from '../../../src/probes/convergence.ts';
import { synGiveUpIn } from '../../../src/probes/syn-timeout.ts';
import { waitFor } from '../../../src/util/wait.ts';
import { HEAL_TIMEOUT_MS, NODE_TIMEOUT_MS, type RecoveryLab } from './lab.ts';

/**
 * Healthy: everyone knows everyone, connected, slots agreed, cluster_state ok, each at its current
 * address, and every replica's link to its master up (a replica that never synced cannot fail over).
 */
export async function waitHealthy(
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

export async function healthyWithin(
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

export async function isMaster(cluster: RedisCluster, m: RedisMember): Promise<boolean> {
  const v = (await readViews(cluster, [m]))[0]!;
  return hasFlag(
    v.nodes.find((n) => hasFlag(n, 'myself'))!,
    'master',
  );
}

/** Moments of a failover as the heir saw them, ms after the fault began. */
export class FaultClock {
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
export async function promotedWithin(
  lab: RecoveryLab,
  heir: RedisMember,
  timeoutMs: number,
  watch?: { clock: FaultClock; victim: RedisMember },
): Promise<boolean> {
  const victimId = watch ? lab.ids.get(watch.victim.name) : undefined;
  try {
    await waitFor({
      target: `${heir.name} to be promoted`,
      timeoutMs,
      intervalMs: 100,
      check: async () => {
        const v = (await readViews(lab.cluster, [heir]))[0]!;
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
export async function waitPeersReconnected(
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
