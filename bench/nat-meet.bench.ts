// npm run bench: time-to-verdict of the single-node nat-meet cell on the netns lab, next to the
// time the same four redis-server processes take to form the same cluster (3 masters + a replica
// joined with `redis-cli --cluster add-node --cluster-slave`) on plain loopback.
// Targets (issue #2): lab/loopback ratio ≤ 2 and cell time-to-verdict < 5 s on 2 cores.
import { natMeetCells } from '../scenarios/nat-meet/cells.ts';
import { runNatMeet } from '../scenarios/nat-meet/run.ts';
import { recoveryCells } from '../scenarios/recovery/cells.ts';
import { runRecovery } from '../scenarios/recovery/run.ts';
import { NetnsProvider } from '../src/deploy/netns/netns.ts';
import { RedisCluster, members, planFor, redisPods } from '../src/deploy/redis-cluster.ts';
import { waitForMeet } from '../src/probes/convergence.ts';
import { runConfigFromEnv } from '../src/suite/run-config.ts';
import { startLoopback } from './loopback.ts';

const ROUNDS = Number(process.env.RCNC_BENCH_ROUNDS ?? 5);
const CONFIG = runConfigFromEnv(process.env);

async function loopbackCluster(): Promise<number> {
  const t0 = performance.now();
  const all = members({ count: 4, nodes: 1 });
  const plan = planFor({ exposure: 'host-network', announce: 'none', members: all });
  await using topo = await startLoopback(redisPods(plan));
  const cluster = new RedisCluster(topo, plan);
  await cluster.createManually(all.slice(0, 3));
  await waitForMeet(cluster, { members: all.slice(0, 3), requireStateOk: false });
  const added = await cluster.addNode(all[3]!, all[0]!, { slave: true });
  if (!added.ok) {
    throw new Error(`loopback add-node failed: ${added.lastLine}`);
  }
  await waitForMeet(cluster, { requireStateOk: false });
  await topo.stop();
  return performance.now() - t0;
}

async function labCell(): Promise<{ total: number; toFailure: number }> {
  const cell = natMeetCells().find((c) => c.id === 'netns/flannel-vxlan/nodeport/announce-none')!;
  const t0 = performance.now();
  const r = await runNatMeet(new NetnsProvider(), cell, { redis: CONFIG.redis });
  const total = performance.now() - t0;
  if (r.record.observation?.meet !== 'fails' || r.record.compatibility !== 'works-with-announce') {
    throw new Error(
      `the cell did not reproduce the failure and its fix: ${JSON.stringify(r.record.observation?.notes)}`,
    );
  }
  const t = r.record.timings;
  return { total, toFailure: (t.topology ?? 0) + (t.bootstrap ?? 0) + (t.join ?? 0) + (t.observe ?? 0) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const lab: number[] = [];
const toFailure: number[] = [];
const loop: number[] = [];
await loopbackCluster(); // warm-up: page cache for redis-server, redis-cli and ip
for (let i = 0; i < ROUNDS; i++) {
  const l = await labCell();
  lab.push(l.total);
  toFailure.push(l.toFailure);
  loop.push(await loopbackCluster());
}
const ratio = median(lab) / median(loop);
console.log(`nat-meet bench, ${ROUNDS} rounds, medians (min–max):`);
console.log(
  `  lab cell, time to verdict (failure + fix + teardown): ${s(median(lab))} (${s(Math.min(...lab))}–${s(Math.max(...lab))})`,
);
console.log(`  lab cell, time to the failure verdict alone:         ${s(median(toFailure))}`);
console.log(
  `  loopback baseline, same processes form the cluster:  ${s(median(loop))} (${s(Math.min(...loop))}–${s(Math.max(...loop))})`,
);
console.log(
  `  ratio lab / loopback: ${ratio.toFixed(2)} (target ≤ 2); cell under 5 s: ${median(lab) < 5000 ? 'yes' : 'NO'}`,
);
console.log(
  JSON.stringify({
    bench: 'nat-meet',
    rounds: ROUNDS,
    labMs: median(lab),
    toFailureMs: median(toFailure),
    loopbackMs: median(loop),
    ratio,
  }),
);

// Recovery figures (issue #4): one run each of the cells users ask about most.
const RECOVERY = [
  'netns/flannel-vxlan/pod-ip/announce-none/3-nodes/pod-churn-master',
  'netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart',
  'netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover',
];
if (process.env.RCNC_BENCH_RECOVERY !== '0') {
  console.log('\nrecovery, one run each:');
  for (const cell of recoveryCells().filter((c) => RECOVERY.includes(c.id))) {
    const r = await runRecovery(new NetnsProvider(), cell, { redis: CONFIG.redis });
    const rec = r.recovery;
    const parts = [
      rec.recovered ? `recovered in ${s(rec.recoveryMs ?? 0)}` : 'did NOT recover',
      rec.failover ? `failover after ${s(rec.failover.afterMs)}` : undefined,
      rec.remediation ? `after remediation (${rec.remediation.split(';')[0]})` : undefined,
      rec.client
        ? `client: ${rec.client.errors}/${rec.client.ops} failed, error window ${rec.client.errorWindowMs ?? 0} ms, ` +
          `lost acked ${rec.client.lostAckedWrites}, lost WAIT-confirmed ${rec.client.lostWaitConfirmedWrites}`
        : undefined,
    ].filter(Boolean);
    console.log(`  ${cell.id}: ${parts.join('; ')}`);
  }
}
