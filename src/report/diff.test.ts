import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { diffResults, diffText, hasRegression } from './diff.ts';
import { readResults } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
const FAILOVER = 'netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover';
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';

let sample: ResultsFile;
beforeAll(async () => {
  sample = await readResults(FIXTURE);
});

/** A copy of the sample with a new run id, changed by `edit` cell by cell. */
function next(edit: (cell: CellResult) => void = () => {}): ResultsFile {
  const copy = structuredClone(sample);
  copy.runId = '20250302-101500-c3d4';
  copy.cells.forEach(edit);
  return copy;
}

const brief = (changes: ReturnType<typeof diffResults>) =>
  changes.map((change) => `${change.regression ? '!' : ' '} ${change.cellId} ${change.text}`);

describe('diffResults', () => {
  test('finds nothing between a run and itself', () => {
    expect(diffResults(sample, next())).toEqual([]);
  });

  test('reports cells added and removed, without calling either a regression', () => {
    const later = next();
    const removed = later.cells.splice(0, 1)[0] as CellResult;
    later.cells.push({ ...removed, id: 'netns/flannel-vxlan/host-network/announce-none' });
    expect(brief(diffResults(sample, later))).toEqual([
      '  k3d/flannel-vxlan/nodeport/announce-none removed (nat-meet)',
      '  netns/flannel-vxlan/host-network/announce-none added (nat-meet)',
    ]);
  });

  test('calls worse news a regression and better news a change: words, ghost classes, verdicts', () => {
    const later = next((cell) => {
      if (cell.id === CLASSIC && cell.family === 'nat-meet' && cell.observation) {
        // Announcing no longer helps, and the ghost is now the node IP.
        cell.observation.fix = { settings: [], meet: 'fails', clusterState: 'fail' };
        cell.observation.ghostClass = 'node-ip';
        cell.verdict = { status: 'fail', reason: 'unexpected' };
      }
      if (cell.id === 'netns/calico-vxlan/nodeport/announce-none' && cell.family === 'nat-meet' && cell.observation) {
        cell.observation.meet = 'ok';
        delete cell.observation.ghostClass;
        cell.verdict = { status: 'pass' };
      }
      if (cell.id === 'netns/no-nat/nodeport/announce-none' && cell.family === 'snat' && cell.observation) {
        cell.observation.rewrite = 'tunnel';
      }
    });
    expect(brief(diffResults(sample, later))).toEqual([
      '  netns/calico-vxlan/nodeport/announce-none compatibility breaks → works',
      '  netns/calico-vxlan/nodeport/announce-none ghost class tunnel → none',
      '  netns/calico-vxlan/nodeport/announce-none verdict fail → pass',
      '! netns/flannel-vxlan/nodeport/announce-none compatibility works-with-announce → breaks',
      '! netns/flannel-vxlan/nodeport/announce-none ghost class bridge-gateway → node-ip',
      '! netns/flannel-vxlan/nodeport/announce-none verdict pass → fail',
      '! netns/no-nat/nodeport/announce-none compatibility rewritten to node-ip → rewritten to tunnel',
    ]);
  });

  test('compares recovery figures beyond a tolerance; any lost write is a change', () => {
    const later = next((cell) => {
      if (cell.id === FAILOVER && cell.family === 'recovery' && cell.observation?.client && cell.observation.failover) {
        cell.observation.recoveryMs = 8179 + 900; // within 1000 ms
        cell.observation.failover.afterMs = 3887 + 2500; // beyond both 1000 ms and 25 %
        cell.observation.client.errorWindowMs = 1000; // shorter: a change, not a regression
        cell.observation.client.lostAckedWrites = 1;
      }
    });
    const changes = diffResults(sample, later);
    expect(brief(changes)).toEqual([
      `! ${FAILOVER} failover.afterMs 3.9s → 6.4s (+2.5s)`,
      `  ${FAILOVER} client.errorWindowMs 3.9s → 1.0s (-2.9s)`,
      `! ${FAILOVER} client.lostAckedWrites 0 → 1 (+1)`,
    ]);
    expect(changes[0]).toMatchObject({ kind: 'figure', subject: 'failover.afterMs', before: 3887, after: 6387 });
    // A tighter tolerance sees the recovery time move too.
    expect(brief(diffResults(sample, later, { toleranceMs: 500, toleranceRatio: 0.05 }))).toContain(
      `! ${FAILOVER} recoveryMs 8.2s → 9.1s (+900ms)`,
    );
  });
});

describe('durations measured differently', () => {
  const SHARED =
    'asks to run alone (failover window), but this run let it share the cores (--timing-cells shared): its timings were measured beside other cells';
  /** The failover cell of a later run, its failover slower by 5 s and, when `lost`, one write lost. */
  const slower = (sharedCores: boolean, lost = false) =>
    next((cell) => {
      if (cell.id === FAILOVER && cell.family === 'recovery' && cell.observation?.failover && cell.observation.client) {
        cell.observation.failover.afterMs = 3887 + 5000;
        cell.observation.client.lostAckedWrites = lost ? 1 : 0;
        if (sharedCores) {
          cell.sharedCores = SHARED;
        }
      }
    });

  test('alone before, beside other cells after: not comparable, not a regression', () => {
    const later = slower(true);
    const changes = diffResults(sample, later);
    expect(brief(changes)).toEqual([
      `  ${FAILOVER} durations not compared: measured alone in the old run, beside other cells in the new (--timing-cells)`,
    ]);
    expect(changes[0]).toMatchObject({ kind: 'timings', before: 'alone', after: 'beside other cells' });
    expect(hasRegression(changes)).toBe(false);
    expect(diffText(sample, later, changes).split('\n')).toEqual([
      'rcnc diff 20250301-101500-a1b2 → 20250302-101500-c3d4: 12 cells in both, 0 changes, 0 regressions; ' +
        'durations of 1 cell not comparable (measured alone in one run, beside other cells in the other)',
      `timings     ${FAILOVER}  durations not compared: measured alone in the old run, beside other cells in the new (--timing-cells)`,
      '',
    ]);
  });

  test('a lost write is still a regression, however the durations were measured', () => {
    expect(brief(diffResults(sample, slower(true, true)))).toEqual([
      `  ${FAILOVER} durations not compared: measured alone in the old run, beside other cells in the new (--timing-cells)`,
      `! ${FAILOVER} client.lostAckedWrites 0 → 1 (+1)`,
    ]);
  });

  test('measured the same way (both beside other cells, or both alone): compared as usual', () => {
    const before = slower(true);
    before.cells = sample.cells.map((cell) => (cell.id === FAILOVER ? { ...cell, sharedCores: SHARED } : cell));
    expect(brief(diffResults(before, slower(true)))).toEqual([`! ${FAILOVER} failover.afterMs 3.9s → 8.9s (+5.0s)`]);
    expect(brief(diffResults(sample, slower(false)))).toEqual([`! ${FAILOVER} failover.afterMs 3.9s → 8.9s (+5.0s)`]);
  });
});

describe('diffText and hasRegression', () => {
  test('lists regressions first, one line each, after a header with the counts', () => {
    const later = next((cell) => {
      if (cell.id === FAILOVER && cell.family === 'recovery' && cell.observation) {
        cell.observation.recoveryMs = 20_000;
      }
      if (cell.id === 'netns/calico-vxlan/nodeport/announce-none') {
        cell.verdict = { status: 'pass' };
      }
    });
    const changes = diffResults(sample, later);
    expect(hasRegression(changes)).toBe(true);
    expect(diffText(sample, later, changes)).toBe(
      [
        'rcnc diff 20250301-101500-a1b2 → 20250302-101500-c3d4: 12 cells in both, 2 changes, 1 regression',
        `REGRESSION  ${FAILOVER}  recoveryMs 8.2s → 20.0s (+11.8s)`,
        `changed     ${'netns/calico-vxlan/nodeport/announce-none'.padEnd(FAILOVER.length)}  verdict fail → pass`,
        '',
      ].join('\n'),
    );
    expect(hasRegression(diffResults(sample, next()))).toBe(false);
  });
});
