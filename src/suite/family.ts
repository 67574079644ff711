// What the rest of the program knows about a scenario family, in one object the family's folder
// exports (scenarios/<family>/index.ts) and scenarios/registry.ts collects: its cells and test
// file, how its expectation and observation read in words, how results.json's cells of it are
// checked, its part of a cell's drill-down in index.html, what `rcnc diff` compares and what
// `rcnc reproduce` tells. The reporter, the validator and the CLI look a family up by name and
// never switch on it, so a new family is its folder plus one registry line (and its name in
// FAMILIES). Members are methods: a module of one family then stands for any family where the
// registry hands it out by the record's own `family`.
import type { Provider } from '../deploy/provider.ts';
import type { Cell } from '../model/cell.ts';
import type { AddressClass, Family, ProviderName } from '../model/dimensions.ts';
import type { CellRecordOf, CompatibilityOf, ExpectationOf, ObservationOf } from '../model/results.ts';
import type { Rule } from '../model/rules.ts';
import type { WordDefinition } from '../model/vocabulary.ts';
import type { ScenarioContext } from './harness.ts';
import type { Matrix } from './run-config.ts';

export interface FamilyModule<F extends Family = Family> {
  name: F;
  /** One line for help texts and `--list`. */
  summary: string;
  /** The vitest file that runs the family's cells, relative to the package root. */
  testFile: string;
  cells(provider: ProviderName, matrix: Matrix): Cell<F, unknown>[];
  words: FamilyWords<F>;
  /** How results.json's expectation and observation of this family are checked (src/model/rules.ts). */
  schema: { expectation: Rule; observation: Rule };
  report: FamilyReport<F>;
  diff?: FamilyDiff<F>;
  /**
   * What the lab and a real cluster must agree on for the same cell, besides the verdict and the
   * word: named facts of the observation that do not depend on which pod got which address
   * (src/report/fidelity.ts). Undefined values count as "none".
   */
  fidelity?(o: ObservationOf<F>): Record<string, string | undefined>;
  /** What `rcnc reproduce` runs and tells, for a family that has a story to tell. */
  reproduce?: FamilyReproduction<F>;
}

/** Formats an address in a line of evidence: a code span in markdown, plain text in junit. */
export type Code = (text: string) => string;

export interface FamilyWords<F extends Family> {
  /** The question the family answers: the legend's title. */
  question: string;
  /** The compatibility words in legend order, with their tone and meaning. */
  words: Record<CompatibilityOf<F>, WordDefinition>;
  /** The word the observation supports. */
  compatibility(o: ObservationOf<F>): CompatibilityOf<F>;
  /** The word as a reader sees it, where it says more than the word (`rewritten to node-ip`). */
  label?(word: CompatibilityOf<F>, o: ObservationOf<F> | undefined): string;
  /** The expectation in a few words (`rcnc run --list`). */
  expectation(e: ExpectationOf<F>): string;
  /** The expected facts, for a failure's body (junit). */
  expectedFacts(e: ExpectationOf<F>): string;
  /** What was observed, in one line. */
  observed(o: ObservationOf<F>): string;
  /** One line on what the probes saw, or '' when there is nothing worth a line. */
  evidence(o: ObservationOf<F>, code: Code): string;
}

/** What an address in a cell's answer is, so the answer reads for every cell alike (`<node IP>`). */
export type AddressKind = AddressClass | 'target';

/** Collected command output to mark where it misleads: the line, its class and why. */
export interface OutputMark {
  pattern: RegExp;
  cls: string;
  mark: string;
}

/** Views of a stage read after the cluster converged; `nodeTimeoutMs` when the run recorded it. */
export interface ConvergedStage {
  stage: string;
  nodeTimeoutMs?: number;
}

/** The family's part of index.html and of the other writers. */
export interface FamilyReport<F extends Family> {
  /** A picture above the checks: where a path was rewritten, a fault's timeline. */
  picture?(record: CellRecordOf<F>, id: string): string[];
  /** The family's own sections below the checks, built with src/util/html.ts. */
  sections(record: CellRecordOf<F>): string[];
  /** What this run applied to make the cell work, under "How to make it work". */
  applied?(o: ObservationOf<F>): string[];
  /** The known answer for a cell whose run recorded none (a path that drops the connection). */
  knownAnswer?(record: CellRecordOf<F>): string | undefined;
  /** What the cell's own addresses are, in the order they are learned (a later one wins). */
  addressKinds?(o: ObservationOf<F>): [string, AddressKind][];
  /** Addresses the datapath rewrote (bare IPs), with what they are: marked in sockets, logs and captures. */
  rewrittenAddresses?(o: ObservationOf<F>): Map<string, string>;
  /** Node ids the CLUSTER NODES views mark as ghosts. */
  ghostIds?(o: ObservationOf<F>): string[];
  /**
   * The stage whose views were read once the cluster had converged (nat-meet: after the fix), and
   * the cluster-node-timeout then: a handshake entry still in them is a leftover of an earlier
   * MEET that Redis removes by itself, not a ghost.
   */
  converged?(o: ObservationOf<F>): ConvergedStage | undefined;
  /** When the views saved without a stage were read; `at the end` when not said. */
  viewsRead?: string;
  /** Endpoints the observation names (`ip:port`), so socket tables keep the rows on those ports. */
  endpoints?(o: ObservationOf<F>): { client: string[]; bus: string[] };
  /** Lines of collected command output to mark. */
  outputMarks?(o: ObservationOf<F>): OutputMark[];
  /** Figures CI can chart, as junit properties (undefined values are left out). */
  junitProperties?(o: ObservationOf<F>): [string, string | number | undefined][];
}

/** A figure `rcnc diff` compares with a tolerance; one that grew beyond it is a regression. */
export interface DiffFigure {
  subject: string;
  value: number | null | undefined;
  unit: 'ms' | 'count';
}

/** A class of address the observation names besides its word; one that appears or changes is a regression. */
export interface DiffClass<F extends Family> {
  kind: `${string}-class`;
  /** In the change's line: `ghost class tunnel → node-ip`. */
  name: string;
  value(o: ObservationOf<F>): string | undefined;
}

export interface FamilyDiff<F extends Family> {
  figures?(o: ObservationOf<F>): DiffFigure[];
  classes?: DiffClass<F>[];
}

export interface ReproduceFlags {
  profile?: string;
  nodes?: string;
  /** Whose cell: the lab's (default) or one for a cluster the user has. */
  provider?: 'netns' | 'kubeconfig';
}

export interface Reproduced<F extends Family> {
  record: CellRecordOf<F>;
  /** The story, for a terminal. */
  story: string;
  /** What `--json` prints. */
  json: unknown;
  /** The cell behaved as its expectation says (exit 0). */
  asExpected: boolean;
}

export interface FamilyReproduction<F extends Family> {
  /** The cell `rcnc reproduce <family>` runs, from its flags; a UsageError for flags it cannot use. */
  cell(flags: ReproduceFlags): Cell<F, unknown>;
  /**
   * Cells the family names (`rcnc reproduce <name>`, listed by `rcnc reproduce --list`), each with
   * the line the list shows.
   */
  named?(): { name: string; cell: Cell<F, unknown>; line: string }[];
  /** Runs a cell of the family and tells what happened (with `scenario.keep`, leaving the failure as it is). */
  run(provider: Provider, cell: Cell<F, unknown>, scenario: ScenarioContext): Promise<Reproduced<F>>;
}
