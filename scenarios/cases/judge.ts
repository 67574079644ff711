// The cases judge: the failure the thread reported shows (the state, and whose address the record
// holds), the fix was applied, and afterwards the record is the subject's own and the state healthy.
import type { Cell } from '../../src/model/cell.ts';
import type { Check } from '../../src/model/results.ts';
import type { CaseOptions } from './cells.ts';
import type { CaseObservation, CasePhase, CaseSymptom } from './types.ts';

/** Whether a phase shows what the expectation says: the state, and whose address the record holds. */
export const shows = (phase: CasePhase | undefined, want: CaseSymptom): boolean =>
  !!phase && phase.state === want.state && (want.recordedAs === undefined || phase.recordedAs === want.recordedAs);

const said = (s: CaseSymptom) => (s.recordedAs ? `${s.state}, recorded at a ${s.recordedAs} address` : s.state);
const seen = (p: CasePhase | undefined) =>
  p
    ? p.recordedAs
      ? `${p.state}, recorded at ${p.recorded ?? '?'} (${p.recordedAs}: ${p.owner ?? '?'})`
      : p.state
    : 'not reached';

export function judgeCase(cell: Pick<Cell<'cases', CaseOptions>, 'expectation'>, o: CaseObservation): Check[] {
  const e = cell.expectation;
  return [
    {
      name: 'failure reproduced',
      expected: `${e.subject}: ${said(e.failure)} (${e.thread})`,
      observed: seen(o.failure),
      ok: shows(o.failure, e.failure),
    },
    {
      name: 'fix applied',
      expected: e.fix,
      observed: o.applied.length ? o.applied.join('; ') : 'nothing applied',
      ok: o.applied.length > 0,
    },
    {
      name: 'fix works',
      expected: `${e.subject}: ${said(e.fixed)}`,
      observed: seen(o.fixed),
      ok: shows(o.fixed, e.fixed),
    },
  ];
}
