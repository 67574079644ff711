// `compatibility.md`, written to be read as a GitHub step summary: the environment, one line per
// profile, then per scenario family its question, a legend, the matrix (each cell links to its
// evidence in index.html), each answer once with the cells it applies to, and the evidence folded.
// Everything is sorted so two runs with the same cells give byte-identical files.
import type { Family } from '../model/dimensions.ts';
import type { CellResult, ResultsFile, Verdict } from '../model/results.ts';
import type { Tone } from '../model/vocabulary.ts';
import { compareStrings, firstLine, oneLine, truncate } from '../util/text.ts';
import { cellAnchors } from './anchors.ts';
import { fidelityPairs, fidelitySummary, type FidelityPair } from './fidelity.ts';
import { answerGroups, type AnswerGroup } from './fixes.ts';
import { environmentFacts, formatDate, plural, runDuration } from './format.ts';
import { compatibilityMatrix } from './matrix.ts';
import { profileLines, type ProfileLine } from './overview.ts';
import { evidenceSummary } from './summaries.ts';
import { byFamily, legendOf, questionOf, STATUS_LABEL, STATUS_MEANING, toneOfCell, wordLabelOf } from './words.ts';

/** Table cells stay readable on a laptop screen; the full text is in index.html. */
const MAX_REASON_TEXT = 100;
/** Where each cell's anchor points: index.html next to this file. */
const HTML_PAGE = 'index.html';

export const TONE_MARK: Record<Tone | 'none', string> = {
  good: '🟢',
  'needs-setting': '🟡',
  bad: '🔴',
  none: '⚪',
};
export const STATUS_MARK: Record<Verdict['status'], string> = { pass: '✅', fail: '❌', skip: '⏭️' };

export type Link = (cell: CellResult, text: string) => string;

export function compatibilityMarkdown(results: ResultsFile): string {
  const anchors = cellAnchors(results.cells);
  const link: Link = (cell, text) => `[${text}](${HTML_PAGE}#${anchors.get(cell) ?? ''})`;
  const families = byFamily(results.cells);
  const lines = [
    ...header(results),
    ...(families.length === 0 ? ['', '_No cells ran._'] : glance(results)),
    ...fidelitySection(fidelityPairs(results.cells), link),
  ];
  for (const [family, cells] of families) {
    lines.push('', ...familySection(family, cells, link));
  }
  return lines.join('\n') + '\n';
}

/**
 * Cells that ran on the lab and on a real cluster, compared (src/report/fidelity.ts):
 * disagreements first, each with both values.
 */
export function fidelitySection(pairs: FidelityPair[], link: Link): string[] {
  if (pairs.length === 0) {
    return [];
  }
  const rows = pairs.map((p) => {
    const agreement = p.notCompared
      ? `not compared: ${p.notCompared}`
      : p.differences.length === 0
        ? 'agree'
        : `**differ**: ${p.differences.map((d) => `${d.subject} ${codeSpan(d.lab)} vs ${codeSpan(d.real)}`).join('; ')}`;
    return tableRow([
      escapeCell(p.id),
      link(p.lab, `${STATUS_MARK[p.lab.verdict.status]} ${wordLabelOf(p.lab) ?? '—'}`),
      link(p.other, `${STATUS_MARK[p.other.verdict.status]} ${wordLabelOf(p.other) ?? '—'}`),
      escapeCell(agreement),
    ]);
  });
  return [
    '',
    '## The lab against real Kubernetes',
    '',
    `${fidelitySummary(pairs)!
      .split('\n')[0]!
      .replace(
        /^lab against real Kubernetes: /,
        '',
      )}. Compared: the verdict, the word, and the facts each family names (ghost class and owner; rewrite, owner and source address).`,
    '',
    tableRow(['cell', 'netns lab', pairs[0]!.real, 'agreement']),
    tableRow(['---', '---', '---', '---']),
    ...rows,
  ];
}

/** The title, the run, the environment and the verdicts, with notes on shared timings and nothing run. */
export function header(results: ResultsFile): string[] {
  const { pass, fail, skip } = results.summary;
  const environment = environmentFacts(results).map(([name, value]) => `${name} ${codeSpan(value)}`);
  return [
    '# Redis Cluster network compatibility',
    '',
    `Run ${codeSpan(results.runId)} · ${formatDate(results.startedAt)} · ${runDuration(results)}` +
      (results.shard
        ? ` · shard ${results.shard.index} of ${results.shard.count} (\`--shard\`): only its part of the cells`
        : ''),
    '',
    `**Environment:** ${environment.join(' · ')}`,
    '',
    `**Verdicts: ${pass} passed, ${fail} failed, ${skip} skipped.** ` +
      `${STATUS_MARK.pass} pass: ${STATUS_MEANING.pass}; ${STATUS_MARK.fail} FAIL: did not; ` +
      `${STATUS_MARK.skip} skipped: could not run here. What a user gets is the word in each table.`,
    ...sharedTimings(results),
    ...nothingRanNote(results),
  ];
}

/** A run in which every cell was skipped: nothing was tested, whatever the tables below would suggest. */
export const nothingRan = (summary: ResultsFile['summary']): boolean =>
  summary.skip > 0 && summary.pass + summary.fail === 0;

/** The commonest reason cells were skipped for, and how many other reasons there were. */
export function skipReasons(cells: readonly CellResult[]): { reason: string; others: number } {
  const counts = new Map<string, number>();
  for (const cell of cells.filter((c) => c.verdict.status === 'skip')) {
    const reason = firstLine(cell.verdict.reason) || firstLine(cell.skipReason) || 'no reason recorded';
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  const [top] = [...counts.entries()].sort(([a, n], [b, m]) => m - n || compareStrings(a, b));
  return { reason: top?.[0] ?? 'no reason recorded', others: Math.max(0, counts.size - 1) };
}

/** `all 12 cells were skipped: <reason> (and 2 other reasons)`, in the report and on the CLI alike. */
export function nothingRanText(results: ResultsFile): string {
  const { reason, others } = skipReasons(results.cells);
  const more = others > 0 ? ` (and ${plural(others, 'other reason')})` : '';
  const { skip } = results.summary;
  const which = skip === 1 ? 'the one cell was skipped' : `all ${skip} cells were skipped`;
  return `${which}: ${reason.replace(/\.$/, '')}${more}`;
}

function nothingRanNote(results: ResultsFile): string[] {
  if (!nothingRan(results.summary)) {
    return [];
  }
  return [
    '',
    `**Nothing ran:** ${escapeInline(nothingRanText(results))}. This run tested nothing; the tables below ` +
      'show what would have run and why it could not.',
  ];
}

/** Says when timing cells ran beside others, so their failover windows are not read as measured alone. */
function sharedTimings(results: ResultsFile): string[] {
  const shared = results.cells.filter((c) => c.sharedCores).length;
  return shared
    ? [
        '',
        `**Timings:** ${shared} cell(s) that measure failover windows and lost writes ran beside other cells ` +
          '(`--timing-cells shared`, the full matrix default): read their timings as measured on a busy machine.',
      ]
    : [];
}

// ---------------------------------------------------------------------------------------------
// At a glance: one line per profile.

export function glance(results: ResultsFile): string[] {
  return ['', '## At a glance', '', ...glanceTable(results)];
}

/** One line per profile: where its results come from, the words per family, the verdicts. */
export function glanceTable(results: ResultsFile): string[] {
  const lines = profileLines(results.cells);
  const families = byFamily(results.cells).map(([family]) => family);
  return [
    tableRow(['Profile', 'Results from', ...families, 'Verdicts']),
    tableRow(['---', '---', ...families.map(() => '---'), '---']),
    ...lines.map((line) => tableRow(glanceCells(line, families))),
  ];
}

function glanceCells(line: ProfileLine, families: Family[]): string[] {
  const words = families.map((family) => {
    const entry = line.families.find((candidate) => candidate.family === family);
    if (!entry) {
      return '—';
    }
    const counts = entry.words.map(({ word, tone, count }) => `${TONE_MARK[tone]} ${count} ${word}`);
    const unobserved = entry.unobserved > 0 ? [`${TONE_MARK.none} ${entry.unobserved} not observed`] : [];
    return escapeCell([...counts, ...unobserved].join(' · '));
  });
  const verdicts = (['pass', 'fail', 'skip'] as const)
    .filter((status) => line.verdicts[status] > 0)
    .map((status) => `${STATUS_MARK[status]} ${line.verdicts[status]} ${STATUS_LABEL[status]}`);
  return [escapeCell(line.label), escapeCell(line.provenance.label), ...words, verdicts.join(' · ')];
}

// ---------------------------------------------------------------------------------------------
// One family: question, legend, table, answers, evidence.

function familySection(family: Family, unsorted: CellResult[], link: Link): string[] {
  const cells = [...unsorted].sort((a, b) => compareStrings(a.id, b.id));
  return [
    ...familyMatrixSection(family, cells, link),
    '',
    ...familyAnswersSection(cells, link),
    ...evidenceSection(cells, link),
  ];
}

/** A family's heading, question, legend and matrix. */
export function familyMatrixSection(family: Family, cells: CellResult[], link: Link): string[] {
  return [`## ${family}`, '', `_${questionOf(family)}_`, '', legend(family), '', ...matrixTable(cells, link)];
}

/** What makes a family's cells work: each answer once, with the cells it applies to. */
export function familyAnswersSection(cells: CellResult[], link: Link): string[] {
  return [
    '### How to make it work',
    '',
    ...(cells.every((cell) => cell.verdict.status === 'skip')
      ? ['_No cell of this family ran here (every one was skipped), so there is nothing to set._']
      : answerLines(answerGroups(cells), link)),
  ];
}

function legend(family: Family): string {
  const words = legendOf(family).map(({ word, tone, meaning }) => `${TONE_MARK[tone]} \`${word}\`: ${meaning}`);
  return words.join(' · ');
}

/** A family's matrix: profiles × exposure/announce, each cell's word and verdict (linked by `link`). */
export function matrixTable(cells: CellResult[], link: Link): string[] {
  const { columns, rows } = compatibilityMatrix(cells);
  const lines = [tableRow(['Profile', ...columns]), tableRow(['---', ...columns.map(() => '---')])];
  for (const row of rows) {
    const label = `${escapeCell(row.label)}<br><sub>${escapeCell(row.provenance.label)}</sub>`;
    lines.push(tableRow([label, ...row.slots.map((slot) => slotText(slot, link))]));
  }
  return lines;
}

/** Several cells in one slot are variants (e.g. which node the joiner dials); each keeps its label. */
function slotText(cells: CellResult[], link: Link): string {
  if (cells.length === 0) {
    return '—';
  }
  return cells
    .map((cell) => {
      const variant = cell.dims.variant ? `${escapeCell(cell.dims.variant)}: ` : '';
      return variant + cellText(cell, link);
    })
    .join('<br>');
}

/** The word (with its tone) and the verdict, apart: `🔴 breaks ✅`, `🔴 breaks ❌ FAIL: reason`. */
export function cellText(cell: CellResult, link: Link): string {
  const word = wordLabelOf(cell);
  const { status, reason } = cell.verdict;
  const shown = word === undefined ? STATUS_LABEL[status] : `${TONE_MARK[toneOfCell(cell) ?? 'none']} ${word}`;
  const linked = link(cell, escapeCell(shown));
  if (status === 'pass') {
    return `${linked} ${STATUS_MARK.pass}`;
  }
  const why = firstLine(reason) || firstLine(cell.skipReason);
  const text = why ? ` (${escapeCell(truncate(why, MAX_REASON_TEXT))})` : '';
  return word === undefined && status === 'skip'
    ? `${STATUS_MARK.skip} ${linked}${text}`
    : `${linked} ${STATUS_MARK[status]} ${STATUS_LABEL[status]}${text}`;
}

function answerLines(groups: AnswerGroup[], link: Link): string[] {
  if (groups.length === 0) {
    return ['_Every cell works as deployed; nothing to set._'];
  }
  return groups.flatMap((group) => [
    ...answerHead(group),
    ...group.cells.map(({ cell, detail }) => answerCell(cell, detail, link)),
  ]);
}

function answerHead(group: AnswerGroup): string[] {
  const count = plural(group.cells.length, 'cell');
  if (group.text === undefined) {
    return [`- _No known answer recorded_ (${count}):`];
  }
  const lines = group.text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length <= 1) {
    return [`- ${escapeInline(group.text)} (${count}):`];
  }
  // Several settings keep their exact text in a block the user can paste into redis.conf.
  const fence = '`'.repeat(Math.max(3, longestRun(group.text, '`') + 1));
  return [`- Set (${count}):`, '', `  ${fence}`, ...lines.map((line) => `  ${line}`), `  ${fence}`, ''];
}

function answerCell(cell: CellResult, detail: string | undefined, link: Link): string {
  const word = wordLabelOf(cell);
  const what = word === undefined ? '' : ` ${TONE_MARK[toneOfCell(cell) ?? 'none']} ${word}`;
  return `  - ${link(cell, codeSpan(cell.id))}${what}${detail ? `: ${escapeInline(detail)}` : ''}`;
}

/** Each cell's evidence in a line, folded (GitHub renders <details>). */
export function evidenceSection(cells: CellResult[], link: Link): string[] {
  const bullets = cells.flatMap((cell) => {
    const evidence = evidenceSummary(cell, codeSpan);
    return evidence ? [`- ${link(cell, codeSpan(cell.id))}: ${evidence}`] : [];
  });
  if (bullets.length === 0) {
    return [];
  }
  // GitHub renders <details> in a step summary; the blank lines let the list inside render as markdown.
  return [
    '',
    `<details><summary>Evidence (${plural(bullets.length, 'cell')})</summary>`,
    '',
    ...bullets,
    '',
    '</details>',
  ];
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

function tableRow(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * Table cells hold our own `<br>`, so text is HTML-escaped (a reason like `<node IP>` would
 * otherwise vanish as an unknown tag) and `|` is escaped so it cannot split the cell.
 */
export function escapeCell(text: string): string {
  return escapeInline(text).replace(/\|/g, '\\|');
}

/** Text outside code spans: `<node IP>` stays visible instead of becoming an unknown tag. */
export function escapeInline(text: string): string {
  return oneLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An inline code span that survives backticks in the text (CommonMark: use a longer fence). */
export function codeSpan(text: string): string {
  const line = oneLine(text);
  const fence = '`'.repeat(longestRun(line, '`') + 1);
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}
