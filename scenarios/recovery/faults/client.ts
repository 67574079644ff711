// The load client of the faults under traffic, and its figures with the fault as their time base.
import type { ClientSummary } from '../../../src/model/results.ts';
import { clientEndpoints, placeFailures, startClient, type LoadClient } from '../../../src/probes/client.ts';
import type { RecoveryLab } from './lab.ts';

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
  // The timeline's time base is the fault; the client's is its own start.
  const placed = faultAtLoadMs === undefined ? undefined : placeFailures(client.records, (t) => t - faultAtLoadMs);
  return {
    ops: report.ops,
    errors: report.errors,
    errorWindowMs: report.errorWindow?.windowMs ?? null,
    ...placed,
    ackedWrites: report.ackedWrites,
    lostAckedWrites: verify.lostAckedWrites,
    waitConfirmedWrites: report.waitConfirmedWrites,
    lostWaitConfirmedWrites: verify.lostWaitConfirmedWrites,
    p99Ms: report.latency?.p99,
  };
}
