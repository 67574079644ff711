// isolate-node: one node cut off from both others; the majority fails over its master.
import { healthyWithin, isMaster, promotedWithin } from './cluster.ts';
import { HEAL_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/** node-0 cut off from both others: the majority marks its master FAIL and promotes its replica. */
export async function isolateNode(lab: RecoveryLab): Promise<FaultOutcome> {
  const victim = lab.masters[0]!;
  const heir = lab.replicaOf.get(victim.name)!;
  const t = performance.now();
  await lab.topo.partition(0, 1);
  await lab.topo.partition(0, 2);
  const promoted = await promotedWithin(lab, heir, HEAL_TIMEOUT_MS);
  const failoverMs = Math.round(performance.now() - t);
  await lab.topo.heal(0, 1);
  await lab.topo.heal(0, 2);
  const t2 = performance.now();
  const healed = await healthyWithin(lab.cluster, lab.cluster.plan.members, HEAL_TIMEOUT_MS);
  const demoted = !(await isMaster(lab.cluster, victim));
  return {
    action: `isolated node-0 from both other nodes, then healed; ${victim.name} ${demoted ? 'rejoined as a replica' : 'is still a master'}`,
    failover: promoted ? { promoted: heir.name, afterMs: failoverMs } : undefined,
    recovered: healed.ok && promoted && demoted,
    recoveryMs: healed.ok ? Math.round(performance.now() - t2) : undefined,
  };
}
