// The load client of the faults under traffic, and its figures with the fault as their time base.
import type { ClientSummary } from '../../../src/model/results.ts';
import { clientEndpoints, startClient, type LoadClient } from '../../../src/probes/client.ts';
import type { RecoveryLab } from './lab.ts';

// Failed commands the timeline draws a tick for; the rest are in the count.
const MAX_FAILED_TICKS = 300;

export function loadClient(lab: RecoveryLab, bounds: { ops: number; durationMs: number }): Promise<LoadClient> {
  return startClient(lab.topo, lab.clientTarget, {
    startupNodes: clientEndpoints(lab.cluster),
    maxOps: bounds.ops,
    maxDurationMs: bounds.durationMs,
    waitEvery: 10,
  });
}

export async function finishClient(client: LoadClient, faultAtLoadMs?: number): Promise<ClientSummary> {
  const report = await client.stop();
  const verify = await client.verify();
  const w = report.errorWindow;
  // The timeline's time base is the fault; the client's is its own start.
  const placed =
    faultAtLoadMs === undefined
      ? {}
      : {
          ...(w
            ? { errorWindowFromMs: w.firstErrorAt - faultAtLoadMs, errorWindowToMs: w.lastErrorAt - faultAtLoadMs }
            : {}),
          failedAtMs: sample(
            client.records.filter((r) => !r.ok).map((r) => Math.round(r.t - faultAtLoadMs)),
            MAX_FAILED_TICKS,
          ),
        };
  return {
    ops: report.ops,
    errors: report.errors,
    errorWindowMs: w?.windowMs ?? null,
    ...placed,
    ackedWrites: report.ackedWrites,
    lostAckedWrites: verify.lostAckedWrites,
    waitConfirmedWrites: report.waitConfirmedWrites,
    lostWaitConfirmedWrites: verify.lostWaitConfirmedWrites,
    p99Ms: report.latency?.p99,
  };
}

/** At most `n` of the values, evenly spread, first and last kept. */
function sample(values: number[], n: number): number[] {
  if (values.length <= n) {
    return values;
  }
  return Array.from({ length: n }, (_, i) => values[Math.round((i * (values.length - 1)) / (n - 1))]!);
}
