// One scenario family on the page: its question, the legend of its words, and its matrix, laid out
// by ../matrix.ts so it has the same rows and columns as compatibility.md. Each slot shows the
// word (coloured by tone) and the verdict apart, and links to the cell's drill-down. The matrix
// scrolls inside its own box, so a narrow screen never scrolls the page sideways.
import type { Family } from '../../model/dimensions.ts';
import type { CellResult } from '../../model/results.ts';
import { compatibilityMatrix } from '../matrix.ts';
import { legendOf, provenanceKind, questionOf, toneOfCell, verdictLine } from '../words.ts';
import { chips } from './chips.ts';
import { esc, escClean } from './markup.ts';

export function familyIntro(family: Family): string[] {
  const words = legendOf(family).map(
    ({ word, tone, meaning }) =>
      `<div><dt><span class="word t-${tone}">${esc(word)}</span></dt><dd>${esc(meaning)}</dd></div>`,
  );
  return [`<p class="question">${esc(questionOf(family))}</p>`, `<dl class="legend">`, ...words, '</dl>'];
}

export function matrixTable(cells: CellResult[], anchors: Map<CellResult, string>): string[] {
  const { columns, rows } = compatibilityMatrix(cells);
  const head = columns.map((column) => `<th scope="col">${esc(column)}</th>`).join('');
  const lines = [
    '<div class="matrix-box">',
    '<table class="matrix">',
    `<thead><tr><th scope="col">Profile</th>${head}</tr></thead>`,
    '<tbody>',
  ];
  for (const row of rows) {
    const label =
      `<th scope="row">${esc(row.label)}<span class="prov-label">` +
      `<span class="tag ${row.provenance.emulation ? 'emulated' : 'real'}">${esc(provenanceKind(row.provenance))}</span> ` +
      `${escClean(row.provenance.label)}</span></th>`;
    lines.push(`<tr>${label}${row.slots.map((slot) => slotCell(slot, anchors)).join('')}</tr>`);
  }
  lines.push('</tbody>', '</table>', '</div>');
  return lines;
}

function slotCell(cells: CellResult[], anchors: Map<CellResult, string>): string {
  if (cells.length === 0) {
    return '<td class="empty">—</td>';
  }
  const links = cells.map((cell) => {
    const variant = cell.dims.variant ? `<span class="variant">${esc(cell.dims.variant)}:</span>` : '';
    const title = `${cell.id}\n${verdictLine(cell)}`;
    return (
      `<a class="slot t-${toneOfCell(cell) ?? 'none'} s-${cell.verdict.status}" href="#${esc(anchors.get(cell) ?? '')}" ` +
      `data-cell="${esc(cell.id)}" title="${escClean(title)}">${variant}${chips(cell)}</a>`
    );
  });
  return `<td>${links.join('')}</td>`;
}
