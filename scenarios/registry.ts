// The scenario families this suite runs, for the CLI (`rcnc run`, `--list`) and the bench: each
// family's cells for a provider and matrix, and the test file vitest runs them from. A new
// scenario is a folder here (cells, runner, explanation, test file, README) plus one entry below.
import { join } from 'node:path';
import type { AnyCell } from '../src/model/cell.ts';
import type { Family, ProviderName } from '../src/model/dimensions.ts';
import type { Matrix } from '../src/suite/run-config.ts';
import { natMeetCells } from './nat-meet/cells.ts';
import { recoveryCells } from './recovery/cells.ts';
import { sentinelCells } from './sentinel/cells.ts';
import { snatCells } from './snat/cells.ts';

export interface ScenarioFamily {
  name: Family;
  /** One line for help texts and `--list`. */
  summary: string;
  /** The vitest file that runs the family's cells, relative to the package root. */
  testFile: string;
  cells(provider: ProviderName, matrix: Matrix): AnyCell[];
}

const family = (name: Family, summary: string, cells: ScenarioFamily['cells']): ScenarioFamily => ({
  name,
  summary,
  testFile: join('scenarios', name, `${name}.test.ts`),
  cells,
});

export const SCENARIOS: readonly ScenarioFamily[] = [
  family('nat-meet', 'a node joins over each datapath; the ghost, the refused dial-back and the fix', (p, m) =>
    natMeetCells(p, m),
  ),
  family('snat', 'which source a Redis server sees on every path, per profile and traffic policy', (p) => snatCells(p)),
  family('recovery', 'pod churn, restarts, node loss, failover under load, partitions', (p, m) => recoveryCells(p, m)),
  family(
    'sentinel',
    'master, replicas and Sentinel over each exposure: recorded addresses, failover, clients, rolling update',
    (p, m) => sentinelCells(p, m),
  ),
];

export const scenarioNames = (): Family[] => SCENARIOS.map((s) => s.name);

/** Every cell of every family for a provider. */
export const allCells = (provider: ProviderName, matrix: Matrix): AnyCell[] =>
  SCENARIOS.flatMap((s) => s.cells(provider, matrix));
