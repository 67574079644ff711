// pod-churn-master, pod-churn-replica: one pod deleted and back at a new IP.
import type { RedisMember } from '../../../src/deploy/redis-cluster.ts';
import { DeployError } from '../../../src/util/errors.ts';
import { healthyWithin, waitPeersReconnected } from './cluster.ts';
import { HEAL_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/** One pod deleted: it returns with a new IP and its nodes.conf, and must be seen at its new address. */
export async function podChurn(lab: RecoveryLab, victim: RedisMember): Promise<FaultOutcome> {
  const before = lab.topo.pod(victim.name).ip;
  const t = performance.now();
  const restartedAt = Date.now();
  const after = await lab.topo.deletePod(victim.name);
  // Healed means every peer also dropped its link to the old process: until then a view can read
  // "connected" over a dead link, and turn "disconnected" once the peer notices (see
  // waitPeersReconnected, which has its own bound: the kernel's SYN lifetime).
  const healed = await healthyWithin(lab.cluster, lab.cluster.plan.members, HEAL_TIMEOUT_MS, () =>
    waitPeersReconnected(lab.cluster, victim, restartedAt),
  );
  const id = await lab.cluster.myId(victim);
  if (id !== lab.ids.get(victim.name)) {
    throw new DeployError(`${victim.name} came back with a new node id (${id}); its data directory was not kept`);
  }
  return {
    action: `deleted pod ${victim.name}; it came back on ${after.ip} (was ${before}) with the same node id`,
    recovered: healed.ok,
    recoveryMs: healed.ok ? Math.round(performance.now() - t) : undefined,
    duringFault: healed.ok ? undefined : healed.last,
  };
}
