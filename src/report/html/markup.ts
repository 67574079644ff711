// Small HTML builders every part of the page uses: escaping, tables in their own scroll box,
// folded blocks, marked lines of evidence, links to artifact files.
import { cleanText } from '../../util/text.ts';
import { artifactHref, isSafeRelative } from './evidence.ts';

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

/** A table of plain-text cells; `rowClass` marks rows (`nat`, `mismatch`). */
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

/** Rows of `name: value` facts. */
export function factTable(rows: [string, string, boolean?][], cls: string): string[] {
  return scrollBox([
    `<table class="${esc(cls)}"><tbody>`,
    ...rows.map(
      ([name, value, bad]) =>
        `<tr${bad ? ' class="mismatch"' : ''}><th scope="row">${esc(name)}</th><td>${escClean(value)}</td></tr>`,
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

/** A relative link to an artifact, or only its name when the path leaves the report directory. */
export function fileLink(path: string, label: string, download = false): string {
  if (!isSafeRelative(path)) {
    return `<code>${esc(label)}</code>`;
  }
  return `<a href="${esc(artifactHref(path))}"${download ? ' download' : ''}>${esc(label)}</a>`;
}

/** Any JSON value as one line of text. */
export function display(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One expected-versus-observed row; `mismatch` marks it when the cell observed something else. */
export interface Comparison {
  name: string;
  expected: string;
  /** Undefined: nothing was observed. */
  observed?: string;
  mismatch?: boolean;
}

export function comparisonTable(rows: Comparison[], summary: string, source: string): string[] {
  return [
    '<h4>Expected and observed</h4>',
    ...scrollBox([
      '<table class="expect"><thead><tr><th></th><th scope="col">expected</th><th scope="col">observed</th></tr></thead><tbody>',
      ...rows.map(
        (row) =>
          `<tr${row.mismatch ? ' class="mismatch"' : ''}><th scope="row">${esc(row.name)}</th>` +
          `<td>${escClean(row.expected)}</td><td>${escClean(row.observed ?? 'nothing recorded')}</td></tr>`,
      ),
      '</tbody></table>',
    ]),
    `<p>${escClean(summary)}<br><span class="meta">Source: ${escClean(source)}</span></p>`,
  ];
}

/** A bulleted list of notes the scenario left, if any. */
export function notesList(notes: readonly string[]): string[] {
  return notes.length > 0
    ? ['<h4>Notes</h4>', '<ul>', ...notes.map((note) => `<li>${escClean(note)}</li>`), '</ul>']
    : [];
}
