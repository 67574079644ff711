// Text helpers every writer shares: colour codes and control characters out, one line, a bounded
// length. Messages come from assertions (coloured), logs (control bytes) and users' files.

// eslint-disable-next-line no-control-regex -- the escape character is what identifies a colour code
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex -- control characters other than tab and newline only garble output
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export const stripAnsi = (text: string): string => text.replace(ANSI, '');

/** Without colour codes, with `\n` line ends, and without other control characters. */
export const cleanText = (text: string): string => stripAnsi(text).replace(/\r\n?/g, '\n').replace(CONTROL, '');

/** Lines joined by single spaces. */
export const oneLine = (text: string): string => text.replace(/\s*\r?\n\s*/g, ' ');

/** At most `max` characters, the last one an ellipsis when cut. */
export const truncate = (text: string, max: number): string =>
  text.length > max ? text.slice(0, max - 1) + '…' : text;

/** The first non-blank line, trimmed ('' for none). */
export const firstLine = (text: string | undefined): string => (text ?? '').trim().split(/\r?\n/)[0]?.trim() ?? '';

/** The first `count` lines, trimmed as a block. */
export const firstLines = (text: string, count: number): string =>
  text.trim().split(/\r?\n/).slice(0, count).join('\n');

/** Code-unit order, independent of the locale, so two machines sort alike. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
