// rcnc merge on real results.json shapes: the sample run cut into shards as `rcnc run --shard`
// writes them, joined again; and every way a set of reports is not the shards of one run.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile, Shard } from '../model/results.ts';
import { UsageError } from '../util/errors.ts';
import { mergeResults, readInputs, writeMerged, type MergeInput } from './merge.ts';
import { buildResults, readResults } from './write.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/report/', import.meta.url));
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';

let sample: ResultsFile;
beforeAll(async () => {
  sample = await readResults(join(FIXTURES, 'results.sample.json'));
});

/** The sample's cells `pick`ed, as the shard `shard` of a run that started `offsetMs` after it. */
function part(pick: (cell: CellResult, i: number) => boolean, shard?: Shard, offsetMs = 0): ResultsFile {
  return buildResults({
    runId: `shard-${shard?.index ?? 'whole'}`,
    startedAt: new Date(Date.parse(sample.startedAt) + offsetMs),
    finishedAt: new Date(Date.parse(sample.finishedAt) + offsetMs),
    cells: sample.cells.filter(pick),
    environment: sample.environment,
    familyWallMs: { 'nat-meet': 10_000 + offsetMs, snat: 5_000 },
    ...(shard ? { shard } : {}),
  });
}

const input = (given: string, results: ResultsFile): MergeInput => ({ given, dir: `/nonexistent/${given}`, results });
const of2 = (index: number): Shard => ({ index, count: 2, selected: 12 });
const halves = () => [
  input(
    'b',
    part((_, i) => i % 2 === 1, of2(2), 60_000),
  ),
  input(
    'a',
    part((_, i) => i % 2 === 0, of2(1)),
  ),
];

describe('mergeResults', () => {
  test('two shards join into the cells and verdicts of the whole run', () => {
    const { results, selected } = mergeResults(halves());
    expect(selected).toBe(12);
    expect(results.cells).toEqual(sample.cells);
    expect(results.summary).toEqual(sample.summary);
    expect(results.shard).toBeUndefined();
    // From the first start to the last end; each family as long as its slowest shard.
    expect(results.startedAt).toBe(sample.startedAt);
    expect(results.finishedAt).toBe(new Date(Date.parse(sample.finishedAt) + 60_000).toISOString());
    expect(results.familyWallMs).toEqual({ 'nat-meet': 70_000, snat: 5_000 });
    expect(results.runId).toBe('shard-1-merged');
    expect(results.environment).toEqual(sample.environment);
  });

  test('a missing shard is refused, naming it and the cells it leaves out', () => {
    expect(() => mergeResults(halves().slice(1))).toThrow(
      new UsageError(
        "shard 2/2 missing: the given ones hold 6 of the 12 selected cells; pass every shard's report directory",
      ),
    );
  });

  test('a missing shard is no loss when the others hold every cell (it had none to run)', () => {
    const all = input(
      'a',
      part(() => true, { index: 1, count: 3, selected: 12 }),
    );
    expect(mergeResults([all]).results.cells).toEqual(sample.cells);
  });

  test.each([
    [
      'the same shard twice',
      () => [
        input(
          'a',
          part((_, i) => i % 2 === 0, of2(1)),
        ),
        input(
          'a2',
          part((_, i) => i % 2 === 0, of2(1)),
        ),
      ],
      'shard 1/2 is given twice (a, a2); give each once',
    ],
    [
      'shards of different splits',
      () => [
        input(
          'a',
          part((_, i) => i < 6, of2(1)),
        ),
        input(
          'c',
          part((_, i) => i >= 6, { index: 2, count: 3, selected: 12 }),
        ),
      ],
      'a is shard 1/2 of 12 cells but c is shard 2/3 of 12 cells: not parts of one split',
    ],
    [
      'a whole run beside a shard',
      () => [
        input(
          'a',
          part((_, i) => i < 6, of2(1)),
        ),
        input(
          'whole',
          part((_, i) => i >= 6),
        ),
      ],
      'whole is a whole run, not a shard (--shard I/N); merge the shards of one run only',
    ],
    [
      'runs that share a cell',
      () => [
        input(
          'x',
          part((_, i) => i < 7),
        ),
        input(
          'y',
          part((_, i) => i >= 6),
        ),
      ],
      'cell netns/flannel-vxlan/pod-ip/announce-none is in both x and y; merge the shards of one run, each once',
    ],
    [
      'shards of another Redis',
      () => {
        const [b, a] = halves();
        b!.results.environment = { ...b!.results.environment, redis: '7.2.4' };
        return [a!, b!];
      },
      'a ran rcnc 0.1.0 (db996d6), Redis 7.0.15 but b ran rcnc 0.1.0 (db996d6), Redis 7.2.4: not one run',
    ],
  ])('%s: refused', (_name, inputs, message) => {
    expect(() => mergeResults(inputs())).toThrow(new UsageError(message));
  });
});

describe('writeMerged', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcnc-merge-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Shard report directories as `rcnc run --shard` leaves them, artifacts with their cells. */
  async function shardDirs(): Promise<string[]> {
    const paths: string[] = [];
    for (const [index, pick] of [
      [1, (cell: CellResult) => cell.id !== CLASSIC],
      [2, (cell: CellResult) => cell.id === CLASSIC],
    ] as const) {
      const shardDir = join(dir, `shard-${index}`);
      await mkdir(shardDir);
      await writeFile(join(shardDir, 'results.json'), JSON.stringify(part(pick, of2(index))));
      if (index === 2) {
        await cp(join(FIXTURES, 'artifacts'), join(shardDir, 'artifacts'), { recursive: true });
      }
      paths.push(shardDir);
    }
    return paths;
  }

  test("writes results.json, the reports and every shard's artifacts, and replaces an earlier merge", async () => {
    const paths = await shardDirs();
    const out = join(dir, 'merged');
    for (let round = 0; round < 2; round++) {
      const inputs = await readInputs([paths[0]!, join(paths[1]!, 'results.json')]);
      const { results } = mergeResults(inputs);
      const files = await writeMerged(results, inputs, out);
      expect(files.map((f) => f.slice(out.length + 1))).toEqual([
        'results.json',
        'compatibility.md',
        'junit.xml',
        'index.html',
      ]);
    }
    expect((await readdir(out)).sort()).toEqual([
      'artifacts',
      'compatibility.md',
      'index.html',
      'junit.xml',
      'results.json',
    ]);
    expect((await readResults(out)).cells).toEqual(sample.cells);
    const classic = sample.cells.find((c) => c.id === CLASSIC)!;
    for (const artifact of classic.artifacts) {
      expect(existsSync(join(out, artifact)), artifact).toBe(true);
    }
    // The page embeds the evidence of the shard that ran the cell.
    const ghost = await readFile(
      join(FIXTURES, 'artifacts/netns_flannel-vxlan_nodeport_announce-none/redis-0.cluster-nodes.txt'),
      'utf8',
    );
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).toContain(ghost.split('\n')[0]!.split(' ')[0]);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['merged', 'shard-1', 'shard-2']));
    expect((await readdir(dir)).length).toBe(3);
  });

  test('refuses an --out that overlaps a shard or holds anything but a report', async () => {
    const paths = await shardDirs();
    const inputs = await readInputs(paths);
    const { results } = mergeResults(inputs);
    await expect(writeMerged(results, inputs, paths[0]!)).rejects.toThrow(
      /overlaps .*shard-1, one of the reports to merge/,
    );
    await expect(writeMerged(results, inputs, dir)).rejects.toThrow(/overlaps/);
    const busy = join(dir, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'notes.txt'), 'mine');
    await expect(writeMerged(results, inputs, busy)).rejects.toThrow(
      /--out .*busy holds notes\.txt, not a report; pass a new or empty directory/,
    );
    expect(await readFile(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
