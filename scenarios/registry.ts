// The scenario families this suite runs, one module each (src/suite/family.ts): the CLI (`rcnc
// run`, `--list`, `rcnc reproduce`), the reporter and the validator look a family up here and never
// switch on its name. A new scenario is a folder here (cells, runner, test file, words, schema,
// report sections, README) plus one line below and its name in FAMILIES (src/model/dimensions.ts).
import { inRun } from '../src/deploy/providers.ts';
import type { AnyCell, CellFilter } from '../src/model/cell.ts';
import { FAMILIES, type Family, type ProviderName } from '../src/model/dimensions.ts';
import type { CellRecord } from '../src/model/results.ts';
import type { FamilyModule } from '../src/suite/family.ts';
import type { Matrix } from '../src/suite/run-config.ts';
import { cases } from './cases/index.ts';
import { natMeet } from './nat-meet/index.ts';
import { recovery } from './recovery/index.ts';
import { sentinel } from './sentinel/index.ts';
import { snat } from './snat/index.ts';

const MODULES: { [F in Family]: FamilyModule<F> } = {
  'nat-meet': natMeet,
  snat,
  recovery,
  sentinel,
  cases,
};

/** The families in the order of FAMILIES. */
export const SCENARIOS: readonly FamilyModule[] = FAMILIES.map((name) => MODULES[name] as FamilyModule);

/** The module of a family, by its name. */
export const familyModule = (family: Family): FamilyModule => MODULES[family] as FamilyModule;

export const scenarioNames = (): Family[] => SCENARIOS.map((s) => s.name);

/**
 * Every cell of every family that a provider can run: a cell too big for it, or on a profile whose
 * kube-proxy mode it does not run, is not part of its matrix (fitsProvider); one on a profile
 * outside its default kube-proxy modes is there only when `filter` names it (inRun).
 */
export const allCells = (provider: ProviderName, matrix: Matrix, filter?: CellFilter): AnyCell[] =>
  SCENARIOS.flatMap((s) => s.cells(provider, matrix) as AnyCell[]).filter((c) => inRun(c, filter));

/** What a cell expects, in its family's words (for `rcnc run --list` and the reports). */
export const expectationText = (cell: Pick<CellRecord, 'family' | 'expectation'>): string =>
  familyModule(cell.family).words.expectation(cell.expectation);
