// Where a cell's evidence goes: <report-dir>/<run-id>/artifacts/<cell>/. Paths handed to the
// results are relative to the run's report directory, so the directory can be moved or uploaded
// as a whole.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cellSlug } from '../model/cell.ts';

export class ArtifactSink {
  readonly paths: string[] = [];
  /** `runDir` is `<report-dir>/<run-id>`. */
  constructor(
    private readonly runDir: string,
    private readonly cellId: string,
  ) {}

  /** A folder for a tool that writes its own files; `track` what it wrote. */
  dir(sub: string): { abs: string; rel: string } {
    const rel = join('artifacts', cellSlug(this.cellId), sub);
    return { abs: join(this.runDir, rel), rel };
  }

  track(rel: string): void {
    this.paths.push(rel);
  }

  async save(name: string, content: string | Uint8Array): Promise<string> {
    const rel = join('artifacts', cellSlug(this.cellId), name);
    const abs = join(this.runDir, rel);
    await mkdir(join(abs, '..'), { recursive: true });
    await writeFile(abs, content);
    this.paths.push(rel);
    return rel;
  }
}
