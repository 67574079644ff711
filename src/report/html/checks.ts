// "Expected and observed" in a cell's drill-down: the checks its test made, as its family's judge
// named them (scenarios/<family>/judge.ts), the failed ones marked. The verdict is judged there
// once; this only shows the list. A cell without checks (stopped before it was judged, or results
// from an rcnc that did not record them) shows its expectation and observation in words instead.
import { familyModule } from '../../../scenarios/registry.ts';
import type { CellResult, Check } from '../../model/results.ts';
import { esc, escClean, scrollBox } from './markup.ts';

/** The row class of a check that failed. */
export const FAILED = 'failed';

export function checksSection(cell: CellResult): string[] {
  const { summary, source } = cell.expectation;
  const rows: (Check | Omit<Check, 'ok'>)[] = cell.checks ?? [inWords(cell)];
  return [
    '<h4>Expected and observed</h4>',
    ...scrollBox([
      '<table class="expect"><thead><tr><th></th><th scope="col">expected</th><th scope="col">observed</th></tr></thead><tbody>',
      ...rows.map(
        (row) =>
          `<tr${'ok' in row && !row.ok ? ` class="${FAILED}"` : ''}><th scope="row">${esc(row.name)}</th>` +
          `<td>${escClean(row.expected)}</td><td>${escClean(row.observed)}</td></tr>`,
      ),
      '</tbody></table>',
    ]),
    ...(cell.checks
      ? []
      : [
          '<p class="meta">No checks recorded: the cell stopped before it was judged, or its results come from an rcnc that did not record them.</p>',
        ]),
    `<p>${escClean(summary)}<br><span class="meta">Source: ${escClean(source)}</span></p>`,
  ];
}

/** The expectation and the observation in the family's words, unjudged. */
function inWords(cell: CellResult): Omit<Check, 'ok'> {
  const words = familyModule(cell.family).words;
  return {
    name: 'outcome',
    expected: words.expectedFacts(cell.expectation),
    observed: cell.observation ? words.observed(cell.observation) : 'nothing recorded',
  };
}
