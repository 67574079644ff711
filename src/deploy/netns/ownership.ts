// Who owns a lab, whatever TMPDIR the owner or a sweeper has: a record per lab in the run-state
// directory (/run/rcnc/labs), written before any of the lab's namespaces exists and removed after
// the last is gone, naming the owner by PID and start time (src/util/run-state.ts).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { self, StateRecords, type Owner, type RecordProblem } from '../../util/run-state.ts';

export interface LabRecord extends Owner {
  labId: string;
  /** The report run id, for messages. */
  runId?: string;
  /** The lab's temp dir (under the owner's TMPDIR). */
  dir: string;
  createdAt: string;
}

export const labRecords = new StateRecords<LabRecord>('labs', (id, r) =>
  r.labId === id && typeof r.dir === 'string' ? undefined : `names lab ${String(r.labId)}, not ${id}`,
);

/** The record this process writes for a lab it is about to build. */
export async function ownRecord(labId: string, dir: string, runId?: string): Promise<LabRecord> {
  return { ...(await self()), labId, ...(runId ? { runId } : {}), dir, createdAt: new Date().toISOString() };
}

export const writeRecord = (r: LabRecord) => labRecords.write(r.labId, r);
export const removeRecord = (labId: string) => labRecords.remove(labId);

export async function readRecords(): Promise<{
  records: LabRecord[];
  problems: (RecordProblem & { labId: string })[];
}> {
  const { records, problems } = await labRecords.readAll();
  return { records, problems: problems.map((p) => ({ ...p, labId: p.id })) };
}

export { ownerAlive } from '../../util/run-state.ts';

/** Seconds since a namespace was created (its bind mount under /run/netns), or undefined. */
export async function namespaceAgeSeconds(ns: string): Promise<number | undefined> {
  const s = await stat(join('/run/netns', ns)).catch(() => undefined);
  return s ? (Date.now() - s.mtimeMs) / 1000 : undefined;
}
