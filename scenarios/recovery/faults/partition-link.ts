// partition-link: one link cut; both ends suspect each other, but no majority agrees on FAIL.
import { hasFlag } from '../../../src/probes/cluster-nodes.ts';
import { readViews } from '../../../src/probes/convergence.ts';
import { waitFor } from '../../../src/util/wait.ts';
import { healthyWithin, isMaster } from './cluster.ts';
import { HEAL_TIMEOUT_MS, NODE_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/** One link cut (node-0 ↔ node-1): both ends flag each other PFAIL, but no majority agrees on FAIL. */
export async function partitionLink(lab: RecoveryLab): Promise<FaultOutcome> {
  const [a, b] = [lab.masters[0]!, lab.masters[1]!];
  const t = performance.now();
  await lab.topo.partition(0, 1);
  const seen = await waitFor({
    target: `${a.name} to flag ${b.name} as failing`,
    timeoutMs: HEAL_TIMEOUT_MS,
    intervalMs: 100,
    check: async () => {
      const view = (await readViews(lab.cluster, [a]))[0]!;
      const entry = view.nodes.find((n) => n.id === lab.ids.get(b.name));
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
      const vs = await readViews(lab.cluster, lab.cluster.plan.members);
      return { done: vs.some((v) => v.nodes.some((n) => hasFlag(n, 'fail'))), state: 'no FAIL' };
    },
  }).then(
    () => true,
    () => false,
  );
  const during = await readViews(lab.cluster, lab.cluster.plan.members);
  const failFlags = during.flatMap((v) =>
    v.nodes.filter((n) => hasFlag(n, 'fail')).map((n) => `${v.member} sees ${n.id.slice(0, 8)} fail`),
  );
  if (fail && failFlags.length === 0) {
    failFlags.push('a FAIL flag appeared and cleared');
  }
  const promotions = await promotedAny(lab);
  await lab.topo.heal(0, 1);
  const healed = await healthyWithin(lab.cluster, lab.cluster.plan.members, HEAL_TIMEOUT_MS);
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

/** Replicas that now call themselves masters. */
async function promotedAny(lab: RecoveryLab): Promise<string[]> {
  const out: string[] = [];
  for (const r of lab.replicas) {
    if (await isMaster(lab.cluster, r).catch(() => false)) {
      out.push(r.name);
    }
  }
  return out;
}
