// The GitHub job summary of a run ($GITHUB_STEP_SUMMARY): compatibility.md's tables, reordered for a
// reader who opened a red job — the verdicts, the failed cells with their reasons, the matrices
// (and the lab against real Kubernetes where both ran), the skips grouped by reason, then how to
// make each cell work — with no links (compatibility.md
// links each cell to index.html#cell-…, which is not beside a step summary: every such link would be
// dead there) and bounded in size: GitHub refuses a summary over 1 MiB, and a long one buries the
// failures. What does not fit is counted and named, and the last line says where the full report is.
import type { CellResult, ResultsFile } from '../model/results.ts';
import { compareStrings, firstLine, truncate } from '../util/text.ts';
import { fidelityPairs } from './fidelity.ts';
import { plural } from './format.ts';
import {
  codeSpan,
  escapeInline,
  evidenceSection,
  familyAnswersSection,
  familyMatrixSection,
  fidelitySection,
  glance,
  header,
  STATUS_MARK,
  TONE_MARK,
  type Link,
} from './markdown.ts';
import { byFamily, toneOfCell, wordLabelOf } from './words.ts';

/** Well under GitHub's 1 MiB per step, so several runs in one job each fit. */
export const STEP_SUMMARY_MAX_BYTES = 128 * 1024;
const MAX_REASON = 200;
/** Cell ids named per skip reason; the rest are counted. */
const IDS_PER_REASON = 3;
/** Kept for the line that says what was left out (at most a quarter of this many characters). */
const NOTE_BYTES = 2048;

/** A part of the summary: whole, or (a list) as many of its items as fit. */
interface Block {
  title: string;
  lines: string[];
  /** List items after `lines`; when they do not all fit, the first ones and a count of the rest. */
  items?: string[];
}

export interface StepSummaryOptions {
  /** Where the full report is on the machine that ran (for the closing line). */
  reportDir: string;
  maxBytes?: number;
}

const plain: Link = (_cell, text) => text;

export function stepSummaryMarkdown(results: ResultsFile, options: StepSummaryOptions): string {
  const families = byFamily(results.cells).map(([family, cells]) => [family, sortById(cells)] as const);
  const blocks: Block[] = [
    failedBlock(results.cells),
    { title: 'the overview', lines: families.length ? glance(results) : ['', '_No cells ran._'] },
    { title: 'the lab against real Kubernetes', lines: fidelitySection(fidelityPairs(results.cells), plain) },
    ...families.map(([family, cells]) => ({
      title: `the ${family} matrix`,
      lines: ['', ...familyMatrixSection(family, cells, plain)],
    })),
    skippedBlock(results.cells),
    ...families.map(([family, cells]) => ({
      title: `how to make ${family} work`,
      lines: ['', `## ${family}: how to make it work`, '', ...familyAnswersSection(cells, plain).slice(2)],
    })),
    ...families.map(([family, cells]) => ({
      title: `the ${family} evidence`,
      lines: evidenceSection(cells, plain).map((line) =>
        line.startsWith('<details>') ? line.replace('<summary>', `<summary>${family}: `) : line,
      ),
    })),
  ].filter((block) => block.lines.length > 0 || block.items?.length);
  const closing = `The full report — compatibility.md, index.html with every cell's evidence, junit.xml, results.json — is in ${codeSpan(options.reportDir)} on the machine that ran; keep it as the job's artifact.`;
  return fit(header(results), blocks, closing, options.maxBytes ?? STEP_SUMMARY_MAX_BYTES);
}

/** The header always; then each block whole, or a list's first items, while the budget lasts. */
function fit(head: string[], blocks: Block[], closing: string, maxBytes: number): string {
  // Each line costs its bytes and a newline; room is kept for the closing lines and the note.
  const cost = (lines: string[]) => lines.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8') + 1, 0);
  let budget = maxBytes - cost(['', closing]) - NOTE_BYTES;
  const out: string[] = [];
  const take = (lines: string[]): boolean => {
    const bytes = cost(lines);
    if (bytes > budget) {
      return false;
    }
    out.push(...lines);
    budget -= bytes;
    return true;
  };
  take(head);
  const left: string[] = [];
  for (const block of blocks) {
    const items = block.items ?? [];
    if (take([...block.lines, ...items])) {
      continue;
    }
    // A list keeps its first items and says how many more there are, when its heading and one fit.
    const more = (n: number) => `- … and ${n} more`;
    let shown = 0;
    if (items.length > 0 && cost([...block.lines, items[0]!, more(items.length)]) <= budget) {
      take(block.lines);
      budget -= cost([more(items.length)]);
      while (shown < items.length && take([items[shown]!])) {
        shown += 1;
      }
      out.push(more(items.length - shown));
    }
    left.push(shown > 0 ? `part of ${block.title}` : block.title);
  }
  const note = left.length
    ? [
        truncate(
          `_Left out to keep this summary under ${Math.round(maxBytes / 1024)} KiB: ${left.join(', ')}._`,
          NOTE_BYTES / 4,
        ),
        '',
      ]
    : [];
  return [...out, '', ...note, closing].join('\n') + '\n';
}

function failedBlock(cells: readonly CellResult[]): Block {
  const failed = cells.filter((cell) => cell.verdict.status === 'fail');
  if (failed.length === 0) {
    return { title: 'the failed cells', lines: [] };
  }
  return {
    title: 'the failed cells',
    lines: ['', `## ${STATUS_MARK.fail} Failed: ${plural(failed.length, 'cell')}`, ''],
    items: sortById(failed).map((cell) => {
      const word = wordLabelOf(cell);
      const what = word === undefined ? '' : ` ${TONE_MARK[toneOfCell(cell) ?? 'none']} ${word}`;
      const why = firstLine(cell.verdict.reason) || 'unexpected result';
      return `- ${codeSpan(cell.id)}${what}: ${escapeInline(truncate(why, MAX_REASON))}`;
    }),
  };
}

/** Skips grouped by reason, commonest first: a provider that cannot run here skips many cells alike. */
function skippedBlock(cells: readonly CellResult[]): Block {
  const byReason = new Map<string, CellResult[]>();
  for (const cell of sortById(cells.filter((c) => c.verdict.status === 'skip'))) {
    const reason = firstLine(cell.verdict.reason) || firstLine(cell.skipReason) || 'no reason recorded';
    byReason.set(reason, [...(byReason.get(reason) ?? []), cell]);
  }
  if (byReason.size === 0) {
    return { title: 'the skipped cells', lines: [] };
  }
  const total = [...byReason.values()].reduce((sum, group) => sum + group.length, 0);
  const groups = [...byReason.entries()].sort(([a, x], [b, y]) => y.length - x.length || compareStrings(a, b));
  return {
    title: 'the skipped cells',
    lines: ['', `## ${STATUS_MARK.skip} Skipped: ${plural(total, 'cell')}`, ''],
    items: groups.map(([reason, group]) => {
      const named = group.slice(0, IDS_PER_REASON).map((cell) => codeSpan(cell.id));
      const more = group.length > IDS_PER_REASON ? `, and ${group.length - IDS_PER_REASON} more` : '';
      return `- ${escapeInline(truncate(reason, MAX_REASON))} (${plural(group.length, 'cell')}: ${named.join(', ')}${more})`;
    }),
  };
}

const sortById = (cells: readonly CellResult[]): CellResult[] => [...cells].sort((a, b) => compareStrings(a.id, b.id));
