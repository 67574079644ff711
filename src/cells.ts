// Cells: points of the matrix, with a stable id and an expectation written as data.
import type { CellDims, Expectation } from './report/results.ts';

export interface Cell<Options = Record<string, unknown>> {
  id: string;
  title: string;
  dims: CellDims;
  expectation: Expectation;
  /** Scenario-specific knobs (bootstrap style, which node a joiner dials, …). */
  options: Options;
}

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
}

const keep = (value: string, wanted?: string[]) => !wanted?.length || wanted.includes(value);

export const filterCells = <C extends Cell<unknown>>(cells: C[], f: CellFilter): C[] =>
  cells.filter(
    (c) =>
      keep(c.dims.scenario, f.scenario) &&
      keep(c.dims.provider, f.provider) &&
      keep(c.dims.profile, f.profile) &&
      keep(c.dims.exposure, f.exposure),
  );

/** The filter the CLI hands to scenario files through the environment (one JSON value). */
export const filterFromEnv = (): CellFilter => {
  const raw = process.env.RCNC_FILTER;
  return raw ? (JSON.parse(raw) as CellFilter) : {};
};

/** A file-system-safe name for a cell's artifact folder. */
export const cellSlug = (id: string) => id.replace(/[^a-zA-Z0-9.-]+/g, '_');
