// redis-cli prints a reply one of two ways: on a terminal, numbered and quoted
// (`1) "master"`, `2) (integer) 126`, nested `3) 1) 1) "10.0.0.5"`); piped (`kubectl exec … >
// file`), one bare value per line. Both are flattened to the same list of values here, which is all
// the readers of ROLE, SENTINEL and CLUSTER SHARDS/SLOTS replies need: their fields come in a fixed
// order or as name/value pairs.

// `1) `, `10) `, nested `1) 2) `: the numbering redis-cli puts in front of each element.
const MARKERS = /^\s*(?:\d+\)\s+)+/;
// An element that is an array with nothing in it.
const EMPTY_ARRAY = /^\((?:empty array|empty list or set)\)$/;

/** Whether a line is in redis-cli's terminal form (`1) "x"`). */
export const isNumbered = (line: string): boolean => MARKERS.test(line);

/** One value as redis-cli printed it on a terminal: quotes, `(integer) `, `(nil)` undone. */
function bareValue(v: string): string | undefined {
  const s = v.trim();
  if (EMPTY_ARRAY.test(s)) {
    return undefined;
  }
  if (s === '(nil)') {
    return '';
  }
  const int = /^\((?:integer|double)\)\s+(.*)$/.exec(s);
  if (int) {
    return int[1]!;
  }
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
  return quoted ? quoted[1]!.replace(/\\(.)/g, '$1') : s;
}

/**
 * The values of a reply, in order: a terminal reply's numbered elements, or a piped reply's lines
 * (blank lines are values too there: an empty string, or an empty array). Leading and trailing blank
 * lines are dropped.
 */
export function replyValues(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\s+$/, ''));
  while (lines.length && lines[0] === '') {
    lines.shift();
  }
  while (lines.length && lines.at(-1) === '') {
    lines.pop();
  }
  if (lines.some(isNumbered)) {
    return lines.filter(isNumbered).flatMap((l) => {
      const v = bareValue(l.replace(MARKERS, ''));
      return v === undefined ? [] : [v];
    });
  }
  return lines.map((l) => l.trim());
}

/** Name/value pairs (SENTINEL replies): the flattened values back as `name\nvalue` lines. */
export const pairsText = (text: string): string => replyValues(text).join('\n') + '\n';
