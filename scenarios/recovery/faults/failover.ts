// failover: a master killed under load; its replica is promoted while a client writes.
import { traitsOf } from '../../../src/deploy/providers.ts';
import { finishClient, loadClient } from './client.ts';
import { FaultClock, healthyWithin, promotedWithin } from './cluster.ts';
import { HEAL_TIMEOUT_MS, NODE_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/** A master process is killed under load and stays down for a crash-loop back-off. */
export async function failoverUnderTraffic(lab: RecoveryLab): Promise<FaultOutcome> {
  const victim = lab.masters[0]!;
  const heir = lab.replicaOf.get(victim.name)!;
  await using client = await loadClient(lab, { ops: 4000, durationMs: 20_000 });
  await client.start();
  await client.waitForOps(200);
  const faultAtLoadMs = client.loadTime() ?? 0;
  const clock = new FaultClock(`${victim.name} killed`);
  await lab.topo.killContainer(victim.name, { restartDelayMs: NODE_TIMEOUT_MS * 3 });
  const promoted = await promotedWithin(lab, heir, HEAL_TIMEOUT_MS, { clock, victim });
  const failoverMs = clock.at('promoted') ?? clock.now();
  await client.waitForOps(client.opsDone() + 300);
  const summary = await finishClient(client, faultAtLoadMs);
  const healed = await healthyWithin(lab.cluster, lab.cluster.plan.members, HEAL_TIMEOUT_MS);
  if (healed.ok) {
    clock.mark('healthy');
  }
  return {
    // Kubernetes' kubelet restarts a killed container at once: there the process is frozen for the delay.
    action:
      traitsOf(lab.topo.provider).delayedKill === 'restart-after-delay'
        ? `killed the redis-server of ${victim.name} (master) under load; the kubelet restarted it after ${NODE_TIMEOUT_MS * 3} ms`
        : `froze the redis-server of ${victim.name} (master) under load for ${NODE_TIMEOUT_MS * 3} ms (SIGSTOP), then killed it; the kubelet restarted it at once`,
    timeline: clock.timeline,
    failover: promoted ? { promoted: heir.name, afterMs: failoverMs } : undefined,
    recovered: healed.ok && promoted,
    recoveryMs: healed.ok ? clock.now() : undefined,
    client: summary,
  };
}
