// The vitest reporter that turns scenario cells into reports. Scenarios put a `CellRecord` in
// `task.meta.rcnc`; at the end of the run every such test case becomes a `CellResult` with the
// vitest outcome as its verdict. Tests without that meta (unit tests) are ignored, and a run with
// no cells writes nothing, so this reporter can stay in the shared config for every project.
import { join } from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { CellRecord, CellResult, ResultsFile, Verdict } from '../model/results.ts';
import { runConfigFromEnv, type RunConfig } from '../suite/run-config.ts';
import { errorText } from '../util/errors.ts';
import { firstLines, oneLine, stripAnsi } from '../util/text.ts';
import { gatherEnvironment } from './environment.ts';
import { displayPath } from './format.ts';
import { provenanceOf, wordOf } from './words.ts';
import { buildResults, HTML_FILE, MARKDOWN_FILE, validateResults, writeReports } from './write.ts';

export interface RcncReporterOptions {
  /**
   * Print nothing on success. `rcnc run` sets it (as `[reporterPath, { quiet: true }]`) because it
   * prints its own summary, and with --json stdout must hold the JSON alone.
   */
  quiet?: boolean;
  /** The run's settings (report dir, run id, Redis version); from the environment when absent. */
  config?: RunConfig;
}

export default class RcncReporter implements Reporter {
  // Overwritten by onTestRunStart; the fallback covers runners that never call it.
  private startedAt = new Date();

  constructor(private readonly options: RcncReporterOptions = {}) {}

  onTestRunStart(): void {
    this.startedAt = new Date();
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    try {
      const cells = collectCells(testModules);
      if (cells.length === 0) {
        return;
      }
      const config = this.options.config ?? runConfigFromEnv(process.env);
      const run = { startedAt: this.startedAt, finishedAt: new Date(), familyWallMs: familyWallMs(testModules) };
      await report(cells, config, run, this.options.quiet === true);
    } catch (error) {
      // A broken report must not turn a finished test run into a crash; say what failed and go on.
      process.stderr.write(`rcnc: could not write the reports: ${oneLine(errorMessage(error))}\n`);
    }
  }
}

async function report(
  cells: CellResult[],
  config: RunConfig,
  run: { startedAt: Date; finishedAt: Date; familyWallMs: ResultsFile['familyWallMs'] },
  quiet: boolean,
): Promise<void> {
  const { reportDir, runId } = config;
  const environment = await gatherEnvironment(config, cells);
  const results = buildResults({ runId, ...run, cells, environment, ...(config.shard ? { shard: config.shard } : {}) });
  // Written anyway: a malformed cell is the scenario's bug, and its evidence is still worth keeping.
  const problems = validateResults(results);
  if (problems.length > 0) {
    process.stderr.write(`rcnc: ${problems.length} schema problem(s) in the cells, first: ${problems[0]}\n`);
  }
  const stepSummary = process.env['GITHUB_STEP_SUMMARY'] || undefined;
  const written = await writeReports(results, { reportDir, runId, stepSummary });
  if (written.stepSummaryError) {
    process.stderr.write(
      `rcnc: the reports are in ${written.dir}, but $GITHUB_STEP_SUMMARY (${stepSummary}) could not be appended to (${written.stepSummaryError})\n`,
    );
  }
  if (!quiet) {
    const shown = [MARKDOWN_FILE, HTML_FILE].map((name) => displayPath(join(written.dir, name)));
    process.stdout.write(`rcnc report: ${shown.join(', ')}\n`);
  }
}

export function collectCells(testModules: ReadonlyArray<TestModule>): CellResult[] {
  const cells: CellResult[] = [];
  for (const testModule of testModules) {
    for (const testCase of testModule.children.allTests()) {
      const record = cellRecordOf(testCase);
      if (record) {
        cells.push(cellResult(testCase, record));
      }
    }
  }
  return cells;
}

/**
 * How long each family's scenario file ran: a module's duration is its wall time (vitest times the
 * file's suite from start to end), and the lab runs files one after another.
 */
export function familyWallMs(testModules: ReadonlyArray<TestModule>): ResultsFile['familyWallMs'] {
  const wall: NonNullable<ResultsFile['familyWallMs']> = {};
  for (const testModule of testModules) {
    const family = [...testModule.children.allTests()].map(cellRecordOf).find(Boolean)?.family;
    if (family) {
      wall[family] = (wall[family] ?? 0) + Math.round(testModule.diagnostic().duration);
    }
  }
  return wall;
}

/**
 * Typed locally rather than through the `declare module 'vitest'` augmentation in results.ts: that
 * augmentation does not reliably reach the `TaskMeta` that `vitest/node` returns (it depends on which
 * files of the program import 'vitest'), and the reporter must type-check on its own.
 */
function cellRecordOf(testCase: TestCase): CellRecord | undefined {
  const meta: ReturnType<TestCase['meta']> & { rcnc?: CellRecord; rcncSharedCores?: string } = testCase.meta();
  return meta.rcnc && meta.rcncSharedCores ? { ...meta.rcnc, sharedCores: meta.rcncSharedCores } : meta.rcnc;
}

function cellResult(testCase: TestCase, record: CellRecord): CellResult {
  const verdict: Verdict = outcome(testCase, record);
  // Meta crosses a worker boundary as JSON and may be half-filled when a test threw early. The
  // compatibility word is derived again from the observation, so it can never contradict it (and
  // a word without an observation is dropped).
  const { compatibility: _stored, ...rest } = record;
  const compatibility = wordOf(record);
  return {
    ...rest,
    // Records from before scenarios set provenance (or a cell that threw first) get it from their dims.
    provenance: provenanceOf(record),
    ...(compatibility !== undefined ? { compatibility } : {}),
    timings: record.timings ?? {},
    artifacts: record.artifacts ?? [],
    verdict,
    // The cell's own run time: with cells side by side, the test's duration also counts its wait
    // for a place in the pool.
    durationMs: Math.round(record.timings?.['total'] ?? testCase.diagnostic()?.duration ?? 0),
  } as CellResult;
}

function outcome(testCase: TestCase, record: CellRecord): Pick<Verdict, 'status' | 'reason'> {
  const result = testCase.result();
  switch (result.state) {
    case 'passed':
      return { status: 'pass' };
    case 'failed': {
      const message = errorText(result.errors[0]);
      return {
        status: 'fail',
        reason: message ? firstLines(stripAnsi(message), 2) : 'failed without an error message',
      };
    }
    case 'skipped':
      return { status: 'skip', reason: record.skipReason ?? result.note ?? `test marked ${testCase.options.mode}` };
    case 'pending':
      // Only an interrupted run ends with pending cases; the cell neither passed nor failed.
      return { status: 'skip', reason: 'the run was interrupted before this cell finished' };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
