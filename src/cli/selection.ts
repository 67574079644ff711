// Which cells `rcnc run` runs: the filters (`--scenario`, `--profile`, `--exposure`, `--cell`), what
// is left out (`--cell '!GLOB'`, `--skip GLOB`), the pull-request subset (`--quick`) and one part of
// the selection (`--shard INDEX/COUNT`). The CLI resolves the selection once, here, and hands the
// workers the exact ids: what `--list` shows is what runs, and every shard of a CI job splits the
// same list the same way.
import { filterCells, type AnyCell, type CellFilter } from '../model/cell.ts';
import { FAMILIES } from '../model/dimensions.ts';
import type { Shard } from '../model/results.ts';
import { UsageError } from '../util/errors.ts';
import { compareStrings } from '../util/text.ts';

/**
 * `--quick`: a fixed subset for pull requests, every family and every exposure at least once, the
 * classic failure and each kind of answer (works, works-with-announce, rewritten, kept, dropped,
 * heals) among them; no timing cell, which would want the machine alone. Ids without their
 * provider: `--quick` takes those of the run's provider. README lists them (a test checks it).
 */
export const QUICK_CELLS = [
  'flannel-vxlan/nodeport/announce-none',
  'flannel-vxlan/nodeport/announce-ip',
  'flannel-vxlan/pod-ip/announce-none',
  'flannel-vxlan/host-network/announce-none',
  'calico-vxlan/nodeport/announce-none',
  'flannel-vxlan/pod-ip/announce-none/2-nodes/pod-other-node',
  'flannel-vxlan/nodeport/announce-none/2-nodes/nodeport-local-endpoint',
  'flannel-vxlan/nodeport/announce-none/local/2-nodes/external-nodeport-remote',
  'flannel-vxlan/pod-ip/announce-none/3-nodes/pod-churn-master',
  'flannel-vxlan/nodeport/announce-ip/3-nodes/pod-churn-master',
  'flannel-vxlan/nodeport/announce-none/2-nodes/views',
  'flannel-vxlan/loadbalancer/announce-none/2-nodes/views',
  'flannel-vxlan/pod-ip/announce-none/2-nodes/flannel-1059',
] as const;

/** A part of the selection as `--shard` names it. */
export type ShardSpec = Pick<Shard, 'index' | 'count'>;

export interface Selection {
  filter: CellFilter;
  quick?: boolean;
  shard?: ShardSpec;
}

/** The cells a run runs, from every cell its provider and matrix have, in the order given. */
export function selectCells<C extends AnyCell>(all: C[], selection: Selection): { cells: C[]; shard?: Shard } {
  let cells = filterCells(all, selection.filter);
  if (selection.quick) {
    const quick = new Set<string>(QUICK_CELLS);
    cells = cells.filter((cell) => quick.has(cell.id.slice(cell.id.indexOf('/') + 1)));
  }
  if (!selection.shard) {
    return { cells };
  }
  return { cells: shardOf(cells, selection.shard), shard: { ...selection.shard, selected: cells.length } };
}

/**
 * `--cell` values, repeated or comma-separated: ids and globs to run, and those written `!GLOB` to
 * leave out; `--skip` values are more of the latter.
 */
export function cellPatterns(
  cell: string[] | undefined,
  skip: string[] | undefined,
): Pick<CellFilter, 'cells' | 'exclude'> {
  const items = (values: string[] | undefined) =>
    (values ?? [])
      .flatMap((value) => value.split(','))
      .map((item) => item.trim())
      .filter(Boolean);
  const given = items(cell);
  const cells = given.filter((item) => !item.startsWith('!'));
  const exclude = [...given.filter((item) => item.startsWith('!')).map((item) => item.slice(1)), ...items(skip)];
  if (exclude.some((item) => item === '')) {
    throw new UsageError("--cell '!': name the cells to leave out after the !, e.g. --cell '!*/scale-*'");
  }
  return { ...(cells.length ? { cells } : {}), ...(exclude.length ? { exclude } : {}) };
}

/** `--shard 2/3`: the second of three parts. */
export function parseShard(value: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > 1000 || index < 1 || index > count) {
    throw new UsageError(`--shard ${value}: give I/N, part I of N with 1 ≤ I ≤ N, e.g. --shard 1/3`);
  }
  return { index, count };
}

/**
 * One shard of the selection. Cells are dealt one by one, in an order that depends only on their
 * ids and kinds (cells that run alone first, larger ones before smaller, then by id), each to the
 * shard with the fewest of its family, then of cells that run alone (for one of those), then of
 * cells in all: the shards differ by at most a cell or so in size and in each kind, so no shard
 * gets all the slow ones (failover windows, Sentinel), and every shard of a CI job computes the
 * same split.
 */
export function shardOf<C extends AnyCell>(cells: C[], shard: ShardSpec): C[] {
  const ordered = [...cells].sort(
    (a, b) =>
      Number(!a.runAlone) - Number(!b.runAlone) ||
      FAMILIES.indexOf(a.family) - FAMILIES.indexOf(b.family) ||
      (b.slots ?? 1) - (a.slots ?? 1) ||
      compareStrings(a.id, b.id),
  );
  const parts = Array.from({ length: shard.count }, () => ({ total: 0, alone: 0, family: new Map<string, number>() }));
  const mine = new Set<C>();
  for (const cell of ordered) {
    const load = (i: number) => {
      const part = parts[i]!;
      return [part.family.get(cell.family) ?? 0, cell.runAlone ? part.alone : 0, part.total, i];
    };
    let best = 0;
    for (let i = 1; i < parts.length; i++) {
      if (lighter(load(i), load(best))) {
        best = i;
      }
    }
    const part = parts[best]!;
    part.total += 1;
    part.alone += cell.runAlone ? 1 : 0;
    part.family.set(cell.family, (part.family.get(cell.family) ?? 0) + 1);
    if (best === shard.index - 1) {
      mine.add(cell);
    }
  }
  return cells.filter((cell) => mine.has(cell));
}

/** Lexicographic: the first figure that differs decides. */
function lighter(a: number[], b: number[]): boolean {
  const k = a.findIndex((value, i) => value !== b[i]);
  return k >= 0 && a[k]! < b[k]!;
}
