// Builds, validates, reads and writes `results.json` and the reports derived from it. The run
// directory is the source of truth; `latest/` is a plain copy of it because CI artifact uploaders
// and Windows checkouts do not follow symlinks.
import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RESULTS_SCHEMA_VERSION, type CellResult, type ResultsFile } from '../model/results.ts';
import { compareStrings } from '../util/text.ts';
import { displayPath } from './format.ts';
import { HTML_FILE, indexHtml, loadEvidence } from './html/index.ts';
import { junitXml } from './junit.ts';
import { compatibilityMarkdown } from './markdown.ts';
import { stepSummaryMarkdown } from './step-summary.ts';
import { isRecord, validateResults } from './validate.ts';

export interface WriteOptions {
  /** Parent of all run directories, e.g. `reports`. */
  reportDir: string;
  runId: string;
  /** Path from `$GITHUB_STEP_SUMMARY`; the run's summary (step-summary.ts) is appended to it. */
  stepSummary?: string;
}

export interface WrittenReports {
  dir: string;
  latest: string;
  files: string[];
  /** Why the step summary could not be appended to, when it could not (the reports were written). */
  stepSummaryError?: string;
}

export const RESULTS_FILE = 'results.json';
export const MARKDOWN_FILE = 'compatibility.md';
export const JUNIT_FILE = 'junit.xml';
export { HTML_FILE, validateResults };
const LATEST = 'latest';

export function buildResults(args: {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  cells: CellResult[];
  environment: ResultsFile['environment'];
  familyWallMs?: ResultsFile['familyWallMs'];
  shard?: ResultsFile['shard'];
}): ResultsFile {
  // Code-unit order, not localeCompare: the same cells must give the same file on every machine.
  const cells = [...args.cells].sort((a, b) => compareStrings(a.id, b.id));
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: args.runId,
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    environment: args.environment,
    cells,
    summary: countVerdicts(cells),
    ...(args.familyWallMs && Object.keys(args.familyWallMs).length > 0 ? { familyWallMs: args.familyWallMs } : {}),
    ...(args.shard ? { shard: args.shard } : {}),
  };
}

export function countVerdicts(cells: readonly CellResult[]): ResultsFile['summary'] {
  const summary = { pass: 0, fail: 0, skip: 0 };
  for (const cell of cells) {
    summary[cell.verdict.status] += 1;
  }
  return summary;
}

export async function writeReports(results: ResultsFile, opts: WriteOptions): Promise<WrittenReports> {
  assertSafeRunId(opts.runId);
  const root = resolve(opts.reportDir);
  const dir = join(root, opts.runId);
  await mkdir(dir, { recursive: true });

  const resultsFile = join(dir, RESULTS_FILE);
  await writeFileAtomic(resultsFile, JSON.stringify(results, null, 2) + '\n');
  const files = [resultsFile, ...(await writeDerivedReports(dir, results))];

  const latest = join(root, LATEST);
  await replaceWithCopy(dir, latest);
  const stepSummaryError = opts.stepSummary ? await appendStepSummary(opts.stepSummary, results, dir) : undefined;
  return { dir, latest, files, ...(stepSummaryError ? { stepSummaryError } : {}) };
}

/**
 * Appends the run's summary to a GitHub step summary file; returns why it could not, if it could
 * not. GitHub renders every append as part of the job summary: several runs in one job each add theirs.
 */
export async function appendStepSummary(
  file: string,
  results: ResultsFile,
  reportDir: string,
): Promise<string | undefined> {
  const markdown = stepSummaryMarkdown(results, { reportDir: displayPath(reportDir) });
  return appendFile(file, markdown + '\n').then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e.code ?? e.message,
  );
}

/**
 * Writes the reports derived from `results` into `dir`: compatibility.md, junit.xml and index.html
 * (which embeds the artifacts under `dir`). Never touches results.json or the artifacts, so
 * `rcnc report DIR` can rebuild the views of an old run with a newer rcnc.
 */
export async function writeDerivedReports(dir: string, results: ResultsFile): Promise<string[]> {
  const evidence = await loadEvidence(dir, results);
  const outputs: [string, string][] = [
    [MARKDOWN_FILE, compatibilityMarkdown(results)],
    [JUNIT_FILE, junitXml(results)],
    [HTML_FILE, indexHtml(results, evidence)],
  ];
  const files: string[] = [];
  for (const [name, text] of outputs) {
    const file = join(dir, name);
    await writeFileAtomic(file, text);
    files.push(file);
  }
  return files;
}

/** `latest` and path separators would make the run directory overwrite or escape the report dir. */
function assertSafeRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId === LATEST || runId.includes('..')) {
    throw new Error(
      `invalid run id ${JSON.stringify(runId)}: use letters, digits, '.', '_' and '-' only (and not "${LATEST}")`,
    );
  }
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  // Readers (the HTML viewer, a CI uploader) never see a half-written file.
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, file);
}

/**
 * Copies `source` next to `target` first and swaps it in with renames, so `target` is missing only
 * for the instant between two renames and a crash mid-copy leaves the old copy in place.
 */
async function replaceWithCopy(source: string, target: string): Promise<void> {
  const incoming = `${target}.${randomBytes(4).toString('hex')}.new`;
  try {
    await cp(source, incoming, { recursive: true });
    await swapIn(incoming, target);
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
}

/** Puts the directory `incoming` in the place of `target` (which may be missing) with renames. */
export async function swapIn(incoming: string, target: string): Promise<void> {
  const outgoing = `${target}.${randomBytes(4).toString('hex')}.old`;
  try {
    await renameIfPresent(target, outgoing);
    await rename(incoming, target);
  } finally {
    await rm(outgoing, { recursive: true, force: true });
  }
}

/** rename() also moves a symlink (even a dangling one) left by older tooling, never its target. */
async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if (!isErrnoException(error) || error.code !== 'ENOENT') {
      throw error;
    }
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

/** Reads `results.json` (or the one inside a report directory) and checks it before anyone uses it. */
export async function readResults(path: string): Promise<ResultsFile> {
  const file = await resultsPath(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file} (${errorMessage(error)}): run \`rcnc run\` first or pass a report directory`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // A results file cut short is damaged; any other text is simply not one (a wrong path).
    if (/^\s*\{/.test(text) && text.includes('"schemaVersion"')) {
      throw new Error(`${file} is not JSON (${errorMessage(error)}): the file is damaged; run the suite again`);
    }
    throw notResults(file, 'it is not JSON');
  }
  if (!isRecord(data) || !('schemaVersion' in data || ('runId' in data && 'cells' in data))) {
    throw notResults(
      file,
      `it is JSON, but ${Array.isArray(data) ? 'a list' : 'without schemaVersion, runId and cells'}`,
    );
  }
  // A different version gets its own advice; a missing one is just one more shape problem below.
  const version = data['schemaVersion'];
  if (version !== undefined && version !== RESULTS_SCHEMA_VERSION) {
    throw new Error(
      `${file} has schemaVersion ${JSON.stringify(version)}, this rcnc reads ${RESULTS_SCHEMA_VERSION}: ` +
        'use the rcnc version that wrote it or run the suite again',
    );
  }
  const problems = validateResults(data);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new Error(`${file} is not a valid rcnc results file: ${shown}${more}. Run the suite again to regenerate it`);
  }
  return data as unknown as ResultsFile;
}

/** A file that is no rcnc results file at all: the user passed the wrong one. */
const notResults = (file: string, what: string) =>
  new Error(
    `${file} is not an rcnc results.json (${what}): pass the results.json of a report directory, ` +
      'e.g. reports/latest/results.json, or the directory itself',
  );

async function resultsPath(path: string): Promise<string> {
  try {
    if ((await stat(path)).isDirectory()) {
      return join(path, RESULTS_FILE);
    }
  } catch {
    // Missing paths are reported by the read that follows, with the advice attached.
  }
  return path;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
