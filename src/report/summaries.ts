// One line per cell on what it expected and what it saw, in each family's own terms (its words,
// scenarios/<family>/words.ts), for the writers that have only a line (junit failure bodies and
// system-out, compatibility.md's evidence list, the CLI's list of failed cells). The html drill-down shows the same facts as tables.
import { familyModule } from '../../scenarios/registry.ts';
import type { CellResult } from '../model/results.ts';
import type { Code } from '../suite/family.ts';
import { firstLine, oneLine } from '../util/text.ts';
import { answerOf, needsAnswer } from './fixes.ts';
import { wordLabelOf } from './words.ts';

const plain: Code = (text) => text;

export function expectedText(cell: CellResult): string {
  const { summary, source } = cell.expectation;
  const facts = familyModule(cell.family).words.expectedFacts(cell.expectation);
  return `${facts} (${oneLine(summary)}; source: ${oneLine(source)})`;
}

export function observedText(cell: CellResult): string {
  if (!cell.observation) {
    return 'nothing recorded (the cell stopped before its probes ran)';
  }
  return familyModule(cell.family).words.observed(cell.observation);
}

/**
 * One line on what the probes saw, or '' when there is nothing worth a line. `code` formats
 * addresses (a code span in markdown, plain text in junit).
 */
export function evidenceSummary(cell: CellResult, code: Code = plain): string {
  return cell.observation ? familyModule(cell.family).words.evidence(cell.observation, code) : '';
}

/** The fix a cell needs, in one line (settings that are lines of redis.conf joined by `; `). */
export function fixLine(cell: CellResult): string | undefined {
  const fix = needsAnswer(cell) ? answerOf(cell) : undefined;
  return fix
    ?.trim()
    .split(/\s*\n\s*/)
    .join('; ');
}

/**
 * The cell's story in one line, for a CI log or test tab: what a user gets, what the probes saw,
 * and the fix where one is needed — `works-with-announce: ghost 10.42.0.1:6379@16379 … — fix: …`.
 */
export function storyLine(cell: CellResult): string {
  const word = wordLabelOf(cell);
  const why = firstLine(cell.verdict.reason) || firstLine(cell.skipReason);
  if (word === undefined) {
    return cell.verdict.status === 'skip' ? `skipped: ${why || 'no reason given'}` : `nothing observed: ${why}`;
  }
  const seen = evidenceSummary(cell) || observedText(cell);
  const fix = fixLine(cell);
  return `${word}: ${oneLine(seen)}${fix ? ` — fix: ${fix}` : ''}`;
}
