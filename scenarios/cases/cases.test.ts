// cases: each published failure reproduced on its datapath with real Redis (and Sentinel), then
// fixed the way its thread (or the sources) says; the judge asserts both (judge.ts). Every case
// builds its own small lab, so the cells run side by side in the pool. Then `rcnc analyze` on what
// the cell collected while it failed: never an all-clear, and the same diagnosis and fix whether
// the files keep rcnc's names, get arbitrary ones in subfolders, or are pasted as ONE transcript.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'vitest';
import { analyzeDir } from '../../src/analyze/analyze.ts';
import { asRenamed, asTranscript, diagnosisOf, type NamedText } from '../../src/analyze/any-name.ts';
import { cellSlug } from '../../src/model/cell.ts';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import { cellsFor, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { caseCells } from './cells.ts';
import { judgeCase } from './judge.ts';
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

      const { collected, renamed, transcript } = await pastedForms(cell.id);
      const original = await analyzeDir(collected);
      expect(original.verdict, `analyze on ${collected}`).not.toBe('clear');
      expect(diagnosisOf(await analyzeDir(renamed)), `analyze on ${renamed}`).toEqual(diagnosisOf(original));
      expect(diagnosisOf(await analyzeDir(transcript)), `analyze on ${transcript}`).toEqual(diagnosisOf(original));
    });
  }
});

/**
 * The files the cell collected while it failed (`failure/`, rcnc collect's layout), and beside them
 * two ways people paste the same output, kept as artifacts: `pasted/renamed/` (arbitrary names in
 * subfolders, each after its command's prompt) and `pasted/session/` (all of it as one transcript).
 */
async function pastedForms(cellId: string) {
  const cellDir = join(config.reportDir, config.runId, 'artifacts', cellSlug(cellId));
  const collected = join(cellDir, 'failure');
  const entries = await readdir(collected, { withFileTypes: true });
  // Text only: a capture's pcap is not something people paste.
  const files: NamedText[] = await Promise.all(
    entries
      .filter((e) => e.isFile() && !e.name.endsWith('.pcap'))
      .map(async (e) => ({ name: e.name, text: await readFile(join(collected, e.name), 'utf8') })),
  );
  const renamed = join(cellDir, 'pasted', 'renamed');
  for (const f of asRenamed(files)) {
    await mkdir(dirname(join(renamed, f.name)), { recursive: true });
    await writeFile(join(renamed, f.name), f.text);
  }
  const transcript = join(cellDir, 'pasted', 'session');
  await mkdir(transcript, { recursive: true });
  await writeFile(join(transcript, 'terminal.log'), asTranscript(files));
  return { collected, renamed, transcript };
}
