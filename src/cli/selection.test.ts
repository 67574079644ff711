// Which cells a run runs: exclusions, the --quick subset and --shard, over the real matrix.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { allCells } from '../../scenarios/registry.ts';
import type { AnyCell } from '../model/cell.ts';
import { EXPOSURES, FAMILIES } from '../model/dimensions.ts';
import { UsageError } from '../util/errors.ts';
import { cellPatterns, parseShard, QUICK_CELLS, selectCells, shardOf } from './selection.ts';

const matrix = (provider: 'netns' | 'kube', which: 'default' | 'full' = 'default'): AnyCell[] =>
  allCells(provider, which);
const ids = (cells: AnyCell[]) => cells.map((c) => c.id);

describe('leaving cells out', () => {
  test("--cell '!GLOB' and --skip GLOB leave out what they match, whatever else matches it", () => {
    const filter = { provider: ['netns'], ...cellPatterns(['netns/no-nat/*,!*/views'], ['*/pod-churn-master']) };
    expect(filter).toMatchObject({ cells: ['netns/no-nat/*'], exclude: ['*/views', '*/pod-churn-master'] });
    expect(ids(selectCells(matrix('netns'), { filter }).cells)).toEqual([
      'netns/no-nat/pod-ip/announce-none/2-nodes',
      'netns/no-nat/host-network/announce-none/2-nodes',
      'netns/no-nat/pod-ip/announce-none/2-nodes/pod-same-node',
      'netns/no-nat/pod-ip/announce-none/2-nodes/pod-other-node',
      'netns/no-nat/pod-ip/announce-none/3-nodes/node-loss',
      'netns/no-nat/pod-ip/announce-none/redis-5983',
      'netns/no-nat/pod-ip/announce-none/2-nodes/ot-927',
      'netns/no-nat/pod-ip/announce-none/bitnami-10067',
      'netns/no-nat/host-network/announce-none/3-nodes/bitnami-11341',
    ]);
  });

  test('exclusions alone leave out from the whole matrix', () => {
    const all = matrix('netns');
    const { cells } = selectCells(all, { filter: cellPatterns(['!netns/flannel-vxlan/*'], undefined) });
    expect(cells.length).toBe(all.filter((c) => c.dims.profile !== 'flannel-vxlan').length);
    expect(cells.length).toBeGreaterThan(0);
  });

  test("a bare '!' is refused", () => {
    expect(() => cellPatterns(['!'], undefined)).toThrow(UsageError);
  });
});

describe('--quick', () => {
  test('every quick cell exists on the netns lab, and together they cover every family and exposure', () => {
    const { cells } = selectCells(matrix('netns'), { filter: {}, quick: true });
    expect(
      ids(cells)
        .map((id) => id.replace(/^netns\//, ''))
        .sort(),
    ).toEqual([...QUICK_CELLS].sort());
    expect([...new Set(cells.map((c) => c.family))].sort()).toEqual([...FAMILIES].sort());
    expect([...new Set(cells.map((c) => c.dims.exposure))].sort()).toEqual([...EXPOSURES].sort());
    // Timing cells want the machine alone: a pull request's quick run has none.
    expect(cells.filter((c) => c.runAlone)).toEqual([]);
  });

  test('combines with the other filters, and takes the run provider’s cells', () => {
    const nodeport = selectCells(matrix('netns'), { filter: { exposure: ['nodeport'] }, quick: true }).cells;
    expect(nodeport.length).toBeGreaterThan(0);
    expect(nodeport.every((c) => c.dims.exposure === 'nodeport')).toBe(true);
    const kube = selectCells(matrix('kube'), { filter: {}, quick: true }).cells;
    expect(kube.length).toBeGreaterThan(0);
    expect(kube.every((c) => c.id.startsWith('kube/'))).toBe(true);
  });

  test('README lists exactly the quick cells', async () => {
    const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- quick cells -->'), readme.indexOf('<!-- end of quick cells -->'));
    const listed = [...section.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]);
    expect(listed).toEqual([...QUICK_CELLS]);
  });
});

describe('--shard', () => {
  test('parses I/N and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3', '-1/2']) {
      expect(() => parseShard(bad), bad).toThrow(/--shard .*: give I\/N/);
    }
  });

  test.each([
    ['default', 2],
    ['default', 3],
    ['default', 5],
    ['full', 2],
    ['full', 3],
    ['full', 4],
    ['full', 7],
    ['full', 10],
  ] as const)('the %s matrix in %i shards: disjoint, complete, balanced', (which, count) => {
    const all = matrix('netns', which);
    const parts = Array.from({ length: count }, (_, i) => shardOf(all, { index: i + 1, count }));
    expect(parts.flatMap(ids).sort()).toEqual(ids(all).sort());
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    // The slow kinds spread too: cells that run alone, and each family.
    for (const kind of [(c: AnyCell) => !!c.runAlone, ...FAMILIES.map((f) => (c: AnyCell) => c.family === f)]) {
      const counts = parts.map((p) => p.filter(kind).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  test('depends on the selected ids only, not on the order they are listed in', () => {
    const all = matrix('netns');
    const shuffled = [...all].reverse();
    expect(ids(shardOf(shuffled, { index: 2, count: 3 })).sort()).toEqual(
      ids(shardOf(all, { index: 2, count: 3 })).sort(),
    );
  });

  test('selectCells records the selection the shard was cut from', () => {
    const { cells, shard } = selectCells(matrix('netns'), { filter: {}, quick: true, shard: { index: 2, count: 5 } });
    expect(shard).toEqual({ index: 2, count: 5, selected: QUICK_CELLS.length });
    expect(cells.length).toBeGreaterThanOrEqual(2);
  });
});
