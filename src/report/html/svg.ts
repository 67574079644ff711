// Inline SVG for the pictures of the page: drawn here as markup, so they need no script, load
// nothing, and pass `default-src 'none'`. Every picture is an `img` to assistive technology, with
// a <title> and a <desc> that say in words what it shows. SVG text does not wrap: callers cut long
// labels with truncate().
import { esc } from './markup.ts';

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
