// Cells: points of the matrix, with a stable id and an expectation written as data.
import type { Capability } from './capabilities.ts';
import type { CellDims, Family } from './dimensions.ts';
import type { ExpectationOf } from './results.ts';

export interface Cell<F extends Family = Family, Options = unknown> {
  id: string;
  title: string;
  family: F;
  dims: CellDims;
  expectation: ExpectationOf<F>;
  /** Scenario-specific knobs (bootstrap style, which node a joiner dials, …). */
  options: Options;
  /**
   * Why the cell runs alone, when it must: it measures a timing-sensitive figure (a client's error
   * window during a failover) that other cells sharing the cores would distort.
   */
  runAlone?: string;
  /**
   * How many of the pool's places the cell takes (default 1): a lab of a hundred redis-servers
   * loads the cores like ten ordinary cells, and beside a full pool it would starve past its budget.
   */
  slots?: number;
  /**
   * Capabilities the whole cell depends on: where its provider declared one of them a gap, the
   * cell is skipped with the declared reason before anything is built (a failure when the run
   * requires the provider).
   */
  needs?: readonly Capability[];
}

/** Any family's cell, for code that only reads ids, dims and titles. */
export type AnyCell = { [F in Family]: Cell<F, unknown> }[Family];

/** `netns/flannel-vxlan/nodeport/announce-none[/local][/3-nodes][/variant]` */
export function cellId(d: CellDims): string {
  const parts: string[] = [d.provider, d.profile, d.exposure, `announce-${d.announce}`];
  if (d.policy === 'Local') {
    parts.push('local');
  }
  if (d.nodes > 1) {
    parts.push(`${d.nodes}-nodes`);
  }
  if (d.variant) {
    parts.push(d.variant);
  }
  return parts.join('/');
}

export interface CellFilter {
  scenario?: string[];
  provider?: string[];
  profile?: string[];
  exposure?: string[];
  /** Cell ids or globs (`*` any run of characters within the id). */
  cells?: string[];
  /** Cell ids or globs to leave out, whatever else matches them. */
  exclude?: string[];
}

const keep = (value: string, wanted?: string[]) => !wanted?.length || wanted.includes(value);

/** `*` matches any run of characters, `?` one; everything else is literal. */
export const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** A pattern without `*` or `?` is an exact id: compared, not compiled (a run passes its workers hundreds). */
const matches = (id: string, pattern: string): boolean =>
  /[*?]/.test(pattern) ? globToRegExp(pattern).test(id) : id === pattern;

export const matchesAny = (id: string, patterns?: string[]): boolean =>
  !patterns?.length || patterns.some((p) => matches(id, p));

export const filterCells = <C extends { id: string; family: string; dims: CellDims }>(cells: C[], f: CellFilter): C[] =>
  cells.filter(
    (c) =>
      keep(c.family, f.scenario) &&
      keep(c.dims.provider, f.provider) &&
      keep(c.dims.profile, f.profile) &&
      keep(c.dims.exposure, f.exposure) &&
      matchesAny(c.id, f.cells) &&
      !(f.exclude?.length && matchesAny(c.id, f.exclude)),
  );

/** A file-system-safe name for a cell's artifact folder. */
export const cellSlug = (id: string) => id.replace(/[^a-zA-Z0-9.-]+/g, '_');
