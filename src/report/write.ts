// Builds, validates, reads and writes `results.json` and the reports derived from it. The run
// directory is the source of truth; `latest/` is a plain copy of it because CI artifact uploaders
// and Windows checkouts do not follow symlinks.
import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXPOSURES, PROFILES } from '../deploy/provider.ts';
import { HTML_FILE, indexHtml, loadEvidence } from './html.ts';
import { junitXml } from './junit.ts';
import { compatibilityMarkdown } from './markdown.ts';
import { RESULTS_SCHEMA_VERSION, type CellResult, type ResultsFile } from './results.ts';

export interface WriteOptions {
  /** Parent of all run directories, e.g. `reports`. */
  reportDir: string;
  runId: string;
  /** Path from `$GITHUB_STEP_SUMMARY`; the markdown matrix is appended to it. */
  stepSummary?: string;
}

export interface WrittenReports {
  dir: string;
  latest: string;
  files: string[];
}

export const RESULTS_FILE = 'results.json';
export const MARKDOWN_FILE = 'compatibility.md';
export const JUNIT_FILE = 'junit.xml';
export { HTML_FILE };
const LATEST = 'latest';

export function buildResults(args: {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  cells: CellResult[];
  environment: ResultsFile['environment'];
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
  };
}

export function countVerdicts(cells: readonly CellResult[]): ResultsFile['summary'] {
  const summary = { pass: 0, fail: 0, skip: 0 };
  for (const cell of cells) {
    summary[cell.verdict.status] += 1;
  }
  return summary;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function writeReports(results: ResultsFile, opts: WriteOptions): Promise<WrittenReports> {
  assertSafeRunId(opts.runId);
  const root = resolve(opts.reportDir);
  const dir = join(root, opts.runId);
  await mkdir(dir, { recursive: true });

  const resultsFile = join(dir, RESULTS_FILE);
  await writeFileAtomic(resultsFile, JSON.stringify(results, null, 2) + '\n');
  const { files: derived, markdown } = await writeDerivedFiles(dir, results);
  const files = [resultsFile, ...derived];

  const latest = join(root, LATEST);
  await replaceWithCopy(dir, latest);
  // GitHub renders every append as part of the job summary; several runs in one job each add theirs.
  if (opts.stepSummary) {
    await appendFile(opts.stepSummary, markdown + '\n');
  }
  return { dir, latest, files };
}

/**
 * Writes the reports derived from `results` into `dir`: compatibility.md, junit.xml and index.html
 * (which embeds the artifacts under `dir`). Never touches results.json or the artifacts, so
 * `rcnc report DIR` can rebuild the views of an old run with a newer rcnc.
 */
export async function writeDerivedReports(dir: string, results: ResultsFile): Promise<string[]> {
  return (await writeDerivedFiles(dir, results)).files;
}

async function writeDerivedFiles(dir: string, results: ResultsFile): Promise<{ files: string[]; markdown: string }> {
  const markdown = compatibilityMarkdown(results);
  const evidence = await loadEvidence(dir, results);
  const outputs: [string, string][] = [
    [MARKDOWN_FILE, markdown],
    [JUNIT_FILE, junitXml(results)],
    [HTML_FILE, indexHtml(results, evidence)],
  ];
  const files: string[] = [];
  for (const [name, text] of outputs) {
    const file = join(dir, name);
    await writeFileAtomic(file, text);
    files.push(file);
  }
  return { files, markdown };
}

/** `latest` and path separators would make the run directory overwrite or escape the report dir. */
function assertSafeRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId === LATEST || runId.includes('..')) {
    throw new Error(
      `invalid run id ${JSON.stringify(runId)}: use letters, digits, '.', '_' and '-' only (and not "${LATEST}")`,
    );
  }
}

async function writeFileAtomic(file: string, text: string): Promise<void> {
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
  const suffix = randomBytes(4).toString('hex');
  const incoming = `${target}.${suffix}.new`;
  const outgoing = `${target}.${suffix}.old`;
  try {
    await cp(source, incoming, { recursive: true });
    await renameIfPresent(target, outgoing);
    await rename(incoming, target);
  } finally {
    await rm(incoming, { recursive: true, force: true });
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
    throw new Error(`${file} is not JSON (${errorMessage(error)}): the file is damaged; run the suite again`);
  }
  // A different version gets its own advice; a missing one is just one more shape problem below.
  const version = isRecord(data) ? data['schemaVersion'] : undefined;
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
  return data as ResultsFile;
}

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

// ---------------------------------------------------------------------------------------------
// Validation: hand-written so the schema check needs no dependency. Each problem names the JSON
// path and what was expected, e.g. `cells[2].verdict.status: expected one of pass, fail, skip`.

type Problems = string[];
type UnknownRecord = Record<string, unknown>;

const PROVIDERS = ['netns', 'k3d', 'kubeconfig'] as const;
const ANNOUNCES = ['none', 'ip'] as const;
const POLICIES = ['Cluster', 'Local'] as const;
const STATUSES = ['pass', 'fail', 'skip'] as const;
const COMPATIBILITIES = ['works', 'works-with-announce', 'breaks'] as const;
const MEETS = ['ok', 'fails'] as const;
const ADDRESS_CLASSES = ['pod', 'bridge-gateway', 'tunnel', 'node-ip', 'external', 'unknown'] as const;

export function validateResults(x: unknown): string[] {
  const problems: Problems = [];
  if (!isRecord(x)) {
    return ['results: expected an object, got ' + describe(x)];
  }
  if (x['schemaVersion'] !== RESULTS_SCHEMA_VERSION) {
    problems.push(`schemaVersion: expected ${RESULTS_SCHEMA_VERSION}, got ${describe(x['schemaVersion'])}`);
  }
  requireString(problems, x, 'runId', 'runId', true);
  requireDate(problems, x, 'startedAt');
  requireDate(problems, x, 'finishedAt');
  validateEnvironment(problems, x['environment']);
  const cells = x['cells'];
  if (!Array.isArray(cells)) {
    problems.push(`cells: expected an array, got ${describe(cells)}`);
  } else {
    cells.forEach((cell, i) => validateCell(problems, cell, `cells[${i}]`));
    validateSummary(problems, x['summary'], cells);
  }
  return problems;
}

function validateEnvironment(problems: Problems, env: unknown): void {
  if (!isRecord(env)) {
    problems.push(`environment: expected an object, got ${describe(env)}`);
    return;
  }
  for (const key of ['node', 'kernel', 'hostname']) {
    requireString(problems, env, key, `environment.${key}`);
  }
  optionalString(problems, env, 'redis', 'environment.redis');
}

function validateSummary(problems: Problems, summary: unknown, cells: unknown[]): void {
  if (!isRecord(summary)) {
    problems.push(`summary: expected an object, got ${describe(summary)}`);
    return;
  }
  const counts: Record<string, number> = { pass: 0, fail: 0, skip: 0 };
  for (const cell of cells) {
    const status = isRecord(cell) && isRecord(cell['verdict']) ? cell['verdict']['status'] : undefined;
    if (typeof status === 'string' && status in counts) {
      counts[status] = (counts[status] ?? 0) + 1;
    }
  }
  for (const [key, count] of Object.entries(counts)) {
    const value = summary[key];
    if (!isCount(value)) {
      problems.push(`summary.${key}: expected a count, got ${describe(value)}`);
    } else if (value !== count) {
      problems.push(`summary.${key}: is ${value} but ${count} cell(s) have status ${key}`);
    }
  }
}

function validateCell(problems: Problems, cell: unknown, at: string): void {
  if (!isRecord(cell)) {
    problems.push(`${at}: expected an object, got ${describe(cell)}`);
    return;
  }
  requireString(problems, cell, 'id', `${at}.id`, true);
  requireString(problems, cell, 'title', `${at}.title`);
  validateDims(problems, cell['dims'], `${at}.dims`);
  validateExpectation(problems, cell['expectation'], `${at}.expectation`);
  if (cell['observation'] !== undefined) {
    validateObservation(problems, cell['observation'], `${at}.observation`);
  }
  optionalOneOf(problems, cell, 'compatibility', COMPATIBILITIES, `${at}.compatibility`);
  optionalString(problems, cell, 'fix', `${at}.fix`);
  optionalString(problems, cell, 'skipReason', `${at}.skipReason`);
  const timings = cell['timings'];
  if (!isRecord(timings) || !Object.values(timings).every(isFiniteNumber)) {
    problems.push(`${at}.timings: expected an object of millisecond numbers, got ${describe(timings)}`);
  }
  requireStringArray(problems, cell['artifacts'], `${at}.artifacts`);
  validateVerdict(problems, cell['verdict'], `${at}.verdict`);
  const duration = cell['durationMs'];
  if (!isFiniteNumber(duration) || duration < 0) {
    problems.push(`${at}.durationMs: expected milliseconds >= 0, got ${describe(duration)}`);
  }
}

function validateDims(problems: Problems, dims: unknown, at: string): void {
  if (!isRecord(dims)) {
    problems.push(`${at}: expected an object, got ${describe(dims)}`);
    return;
  }
  requireString(problems, dims, 'scenario', `${at}.scenario`, true);
  requireOneOf(problems, dims, 'provider', PROVIDERS, `${at}.provider`);
  requireOneOf(problems, dims, 'profile', PROFILES, `${at}.profile`);
  requireOneOf(problems, dims, 'exposure', EXPOSURES, `${at}.exposure`);
  requireOneOf(problems, dims, 'announce', ANNOUNCES, `${at}.announce`);
  requireOneOf(problems, dims, 'policy', POLICIES, `${at}.policy`);
  const nodes = dims['nodes'];
  if (!Number.isInteger(nodes) || (nodes as number) < 1) {
    problems.push(`${at}.nodes: expected an integer >= 1, got ${describe(nodes)}`);
  }
  optionalString(problems, dims, 'variant', `${at}.variant`);
}

function validateExpectation(problems: Problems, expectation: unknown, at: string): void {
  if (!isRecord(expectation)) {
    problems.push(`${at}: expected an object, got ${describe(expectation)}`);
    return;
  }
  requireOneOf(problems, expectation, 'meet', MEETS, `${at}.meet`);
  optionalOneOf(problems, expectation, 'ghostClass', ADDRESS_CLASSES, `${at}.ghostClass`);
  if (expectation['fixWorks'] !== undefined && typeof expectation['fixWorks'] !== 'boolean') {
    problems.push(`${at}.fixWorks: expected a boolean, got ${describe(expectation['fixWorks'])}`);
  }
  requireString(problems, expectation, 'summary', `${at}.summary`);
  requireString(problems, expectation, 'source', `${at}.source`);
}

/** Only the parts the writers read are checked deeply; the rest is evidence passed through. */
function validateObservation(problems: Problems, observation: unknown, at: string): void {
  if (!isRecord(observation)) {
    problems.push(`${at}: expected an object, got ${describe(observation)}`);
    return;
  }
  requireOneOf(problems, observation, 'meet', MEETS, `${at}.meet`);
  optionalOneOf(problems, observation, 'ghostClass', ADDRESS_CLASSES, `${at}.ghostClass`);
  optionalString(problems, observation, 'ghostOwner', `${at}.ghostOwner`);
  validateEntries(problems, observation['ghosts'], `${at}.ghosts`, ['seenBy', 'nodeId', 'address']);
  validateEntries(problems, observation['failedDialBacks'], `${at}.failedDialBacks`, ['pod', 'nodeId', 'address']);
  validateEntries(problems, observation['busPeers'], `${at}.busPeers`, ['pod', 'local', 'peer']);
  requireStringArray(problems, observation['notes'], `${at}.notes`);
}

function validateEntries(problems: Problems, entries: unknown, at: string, keys: string[]): void {
  if (!Array.isArray(entries)) {
    problems.push(`${at}: expected an array, got ${describe(entries)}`);
    return;
  }
  entries.forEach((entry, i) => {
    if (!isRecord(entry)) {
      problems.push(`${at}[${i}]: expected an object, got ${describe(entry)}`);
    } else {
      for (const key of keys) {
        requireString(problems, entry, key, `${at}[${i}].${key}`);
      }
    }
  });
}

function validateVerdict(problems: Problems, verdict: unknown, at: string): void {
  if (!isRecord(verdict)) {
    problems.push(`${at}: expected an object, got ${describe(verdict)}`);
    return;
  }
  requireOneOf(problems, verdict, 'status', STATUSES, `${at}.status`);
  optionalString(problems, verdict, 'reason', `${at}.reason`);
  optionalOneOf(problems, verdict, 'compatibility', COMPATIBILITIES, `${at}.compatibility`);
  optionalString(problems, verdict, 'fix', `${at}.fix`);
}

function requireString(problems: Problems, obj: UnknownRecord, key: string, at: string, nonEmpty = false): void {
  const value = obj[key];
  if (typeof value !== 'string' || (nonEmpty && value === '')) {
    problems.push(`${at}: expected a${nonEmpty ? ' non-empty' : ''} string, got ${describe(value)}`);
  }
}

function optionalString(problems: Problems, obj: UnknownRecord, key: string, at: string): void {
  if (obj[key] !== undefined) {
    requireString(problems, obj, key, at);
  }
}

function requireDate(problems: Problems, obj: UnknownRecord, key: string): void {
  const value = obj[key];
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    problems.push(`${key}: expected an ISO date string, got ${describe(value)}`);
  }
}

function requireOneOf(problems: Problems, obj: UnknownRecord, key: string, allowed: readonly string[], at: string) {
  const value = obj[key];
  if (typeof value !== 'string' || !allowed.includes(value)) {
    problems.push(`${at}: expected one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
}

function optionalOneOf(problems: Problems, obj: UnknownRecord, key: string, allowed: readonly string[], at: string) {
  if (obj[key] !== undefined) {
    requireOneOf(problems, obj, key, allowed, at);
  }
}

function requireStringArray(problems: Problems, value: unknown, at: string): void {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    problems.push(`${at}: expected an array of strings, got ${describe(value)}`);
  }
}

function isRecord(x: unknown): x is UnknownRecord {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

/** A short rendering of a wrong value for messages; long values are cut so one problem stays one line. */
function describe(x: unknown): string {
  if (x === undefined) {
    return 'nothing';
  }
  if (Array.isArray(x)) {
    return 'an array';
  }
  if (x === null) {
    return 'null';
  }
  if (typeof x === 'object') {
    return 'an object';
  }
  const text = JSON.stringify(x);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
