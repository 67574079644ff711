// The two labels every cell carries, as chips: the compatibility word coloured by its tone, and the
// verdict. They are always two elements, never one: a cell expected to break passes when it breaks.
import type { CellResult } from '../../model/results.ts';
import { STATUS_LABEL, toneOfCell, wordLabelOf } from '../words.ts';
import { esc } from './markup.ts';

/** The compatibility word, coloured by its tone; '' when nothing was observed. */
export function wordChip(cell: CellResult): string {
  const word = wordLabelOf(cell);
  return word === undefined ? '' : `<span class="word t-${toneOfCell(cell) ?? 'none'}">${esc(word)}</span>`;
}

export function statusChip(status: CellResult['verdict']['status']): string {
  return `<span class="status s-${status}">${esc(STATUS_LABEL[status])}</span>`;
}

/** The word and the verdict as two labelled chips, never one: `breaks` can pass, `works` can fail. */
export function chips(cell: CellResult): string {
  return wordChip(cell) + statusChip(cell.verdict.status);
}
