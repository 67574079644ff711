// `rcnc diff OLD NEW`: what changed between two runs' results.json, for CI that reruns the matrix
// across kernel, CNI and Redis versions. A pure function over two ResultsFiles: cells added or
// removed, a compatibility word (snat's names the rewrite class) or a ghost class that changed, a
// verdict that changed, and recovery figures that moved beyond a tolerance. Each change says
// whether it is a regression (what a user gets got worse, a cell started to fail, a figure grew);
// the command exits 1 on one. Durations are compared only between records measured the same way:
// a failover window measured alone and one measured beside other cells (`sharedCores`) differ by
// the load, not by the datapath, so such a pair is reported as not comparable instead.
import { familyModule } from '../../scenarios/registry.ts';
import type { Family } from '../model/dimensions.ts';
import type { CellResult, ResultsFile } from '../model/results.ts';
import type { Tone } from '../model/vocabulary.ts';
import type { DiffClass, DiffFigure } from '../suite/family.ts';
import { compareStrings } from '../util/text.ts';
import { formatMs } from './format.ts';
import { toneOfCell, wordLabelOf } from './words.ts';

export interface DiffOptions {
  /** A duration that moved by at most this many ms has not changed (default 1000). */
  toleranceMs?: number;
  /** …or by at most this fraction of its old value, whichever allows more (default 0.25). */
  toleranceRatio?: number;
}

export const DEFAULT_TOLERANCE = { toleranceMs: 1000, toleranceRatio: 0.25 } as const;

/**
 * A class change is named by its family (`ghost-class`). `timings`: the two records measured the
 * cell's durations differently (alone and beside other cells), so they were not compared.
 */
export type ChangeKind =
  'added' | 'removed' | 'compatibility' | DiffClass<Family>['kind'] | 'verdict' | 'figure' | 'timings';

export interface Change {
  cellId: string;
  family: Family;
  kind: ChangeKind;
  /** What changed: the kind, or for figures their path (`recoveryMs`, `failover.afterMs`, `client.errorWindowMs`, …). */
  subject: string;
  before?: string | number;
  after?: string | number;
  /** What a user gets got worse, the cell started to fail, or a figure grew beyond the tolerance. */
  regression: boolean;
  /** One line: `recoveryMs 5.6s → 9.1s (+3.5s)`. */
  text: string;
}

/** Every change from `before` to `after`, cells in id order; figures only where both runs have them. */
export function diffResults(before: ResultsFile, after: ResultsFile, options: DiffOptions = {}): Change[] {
  const tolerance = { ...DEFAULT_TOLERANCE, ...options };
  const old = new Map(before.cells.map((cell) => [cell.id, cell]));
  const next = new Map(after.cells.map((cell) => [cell.id, cell]));
  const ids = [...new Set([...old.keys(), ...next.keys()])].sort(compareStrings);
  return ids.flatMap((id) => {
    const a = old.get(id);
    const b = next.get(id);
    if (!a) {
      return [cellChange(b as CellResult, 'added')];
    }
    if (!b) {
      return [cellChange(a, 'removed')];
    }
    return cellChanges(a, b, tolerance);
  });
}

export const hasRegression = (changes: readonly Change[]): boolean => changes.some((change) => change.regression);

function cellChange(cell: CellResult, kind: 'added' | 'removed'): Change {
  // A removed cell is reported, not judged: matrices change on purpose between versions.
  return {
    cellId: cell.id,
    family: cell.family,
    kind,
    subject: kind,
    regression: false,
    text: `${kind} (${cell.family})`,
  };
}

function cellChanges(a: CellResult, b: CellResult, tolerance: Required<DiffOptions>): Change[] {
  const base = { cellId: b.id, family: b.family };
  const changes: Change[] = [];
  const wordA = wordLabelOf(a);
  const wordB = wordLabelOf(b);
  if (wordA !== wordB && wordA !== undefined && wordB !== undefined) {
    // Worse news, or the same news through another address class (`rewritten to tunnel` → `… node-ip`).
    const [rankA, rankB] = [toneRank(toneOfCell(a)), toneRank(toneOfCell(b))];
    const regression = rankB > rankA || (rankB === rankA && rankB > 0);
    changes.push({
      ...base,
      kind: 'compatibility',
      subject: 'compatibility',
      before: wordA,
      after: wordB,
      regression,
      text: `compatibility ${wordA} → ${wordB}`,
    });
  }
  changes.push(...classChanges(a, b).map((change) => ({ ...base, ...change })));
  if (a.verdict.status !== b.verdict.status) {
    const { status: was } = a.verdict;
    const { status: now } = b.verdict;
    changes.push({
      ...base,
      kind: 'verdict',
      subject: 'verdict',
      before: was,
      after: now,
      regression: now === 'fail',
      text: `verdict ${was} → ${now}`,
    });
  }
  const figures = familyModule(b.family).diff?.figures;
  if (a.family === b.family && a.observation && b.observation && figures) {
    const comparable = measuredHow(a) === measuredHow(b);
    if (!comparable) {
      changes.push({ ...base, ...notComparable(a, b) });
    }
    changes.push(
      ...figureChanges(figures(a.observation), figures(b.observation), tolerance, comparable).map((change) => ({
        ...base,
        ...change,
      })),
    );
  }
  return changes;
}

/**
 * How a cell's durations were measured. A cell that asks to run alone (failover windows) and ran
 * beside other cells says so in its record (`sharedCores`, `--timing-cells shared`); every other
 * record was measured as the cell always is.
 */
const measuredHow = (cell: CellResult): string => (cell.sharedCores ? 'beside other cells' : 'alone');

function notComparable(a: CellResult, b: CellResult): Omit<Change, 'cellId' | 'family'> {
  const [was, now] = [measuredHow(a), measuredHow(b)];
  return {
    kind: 'timings',
    subject: 'timings',
    before: was,
    after: now,
    regression: false,
    text: `durations not compared: measured ${was} in the old run, ${now} in the new (--timing-cells)`,
  };
}

function toneRank(tone: Tone | undefined): number {
  return tone === 'bad' ? 2 : tone === 'needs-setting' ? 1 : 0;
}

/**
 * The classes of address a family names besides its word (nat-meet's ghost class; snat's class is
 * in its word). One that appears or turns into another class is a different datapath, one that
 * goes away is a fix.
 */
function classChanges(a: CellResult, b: CellResult): Omit<Change, 'cellId' | 'family'>[] {
  if (a.family !== b.family || !a.observation || !b.observation) {
    return [];
  }
  return (familyModule(b.family).diff?.classes ?? []).flatMap((rule) => {
    const was = rule.value(a.observation!);
    const now = rule.value(b.observation!);
    if (was === now) {
      return [];
    }
    return [
      {
        kind: rule.kind,
        subject: rule.kind,
        ...(was !== undefined ? { before: was } : {}),
        ...(now !== undefined ? { after: now } : {}),
        regression: now !== undefined,
        text: `${rule.name} ${was ?? 'none'} → ${now ?? 'none'}`,
      },
    ];
  });
}

/**
 * Figures both runs have, matched by subject; a duration within the tolerance has not changed, and
 * durations measured differently (`timingsComparable` false) are not compared at all. Counts (lost
 * writes) are compared either way: a write lost beside other cells is still lost.
 */
function figureChanges(a: DiffFigure[], b: DiffFigure[], tolerance: Required<DiffOptions>, timingsComparable: boolean) {
  return b.flatMap((figure): Omit<Change, 'cellId' | 'family'>[] => {
    const was = a.find((old) => old.subject === figure.subject)?.value;
    const now = figure.value;
    if (was === undefined || was === null || now === undefined || now === null) {
      return [];
    }
    if (figure.unit === 'ms' && !timingsComparable) {
      return [];
    }
    const delta = now - was;
    // Durations jitter from run to run; lost writes are counts where any change matters.
    const allowed =
      figure.unit === 'ms' ? Math.max(tolerance.toleranceMs, tolerance.toleranceRatio * Math.abs(was)) : 0;
    if (Math.abs(delta) <= allowed) {
      return [];
    }
    const show = (n: number) => (figure.unit === 'ms' ? formatMs(n) : String(n));
    const sign = delta > 0 ? '+' : '-';
    return [
      {
        kind: 'figure',
        subject: figure.subject,
        before: was,
        after: now,
        regression: delta > 0,
        text: `${figure.subject} ${show(was)} → ${show(now)} (${sign}${show(Math.abs(delta))})`,
      },
    ];
  });
}

/** The changes for people (and CI logs): regressions first, then the rest, one line each. */
export function diffText(before: ResultsFile, after: ResultsFile, changes: readonly Change[]): string {
  const regressions = changes.filter((change) => change.regression);
  const apart = changes.filter((change) => change.kind === 'timings').length;
  const compared = before.cells.filter((cell) => after.cells.some((other) => other.id === cell.id)).length;
  const head =
    `rcnc diff ${before.runId} → ${after.runId}: ${compared} cell${compared === 1 ? '' : 's'} in both, ` +
    `${changes.length - apart} change${changes.length - apart === 1 ? '' : 's'}, ${regressions.length} regression${regressions.length === 1 ? '' : 's'}` +
    (apart > 0
      ? `; durations of ${apart} cell${apart === 1 ? '' : 's'} not comparable (measured alone in one run, beside other cells in the other)`
      : '');
  const width = Math.max(0, ...changes.map((change) => change.cellId.length));
  const label = (change: Change) =>
    change.regression ? 'REGRESSION' : ['added', 'removed', 'timings'].includes(change.kind) ? change.kind : 'changed';
  const line = (change: Change) => `${label(change).padEnd(10)}  ${change.cellId.padEnd(width)}  ${change.text}`;
  const ordered = [...regressions, ...changes.filter((change) => !change.regression)];
  return [head, ...ordered.map(line)].join('\n') + '\n';
}
