// nat-meet: does a node that joins over a given datapath become part of the cluster, and when it
// does not, what did the receiver record, and does announcing fix it? Every check (judge.ts) reads
// a real Redis view, log line, capture or socket table from the lab; the report shows the same list.
import { describe, test } from 'vitest';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import { cellsFor, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS, skipPartWithout } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { natMeetCells } from './cells.ts';
import { ghostUnpredicted, judgeNatMeet, natMeetSeen, packetsUnseen } from './judge.ts';
import { runNatMeet } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(natMeetCells, config);

describe.skipIf(cells.length === 0)('nat-meet', () => {
  for (const cell of cells) {
    // Cells run side by side, each in its own lab; `expect` comes from the test's own context.
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runNatMeet);
      const obs = run.record.observation!;
      const checks = judgeNatMeet(cell, await natMeetSeen(cell, run));
      run.record.checks = checks;
      expect(failedChecks(checks), failedChecksText(checks, obs.notes.join('; '))).toEqual([]);
      // Off the lab a provider may have declared it lacks node access (no prediction) or capture:
      // those checks were left out; the test says why (a failure under REQUIRE_*=1).
      // A part left out is skipped only where the provider declared it cannot do what that part
      // needs (its gaps); anywhere else a missing prediction or capture fails the cell.
      if (ghostUnpredicted(cell, run)) {
        const skipped = await skipPartWithout(ctx, cell, 'node-exec', 'ghost prediction skipped');
        expect(skipped, 'no ghost prediction, and the provider declared no node-exec gap').toBe(true);
      } else if (cell.expectation.meet === 'fails' && packetsUnseen(cell, run)) {
        const skipped = await skipPartWithout(ctx, cell, 'capture', 'packet assertions skipped');
        expect(skipped, `no captures (${obs.captureSkipped}), and the provider declared no capture gap`).toBe(true);
      }
    });
  }
});
