// rolling-restart: every pod restarted one at a time, masters after a manual handover.
import type { RedisMember } from '../../../src/deploy/redis-cluster.ts';
import { finishClient, loadClient } from './client.ts';
import { FaultClock, isMaster, promotedWithin, waitHealthy, waitPeersReconnected } from './cluster.ts';
import type { FaultOutcome, RecoveryLab } from './lab.ts';

/**
 * A StatefulSet-style rolling restart: replicas first, then each master after a manual CLUSTER
 * FAILOVER to its replica, waiting for health between pods.
 */
export async function rollingRestart(lab: RecoveryLab): Promise<FaultOutcome> {
  await using client = await loadClient(lab, { ops: 100_000, durationMs: 120_000 });
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
    await lab.topo.deletePod(pod.name);
    await waitHealthy(lab.cluster, lab.cluster.plan.members);
  };
  for (const r of lab.replicas) {
    await restart(r);
  }
  for (const m of lab.masters) {
    const r = lab.replicaOf.get(m.name)!;
    // The replica may have been promoted already (a slow restart); then there is nothing to hand over.
    if (!(await isMaster(lab.cluster, r))) {
      // The masters of now (earlier handovers promoted replicas) vote over their own links to the
      // replica, which must post-date its restart.
      const voters: RedisMember[] = [];
      for (const member of lab.cluster.plan.members) {
        if (member !== r && (await isMaster(lab.cluster, member))) {
          voters.push(member);
        }
      }
      // Its master's paused offset must reach it, and a majority of the masters' votes; a link
      // that stays stale longer (seen under load) costs one vote, not the handover.
      const since = restartedAt.get(r.name) ?? 0;
      await waitPeersReconnected(lab.cluster, r, since, [m]);
      await waitPeersReconnected(lab.cluster, r, since, voters, Math.floor(voters.length / 2) + 1);
      if (await handOver(lab, r, mark)) {
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
    action: `restarted all ${lab.cluster.plan.members.length} pods one at a time (replicas first, masters after CLUSTER FAILOVER) in ${restartMs} ms`,
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
async function handOver(lab: RecoveryLab, replica: RedisMember, mark: (event: string, detail?: string) => void) {
  for (let attempt = 1; attempt <= HANDOVER_ATTEMPTS; attempt++) {
    mark('failover', `CLUSTER FAILOVER on ${replica.name}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    await lab.cluster.cli(replica, ['cluster', 'failover']);
    if (await promotedWithin(lab, replica, 10_000)) {
      return true;
    }
  }
  return false;
}

const HANDOVER_ATTEMPTS = 3;
