// One line per cell on what it expected and what it saw, in each family's own terms (its words,
// scenarios/<family>/words.ts), for the writers that have only a line (junit failure bodies,
// compatibility.md's evidence list). The html drill-down shows the same facts as tables.
import { familyModule } from '../../scenarios/registry.ts';
import type { CellResult } from '../model/results.ts';
import type { Code } from '../suite/family.ts';
import { oneLine } from '../util/text.ts';

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
