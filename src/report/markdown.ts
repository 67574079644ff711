// `compatibility.md`: the matrix a user reads to answer "does my CNI × exposure work, and if not,
// what do I set". One table per scenario family, then the fixes and the evidence behind them.
// Everything is sorted so two runs with the same cells give byte-identical files.
import { compareStrings, compatibilityMatrix, groupBy } from './matrix.ts';
import type { CellResult, ResultsFile } from './results.ts';

/** Table cells stay readable on a laptop screen; the full text is in results.json. */
const MAX_SLOT_TEXT = 120;
/** Evidence lists a few addresses; more than that is noise in a one-line bullet. */
const MAX_ADDRESSES = 3;

export function compatibilityMarkdown(results: ResultsFile): string {
  const lines = header(results);
  const families = groupBy(results.cells, (cell) => cell.dims.scenario);
  if (families.size === 0) {
    lines.push('', '_No cells ran._');
  }
  for (const scenario of [...families.keys()].sort(compareStrings)) {
    lines.push('', ...familySection(scenario, families.get(scenario) ?? []));
  }
  return lines.join('\n') + '\n';
}

function header(results: ResultsFile): string[] {
  const { pass, fail, skip } = results.summary;
  return [
    '# Redis Cluster network compatibility',
    '',
    `Run \`${oneLine(results.runId)}\` · ${formatDate(results.startedAt)} · ${formatDuration(results)}`,
    '',
    `Environment: ${oneLine(environmentText(results))}`,
    '',
    `**${pass} passed, ${fail} failed, ${skip} skipped**`,
    '',
    '`works`: nodes meet as deployed · `works-with-announce`: they meet once the joiner announces its ' +
      'address (see "How to make it work") · `breaks`: no tested configuration lets them meet.',
  ];
}

/** Where the run ran, as the report headers show it: `Node v20…, kernel 6.8…, Redis 7.0…, host …`. */
export function environmentText(results: ResultsFile): string {
  const env = results.environment;
  return [
    `Node ${env.node}`,
    `kernel ${env.kernel}`,
    ...(env.redis ? [`Redis ${env.redis}`] : []),
    `host ${env.hostname}`,
  ].join(', ');
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? oneLine(iso) : date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function formatDuration(results: ResultsFile): string {
  const ms = Date.parse(results.finishedAt) - Date.parse(results.startedAt);
  if (!Number.isFinite(ms) || ms < 0) {
    return 'duration unknown';
  }
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

// ---------------------------------------------------------------------------------------------
// One family: table, fixes, evidence.

function familySection(scenario: string, cells: CellResult[]): string[] {
  const sorted = [...cells].sort((a, b) => compareStrings(a.id, b.id));
  return [
    `## ${oneLine(scenario)}`,
    '',
    ...matrixTable(sorted),
    '',
    '**How to make it work**',
    '',
    ...fixBullets(sorted),
    ...evidenceSection(sorted),
  ];
}

function matrixTable(cells: CellResult[]): string[] {
  const { columns, rows } = compatibilityMatrix(cells);
  const lines = [tableRow(['Profile', ...columns]), tableRow(['---', ...columns.map(() => '---')])];
  for (const row of rows) {
    lines.push(tableRow([row.label, ...row.slots.map((slot) => slotText(slot))]));
  }
  return lines;
}

/** Several cells in one slot are variants (e.g. which node the joiner dials); each keeps its label. */
function slotText(cells: CellResult[]): string {
  if (cells.length === 0) {
    return '—';
  }
  return cells
    .map((cell) => {
      const text = truncate(verdictText(cell), MAX_SLOT_TEXT);
      return escapeCell(cell.dims.variant ? `${cell.dims.variant}: ${text}` : text);
    })
    .join('<br>');
}

export function verdictText(cell: CellResult): string {
  const { status, reason } = cell.verdict;
  if (status === 'skip') {
    return `skipped (${firstLine(reason) || 'no reason given'})`;
  }
  if (status === 'fail') {
    const line = firstLine(reason);
    if (!line) {
      return 'FAIL: unexpected result';
    }
    return /^unexpected\b/i.test(line) ? `FAIL: ${line}` : `FAIL: unexpected result: ${line}`;
  }
  return compatibilityOf(cell) ?? 'pass';
}

function fixBullets(cells: CellResult[]): string[] {
  const needing = cells.filter((cell) => {
    const compatibility = compatibilityOf(cell);
    return compatibility === 'works-with-announce' || compatibility === 'breaks' || fixOf(cell) !== undefined;
  });
  if (needing.length === 0) {
    return ['_Every cell works as deployed; nothing to set._'];
  }
  return needing.flatMap((cell) => fixBullet(cell));
}

function fixBullet(cell: CellResult): string[] {
  const fix = fixOf(cell);
  const label = `- ${codeSpan(cell.id)} (${compatibilityOf(cell) ?? cell.verdict.status})`;
  if (fix === undefined) {
    return [`${label}: no working configuration recorded`];
  }
  const fixLines = fix.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (fixLines.length <= 1) {
    return [`${label}: ${codeSpan(fix.trim())}`];
  }
  // Several settings keep their exact text in a block the user can paste into redis.conf.
  const fence = '`'.repeat(Math.max(3, longestRun(fix, '`') + 1));
  return [`${label}:`, '', `  ${fence}`, ...fixLines.map((line) => `  ${line}`), `  ${fence}`];
}

function evidenceSection(cells: CellResult[]): string[] {
  const bullets = cells.flatMap((cell) => {
    const evidence = evidenceSummary(cell, codeSpan);
    return evidence ? [`- ${codeSpan(cell.id)}: ${evidence}`] : [];
  });
  return bullets.length > 0 ? ['', '**Evidence**', '', ...bullets] : [];
}

/**
 * One line on what the probes saw: the ghost entries (address, class, owner, who recorded them) and
 * the dial-backs that failed. `code` formats addresses (a code span in markdown, plain in junit).
 */
export function evidenceSummary(cell: CellResult, code: (text: string) => string = (text) => text): string {
  const observation = cell.observation;
  if (!observation) {
    return '';
  }
  const parts: string[] = [];
  const ghostsByAddress = groupBy(observation.ghosts, (ghost) => ghost.address);
  if (ghostsByAddress.size > 0) {
    const ghosts = listAddresses(ghostsByAddress, 'seen by', (ghosts) => ghosts.map((ghost) => ghost.seenBy), code);
    const owner = [observation.ghostClass, observation.ghostOwner].filter(Boolean).join(': ');
    parts.push(`ghost ${ghosts}${owner ? ` (${owner})` : ''}`);
  }
  const dialsByAddress = groupBy(observation.failedDialBacks, (dial) => dial.address);
  if (dialsByAddress.size > 0) {
    parts.push(
      `failed dial-back to ${listAddresses(dialsByAddress, 'from', (dials) => dials.map((d) => d.pod), code)}`,
    );
  }
  return parts.join('; ');
}

function listAddresses<T>(
  byAddress: Map<string, T[]>,
  verb: string,
  who: (entries: T[]) => string[],
  code: (text: string) => string,
): string {
  const addresses = [...byAddress.keys()].sort(compareStrings);
  const shown = addresses.slice(0, MAX_ADDRESSES).map((address) => {
    const pods = [...new Set(who(byAddress.get(address) ?? []))].sort(compareStrings);
    return `${code(address)} ${verb} ${oneLine(pods.join(', '))}`;
  });
  const more = addresses.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

function compatibilityOf(cell: CellResult): CellResult['compatibility'] {
  return cell.verdict.compatibility ?? cell.compatibility;
}

function fixOf(cell: CellResult): string | undefined {
  return cell.fix ?? cell.verdict.fix;
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
  return oneLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

/** An inline code span that survives backticks in the text (CommonMark: use a longer fence). */
function codeSpan(text: string): string {
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

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split(/\r?\n/)[0]?.trim() ?? '';
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
