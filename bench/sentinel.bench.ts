// npm run bench, Sentinel figures: the master killed under load (NodePort, announced) and a rolling
// update of every pod under load (pod IPs), one run each, as the scenario runs them. Prints a line
// per cell and one JSON line per cell for tools: time to a new master, the client's error window,
// lost acknowledged and WAIT-confirmed writes.
import { sentinelCells } from '../scenarios/sentinel/cells.ts';
import { runSentinel } from '../scenarios/sentinel/run.ts';
import { NetnsProvider } from '../src/deploy/netns/netns.ts';
import { runConfigFromEnv } from '../src/suite/run-config.ts';

const CONFIG = runConfigFromEnv(process.env);
const CELLS = [
  'netns/flannel-vxlan/nodeport/announce-ip/2-nodes/failover',
  'netns/flannel-vxlan/pod-ip/announce-none/2-nodes/rolling-update',
];
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

if (process.env.RCNC_BENCH_SENTINEL !== '0') {
  console.log('sentinel, one run each:');
  for (const cell of sentinelCells().filter((c) => CELLS.includes(c.id))) {
    const t0 = performance.now();
    const run = await runSentinel(new NetnsProvider(), cell, { redis: CONFIG.redis, captures: false });
    const f = run.record.observation?.failover;
    const c = f?.client;
    if (!f || !c) {
      throw new Error(
        `${cell.id}: no failover figures (${run.record.observation?.notes.join('; ') ?? 'no observation'})`,
      );
    }
    console.log(
      `  ${cell.id}: ${f.outcome === 'promoted' ? `${f.promoted} promoted after ${s(f.afterMs)}` : `NOT promoted (${f.detail ?? ''})`}; ` +
        `client: ${c.errors}/${c.ops} failed, error window ${s(c.errorWindowMs)}, lost acked ${c.lostAckedWrites}/${c.ackedWrites}, ` +
        `lost WAIT-confirmed ${c.lostWaitConfirmedWrites}/${c.waitConfirmedWrites}; cell ${s(performance.now() - t0)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'sentinel',
        cell: cell.id,
        kind: cell.options.kind,
        outcome: f.outcome,
        failoverMs: f.afterMs ?? null,
        errorWindowMs: c.errorWindowMs,
        ops: c.ops,
        errors: c.errors,
        ackedWrites: c.ackedWrites,
        lostAckedWrites: c.lostAckedWrites,
        waitConfirmedWrites: c.waitConfirmedWrites,
        lostWaitConfirmedWrites: c.lostWaitConfirmedWrites,
        cellMs: Math.round(performance.now() - t0),
      }),
    );
  }
}
