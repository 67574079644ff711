// Where a cell's evidence goes: reports/<run-id>/artifacts/<cell>/. Paths handed to the results are
// relative to the run's report directory, so the directory can be moved or uploaded as a whole.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cellSlug } from '../cells.ts';

export const reportRoot = () => resolve(process.env.RCNC_REPORT_DIR ?? 'reports');

/** `YYYYMMDD-HHMMSS-xxxx` in UTC: sorts by time, and the suffix keeps parallel CI jobs apart. */
export function newRunId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export const runId = (): string => (process.env.RCNC_RUN_ID ??= newRunId());

export class ArtifactSink {
  readonly paths: string[] = [];
  constructor(private readonly cellId: string) {}

  /** A folder for a tool that writes its own files; `track` what it wrote. */
  dir(sub: string): { abs: string; rel: string } {
    const rel = join('artifacts', cellSlug(this.cellId), sub);
    return { abs: join(reportRoot(), runId(), rel), rel };
  }

  track(rel: string): void {
    this.paths.push(rel);
  }

  async save(name: string, content: string | Uint8Array): Promise<string> {
    const rel = join('artifacts', cellSlug(this.cellId), name);
    const abs = join(reportRoot(), runId(), rel);
    await mkdir(join(abs, '..'), { recursive: true });
    await writeFile(abs, content);
    this.paths.push(rel);
    return rel;
  }
}
