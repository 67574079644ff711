// Fuzz helpers for the parser tests: a seeded PRNG, truncated prefixes, shuffles and garbage lines.
// Everything draws from the `rand` it is given, in a fixed order, so a failing case reproduces
// from its seed alone.

export type Random = () => number;

/** Deterministic PRNG (mulberry32): values in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): Random {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Truncation {
  /** The text cut at a random point, possibly inside a line. */
  prefix: string;
  /** The prefix up to and including its last newline: the lines that arrived whole. */
  complete: string;
  /** How many whole lines `complete` holds. */
  completeLines: number;
  /** What follows the last newline: the cut line ('' when the cut falls right after a newline). */
  partial: string;
}

/** `count` random prefixes of `text` (from empty to whole), drawn from a PRNG seeded with `seed`. */
export function truncations(text: string, count: number, seed: number = text.length): Truncation[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const prefix = text.slice(0, Math.floor(rand() * (text.length + 1)));
    const cut = prefix.lastIndexOf('\n') + 1;
    const complete = prefix.slice(0, cut);
    return { prefix, complete, completeLines: complete.split('\n').length - 1, partial: prefix.slice(cut) };
  });
}

/** A shuffled copy of `items` (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], rand: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** One printable ASCII character: a line that starts with it is neither blank nor indented. */
export function printableChar(rand: Random): string {
  return String.fromCharCode(33 + Math.floor(rand() * 94));
}

export interface GarbageOptions {
  /** How the line starts; one printable ASCII character unless given. */
  head?: (rand: Random) => string;
  /** Draw the head before the length (by default the length is drawn first). */
  headFirst?: boolean;
}

/**
 * A random line: its head, then up to 159 characters from `!` to U+031F (Latin, symbols,
 * combining marks). With the default head it is never blank and never indented.
 */
export function garbageLine(rand: Random, { head = printableChar, headFirst = false }: GarbageOptions = {}): string {
  let line = headFirst ? head(rand) : '';
  const length = Math.floor(rand() * 160);
  if (!headFirst) {
    line = head(rand);
  }
  for (let i = 0; i < length; i++) {
    line += String.fromCharCode(33 + Math.floor(rand() * 0x2ff));
  }
  return line;
}

export interface WithGarbageOptions {
  /** The chance of one more garbage line before each real line (repeated while it hits). */
  chance?: number;
  garbage?: (rand: Random) => string;
}

/**
 * `lines` with garbage lines slipped in before any of them; `junk` lists the 1-based line numbers
 * of the garbage in the result, ascending.
 */
export function withGarbage(
  lines: readonly string[],
  rand: Random,
  { chance = 0.3, garbage = garbageLine }: WithGarbageOptions = {},
): { lines: string[]; junk: number[] } {
  const mixed: string[] = [];
  const junk: number[] = [];
  for (const line of lines) {
    while (rand() < chance) {
      junk.push(mixed.length + 1);
      mixed.push(garbage(rand));
    }
    mixed.push(line);
  }
  return { lines: mixed, junk };
}
