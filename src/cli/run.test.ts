// The end of `rcnc run`: the failed and skipped cells with their reasons, then the last line and
// the exit code. A run in which every cell was skipped tested nothing and exits 2 saying so; skips
// beside cells that ran change nothing.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { buildResults, readResults } from '../report/write.ts';
import { NOT_STARTED } from '../suite/harness.ts';
import { problemLines, runOutcome } from './outcome.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
const REPORT = 'reports/latest/compatibility.md';
const WHERE = `report: ${REPORT} (also index.html, junit.xml, results.json)`;

let sample: ResultsFile;
beforeAll(async () => {
  sample = await readResults(FIXTURE);
});

/** A run of these cells, in the sample's environment. */
const results = (cells: CellResult[]) =>
  buildResults({ runId: 'r', startedAt: new Date(0), finishedAt: new Date(0), cells, environment: sample.environment });

describe('runOutcome', () => {
  const withStatus = (cells: CellResult[], status: 'pass' | 'skip', reason?: string) =>
    cells.map((cell) => ({ ...cell, verdict: { status, ...(reason ? { reason } : {}) } }) as CellResult);

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

describe('problemLines', () => {
  test('each failed cell with the first line of its reason; skips grouped by reason', () => {
    expect(problemLines(sample)).toEqual([
      'Failed (2):',
      `  ✗ ${'netns/calico-vxlan/nodeport/announce-none'.padEnd(62)}  unexpected ghost class tunnel | expected node-ip`,
      '  ✗ netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link  unexpected: the cluster did not heal within 30 s of the partition lifting',
      'Skipped (1):',
      '  - no Docker daemon answers: k3d/flannel-vxlan/nodeport/announce-none',
    ]);
  });

  test('a failed cell that kept a --collect-on-failure bundle names it under its line', () => {
    const bundle = 'artifacts/netns_calico-vxlan_nodeport_announce-none/collect-on-failure.tar.gz';
    const cells = sample.cells.map((c) =>
      c.id === 'netns/calico-vxlan/nodeport/announce-none' ? { ...c, collected: { bundle, note: '24 files' } } : c,
    );
    const lines = problemLines(results(cells));
    expect(lines.slice(1, 3)).toEqual([
      `  ✗ ${'netns/calico-vxlan/nodeport/announce-none'.padEnd(62)}  unexpected ghost class tunnel | expected node-ip`,
      `    collected: ${bundle}`,
    ]);
  });

  test('nothing to list when every cell passed', () => {
    const passed = sample.cells.map((c) => ({ ...c, verdict: { status: 'pass' } }) as CellResult);
    expect(problemLines(results(passed))).toEqual([]);
  });

  test('many cells skipped alike are one line; cells --fail-fast did not start are counted, not listed', () => {
    const cells = sample.cells.map(
      (c, i) =>
        ({
          ...c,
          verdict:
            i < 8
              ? { status: 'skip', reason: 'the netns lab cannot run here' }
              : { status: 'skip', reason: NOT_STARTED },
        }) as CellResult,
    );
    expect(problemLines(results(cells))).toEqual([
      'Skipped (8):',
      '  - the netns lab cannot run here: k3d/flannel-vxlan/nodeport/announce-none, netns/calico-vxlan/nodeport/announce-none, netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link and 5 more',
      'Not started after the first failure (--fail-fast): 4',
    ]);
  });

  test('at most 20 failed cells, then how many more', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({
      ...sample.cells[1]!,
      id: `netns/calico-vxlan/nodeport/announce-none/copy-${String(i).padStart(2, '0')}`,
    })) as CellResult[];
    const lines = problemLines(results(many));
    expect(lines[0]).toBe('Failed (25):');
    expect(lines.filter((line) => line.startsWith('  ✗ '))).toHaveLength(20);
    expect(lines.at(-1)).toBe('  … and 5 more (compatibility.md lists them all)');
  });
});
