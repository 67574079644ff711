// The snat part of a drill-down: the path picture (for a rewritten or dropped source), expected
// against observed rewrite, and the facts of the probed connection.
import type { CellRecordOf } from '../../model/results.ts';
import { rewriteText } from '../summaries.ts';
import { comparisonTable, factTable, notesList } from './markup.ts';
import { snatPath } from './paths.ts';

export function snatSections(cell: CellRecordOf<'snat'>, id: string): string[] {
  const { expectation, observation } = cell;
  const comparison = {
    name: 'source',
    expected: rewriteText(expectation.rewrite),
    ...(observation ? { observed: rewriteText(observation.rewrite) } : {}),
    mismatch: observation !== undefined && observation.rewrite !== expectation.rewrite,
  };
  if (!observation) {
    return comparisonTable([comparison], expectation.summary, expectation.source);
  }
  const facts: [string, string][] = [
    ['path', observation.path],
    ['from', `${observation.from} (${observation.source})`],
    ['connects to', observation.target],
    ['the server saw', observation.seen ?? 'nothing: the connection never arrived'],
    ...(observation.owner ? [['whose address', observation.owner] as [string, string]] : []),
    ['evidence', observation.evidence],
  ];
  return [
    ...snatPath(observation, `${id}-path`),
    ...comparisonTable([comparison], expectation.summary, expectation.source),
    '<h4>The probed connection</h4>',
    ...factTable(facts, 'snat'),
    ...notesList(observation.notes),
  ];
}
