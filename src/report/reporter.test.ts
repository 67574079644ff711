// End to end: a real vitest run (started through the node API, as the CLI will) with the reporter
// attached, over a throwaway test file that records cells the way scenarios do.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { startVitest } from 'vitest/node';
import type { ResultsFile } from '../model/results.ts';
import { newRunId, runConfigFromEnv } from '../suite/run-config.ts';
import Reporter from './reporter.ts';

// Plain JS with vitest globals: the temp root has no node_modules to resolve `import 'vitest'` from.
const CELLS_TEST = `
const dims = (provider) => ({ provider, profile: 'flannel-vxlan', exposure: 'nodeport', announce: 'none',
  policy: 'Cluster', nodes: 1 });
const observation = (meet, fixMeet) => ({ meet, ghosts: [], failedDialBacks: [], busPeers: [], notes: [],
  ...(fixMeet ? { fix: { settings: [], meet: fixMeet, clusterState: 'ok' } } : {}) });
const record = (id, extra = {}) => ({
  id,
  title: 'cell ' + id,
  family: 'nat-meet',
  dims: dims('netns'),
  expectation: { meet: 'fails', ghostClass: 'bridge-gateway', summary: 'masqueraded to cni0',
                 source: 'docs/datapath.md#flannel-local-endpoint' },
  timings: { total: 5 },
  artifacts: [],
  ...extra,
});
test('passing cell', ({ task }) => {
  task.meta.rcnc = record('netns/flannel-vxlan/nodeport/announce-none', {
    observation: observation('fails', 'ok'),
    compatibility: 'works-with-announce',
    fix: 'cluster-announce-ip <node IP>',
  });
});
test('skipping cell', (ctx) => {
  ctx.task.meta.rcnc = record('k3d/flannel-vxlan/nodeport/announce-none', { dims: dims('k3d'), compatibility: 'works' });
  ctx.skip('because');
});
test('failing cell', ({ task }) => {
  // The stored word contradicts the observation: the reporter derives it again.
  task.meta.rcnc = record('netns/flannel-vxlan/pod-ip/announce-none', {
    observation: observation('fails'),
    compatibility: 'works',
  });
  throw new Error('unexpected ghost 10.42.0.1\\nsecond line\\nthird line is cut');
});
test('unit test without a cell', () => {});
`;

const ENV_KEYS = ['RCNC_REPORT_DIR', 'RCNC_RUN_ID', 'GITHUB_STEP_SUMMARY'] as const;

describe('rcnc reporter', () => {
  let root: string;
  let reportDir: string;
  const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
  let savedExitCode: typeof process.exitCode;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rcnc-reporter-'));
    reportDir = join(root, 'out');
    for (const key of ENV_KEYS) {
      savedEnv[key] = process.env[key];
    }
    // The nested run fails on purpose and sets the exit code; the outer run must not inherit it.
    savedExitCode = process.exitCode;
  });

  afterEach(async () => {
    for (const key of ENV_KEYS) {
      const value = savedEnv[key];
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
    process.exitCode = savedExitCode;
    vi.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  async function runCells(
    files: Record<string, string>,
    reporters: NonNullable<Parameters<typeof startVitest>[2]>['reporters'] = [new Reporter()],
  ): Promise<string> {
    const suite = join(root, 'suite');
    await mkdir(suite, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(suite, name), text);
    }
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    const vitest = await startVitest('test', [], {
      root: suite,
      config: false,
      watch: false,
      globals: true,
      reporters,
    });
    await vitest.close();
    return printed.join('');
  }

  test('turns every case with meta.rcnc into a cell of results.json', async () => {
    process.env['RCNC_REPORT_DIR'] = reportDir;
    process.env['RCNC_RUN_ID'] = 'e2e-run';
    delete process.env['GITHUB_STEP_SUMMARY'];
    // The run config `rcnc run` passes, with the Redis version it asked redis-server for.
    const config = runConfigFromEnv(process.env);
    config.redis.version = '7.0.15';

    const printed = await runCells({ 'cells.test.js': CELLS_TEST }, [new Reporter({ config })]);

    const results = JSON.parse(await readFile(join(reportDir, 'e2e-run', 'results.json'), 'utf8')) as ResultsFile;
    expect(results.runId).toBe('e2e-run');
    expect(results.summary).toEqual({ pass: 1, fail: 1, skip: 1 });
    expect(results.environment.node).toBe(process.version);
    expect(results.environment.redis).toBe('7.0.15');
    // This checkout is a git repository: the version and commit come from it.
    expect(results.environment.rcnc?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(results.environment.kubeProxyMode).toBe('iptables (rendered by the netns lab)');
    expect(results.cells.map((cell) => cell.id)).toEqual([
      'k3d/flannel-vxlan/nodeport/announce-none',
      'netns/flannel-vxlan/nodeport/announce-none',
      'netns/flannel-vxlan/pod-ip/announce-none',
    ]);
    const [skipped, passed, failed] = results.cells;
    expect(passed?.verdict).toEqual({ status: 'pass' });
    expect(passed?.compatibility).toBe('works-with-announce');
    expect(passed?.fix).toBe('cluster-announce-ip <node IP>');
    expect(passed?.provenance).toEqual({
      provider: 'netns',
      emulation: true,
      label: 'netns lab emulation of flannel-vxlan',
    });
    expect(passed?.durationMs).toBeGreaterThanOrEqual(0);
    expect(skipped?.verdict).toEqual({ status: 'skip', reason: 'because' });
    // Nothing observed, so no word, whatever the record claimed.
    expect(skipped?.compatibility).toBeUndefined();
    expect(failed?.verdict.status).toBe('fail');
    expect(failed?.verdict.reason).toBe('unexpected ghost 10.42.0.1\nsecond line');
    expect(failed?.compatibility).toBe('breaks');

    const latest = await readFile(join(reportDir, 'latest', 'results.json'), 'utf8');
    expect(JSON.parse(latest)).toEqual(results);
    expect(printed).toContain(
      `rcnc report: ${join(reportDir, 'e2e-run', 'compatibility.md')}, ${join(reportDir, 'e2e-run', 'index.html')}\n`,
    );
    const html = await readFile(join(reportDir, 'latest', 'index.html'), 'utf8');
    expect(html).toContain('data-cell="netns/flannel-vxlan/pod-ip/announce-none"');
    expect(html).toContain('unexpected ghost 10.42.0.1');
  });

  test("records each family's wall time (not its cells' sum) and the run's shard", async () => {
    process.env['RCNC_REPORT_DIR'] = reportDir;
    process.env['RCNC_RUN_ID'] = 'wall-run';
    delete process.env['GITHUB_STEP_SUMMARY'];
    const config = { ...runConfigFromEnv(process.env), shard: { index: 2, count: 3, selected: 7 } };
    // Two cells that each say they ran a minute: the file itself takes well under one.
    const minute = CELLS_TEST.replace('timings: { total: 5 }', 'timings: { total: 60000 }');
    await runCells({ 'cells.test.js': minute }, [new Reporter({ config, quiet: true })]);
    const results = JSON.parse(await readFile(join(reportDir, 'wall-run', 'results.json'), 'utf8')) as ResultsFile;
    expect(results.shard).toEqual({ index: 2, count: 3, selected: 7 });
    expect(Object.keys(results.familyWallMs ?? {})).toEqual(['nat-meet']);
    const wall = results.familyWallMs?.['nat-meet'] ?? -1;
    const sum = results.cells.reduce((total, cell) => total + cell.durationMs, 0);
    expect(sum).toBeGreaterThanOrEqual(120_000);
    expect(wall).toBeGreaterThanOrEqual(0);
    expect(wall).toBeLessThanOrEqual(Date.parse(results.finishedAt) - Date.parse(results.startedAt));
  });

  test('quiet, as `rcnc run` configures it by path, writes the reports and prints nothing', async () => {
    process.env['RCNC_REPORT_DIR'] = reportDir;
    process.env['RCNC_RUN_ID'] = 'quiet-run';
    const printed = await runCells({ 'cells.test.js': CELLS_TEST }, [
      [fileURLToPath(new URL('./reporter.ts', import.meta.url)), { quiet: true }],
    ]);
    expect(printed).toBe('');
    const results = JSON.parse(await readFile(join(reportDir, 'quiet-run', 'results.json'), 'utf8')) as ResultsFile;
    expect(results.summary).toEqual({ pass: 1, fail: 1, skip: 1 });
  });

  test('writes nothing when no case carries a cell', async () => {
    process.env['RCNC_REPORT_DIR'] = reportDir;
    const printed = await runCells({ 'plain.test.js': "test('plain', () => {});\n" });
    await expect(readFile(join(reportDir, 'latest', 'results.json'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect(printed).not.toContain('rcnc report:');
  });

  test('prints one line and does not throw when the reports cannot be written', async () => {
    // A file where the report directory should be: mkdir fails underneath it.
    await writeFile(join(root, 'blocked'), '');
    process.env['RCNC_REPORT_DIR'] = join(root, 'blocked');
    process.env['RCNC_RUN_ID'] = 'e2e-run';
    const errors: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    await runCells({ 'cells.test.js': CELLS_TEST });
    const lines = errors.join('').split('\n');
    const reportLines = lines.filter((line) => line.startsWith('rcnc: could not write'));
    expect(reportLines).toHaveLength(1);
    expect(reportLines[0]).toMatch(/could not write the reports: .*(ENOTDIR|EEXIST)/);
  });
});

describe('newRunId', () => {
  test('is YYYYMMDD-HHMMSS-xxxx in UTC', () => {
    const id = newRunId(new Date('2025-03-01T10:15:07.123Z'));
    expect(id).toMatch(/^20250301-101507-[0-9a-f]{4}$/);
  });
});
