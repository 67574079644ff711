// One cell's drill-down, ordered to be read in a minute: what a user gets and whether the cell
// behaved as expected, where the result comes from, what to set, the picture, expected against
// observed, then the evidence (each piece once, long pieces folded), timings and every artifact.
import { familyModule } from '../../../scenarios/registry.ts';
import type { CellResult } from '../../model/results.ts';
import { cleanText } from '../../util/text.ts';
import { answerOf, needsAnswer } from '../fixes.ts';
import { formatMs } from '../format.ts';
import { legendOf, provenanceKind, provenanceOf, provenanceText, toneOfCell, wordOf } from '../words.ts';
import { natAddresses } from './addresses.ts';
import { checksSection } from './checks.ts';
import { chips, statusChip, wordChip } from './chips.ts';
import type { EvidenceFile } from './evidence.ts';
import { artifactsSection, capturesSection, natFilesSection, otherFilesSection } from './files.ts';
import { logsSection } from './logs.ts';
import { esc, escClean } from './markup.ts';
import { redisPorts, socketsSection } from './sockets.ts';
import { viewsSection } from './views.ts';

/** The verdict in a few words; the legend at the top of the page says it in full. */
const VERDICT_SHORT = { pass: 'as expected', fail: 'not as expected', skip: 'could not run here' } as const;

export function cellDetails(cell: CellResult, anchor: string, files: EvidenceFile[]): string[] {
  const tone = toneOfCell(cell) ?? 'none';
  return [
    `<details class="cell t-${tone} s-${cell.verdict.status}" id="${esc(anchor)}" data-cell="${esc(cell.id)}">`,
    summaryLine(cell),
    '<div class="body">',
    ...headerSection(cell),
    ...verdictSection(cell),
    ...answerSection(cell),
    ...familySections(cell, anchor),
    ...evidenceSections(cell, files),
    ...timingsSection(cell),
    ...artifactsSection(cell, files),
    '</div>',
    '</details>',
  ];
}

function summaryLine(cell: CellResult): string {
  const provenance = provenanceOf(cell);
  return (
    `<summary>${chips(cell)} <code>${esc(cell.id)}</code> <span class="title">— ${escClean(cell.title)} · ` +
    `${esc(formatMs(cell.durationMs))} · <span class="prov">${esc(provenanceKind(provenance))}</span></span></summary>`
  );
}

function headerSection(cell: CellResult): string[] {
  const provenance = provenanceOf(cell);
  const { provider, profile, exposure, announce, policy, nodes, variant } = cell.dims;
  const dims = [
    provider,
    profile,
    exposure,
    `announce ${announce}`,
    `policy ${policy}`,
    `${nodes} node${nodes === 1 ? '' : 's'}`,
  ];
  return [
    `<p class="provenance"><span class="tag ${provenance.emulation ? 'emulated' : 'real'}">${esc(provenanceKind(provenance))}</span> ` +
      `${escClean(provenanceText(provenance))}</p>`,
    `<p class="meta">${esc(cell.family)} · ${esc([...dims, ...(variant ? [variant] : [])].join(' · '))}</p>`,
    ...(cell.sharedCores
      ? [`<p class="meta">Timings measured beside other cells: this cell ${escClean(cell.sharedCores)}.</p>`]
      : []),
  ];
}

function verdictSection(cell: CellResult): string[] {
  const { status, reason } = cell.verdict;
  const word = wordOf(cell);
  const meaning = legendOf(cell.family).find((entry) => entry.word === word)?.meaning;
  const got =
    word === undefined
      ? 'not observed (the cell stopped before its probes ran)'
      : `${wordChip(cell)} ${esc(meaning ?? '')}`;
  const lines = [
    `<p class="verdict">${statusChip(status)} ${esc(VERDICT_SHORT[status])} · what a user gets: ${got}</p>`,
  ];
  const why = reason ?? (status === 'skip' ? cell.skipReason : undefined);
  if (why) {
    lines.push(`<pre class="reason">${escClean(why)}</pre>`);
  }
  return lines;
}

function answerSection(cell: CellResult): string[] {
  const answer = answerOf(cell);
  const appliedBy = familyModule(cell.family).report.applied;
  const applied = cell.observation && appliedBy ? appliedBy(cell.observation) : [];
  if (answer === undefined && applied.length === 0) {
    return needsAnswer(cell) ? ['<h4>How to make it work</h4>', '<p>No known answer recorded.</p>'] : [];
  }
  const known =
    cell.fix === undefined && answer !== undefined ? ['<p class="meta">The known answer for this path:</p>'] : [];
  return [
    '<h4>How to make it work</h4>',
    ...known,
    // Settings one per line are pasted into redis.conf as they are; a sentence reads better as prose.
    ...(answer === undefined
      ? []
      : answer.trim().includes('\n')
        ? [`<pre class="fix-text">${esc(cleanText(answer.trim()))}</pre>`]
        : [`<p class="fix-text">${escClean(answer)}</p>`]),
    ...applied,
  ];
}

/** The family's picture, the checks, then the family's own sections (scenarios/<family>/html.ts). */
function familySections(cell: CellResult, anchor: string): string[] {
  const { picture, sections } = familyModule(cell.family).report;
  return [...(picture ? picture(cell, anchor) : []), ...checksSection(cell), ...sections(cell)];
}

function evidenceSections(cell: CellResult, files: EvidenceFile[]): string[] {
  const nat = natAddresses(cell);
  const report = familyModule(cell.family).report;
  const ghostIds = new Set(cell.observation && report.ghostIds ? report.ghostIds(cell.observation) : []);
  return [
    ...viewsSection(
      files,
      ghostIds,
      report.viewsRead ?? 'at the end',
      cell.observation && report.converged ? report.converged(cell.observation) : undefined,
    ),
    ...socketsSection(files, redisPorts(cell, files), nat),
    ...natFilesSection(files),
    ...logsSection(files, nat),
    ...otherFilesSection(files, cell),
    ...capturesSection(files),
  ];
}

/** Phases on one line; the run's chart at the top compares cells. */
function timingsSection(cell: CellResult): string[] {
  const phases = Object.entries(cell.timings ?? {}).filter(([name, ms]) => name !== 'total' && Number.isFinite(ms));
  const total = cell.timings?.['total'] ?? cell.durationMs;
  const parts = phases.map(([name, ms]) => `${esc(name)} ${esc(formatMs(ms))}`);
  return [
    `<p class="timings"><strong>Timings</strong> ${[...parts, `<strong>total ${esc(formatMs(total))}</strong>`].join(' · ')}</p>`,
  ];
}
