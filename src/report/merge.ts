// `rcnc merge DIR… --out DIR`: the reports of the shards of one run (`rcnc run --shard I/N`, each in
// its own CI job) joined into one, as if the run had not been split: every cell once, with its
// verdict and evidence, and compatibility.md, junit.xml and index.html written from the whole.
// Shards record how they were split (results.json `shard`), so a shard given twice, a shard of
// another split or a missing one is refused rather than joined into a report that looks complete.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Family } from '../model/dimensions.ts';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { UsageError } from '../util/errors.ts';
import { oneLine } from '../util/text.ts';
import { HTML_FILE } from './html/index.ts';
import {
  buildResults,
  JUNIT_FILE,
  MARKDOWN_FILE,
  readResults,
  RESULTS_FILE,
  swapIn,
  writeDerivedReports,
  writeFileAtomic,
} from './write.ts';

/** One report joined: where it was given, the directory that holds it, what it holds. */
export interface MergeInput {
  given: string;
  dir: string;
  results: ResultsFile;
}

export interface Merged {
  results: ResultsFile;
  /** How many cells the run selected before it was split (more than it holds when --fail-fast stopped a shard). */
  selected: number;
}

/** Reads every report (a directory or its results.json); one that cannot be read is bad input. */
export async function readInputs(paths: string[]): Promise<MergeInput[]> {
  return Promise.all(
    paths.map(async (given) => {
      const target = resolve(given);
      const dir = (await stat(target).catch(() => undefined))?.isDirectory() ? target : dirname(target);
      const results = await readResults(given).catch((e: unknown) => {
        throw new UsageError(oneLine((e as Error).message), { cause: e });
      });
      return { given, dir, results };
    }),
  );
}

/** The shards as one run; a UsageError for inputs that are not the shards of one run, each once. */
export function mergeResults(inputs: MergeInput[]): Merged {
  const ordered = [...inputs].sort((a, b) => (a.results.shard?.index ?? 0) - (b.results.shard?.index ?? 0));
  const selected = checkShards(ordered);
  checkSameRun(ordered);
  const cells = uniqueCells(ordered);
  const first = ordered[0]!.results;
  const starts = ordered.map((input) => Date.parse(input.results.startedAt));
  const ends = ordered.map((input) => Date.parse(input.results.finishedAt));
  const runIds = new Set(ordered.map((input) => input.results.runId));
  const earliest = ordered[starts.indexOf(Math.min(...starts))]!.results;
  const results = buildResults({
    runId: runIds.size === 1 ? first.runId : `${earliest.runId}-merged`,
    startedAt: new Date(Math.min(...starts)),
    finishedAt: new Date(Math.max(...ends)),
    cells,
    environment: first.environment,
    familyWallMs: familyWall(ordered),
  });
  return { results, selected: selected ?? cells.length };
}

/**
 * Shards must all be parts of one split, each once, none missing unless the given ones already hold
 * every selected cell (a shard with nothing to run writes no report). Returns the selection's size.
 */
function checkShards(inputs: MergeInput[]): number | undefined {
  const shards = inputs.filter((input) => input.results.shard);
  if (shards.length === 0) {
    return undefined;
  }
  const whole = inputs.find((input) => !input.results.shard);
  if (whole) {
    throw new UsageError(`${whole.given} is a whole run, not a shard (--shard I/N); merge the shards of one run only`);
  }
  const [{ results: one, given }] = shards as [MergeInput];
  const { count, selected } = one.shard!;
  const other = shards.find(
    (input) => input.results.shard!.count !== count || input.results.shard!.selected !== selected,
  );
  if (other) {
    const describe = (r: ResultsFile) => `shard ${r.shard!.index}/${r.shard!.count} of ${r.shard!.selected} cells`;
    throw new UsageError(
      `${given} is ${describe(one)} but ${other.given} is ${describe(other.results)}: not parts of one split`,
    );
  }
  for (let index = 1; index <= count; index++) {
    const same = shards.filter((input) => input.results.shard!.index === index);
    if (same.length > 1) {
      throw new UsageError(
        `shard ${index}/${count} is given twice (${same.map((s) => s.given).join(', ')}); give each once`,
      );
    }
  }
  const held = shards.reduce((sum, input) => sum + input.results.cells.length, 0);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter(
    (index) => !shards.some((input) => input.results.shard!.index === index),
  );
  if (missing.length > 0 && held < selected) {
    throw new UsageError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: ` +
        `the given ones hold ${held} of the ${selected} selected cells; pass every shard's report directory`,
    );
  }
  return selected;
}

/** Shards of one run ran the same rcnc and the same Redis; cells of different ones are not one matrix. */
function checkSameRun(inputs: MergeInput[]): void {
  const facts = (r: ResultsFile) =>
    `rcnc ${r.environment.rcnc?.version ?? '?'}${r.environment.rcnc?.commit ? ` (${r.environment.rcnc.commit})` : ''}, ` +
    `Redis ${r.environment.redis ?? '?'}`;
  const [first, ...rest] = inputs;
  const other = rest.find((input) => facts(input.results) !== facts(first!.results));
  if (other) {
    throw new UsageError(
      `${first!.given} ran ${facts(first!.results)} but ${other.given} ran ${facts(other.results)}: not one run`,
    );
  }
}

function uniqueCells(inputs: MergeInput[]): CellResult[] {
  const seen = new Map<string, string>();
  const cells: CellResult[] = [];
  for (const { given, results } of inputs) {
    for (const cell of results.cells) {
      const before = seen.get(cell.id);
      if (before !== undefined) {
        throw new UsageError(
          `cell ${cell.id} is in both ${before} and ${given}; merge the shards of one run, each once`,
        );
      }
      seen.set(cell.id, given);
      cells.push(cell);
    }
  }
  return cells;
}

/** Shards run side by side (parallel CI jobs): a family took as long as its slowest shard. */
function familyWall(inputs: MergeInput[]): ResultsFile['familyWallMs'] {
  const wall: Partial<Record<Family, number>> = {};
  for (const { results } of inputs) {
    for (const [family, ms] of Object.entries(results.familyWallMs ?? {}) as [Family, number][]) {
      wall[family] = Math.max(wall[family] ?? 0, ms);
    }
  }
  return wall;
}

/** What a report directory holds; an --out that holds anything else is not rcnc's to replace. */
const REPORT_ENTRIES = new Set([RESULTS_FILE, MARKDOWN_FILE, JUNIT_FILE, HTML_FILE, 'artifacts']);

/**
 * Writes the merged report into `out`: results.json, every shard's artifacts, and the reports
 * derived from the whole. `out` is replaced in one rename; it must be new, empty, or an earlier
 * report (nothing but report files), and none of the inputs.
 */
export async function writeMerged(merged: ResultsFile, inputs: MergeInput[], out: string): Promise<string[]> {
  const target = resolve(out);
  await checkOut(target, out, inputs);
  await mkdir(dirname(target), { recursive: true });
  const staging = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.new`);
  try {
    await mkdir(staging);
    for (const input of inputs) {
      const artifacts = join(input.dir, 'artifacts');
      if (existsSync(artifacts)) {
        await cp(artifacts, join(staging, 'artifacts'), { recursive: true, errorOnExist: true, force: false });
      }
    }
    await writeFileAtomic(join(staging, RESULTS_FILE), JSON.stringify(merged, null, 2) + '\n');
    const derived = await writeDerivedReports(staging, merged);
    await swapIn(staging, target);
    return [RESULTS_FILE, ...derived.map((file) => basename(file))].map((name) => join(target, name));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function checkOut(target: string, out: string, inputs: MergeInput[]): Promise<void> {
  const input = inputs.find(
    (i) => i.dir === target || target.startsWith(`${i.dir}/`) || i.dir.startsWith(`${target}/`),
  );
  if (input) {
    throw new UsageError(`--out ${out} overlaps ${input.given}, one of the reports to merge; pass another directory`);
  }
  const entries = await readdir(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') {
      return [];
    }
    throw new UsageError(`--out ${out}: cannot use it (${e.code ?? e.message}); pass a new or empty directory`);
  });
  const foreign = entries.filter((name) => !REPORT_ENTRIES.has(name));
  if (foreign.length > 0) {
    throw new UsageError(
      `--out ${out} holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}, not a report; pass a new or empty directory`,
    );
  }
}
