// One figure of the bench: a JSON line on stdout (for CI to keep and compare), a readable line on
// stderr (for the person at the terminal).

export interface Figure {
  figure: string;
  /** The figure itself in ms (null when it could not be measured, e.g. a cell that did not recover). */
  ms?: number | null;
  /** A memory figure instead, in bytes. */
  bytes?: number;
  /** What it is measured against, in the same run. */
  floor?: { what: string; ms?: number; bytes?: number; [k: string]: unknown };
  targets: { what: string; met: boolean }[];
  /** Shown after the figure on the readable line (the parts it is made of). */
  detail?: string;
  [k: string]: unknown;
}

export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2);
};

export const seconds = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`;

export const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

const value = (v: { ms?: number | null; bytes?: number }) => (v.bytes === undefined ? seconds(v.ms) : mib(v.bytes));

export function emit(f: Figure): void {
  process.stdout.write(JSON.stringify({ ...f, measuredAt: new Date().toISOString() }) + '\n');
  const what = [f.figure, f['cell'] ?? ''].filter(Boolean).join(' ');
  const detail = f.detail ? ` (${f.detail})` : '';
  const floor = f.floor ? `; floor ${value(f.floor)} (${f.floor.what})` : '';
  const targets = f.targets.map((t) => `${t.met ? 'met' : 'MISSED'}: ${t.what}`).join('; ');
  process.stderr.write(`${what}: ${value(f)}${detail}${floor}${targets ? ` — ${targets}` : ''}\n`);
}
