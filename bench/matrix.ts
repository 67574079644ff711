// The default matrix as a user runs it (`rcnc run`), timed from outside: its wall time against the
// sum of its cells' own run times, which is what running them one after another would cost.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultsFile } from '../src/model/results.ts';
import type { Figure } from './figures.ts';

const RCNC = join(import.meta.dirname, '..', 'bin', 'rcnc.mjs');

export async function matrixFigure(): Promise<Figure> {
  const dir = await mkdtemp(join(tmpdir(), 'rcnc-bench-matrix-'));
  try {
    const t0 = performance.now();
    const r = await execa('node', [RCNC, 'run', '--json', '--report-dir', dir], { reject: false, stderr: 'inherit' });
    const wallMs = Math.round(performance.now() - t0);
    const results = JSON.parse(r.stdout) as ResultsFile;
    const cellsMs = results.cells.reduce((sum, c) => sum + (c.timings['total'] ?? c.durationMs), 0);
    const s = results.summary;
    return {
      figure: 'matrix.wall',
      ms: wallMs,
      cells: results.cells.length,
      summary: { pass: s.pass, fail: s.fail, skip: s.skip },
      sumOfCellsMs: cellsMs,
      ratio: Math.round((wallMs / cellsMs) * 100) / 100,
      targets: [
        { what: 'every cell passed', met: s.fail === 0 },
        { what: 'wall ≤ 90 s, or ≤ 0.35 × the sum of its cells', met: wallMs <= 90_000 || wallMs <= 0.35 * cellsMs },
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
