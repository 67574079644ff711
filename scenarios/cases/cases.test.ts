// cases: each published failure reproduced on its datapath with real Redis (and Sentinel), then
// fixed the way its thread (or the sources) says; the judge asserts both (judge.ts). Every case
// builds its own small lab, so the cells run side by side in the pool. Then `rcnc analyze` on what
// the cell collected while it failed: never an all-clear, and the same diagnosis and fix whether
// the files keep rcnc's names, get arbitrary ones in subfolders, or are pasted as ONE transcript.
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { analyzeDir } from '../../src/analyze/analyze.ts';
import { diagnosisOf } from '../../src/analyze/any-name.ts';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import { cellsFor, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { caseCells } from './cells.ts';
import { judgeCase } from './judge.ts';
import { pastedForms } from './pasted.ts';
import { runCase } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(caseCells, config);

describe.skipIf(cells.length === 0)('cases', () => {
  for (const cell of cells) {
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runCase);
      const o = run.record.observation!;
      run.record.checks = judgeCase(cell, o);
      const story = [
        o.failure.evidence,
        o.applied.join('; '),
        o.fixed?.evidence ?? 'no reading after the fix',
        ...o.notes,
      ].join(' | ');
      expect(failedChecks(run.record.checks), failedChecksText(run.record.checks, story)).toEqual([]);

      const { collected, renamed, transcript } = await pastedForms(join(config.reportDir, config.runId), cell.id);
      const original = await analyzeDir(collected);
      expect(original.verdict, `analyze on ${collected}`).not.toBe('clear');
      expect(diagnosisOf(await analyzeDir(renamed)), `analyze on ${renamed}`).toEqual(diagnosisOf(original));
      expect(diagnosisOf(await analyzeDir(transcript)), `analyze on ${transcript}`).toEqual(diagnosisOf(original));
    });
  }
});
