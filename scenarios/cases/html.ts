// The cases part of a cell's drill-down in index.html: the thread and what it reported, the record
// before the fix, the fix as applied, and the record after it.
import type { CellRecordOf } from '../../src/model/results.ts';
import { factTable, notesList } from '../../src/util/html.ts';
import type { CasePhase } from './types.ts';

const phaseRows = (label: string, p: CasePhase | undefined, bad: boolean): [string, string, boolean?][] =>
  p
    ? [
        [`${label}: state`, p.state, bad],
        ...(p.recorded
          ? [
              [`${label}: recorded at`, `${p.recorded} (${p.recordedAs ?? '?'}: ${p.owner ?? '?'})`, bad] as [
                string,
                string,
                boolean,
              ],
            ]
          : []),
        [`${label}: evidence`, p.evidence],
      ]
    : [[label, 'not reached', true]];

export function casesSections(cell: CellRecordOf<'cases'>): string[] {
  const o = cell.observation;
  const e = cell.expectation;
  const rows: [string, string, boolean?][] = [
    ['thread', e.thread],
    ['the thread reported', e.reported],
    ['record looked at', e.subject],
  ];
  if (o) {
    rows.push(
      ...phaseRows('before the fix', o.failure, !o.reproduced),
      ['fix applied', o.applied.join('; ') || 'none', o.applied.length === 0],
      ...phaseRows('after the fix', o.fixed, !o.fixWorks),
    );
  }
  return ['<h4>Case</h4>', ...factTable(rows, 'case'), ...(o ? notesList(o.notes) : [])];
}
