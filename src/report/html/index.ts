// `index.html`: the matrix of each scenario family and, per cell, the evidence behind it. One
// self-contained file: inline CSS, inline SVG pictures, a few lines of inline JS that only open a
// drill-down when its matrix link is followed, and a CSP that forbids every fetch. Built from
// results.json plus the artifact files the cells list (read by loadEvidence); nothing else.
//
//   evidence.ts   reading artifact files          page.ts, styles.ts  document, CSP, CSS, header, overview
//   matrix.ts     a family's legend and matrix    cell.ts             one cell's drill-down
//   chips.ts      the word and verdict labels     markup.ts           links to files (src/util/html.ts: the rest)
//   scenarios/<family>/html.ts                    each family's picture and observation sections
//   views.ts, sockets.ts, logs.ts, files.ts       evidence files as shown (addresses.ts: NATed ones)
//   durations.ts                                  the run's time per cell (src/util/svg.ts draws)
import type { Family } from '../../model/dimensions.ts';
import type { CellResult, ResultsFile } from '../../model/results.ts';
import { compareStrings } from '../../util/text.ts';
import { cellAnchors } from '../anchors.ts';
import { byFamily } from '../words.ts';
import { cellDetails } from './cell.ts';
import { durationChart } from './durations.ts';
import type { CellEvidence, EvidenceFile } from './evidence.ts';
import { esc } from './markup.ts';
import { familyIntro, matrixTable } from './matrix.ts';
import { glanceSection, htmlDocument, pageHeader, toolbar } from './page.ts';

export { classifyArtifact, loadEvidence, type ArtifactKind, type CellEvidence, type EvidenceFile } from './evidence.ts';
export { logExcerpt } from './logs.ts';

export const HTML_FILE = 'index.html';

export function indexHtml(results: ResultsFile, evidence: readonly CellEvidence[] = []): string {
  const byCell = new Map(evidence.map((entry) => [entry.cellId, entry.files]));
  const anchors = cellAnchors(results.cells);
  const families = byFamily(results.cells);
  const body = [
    ...pageHeader(results),
    ...(families.length === 0 ? ['<p><em>No cells ran.</em></p>'] : glanceSection(results)),
    ...durationChart(results, anchors),
    toolbar(),
    ...families.flatMap(([family, cells]) =>
      familySection(family, cells, anchors, (cell) => byCell.get(cell.id) ?? []),
    ),
  ];
  return htmlDocument(results, body);
}

function familySection(
  family: Family,
  cells: CellResult[],
  anchors: Map<CellResult, string>,
  filesOf: (cell: CellResult) => EvidenceFile[],
): string[] {
  const sorted = [...cells].sort((a, b) => compareStrings(a.id, b.id));
  return [
    `<section class="family" id="family-${esc(family)}">`,
    `<h2>${esc(family)}</h2>`,
    ...familyIntro(family),
    ...matrixTable(sorted, anchors),
    `<h3>Cells (${sorted.length})</h3>`,
    ...sorted.flatMap((cell) => cellDetails(cell, anchors.get(cell) ?? '', filesOf(cell))),
    '</section>',
  ];
}
