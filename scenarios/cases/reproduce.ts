// What `rcnc reproduce <case>` runs and tells: one published failure on its lab, the record
// before the fix, the fix, and the record after it; `rcnc reproduce --list` names every case with
// its thread.
import type { Cell } from '../../src/model/cell.ts';
import type { FamilyReproduction } from '../../src/suite/family.ts';
import { UsageError } from '../../src/util/errors.ts';
import { caseCells, caseNames, type CaseOptions } from './cells.ts';
import type { CasePhase } from './types.ts';

const told = (p: CasePhase | undefined) =>
  p
    ? `${p.state}${p.recorded ? `, recorded at ${p.recorded} (${p.recordedAs}: ${p.owner})` : ''}\n     ${p.evidence}`
    : 'not reached';

export const casesReproduction: FamilyReproduction<'cases'> = {
  cell: () => {
    throw new UsageError(`name a case: rcnc reproduce ${caseNames()[0]} (rcnc reproduce --list shows them all)`);
  },
  named: () =>
    caseCells('netns').map((cell) => ({
      name: cell.options.name,
      cell,
      line: `${cell.expectation.thread}: ${cell.title}`,
    })),
  run: async (provider, cell, scenario) => {
    // Loaded when a case runs: the reports that look the family up need none of it.
    const [{ runCase }, { judgeCase }] = await Promise.all([import('./run.ts'), import('./judge.ts')]);
    const c = cell as Cell<'cases', CaseOptions>;
    const { record } = await runCase(provider, c, scenario);
    const o = record.observation!;
    record.checks = judgeCase(c, o);
    const e = c.expectation;
    const story = [
      `${c.options.name}: ${c.title} (${e.thread})`,
      `  The thread reported: ${e.reported}`,
      `  Looked at: ${e.subject}`,
      `  1. Before the fix: ${told(o.failure)}`,
      `  2. The fix: ${o.applied.join('; ')}`,
      `  3. After the fix: ${told(o.fixed)}`,
      ...record.checks.map((k) => `  ${k.ok ? 'ok  ' : 'FAIL'} ${k.name}: ${k.observed}`),
    ].join('\n');
    return { record, story, json: record, asExpected: record.checks.every((k) => k.ok) };
  },
};
