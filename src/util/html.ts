// Small HTML builders every part of the report page uses, the scenario families' own sections
// included: escaping, tables in their own scroll box, folded blocks, marked lines of evidence.
// Plain text in, markup out; nothing here knows a family or a results file.
import { cleanText } from './text.ts';

/** Escapes for text and for quoted attribute values alike. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaped, without colour codes or control characters: for text that came from a program. */
export const escClean = (text: string): string => esc(cleanText(text));

/** Wide content scrolls inside its own box, never the page (a phone is 420 px wide). */
export function scrollBox(inner: string[], cls = 'scroll'): string[] {
  return [`<div class="${cls}">`, ...inner, '</div>'];
}

/** A table of plain-text cells; `rowClass` marks rows (`nat`, `flagged`). */
export function table(
  headers: string[],
  rows: string[][],
  cls: string,
  rowClass: (row: string[], index: number) => string = () => '',
): string[] {
  const head = headers.map((header) => `<th scope="col">${esc(header)}</th>`).join('');
  return scrollBox([
    `<table class="${esc(cls)}"><thead><tr>${head}</tr></thead><tbody>`,
    ...rows.map((row, i) => {
      const marked = rowClass(row, i);
      return `<tr${marked ? ` class="${marked}"` : ''}>${row.map((value) => `<td>${escClean(value)}</td>`).join('')}</tr>`;
    }),
    '</tbody></table>',
  ]);
}

/** The row class of a fact or a row that is bad news (a write lost, a client that reached no master). */
export const FLAGGED = 'flagged';

/** Rows of `name: value` facts; a third element `true` flags the row as bad news. */
export function factTable(rows: [string, string, boolean?][], cls: string): string[] {
  return scrollBox([
    `<table class="${esc(cls)}"><tbody>`,
    ...rows.map(
      ([name, value, bad]) =>
        `<tr${bad ? ` class="${FLAGGED}"` : ''}><th scope="row">${esc(name)}</th><td>${escClean(value)}</td></tr>`,
    ),
    '</tbody></table>',
  ]);
}

/** A folded block: the summary is markup, the body lines are markup. */
export function fold(summary: string, body: string[], options: { open?: boolean; cls?: string } = {}): string[] {
  const cls = options.cls ? ` class="${options.cls}"` : '';
  return [`<details${cls}${options.open ? ' open' : ''}><summary>${summary}</summary>`, ...body, '</details>'];
}

/**
 * Lines of evidence inside a <pre>, each ending in a newline. A plain line is only text (a page of
 * 80 cells holds thousands); a marked one is a span that the stylesheet colours across the box.
 */
export function markedLine(line: string, cls: string, mark: string): string {
  // The stylesheet shows data-mark after the line; a title would say it a second time.
  return `<span class="ln ${cls}" data-mark="${esc(mark)}">${esc(line)}</span>\n`;
}

export function plainLine(line: string, cls = ''): string {
  return cls ? `<span class="ln ${cls}">${esc(line)}</span>\n` : `${esc(line)}\n`;
}

export function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** A bulleted list of notes the scenario left, if any. */
export function notesList(notes: readonly string[]): string[] {
  return notes.length > 0
    ? ['<h4>Notes</h4>', '<ul>', ...notes.map((note) => `<li>${escClean(note)}</li>`), '</ul>']
    : [];
}
