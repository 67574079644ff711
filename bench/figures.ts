// One figure of the bench: a JSON line on stdout (for CI to keep and compare), a readable line on
// stderr (for the person at the terminal).

export interface Figure {
  figure: string;
  /** The figure itself in ms (null when it could not be measured, e.g. a cell that did not recover). */
  ms: number | null;
  /** What it is measured against, in the same run. */
  floor?: { what: string; ms: number; [k: string]: unknown };
  targets: { what: string; met: boolean }[];
  [k: string]: unknown;
}

export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2);
};

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

export function emit(f: Figure): void {
  process.stdout.write(JSON.stringify({ ...f, measuredAt: new Date().toISOString() }) + '\n');
  const what = [f.figure, f['cell'] ?? ''].filter(Boolean).join(' ');
  const floor = f.floor ? `; floor ${seconds(f.floor.ms)} (${f.floor.what})` : '';
  const targets = f.targets.map((t) => `${t.met ? 'met' : 'MISSED'}: ${t.what}`).join('; ');
  process.stderr.write(`${what}: ${seconds(f.ms)}${floor}${targets ? ` — ${targets}` : ''}\n`);
}
