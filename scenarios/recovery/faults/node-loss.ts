// node-loss: a node goes down with its pods, a replica elsewhere takes over, the pods move.
import { FaultClock, healthyWithin, promotedWithin } from './cluster.ts';
import { HEAL_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/**
 * A node goes down with its pods. A replica elsewhere takes over; the lost pods are rescheduled on
 * other nodes (new addresses, and under NodePort a new announced node IP) and must be learned.
 */
export async function nodeLoss(lab: RecoveryLab): Promise<FaultOutcome> {
  const lost = 0;
  const victims = lab.cluster.plan.members.filter((m) => lab.topo.pod(m.name).node === lost);
  const master = lab.masters.find((m) => lab.topo.pod(m.name).node === lost)!;
  const heir = lab.replicaOf.get(master.name)!;
  const clock = new FaultClock(`node-${lost} stopped`);
  await lab.topo.stopNode(lost);
  const promoted = await promotedWithin(lab, heir, HEAL_TIMEOUT_MS, { clock, victim: master });
  const failoverMs = clock.at('promoted') ?? clock.now();
  const moved: string[] = [];
  for (const [i, v] of victims.entries()) {
    const to = 1 + (i % (lab.topo.nodes.length - 1));
    const info = await lab.topo.deletePod(v.name, { node: to });
    moved.push(`${v.name} → node-${to} (${info.ip})`);
  }
  clock.mark('rescheduled', moved.join(', '));
  await lab.topo.startNode(lost);
  const healed = await healthyWithin(lab.cluster, lab.cluster.plan.members, HEAL_TIMEOUT_MS);
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
