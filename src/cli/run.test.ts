// The last line of `rcnc run` and its exit code: a run in which every cell was skipped tested
// nothing and exits 2 saying so; skips beside cells that ran change nothing.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { buildResults, readResults } from '../report/write.ts';
import { runOutcome } from './run.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
const REPORT = 'reports/latest/compatibility.md';
const WHERE = `report: ${REPORT} (also index.html, junit.xml, results.json)`;

describe('runOutcome', () => {
  let sample: ResultsFile;
  beforeAll(async () => {
    sample = await readResults(FIXTURE);
  });
  const withStatus = (cells: CellResult[], status: 'pass' | 'skip', reason?: string) =>
    cells.map((cell) => ({ ...cell, verdict: { status, ...(reason ? { reason } : {}) } }) as CellResult);
  const results = (cells: CellResult[]) =>
    buildResults({
      runId: 'r',
      startedAt: new Date(0),
      finishedAt: new Date(0),
      cells,
      environment: sample.environment,
    });

  test('every cell skipped: exit 2, and the line says nothing ran and why', () => {
    const cells = withStatus(sample.cells, 'skip', 'the netns lab cannot run here: missing packages: redis-server');
    expect(runOutcome(results(cells), cells.length, REPORT)).toEqual({
      exitCode: 2,
      line: `rcnc: nothing ran: all ${cells.length} cells were skipped: the netns lab cannot run here: missing packages: redis-server — ${WHERE}`,
    });
  });

  test('passing cells beside skipped ones: exit 0 and the counts, as before', () => {
    const [skip, ...rest] = sample.cells;
    const cells = [...withStatus([skip!], 'skip', 'no Docker daemon answers'), ...withStatus(rest, 'pass')];
    expect(runOutcome(results(cells), cells.length, REPORT)).toEqual({
      exitCode: 0,
      line: `rcnc: ${rest.length} passed, 0 failed, 1 skipped — ${WHERE}`,
    });
  });

  test('a failed cell: exit 1; cells --fail-fast never started are counted', () => {
    expect(runOutcome(sample, sample.cells.length + 3, REPORT)).toEqual({
      exitCode: 1,
      line: `rcnc: 9 passed, 2 failed, 1 skipped, 3 not run (--fail-fast) — ${WHERE}`,
    });
  });
});
