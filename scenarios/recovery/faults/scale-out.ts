// scale-out: a new shard meets over the exposure and slots are rebalanced onto it.
import { members, redisPods, redisServices, type RedisMember } from '../../../src/deploy/redis-cluster.ts';
import { hasFlag } from '../../../src/probes/cluster-nodes.ts';
import { readViews } from '../../../src/probes/convergence.ts';
import { DeployError } from '../../../src/util/errors.ts';
import { healthyWithin, waitHealthy } from './cluster.ts';
import { HEAL_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/** A new shard joins by CLUSTER MEET over the exposure; slots are rebalanced onto it. */
export async function scaleOut(lab: RecoveryLab): Promise<FaultOutcome> {
  const { cluster, topo } = lab;
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
  await cluster.meet(master, lab.masters[0]!);
  // rebalance needs the new master's cluster_state:ok (it turns ok 2 s after start at the earliest).
  await waitHealthy(
    cluster,
    plan.members.filter((m) => m !== replica),
  );
  const entry = cluster.address(lab.masters[0]!);
  const r = await topo.exec(
    { pod: lab.masters[0]!.name },
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
