// Where the run's time went: one bar per cell, longest first, coloured by family (the family is
// also written next to each bar), each bar a link to the cell. Folded under the header: a reader
// opens it to see which cells make a run slow.
import type { CellResult, ResultsFile } from '../../model/results.ts';
import { figure, rect, text } from '../../util/svg.ts';
import { compareStrings } from '../../util/text.ts';
import { formatMs, plural, runDuration } from '../format.ts';
import { esc, fold } from './markup.ts';

const WIDTH = 720;
const ROW = 14;
const LABEL_WIDTH = 360;
const BAR_LEFT = LABEL_WIDTH + 8;
const BAR_MAX = WIDTH - BAR_LEFT - 112;
/** About 360 px of 10 px monospace. */
const LABEL_CHARS = 58;

/** Long ids lose their start, not the variant at their end that tells cells apart. */
const tail = (id: string) => (id.length > LABEL_CHARS ? `…${id.slice(-(LABEL_CHARS - 1))}` : id);

export function durationChart(results: ResultsFile, anchors: Map<CellResult, string>): string[] {
  const cells = [...results.cells].sort((a, b) => b.durationMs - a.durationMs || compareStrings(a.id, b.id));
  if (cells.length === 0) {
    return [];
  }
  const longest = Math.max(1, ...cells.map((cell) => cell.durationMs));
  const body = cells.flatMap((cell, i) => {
    const y = 6 + i * ROW;
    const width = Math.max(1, (cell.durationMs / longest) * BAR_MAX);
    return [
      `<a href="#${esc(anchors.get(cell) ?? '')}">`,
      `<title>${esc(cell.id)}</title>`,
      text(LABEL_WIDTH, y + 10, tail(cell.id), 'bar-label', 'end'),
      rect(BAR_LEFT, y + 2, width, ROW - 4, `bar f-${cell.family}`),
      text(BAR_LEFT + width + 4, y + 10, `${formatMs(cell.durationMs)} ${cell.family}`, 'small'),
      '</a>',
    ];
  });
  const total = cells.reduce((sum, cell) => sum + cell.durationMs, 0);
  const listed = cells.map((cell) => `${cell.id} (${cell.family}) ${formatMs(cell.durationMs)}`).join('; ');
  const chart = figure({
    id: 'durations',
    title: `Time per cell, longest first: ${plural(cells.length, 'cell')}, ${formatMs(total)} in all`,
    desc: `Each bar is one cell's duration. ${listed}.`,
    width: WIDTH,
    height: 12 + cells.length * ROW,
    body,
    cls: 'durations',
  });
  const summary = `Time per cell (${plural(cells.length, 'cell')}, ${esc(formatMs(total))} of cell time in a ${esc(runDuration(results))} run)`;
  return fold(summary, chart, { cls: 'durations' });
}
