// recovery: does the cluster come back from the faults Redis-on-Kubernetes users meet, how long
// does it take, and what did clients see? Measured figures go to results.json; the assertions are
// about recovery itself, never about speed (judge.ts).
import { describe, test } from 'vitest';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import { cellsFor, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { recoveryCells } from './cells.ts';
import { judgeRecovery } from './judge.ts';
import { runRecovery } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(recoveryCells, config);

describe.skipIf(cells.length === 0)('recovery', () => {
  for (const cell of cells) {
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runRecovery);
      const rec = run.recovery;
      run.record.checks = judgeRecovery(cell, run);
      const story = `${rec.action}: ${rec.duringFault ?? ''} ${rec.notes.join('; ')}`;
      expect(failedChecks(run.record.checks), failedChecksText(run.record.checks, story)).toEqual([]);
    });
  }
});
