// `rcnc analyze DIR`, `rcnc report DIR`, `rcnc merge DIR…` and `rcnc diff OLD NEW`: commands over
// files, no lab needed.
import { join, resolve } from 'node:path';
import { UsageError } from '../util/errors.ts';
import { oneLine } from '../util/text.ts';
import { parse } from './args.ts';
import { help } from './help.ts';

export async function cmdAnalyze(args: string[]): Promise<number> {
  const { values, positionals } = parse('analyze', args);
  if (values.help) {
    return help('analyze');
  }
  if (positionals.length !== 1) {
    throw new UsageError("analyze takes one directory of collected files; see 'rcnc analyze --help'");
  }
  const { analyzeCommand, ANALYZE_FORMATS } = await import('../analyze/index.ts');
  const format = values.format ?? (values.json ? 'json' : 'text');
  if (!(ANALYZE_FORMATS as readonly string[]).includes(format) || (values.json && format !== 'json')) {
    throw new UsageError(
      `--format takes ${ANALYZE_FORMATS.join(', ')}${values.json ? ' (json with --json)' : ''}, not "${oneLine(format)}"; see 'rcnc analyze --help'`,
    );
  }
  const { output, exitCode } = await analyzeCommand(positionals[0]!, format as (typeof ANALYZE_FORMATS)[number]);
  // Exit 2 (nothing usable) is an error message of its own, already prefixed: it goes to stderr.
  (exitCode === 2 ? process.stderr : process.stdout).write(output.endsWith('\n') ? output : output + '\n');
  return exitCode;
}

export async function cmdReport(args: string[]): Promise<number> {
  const { values, positionals } = parse('report', args);
  if (values.help) {
    return help('report');
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      "report takes one report directory (or results.json), e.g. reports/latest; see 'rcnc report --help'",
    );
  }
  const { regenerateReports } = await import('../report/regenerate.ts');
  const { files } = await regenerateReports(positionals[0]!);
  for (const f of files) {
    console.log(`wrote ${f}`);
  }
  return 0;
}

export async function cmdMerge(args: string[]): Promise<number> {
  const { values, positionals } = parse('merge', args);
  if (values.help) {
    return help('merge');
  }
  if (positionals.length === 0) {
    throw new UsageError(
      "merge takes the report directories of the shards, e.g. shard-1 shard-2 --out merged; see 'rcnc merge --help'",
    );
  }
  const out = values.out ?? join('reports', 'merged');
  if (out.trim() === '') {
    throw new UsageError("--out is empty; pass the directory the joined report should go to; see 'rcnc merge --help'");
  }
  const { mergeResults, readInputs, writeMerged } = await import('../report/merge.ts');
  const { appendStepSummary, MARKDOWN_FILE } = await import('../report/write.ts');
  const inputs = await readInputs(positionals);
  const { results, selected } = mergeResults(inputs);
  for (const file of await writeMerged(results, inputs, out)) {
    console.log(`wrote ${file}`);
  }
  const stepSummary = process.env['GITHUB_STEP_SUMMARY'];
  const failed = stepSummary ? await appendStepSummary(stepSummary, results, resolve(out)) : undefined;
  if (failed) {
    console.error(`rcnc: $GITHUB_STEP_SUMMARY (${stepSummary}) could not be appended to (${failed})`);
  }
  const { finish } = await import('./outcome.ts');
  return finish(results, selected, join(out, MARKDOWN_FILE), false);
}

export async function cmdDiff(args: string[]): Promise<number> {
  const { values, positionals } = parse('diff', args);
  if (values.help) {
    return help('diff');
  }
  if (positionals.length !== 2) {
    throw new UsageError("diff takes two results files (or report directories): OLD NEW; see 'rcnc diff --help'");
  }
  const { diffResults, diffText, hasRegression, DEFAULT_TOLERANCE } = await import('../report/diff.ts');
  const { readResults } = await import('../report/write.ts');
  const tolerance = {
    toleranceMs: toleranceFlag(values['tolerance-ms'], '--tolerance-ms', DEFAULT_TOLERANCE.toleranceMs),
    toleranceRatio: toleranceFlag(values['tolerance-ratio'], '--tolerance-ratio', DEFAULT_TOLERANCE.toleranceRatio),
  };
  const [before, after] = await Promise.all(
    positionals.map((p) =>
      readResults(p).catch((e: unknown) => {
        throw new UsageError(oneLine((e as Error).message), { cause: e });
      }),
    ),
  );
  const { fidelityLines, fidelityPairs, fidelitySummary } = await import('../report/fidelity.ts');
  // A lab run and a real cluster's run of the same cells (rcnc run --provider netns, then kube):
  // their ids differ in the provider only, so each cell would show as removed and added. Those
  // pairs are compared as the report's "lab against real Kubernetes" table compares them.
  const ids = [new Set(before!.cells.map((c) => c.id)), new Set(after!.cells.map((c) => c.id))] as const;
  const pairs = fidelityPairs([
    ...before!.cells.filter((c) => !ids[1].has(c.id)),
    ...after!.cells.filter((c) => !ids[0].has(c.id)),
  ]);
  const paired = new Set(pairs.flatMap((p) => [p.lab.id, p.other.id]));
  const changes = diffResults(before!, after!, tolerance).filter(
    (c) => !(paired.has(c.cellId) && (c.kind === 'added' || c.kind === 'removed')),
  );
  const regression = hasRegression(changes);
  const disagree = pairs.filter((p) => p.differences.length > 0).length;
  if (values.json) {
    const fidelity = pairs.map((p) => ({
      id: p.id,
      lab: p.lab.id,
      real: p.other.id,
      agree: !p.notCompared && p.differences.length === 0,
      ...(p.notCompared ? { notCompared: p.notCompared } : {}),
      differences: p.differences,
    }));
    console.log(JSON.stringify({ regression, disagree, changes, ...(pairs.length ? { fidelity } : {}) }, null, 2));
  } else {
    const lab = pairs.length ? [fidelitySummary(pairs)!.split('\n')[0]!, ...fidelityLines(pairs), ''] : [];
    process.stdout.write([...lab, diffText(before!, after!, changes).replace(/\n?$/, '\n')].join('\n'));
  }
  return regression || disagree > 0 ? 1 : 0;
}

/** A tolerance flag, or its default when absent: a whole number of ms, or a ratio; never below 0. */
function toleranceFlag(
  value: string | undefined,
  flag: '--tolerance-ms' | '--tolerance-ratio',
  fallback: number,
): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  const ms = flag === '--tolerance-ms';
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (ms && !Number.isInteger(n))) {
    throw new UsageError(
      `${flag} ${value}: use ${ms ? 'a whole number of milliseconds' : 'a ratio such as 0.25 (25 %)'}, 0 or more; see 'rcnc diff --help'`,
    );
  }
  return n;
}
