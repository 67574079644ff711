// The compatibility matrix of one scenario family, laid out once for every writer (compatibility.md
// and index.html), so both read the same way: rows are datapaths (profile, plus node count and
// provider when they tell rows apart), columns are exposure × announce (× policy when the family has
// Local cells), and a slot holds every cell with that row and column (variants, e.g. which node the
// joiner dials). Writers only turn labels and cells into their own markup.
import { ANNOUNCES, EXPOSURES, POLICIES, PROFILES, PROVIDERS } from '../model/dimensions.ts';
import type { CellResult, Provenance } from '../model/results.ts';
import { groupBy } from '../util/format.ts';
import { compareStrings } from '../util/text.ts';
import { provenanceOf } from './words.ts';

export interface MatrixRow {
  label: string;
  /** Where the row's results come from (the first cell's provenance: a row is one provider). */
  provenance: Provenance;
  /** One slot per column, in column order; each slot's cells sorted by variant, an empty slot `[]`. */
  slots: CellResult[][];
}

export interface CompatibilityMatrix {
  /** Column labels, e.g. `nodeport / announce-none` or `nodeport / announce-none / Local`. */
  columns: string[];
  rows: MatrixRow[];
}

/** Rows and columns sorted by the known orders (profiles, providers, exposures…), unknown values last. */
export function compatibilityMatrix(cells: readonly CellResult[]): CompatibilityMatrix {
  const withPolicy = cells.some((cell) => cell.dims.policy === 'Local');
  const multiProvider = new Set(cells.map((cell) => cell.dims.provider)).size > 1;
  const rows = uniqueAxes(cells.map((cell) => rowAxis(cell, multiProvider)));
  const columns = uniqueAxes(cells.map((cell) => columnAxis(cell, withPolicy)));
  const slots = groupBy(cells, (cell) => slotKey(rowAxis(cell, multiProvider), columnAxis(cell, withPolicy)));
  return {
    columns: columns.map((column) => column.label),
    rows: rows.map((row) => {
      const rowSlots = columns.map((column) => byVariant(slots.get(slotKey(row, column)) ?? []));
      const first = rowSlots.flat()[0] as CellResult;
      return { label: row.label, provenance: provenanceOf(first), slots: rowSlots };
    }),
  };
}

interface Axis {
  key: string;
  label: string;
  order: (string | number)[];
}

/** Rows are datapaths; the provider and node count only show when they tell rows apart. */
function rowAxis(cell: CellResult, multiProvider: boolean): Axis {
  const { profile, provider, nodes } = cell.dims;
  const qualifiers = [...(multiProvider ? [provider] : []), ...(nodes > 1 ? [`${nodes} nodes`] : [])];
  return {
    key: `${profile}\0${provider}\0${nodes}`,
    label: qualifiers.length > 0 ? `${profile} (${qualifiers.join(', ')})` : profile,
    order: [rank(PROFILES, profile), profile, rank(PROVIDERS, provider), nodes],
  };
}

function columnAxis(cell: CellResult, withPolicy: boolean): Axis {
  const { exposure, announce, policy } = cell.dims;
  const parts = [exposure, `announce-${announce}`, ...(withPolicy ? [policy] : [])];
  return {
    key: parts.join('\0'),
    label: parts.join(' / '),
    order: [
      rank(EXPOSURES, exposure),
      exposure,
      rank(ANNOUNCES, announce),
      announce,
      ...(withPolicy ? [rank(POLICIES, policy), policy] : []),
    ],
  };
}

function slotKey(row: Axis, column: Axis): string {
  return `${row.key}\n${column.key}`;
}

function uniqueAxes(axes: Axis[]): Axis[] {
  const byKey = new Map(axes.map((axis) => [axis.key, axis]));
  return [...byKey.values()].sort((a, b) => compareTuples(a.order, b.order));
}

/** Several cells in one slot are variants; the sort is stable, so equal variants keep their order. */
function byVariant(cells: CellResult[]): CellResult[] {
  return [...cells].sort((a, b) => compareStrings(a.dims.variant ?? '', b.dims.variant ?? ''));
}

function rank(order: readonly string[], value: string): number {
  const index = order.indexOf(value);
  return index === -1 ? order.length : index;
}

function compareTuples(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) {
      continue;
    }
    if (typeof x === 'number' && typeof y === 'number') {
      return x - y;
    }
    return compareStrings(String(x), String(y));
  }
  return 0;
}
