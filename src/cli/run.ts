// `rcnc run`: builds the run config from the flags (and the environment), checks what it can before
// anything starts, hands the config to vitest through `provide`, and prints the summary from the
// results file the reporter wrote.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { allCells, expectationText, scenarioNames, SCENARIOS } from '../../scenarios/registry.ts';
import { ensurePackages, missingPackages, onPath } from '../deploy/netns/system.ts';
import { fitsProvider } from '../deploy/providers.ts';
import { filterCells, type AnyCell, type CellFilter } from '../model/cell.ts';
import { EXPOSURES, isOneOf, KUBE_PROXY_MODES, PROFILES, PROVIDERS, type ProviderName } from '../model/dimensions.ts';
import type { ResultsFile } from '../model/results.ts';
import { nothingRan, nothingRanText } from '../report/markdown.ts';
import { providerFor, providerKey } from '../suite/harness.ts';
import {
  checkReportDir,
  parseConcurrency,
  parseTimingCells,
  resolveRedisBinary,
  runConfigFromEnv,
  type RunConfig,
} from '../suite/run-config.ts';
import { UsageError } from '../util/errors.ts';
import { PACKAGE_ROOT } from '../util/package-root.ts';
import { list, parse } from './args.ts';
import { readyForLab } from './first-run.ts';
import { help } from './help.ts';
import { runScenarioFiles, runTmpDir } from './run-vitest.ts';

export async function cmdRun(args: string[]): Promise<number> {
  const { values } = parse('run', args);
  if (values.help) {
    return help('run');
  }
  const provider = list(values.provider, PROVIDERS, '--provider') ?? ['netns'];
  if (provider.length !== 1) {
    throw new UsageError('--provider takes one provider');
  }
  if (values['kube-bin'] && !provider.includes('kube')) {
    throw new UsageError("--kube-bin goes with --provider kube; see 'rcnc run --help'");
  }
  if ((values.kubeconfig || values.context || values.image) && provider[0] !== 'kubeconfig') {
    throw new UsageError('--kubeconfig, --context and --image go with --provider kubeconfig');
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) {
    throw new UsageError(`--kubeconfig ${values.kubeconfig}: no such file`);
  }
  const filter = filterFrom(provider, values);
  const base = runConfigFromEnv(process.env);
  if (values['timing-cells'] !== undefined) {
    base.timingCells = parseTimingCells(values['timing-cells'], '--timing-cells');
  }
  const cells = filterCells(
    allCells(provider[0] as ProviderName, base.matrix).filter((c) => fitsProvider(c.dims)),
    filter,
  );
  if (values.list) {
    console.log(listTable(cells));
    return 0;
  }
  if (cells.length === 0) {
    throw new UsageError('no cell matches these filters; run with --list to see the cells');
  }
  if (provider[0] === 'netns') {
    const stderr = (line: string) => process.stderr.write(`${line}\n`);
    await readyForLab(
      { missing: missingPackages(), root: process.getuid?.() === 0, aptGet: onPath('apt-get') },
      { setup: ensurePackages, log: stderr },
    );
  }
  const config = await runConfigFor(base, filter, values);
  if (values.concurrency !== undefined) {
    config.concurrency = parseConcurrency(values.concurrency, '--concurrency');
  }
  if (values['fail-fast']) {
    config.stopFile = join(runTmpDir(config.runId), 'fail-fast.stop');
  }
  await requireProviders(cells, config);
  return runVitest(cells, config, !!values.json);
}

function filterFrom(
  provider: string[],
  values: { scenario?: string; profile?: string; exposure?: string; cell?: string[] },
): CellFilter {
  return {
    provider,
    scenario: list(values.scenario, scenarioNames(), '--scenario'),
    profile: list(values.profile, PROFILES, '--profile'),
    exposure: list(values.exposure, EXPOSURES, '--exposure'),
    ...(values.cell ? { cells: values.cell.flatMap((c) => c.split(',')).filter(Boolean) } : {}),
  };
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

async function runVitest(cells: AnyCell[], config: RunConfig, json: boolean): Promise<number> {
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
  if (json) {
    console.log(JSON.stringify(results, null, 2));
  }
  const { line, exitCode } = runOutcome(results, cells.length, join(config.reportDir, 'latest', 'compatibility.md'));
  // Nothing ran is an error (exit 2), said on stderr so --json keeps stdout to the results.
  if (exitCode === 2) {
    console.error(`\n${line}`);
  } else if (!json) {
    console.log(`\n${line}`);
  }
  return exitCode;
}

/**
 * The run's last line and exit code: 1 when a cell failed; 2 when every cell was skipped, since a
 * run that tested nothing must not pass as one in which everything worked; else 0.
 */
export function runOutcome(results: ResultsFile, selected: number, report: string): { line: string; exitCode: number } {
  const s = results.summary;
  const where = `report: ${report} (also index.html, junit.xml, results.json)`;
  if (nothingRan(s)) {
    return { line: `rcnc: nothing ran: ${nothingRanText(results)} — ${where}`, exitCode: 2 };
  }
  // Under --fail-fast, files vitest never started leave their cells out of the results.
  const notRun = selected - results.cells.length;
  return {
    line: `rcnc: ${s.pass} passed, ${s.fail} failed, ${s.skip} skipped${notRun > 0 ? `, ${notRun} not run (--fail-fast)` : ''} — ${where}`,
    exitCode: s.fail > 0 ? 1 : 0,
  };
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

/** --kube-bin and --proxy-mode over what the environment set (RCNC_KUBE_BIN, RCNC_KUBE_PROXY_MODE). */
function kubeClusterOf(
  values: RunConfigFlags,
  base: RunConfig['kubeCluster'],
): { kubeCluster?: RunConfig['kubeCluster'] } {
  const mode = values['proxy-mode'];
  if (mode !== undefined && !isOneOf(KUBE_PROXY_MODES, mode)) {
    throw new UsageError(`--proxy-mode takes ${KUBE_PROXY_MODES.join(' or ')}; got ${mode}; see 'rcnc run --help'`);
  }
  const cluster = {
    ...base,
    ...(values['kube-bin'] ? { bin: resolve(values['kube-bin']) } : {}),
    ...(mode ? { proxyMode: mode } : {}),
  };
  return Object.keys(cluster).length ? { kubeCluster: cluster } : {};
}
