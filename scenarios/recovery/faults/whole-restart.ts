// whole-restart: every pod deleted at once; with pod IPs the cluster needs a re-MEET.
import type { RedisMember } from '../../../src/deploy/redis-cluster.ts';
import { hasFlag } from '../../../src/probes/cluster-nodes.ts';
import { readViews, summarize, waitForMeet } from '../../../src/probes/convergence.ts';
import { healthyWithin } from './cluster.ts';
import { HEAL_TIMEOUT_MS, NODE_TIMEOUT_MS, type FaultOutcome, type RecoveryLab } from './lab.ts';

/**
 * Every pod deleted at once. With pod IPs every node restarts knowing only stale addresses and
 * nobody can reach anybody; the remediation operators use is to MEET everyone again from one node.
 */
export async function wholeRestart(lab: RecoveryLab): Promise<FaultOutcome> {
  const all = lab.cluster.plan.members;
  const t = performance.now();
  await lab.topo.deletePods(all.map((m) => m.name));
  const self = await healthyWithin(lab.cluster, all, NODE_TIMEOUT_MS * 4);
  if (self.ok) {
    return { action: 'deleted every pod at once', recovered: true, recoveryMs: Math.round(performance.now() - t) };
  }
  const duringFault = summarize(await readViews(lab.cluster, all));
  const [first, ...rest] = all;
  const t2 = performance.now();
  for (const m of rest) {
    await lab.cluster.meet(first!, m);
  }
  await waitForMeet(lab.cluster, { members: all, timeoutMs: HEAL_TIMEOUT_MS, requireStateOk: false });
  // Gossip re-addresses a failed master without repointing the replicas that follow it
  // (cluster.c clusterProcessGossipSection), so they keep dialling the old IP: REPLICATE again.
  const stale = await staleReplicas(lab);
  for (const { replica, master } of stale) {
    await lab.cluster.cli(replica, ['cluster', 'replicate', (await lab.cluster.myId(master)).trim()]);
  }
  const healed = await healthyWithin(lab.cluster, all, HEAL_TIMEOUT_MS);
  const repointed = stale.length
    ? `; CLUSTER REPLICATE again on ${stale.map((x) => `${x.replica.name} (still replicating from ${x.was})`).join(', ')}`
    : '';
  return {
    action: 'deleted every pod at once',
    duringFault,
    remediation: `CLUSTER MEET from ${first!.name} to every other node at its current address${repointed}`,
    recovered: healed.ok,
    recoveryMs: healed.ok ? Math.round(performance.now() - t2) : undefined,
  };
}

/** Replicas whose replication still points at an address their master no longer has. */
async function staleReplicas(lab: RecoveryLab): Promise<{ replica: RedisMember; master: RedisMember; was: string }[]> {
  const out: { replica: RedisMember; master: RedisMember; was: string }[] = [];
  const views = await readViews(lab.cluster, lab.cluster.plan.members);
  const byId = new Map(views.map((v) => [v.id, lab.cluster.member(v.member)]));
  for (const v of views) {
    const self = v.nodes.find((n) => hasFlag(n, 'myself'))!;
    const master = self.masterId ? byId.get(self.masterId) : undefined;
    if (!hasFlag(self, 'slave') || !master) {
      continue;
    }
    const info = await lab.cluster.replication(lab.cluster.member(v.member));
    const current = lab.topo.pod(master.name);
    const ip = lab.cluster.plan.exposure === 'pod-ip' ? current.ip : lab.cluster.address(master).ip;
    if (info.master_host !== ip) {
      out.push({ replica: lab.cluster.member(v.member), master, was: `${info.master_host}:${info.master_port}` });
    }
  }
  return out;
}
