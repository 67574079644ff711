// `rcnc run`: builds the run config from the flags (and the environment), checks what it can before
// anything starts, hands the config to vitest through `provide`, and prints the summary from the
// results file the reporter wrote.
import { existsSync } from 'node:fs';
import { copyFile, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { allCells, expectationText, scenarioNames, SCENARIOS } from '../../scenarios/registry.ts';
import { ensurePackages, missingPackages, onPath } from '../deploy/netns/system.ts';
import { profileGap, profileProviders, providerProfiles } from '../deploy/providers.ts';
import type { AnyCell, CellFilter } from '../model/cell.ts';
import { EXPOSURES, PROFILES, PROVIDERS, type ProfileName, type ProviderName } from '../model/dimensions.ts';
import type { ResultsFile, Shard } from '../model/results.ts';
import { providerFor, providerKey } from '../suite/harness.ts';
import {
  checkReportDir,
  parseConcurrency,
  parseTimingCells,
  PROXY_MODE_IS_A_PROFILE,
  resolveRedisBinary,
  runConfigFromEnv,
  type RunConfig,
} from '../suite/run-config.ts';
import { UsageError } from '../util/errors.ts';
import { PACKAGE_ROOT } from '../util/package-root.ts';
import { list, parse } from './args.ts';
import { readyForLab } from './first-run.ts';
import type { FlagValues } from './flags.ts';
import { help } from './help.ts';
import { finish } from './outcome.ts';
import { runScenarioFiles, runTmpDir } from './run-vitest.ts';
import { cellPatterns, parseShard, selectCells } from './selection.ts';

export async function cmdRun(args: string[]): Promise<number> {
  const { values } = parse('run', args);
  if (values.help) {
    return help('run');
  }
  // Every value is checked before --list prints anything: a bad one is refused whatever follows.
  const { provider, filter, part, concurrency } = checkedFlags(values);
  const base = runConfigFromEnv(process.env);
  if (values['timing-cells'] !== undefined) {
    base.timingCells = parseTimingCells(values['timing-cells'], '--timing-cells');
  }
  const all = allCells(provider[0] as ProviderName, base.matrix, filter);
  const { cells, shard } = selectCells(all, { filter, quick: !!values.quick, ...(part ? { shard: part } : {}) });
  if (values.list) {
    console.log(values.json ? JSON.stringify(listJson(cells, shard), null, 2) : listTable(cells));
    return 0;
  }
  if (cells.length === 0 && shard && shard.selected > 0) {
    // More shards than cells: this one has nothing to do, which is no error of the job (rcnc merge
    // knows from the other shards how many cells there were).
    console.error(
      `rcnc: shard ${shard.index}/${shard.count} has no cells (the selection has ${shard.selected}); nothing to run`,
    );
    return 0;
  }
  if (cells.length === 0) {
    throw new UsageError(
      `no ${provider[0]} cell matches these filters; 'rcnc run --list --provider ${provider[0]}' lists them all`,
    );
  }
  const junitFile = values['junit-file'] === undefined ? undefined : await checkJunitFile(values['junit-file']);
  if (provider[0] === 'netns') {
    const stderr = (line: string) => process.stderr.write(`${line}\n`);
    await readyForLab(
      { missing: missingPackages(), root: process.getuid?.() === 0, aptGet: onPath('apt-get') },
      { setup: ensurePackages, log: stderr },
    );
  }
  // The workers get the exact ids: the selection (exclusions, --quick, --shard) was made here.
  const exact: CellFilter = { provider, cells: cells.map((c) => c.id) };
  const config = { ...(await runConfigFor(base, exact, values)), ...(shard ? { shard } : {}) };
  if (concurrency !== undefined) {
    config.concurrency = concurrency;
  }
  if (values['collect-on-failure']) {
    config.collectOnFailure = true;
  }
  if (values['fail-fast']) {
    config.stopFile = join(runTmpDir(config.runId), 'fail-fast.stop');
  }
  await requireProviders(cells, config);
  return runVitest(cells, config, { json: !!values.json, ...(junitFile ? { junitFile } : {}) });
}

/** The flags that need no file or binary checked: the provider and its own flags, the selection. */
function checkedFlags(values: FlagValues<'run'>) {
  const provider = list(values.provider, PROVIDERS, '--provider') ?? ['netns'];
  if (provider.length !== 1) {
    throw new UsageError("--provider takes one provider; see 'rcnc run --help'");
  }
  if (values['kube-bin'] && !provider.includes('kube')) {
    throw new UsageError("--kube-bin goes with --provider kube; see 'rcnc run --help'");
  }
  if ((values.kubeconfig || values.context || values.image) && provider[0] !== 'kubeconfig') {
    throw new UsageError("--kubeconfig, --context and --image go with --provider kubeconfig; see 'rcnc run --help'");
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) {
    throw new UsageError(`--kubeconfig ${values.kubeconfig}: no such file`);
  }
  const filter = filterFrom(provider, values);
  profilesOfProvider(provider[0] as ProviderName, filter.profile ?? []);
  return {
    provider,
    filter,
    part: values.shard === undefined ? undefined : parseShard(values.shard),
    concurrency: values.concurrency === undefined ? undefined : parseConcurrency(values.concurrency, '--concurrency'),
  };
}

/**
 * Each --profile the provider runs, or a refusal that names the providers that run it: a profile
 * belongs to the providers of its platform (the profile table and the providers' traits).
 */
function profilesOfProvider(provider: ProviderName, profiles: string[]): void {
  const foreign = profiles.filter((p) => !providerProfiles(provider).includes(p as ProfileName));
  if (foreign.length === 0) {
    return;
  }
  const owners = profileProviders(foreign[0] as ProfileName);
  const [first, ...others] = owners;
  const profileWords = foreign.length === 1 ? `${foreign[0]} is a profile` : `${foreign.join(', ')} are profiles`;
  throw new UsageError(
    `--profile ${profileWords} of provider${owners.length === 1 ? '' : 's'} ${owners.join(', ')}, not of ${provider}: add --provider ${first}` +
      `${others.length ? ` (or ${others.join(', ')})` : ''}; ${provider} runs ${providerProfiles(provider).join(', ')}`,
  );
}

/**
 * The selection the flags make; a profile the provider cannot run at all (profileGap) and the
 * run-wide --proxy-mode (now a profile) are refused with where to go instead.
 */
function filterFrom(
  provider: string[],
  values: { scenario?: string; profile?: string; exposure?: string; cell?: string[]; skip?: string[] } & {
    'proxy-mode'?: string;
  },
): CellFilter {
  if (values['proxy-mode'] !== undefined) {
    throw new UsageError(`${PROXY_MODE_IS_A_PROFILE('--proxy-mode')}; see 'rcnc run --help'`);
  }
  const profile = list(values.profile, PROFILES, '--profile');
  const gap = profile?.map((p) => profileGap(provider[0] as ProviderName, p as ProfileName)).find((g) => g);
  if (gap) {
    throw new UsageError(`${gap}; see 'rcnc run --help'`);
  }
  return {
    provider,
    scenario: list(values.scenario, scenarioNames(), '--scenario'),
    profile,
    exposure: list(values.exposure, EXPOSURES, '--exposure'),
    ...cellPatterns(values.cell, values.skip),
  };
}

/** `--list --json`: the selected cells with what each expects, for scripts (a CI matrix, a shard plan). */
export function listJson(cells: AnyCell[], shard?: Shard) {
  return {
    total: cells.length,
    ...(shard ? { shard } : {}),
    families: Object.fromEntries(
      SCENARIOS.map((s) => [s.name, cells.filter((c) => c.family === s.name).length] as const).filter(([, n]) => n > 0),
    ),
    cells: cells.map((c) => ({
      id: c.id,
      family: c.family,
      title: c.title,
      expects: expectationText(c),
      dims: c.dims,
      ...(c.runAlone ? { runsAlone: c.runAlone } : {}),
    })),
  };
}

/** `--junit-file PATH`, checked before anything runs: its directory is writable and PATH is no directory. */
async function checkJunitFile(path: string): Promise<string> {
  if (path.trim() === '') {
    throw new UsageError('--junit-file is empty; pass the file junit.xml should also be written to');
  }
  const abs = resolve(path);
  if ((await stat(abs).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(
      `--junit-file ${path}: a directory is in the way; pass a file, e.g. ${join(path, 'junit.xml')}`,
    );
  }
  await checkReportDir(dirname(abs), '--junit-file');
  return abs;
}

/** `--list`: an aligned table with a header, then the count per scenario family. */
export function listTable(cells: AnyCell[]): string {
  const rows = cells.map((c) => [c.id, c.family, expectationText(c), c.title]);
  const header = ['CELL', 'SCENARIO', 'EXPECTS', 'TITLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const counts = SCENARIOS.map((s) => [s.name, cells.filter((c) => c.family === s.name).length] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`);
  return [line(header), ...rows.map(line), '', `${cells.length} cell(s): ${counts.join(', ') || 'none'}`].join('\n');
}

type RunConfigFlags = Partial<
  Record<
    'report-dir' | 'redis-server' | 'redis-cli' | 'kubeconfig' | 'context' | 'image' | 'kube-bin' | 'proxy-mode',
    string
  >
>;

/**
 * The environment's run config with the flags on top, every value checked before anything starts:
 * the report dir is writable, the Redis binaries exist and say they are Redis.
 */
async function runConfigFor(base: RunConfig, filter: CellFilter, values: RunConfigFlags): Promise<RunConfig> {
  const flagOr = (flag: 'report-dir' | 'redis-server' | 'redis-cli', env: string) =>
    values[flag] !== undefined ? `--${flag}` : env;
  const reportDir = await checkReportDir(
    values['report-dir'] ?? base.reportDir,
    flagOr('report-dir', 'RCNC_REPORT_DIR'),
  );
  const server = await resolveRedisBinary(
    values['redis-server'] ?? base.redis.server,
    'redis-server',
    flagOr('redis-server', 'RCNC_REDIS_SERVER'),
  );
  const cli = await resolveRedisBinary(
    values['redis-cli'] ?? base.redis.cli,
    'redis-cli',
    flagOr('redis-cli', 'RCNC_REDIS_CLI'),
  );
  return {
    ...base,
    filter,
    reportDir,
    redis: { server: server.path, cli: cli.path, version: server.version },
    kube: {
      ...base.kube,
      ...(values.kubeconfig ? { kubeconfig: resolve(values.kubeconfig) } : {}),
      ...(values.context ? { context: values.context } : {}),
      ...(values.image ? { image: values.image } : {}),
    },
    ...kubeClusterOf(values, base.kubeCluster),
  };
}

async function runVitest(
  cells: AnyCell[],
  config: RunConfig,
  { json, junitFile }: { json: boolean; junitFile?: string },
): Promise<number> {
  const families = new Set(cells.map((c) => c.family));
  const files = SCENARIOS.filter((s) => families.has(s.name)).map((s) => s.testFile);
  const reporter = join(PACKAGE_ROOT, 'src/report/reporter.ts');
  // Progress goes to stderr, so with --json stdout holds only the results.
  const { signal } = await runScenarioFiles(files, config, [
    [join(PACKAGE_ROOT, 'src/report/progress.ts'), { total: cells.length }],
    [reporter, { quiet: true, config }],
  ]);
  if (signal) {
    return signal === 'SIGINT' ? 130 : 143;
  }
  const resultsPath = join(config.reportDir, config.runId, 'results.json');
  if (!existsSync(resultsPath)) {
    console.error(`rcnc: the run wrote no results (${resultsPath}); see the vitest output above`);
    return 1;
  }
  const results = JSON.parse(await readFile(resultsPath, 'utf8')) as ResultsFile;
  if (junitFile) {
    // Imported here: the report writers are heavy, and `--list` or `--help` never need them.
    const { JUNIT_FILE } = await import('../report/write.ts');
    await copyFile(join(config.reportDir, config.runId, JUNIT_FILE), junitFile);
  }
  if (json) {
    console.log(JSON.stringify(results, null, 2));
  }
  return finish(results, cells.length, join(config.reportDir, 'latest', 'compatibility.md'), json);
}

/**
 * When the run demands a provider (RCNC_REQUIRE_LAB=1, REQUIRE_K3D=1, …) and it cannot run here,
 * say so in one line with exit 2 before starting anything; otherwise cells skip with the reason.
 */
async function requireProviders(cells: AnyCell[], config: RunConfig): Promise<void> {
  const seen = new Set<string>();
  for (const cell of cells) {
    const key = providerKey(cell);
    if (config.require[cell.dims.provider] && !seen.has(key)) {
      seen.add(key);
      await providerFor(cell, config);
    }
  }
}

/** --kube-bin over what the environment set (RCNC_KUBE_BIN). */
function kubeClusterOf(
  values: RunConfigFlags,
  base: RunConfig['kubeCluster'],
): { kubeCluster?: RunConfig['kubeCluster'] } {
  const cluster = {
    ...base,
    ...(values['kube-bin'] ? { bin: resolve(values['kube-bin']) } : {}),
  };
  return Object.keys(cluster).length ? { kubeCluster: cluster } : {};
}
