// How a run (or a merge of shards) ends: the failed and skipped cells with their reasons, the last
// line with the counts and where the report is, and the exit code.
import type { CellResult, ResultsFile } from '../model/results.ts';
import { nothingRan, nothingRanText } from '../report/markdown.ts';
import { NOT_STARTED } from '../suite/harness.ts';
import { compareStrings, firstLine } from '../util/text.ts';

/**
 * The end of a run (or a merge): the cells that failed or were skipped, each with its reason, then
 * the last line; the exit code. With --json stdout holds the results alone, so this goes to stderr.
 */
export function finish(results: ResultsFile, selected: number, report: string, json: boolean): number {
  const { line, exitCode } = runOutcome(results, selected, report);
  const problems = problemLines(results);
  // Nothing ran is an error (exit 2), said on stderr so --json keeps stdout to the results.
  const out = json || exitCode === 2 ? console.error : console.log;
  out(['', ...problems, ...(problems.length ? [''] : []), line].join('\n'));
  return exitCode;
}

/** Most failed cells and skip reasons listed at the end of a run; the report has them all. */
const MAX_LISTED = 20;
/** Ids named per skip reason. */
const IDS_PER_REASON = 3;

/**
 * The failed cells, one line each with the first line of its reason, and the skipped ones grouped
 * by reason (a provider that cannot run here skips many alike). Cells --fail-fast did not start are
 * one line: they were skipped on purpose.
 */
export function problemLines(results: ResultsFile): string[] {
  const failed = results.cells.filter((c) => c.verdict.status === 'fail');
  const skipped = results.cells.filter((c) => c.verdict.status === 'skip');
  const reasonOf = (c: CellResult) => firstLine(c.verdict.reason) || firstLine(c.skipReason) || 'no reason recorded';
  const unstarted = skipped.filter((c) => reasonOf(c) === NOT_STARTED).length;
  const byReason = new Map<string, string[]>();
  for (const cell of skipped.filter((c) => reasonOf(c) !== NOT_STARTED)) {
    byReason.set(reasonOf(cell), [...(byReason.get(reasonOf(cell)) ?? []), cell.id]);
  }
  const width = Math.max(0, ...failed.slice(0, MAX_LISTED).map((c) => c.id.length));
  const more = (total: number) =>
    total > MAX_LISTED ? [`  … and ${total - MAX_LISTED} more (compatibility.md lists them all)`] : [];
  const skips = [...byReason.entries()].sort(([a, x], [b, y]) => y.length - x.length || compareStrings(a, b));
  return [
    ...(failed.length ? [`Failed (${failed.length}):`] : []),
    ...failed
      .slice(0, MAX_LISTED)
      .flatMap((c) => [
        `  ✗ ${c.id.padEnd(width)}  ${reasonOf(c)}`,
        ...(c.collected ? [`    collected: ${c.collected.bundle ?? c.collected.note}`] : []),
      ]),
    ...more(failed.length),
    ...(skips.length ? [`Skipped (${skipped.length - unstarted}):`] : []),
    ...skips.slice(0, MAX_LISTED).map(([reason, ids]) => {
      const named = ids.slice(0, IDS_PER_REASON).join(', ');
      const rest = ids.length > IDS_PER_REASON ? ` and ${ids.length - IDS_PER_REASON} more` : '';
      return `  - ${reason}: ${named}${rest}`;
    }),
    ...more(skips.length),
    ...(unstarted ? [`Not started after the first failure (--fail-fast): ${unstarted}`] : []),
  ];
}

/**
 * The run's last line and exit code: 1 when a cell failed; 2 when every cell was skipped, since a
 * run that tested nothing must not pass as one in which everything worked; else 0.
 */
export function runOutcome(results: ResultsFile, selected: number, report: string): { line: string; exitCode: number } {
  const s = results.summary;
  const where = `report: ${report} (also index.html, junit.xml, results.json)`;
  if (nothingRan(s)) {
    return { line: `rcnc: nothing ran: ${nothingRanText(results)} — ${where}`, exitCode: 2 };
  }
  // Under --fail-fast, files vitest never started leave their cells out of the results.
  const notRun = selected - results.cells.length;
  return {
    line: `rcnc: ${s.pass} passed, ${s.fail} failed, ${s.skip} skipped${notRun > 0 ? `, ${notRun} not run (--fail-fast)` : ''} — ${where}`,
    exitCode: s.fail > 0 ? 1 : 0,
  };
}
