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
export const LABEL_CHARS = 58;
const ELIDED = '…';

/**
 * Each bar's label: its cell id, and when that is too long, the id with its least telling parts
 * left out, each run of them one `…`. Cutting ids at one end made cells of different profiles or
 * node counts read alike (`…an/nodeport/announce-none/2-nodes/…` for flannel-vxlan and
 * calico-vxlan). Parts go in the order of how many ids of the chart share them (the provider of a
 * one-provider run first, then `announce-none`, `2-nodes`, …); the variant at the end of the id is
 * kept. Labels that still read alike get back the parts in which their ids differ. The bar's
 * tooltip and the chart's text equivalent hold the whole id.
 */
export function barLabels(ids: readonly string[], maxChars = LABEL_CHARS): Map<string, string> {
  const parts = new Map(ids.map((id) => [id, id.split('/')] as const));
  const shared = new Map<string, number>();
  for (const segments of parts.values()) {
    for (const segment of new Set(segments)) {
      shared.set(segment, (shared.get(segment) ?? 0) + 1);
    }
  }
  const order = [...shared.keys()].sort(
    (a, b) => shared.get(b)! - shared.get(a)! || b.length - a.length || compareStrings(a, b),
  );
  const kept = new Map(ids.map((id) => [id, new Set<number>()] as const));
  for (;;) {
    const labels = new Map(ids.map((id) => [id, elide(parts.get(id)!, kept.get(id)!, order, maxChars)] as const));
    const alike = new Map<string, string[]>();
    labels.forEach((label, id) => alike.set(label.text, [...(alike.get(label.text) ?? []), id]));
    let restored = false;
    for (const group of alike.values()) {
      for (const id of group.length > 1 ? group : []) {
        const own = parts.get(id)!;
        for (const i of labels.get(id)!.left) {
          const differs = group.some(
            (other) => parts.get(other)![i] !== own[i] || parts.get(other)!.length !== own.length,
          );
          if (differs && !kept.get(id)!.has(i)) {
            kept.get(id)!.add(i);
            restored = true;
          }
        }
      }
    }
    if (!restored) {
      return new Map([...labels].map(([id, label]) => [id, label.text]));
    }
  }
}

/** The id's parts without the most shared ones (never `kept` or the last) until it fits. */
function elide(segments: readonly string[], kept: ReadonlySet<number>, order: readonly string[], maxChars: number) {
  const left = new Set<number>();
  const text = () =>
    segments.flatMap((segment, i) => (!left.has(i) ? [segment] : left.has(i - 1) ? [] : [ELIDED])).join('/');
  for (const segment of order) {
    if (text().length <= maxChars) {
      break;
    }
    segments.forEach((candidate, i) => {
      if (candidate === segment && i < segments.length - 1 && !kept.has(i)) {
        left.add(i);
      }
    });
  }
  return { text: text(), left: [...left] };
}

export function durationChart(results: ResultsFile, anchors: Map<CellResult, string>): string[] {
  const cells = [...results.cells].sort((a, b) => b.durationMs - a.durationMs || compareStrings(a.id, b.id));
  if (cells.length === 0) {
    return [];
  }
  const longest = Math.max(1, ...cells.map((cell) => cell.durationMs));
  const labels = barLabels(cells.map((cell) => cell.id));
  const body = cells.flatMap((cell, i) => {
    const y = 6 + i * ROW;
    const width = Math.max(1, (cell.durationMs / longest) * BAR_MAX);
    return [
      `<a href="#${esc(anchors.get(cell) ?? '')}">`,
      `<title>${esc(cell.id)}</title>`,
      text(LABEL_WIDTH, y + 10, labels.get(cell.id) ?? cell.id, 'bar-label', 'end'),
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
