// Inline SVG for the pictures of the page: drawn here as markup, so they need no script, load
// nothing, and pass `default-src 'none'`. Every picture is an `img` to assistive technology, with
// a <title> and a <desc> that say in words what it shows. SVG text does not wrap: callers cut long
// labels with truncate().
import { esc } from './html.ts';
import { truncate } from './text.ts';

export interface Figure {
  /** Unique on the page; the title and description ids derive from it. */
  id: string;
  title: string;
  /** The text equivalent: everything the picture shows, in sentences. */
  desc: string;
  width: number;
  height: number;
  body: string[];
  cls: string;
}

export function figure(f: Figure): string[] {
  return [
    `<figure class="picture ${esc(f.cls)}">`,
    `<svg viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" ` +
      `height="${f.height}" role="img" aria-labelledby="${esc(f.id)}-t ${esc(f.id)}-d">`,
    `<title id="${esc(f.id)}-t">${esc(f.title)}</title>`,
    `<desc id="${esc(f.id)}-d">${esc(f.desc)}</desc>`,
    ...f.body,
    '</svg>',
    `<figcaption>${esc(f.title)}</figcaption>`,
    '</figure>',
  ];
}

const round = (n: number) => Math.round(n * 10) / 10;

export function text(x: number, y: number, content: string, cls = '', anchor: 'start' | 'middle' | 'end' = 'start') {
  const attrs = `x="${round(x)}" y="${round(y)}"${anchor !== 'start' ? ` text-anchor="${anchor}"` : ''}`;
  return `<text ${attrs}${cls ? ` class="${cls}"` : ''}>${esc(content)}</text>`;
}

export function rect(x: number, y: number, width: number, height: number, cls: string, radius = 0): string {
  const r = radius > 0 ? ` rx="${radius}"` : '';
  return `<rect x="${round(x)}" y="${round(y)}" width="${round(Math.max(0, width))}" height="${round(height)}"${r} class="${cls}"/>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  return `<line x1="${round(x1)}" y1="${round(y1)}" x2="${round(x2)}" y2="${round(y2)}" class="${cls}"/>`;
}

/** A straight arrow from (x1, y) to (x2, y), its head drawn as a polygon (no marker ids to share). */
export function arrow(x1: number, x2: number, y: number, cls: string): string[] {
  const dir = x2 >= x1 ? 1 : -1;
  const head = `${round(x2)},${round(y)} ${round(x2 - 8 * dir)},${round(y - 4)} ${round(x2 - 8 * dir)},${round(y + 4)}`;
  return [line(x1, y, x2 - 6 * dir, y, cls), `<polygon points="${head}" class="${cls} head"/>`];
}

// ---------------------------------------------------------------------------------------------
// Path pictures: boxes left to right (who sent, what it dialled, where the source was rewritten,
// who received), arrows between them, and a dashed arrow back under them for a reply that failed.

export interface PathBox {
  title: string;
  lines: string[];
  tone: 'plain' | 'bad' | 'warn' | 'faded';
}

const PATH_WIDTH = 720;
const MARGIN = 8;
const GAP = 44;
const BOX_TOP = 8;
const BOX_HEIGHT = 74;
/** About 140 px of 11 px text. */
const LINE_CHARS = 22;

/** x of each box's left edge and the box width, for `count` boxes across the picture. */
function columns(count: number): { xs: number[]; width: number } {
  const width = (PATH_WIDTH - 2 * MARGIN - (count - 1) * GAP) / count;
  return { xs: Array.from({ length: count }, (_, i) => MARGIN + i * (width + GAP)), width };
}

function boxMarkup(box: PathBox, x: number, width: number): string[] {
  return [
    rect(x, BOX_TOP, width, BOX_HEIGHT, `box ${box.tone}`, 6),
    text(x + 8, BOX_TOP + 17, truncate(box.title, LINE_CHARS), 'box-title'),
    ...box.lines
      .slice(0, 3)
      .map((content, i) => text(x + 8, BOX_TOP + 34 + i * 15, truncate(content, LINE_CHARS), 'box-line')),
  ];
}

/** Boxes left to right, an arrow between each pair except where `broken` says the path ends. */
function boxRow(boxes: PathBox[], broken: number[] = []): string[] {
  const { xs, width } = columns(boxes.length);
  const y = BOX_TOP + BOX_HEIGHT / 2;
  return boxes.flatMap((box, i) => {
    const x = xs[i] ?? 0;
    const next = xs[i + 1];
    const link = next === undefined || broken.includes(i) ? [] : arrow(x + width + 4, next - 4, y, 'flow');
    return [...boxMarkup(box, x, width), ...link];
  });
}

/** A dashed arrow under the boxes, from box `from` back to box `to`, with its label. */
function returnArrow(count: number, from: number, to: number, label: string): string[] {
  const { xs, width } = columns(count);
  const startX = (xs[from] ?? 0) + width / 2;
  const endX = (xs[to] ?? 0) + width / 2;
  const bottom = BOX_TOP + BOX_HEIGHT;
  const y = bottom + 22;
  return [
    line(startX, bottom, startX, y, 'dial-back'),
    line(startX, y, endX, y, 'dial-back'),
    `<polygon points="${endX},${bottom + 1} ${endX - 4},${bottom + 9} ${endX + 4},${bottom + 9}" class="dial-back head"/>`,
    line(endX, y, endX, bottom + 8, 'dial-back'),
    text((startX + endX) / 2, y + 15, label, 'dial-back-label', 'middle'),
  ];
}

export interface PathPicture {
  id: string;
  title: string;
  desc: string;
  boxes: PathBox[];
  /** Boxes after which the path ends (no arrow to the next). */
  broken?: number[];
  /** A reply from box `from` back to box `to` that failed, drawn dashed under the boxes. */
  back?: { from: number; to: number; label: string };
}

export function pathFigure(p: PathPicture): string[] {
  const back = p.back ? returnArrow(p.boxes.length, p.back.from, p.back.to, p.back.label) : [];
  return figure({
    id: p.id,
    title: p.title,
    desc: p.desc,
    width: PATH_WIDTH,
    height: BOX_TOP + BOX_HEIGHT + (p.back ? 46 : 10),
    body: [...boxRow(p.boxes, p.broken), ...back],
    cls: 'path',
  });
}
