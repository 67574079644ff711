// sentinel: where Sentinel records replicas and sentinels over each exposure, whether it can fail
// over, what clients at three vantage points get from it, and what a failover and a rolling update
// under load cost. Every check (judge.ts) reads a real Redis or Sentinel reply, a log line or
// packets; the report shows the same list.
import { describe, test } from 'vitest';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import { cellsFor, providerGap, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { sentinelCells } from './cells.ts';
import { judgeSentinel, packetsUnseen, sentinelSeen } from './judge.ts';
import { runSentinel } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(sentinelCells, config);

describe.skipIf(cells.length === 0)('sentinel', () => {
  for (const cell of cells) {
    // Cells run side by side, each in its own lab; `expect` comes from the test's own context.
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runSentinel);
      const obs = run.record.observation!;
      const story = [...obs.notes, ...obs.events].join('\n');
      run.record.checks = judgeSentinel(cell, await sentinelSeen(cell, run));
      expect(failedChecks(run.record.checks), failedChecksText(run.record.checks, story)).toEqual([]);
      if (packetsUnseen(cell, run)) {
        const gap = await providerGap(cell, 'capture', config);
        expect(gap, `no captures (${obs.captureSkipped}), and the provider declared no capture gap`).toBeDefined();
        await ctx.annotate(`packet assertions skipped: ${obs.captureSkipped}`);
      }
    });
  }
});
