// A real nested vitest run with only the progress reporter attached, as `rcnc run` will use it:
// the lines it prints are exactly what the user sees while the cells run.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startVitest } from 'vitest/node';
import ProgressReporter from './progress.ts';

// Plain JS with vitest globals: the temp root has no node_modules to resolve `import 'vitest'` from.
const CELLS_TEST = `
const record = (id, extra = {}) => ({
  id,
  title: 'cell ' + id,
  family: 'nat-meet',
  dims: { provider: 'netns', profile: 'flannel-vxlan', exposure: 'nodeport', announce: 'none', policy: 'Cluster',
          nodes: 1 },
  expectation: { meet: 'fails', summary: 's', source: 'docs/datapath.md' },
  timings: {},
  artifacts: [],
  ...extra,
});
describe('nat-meet', () => {
  test('netns/flannel-vxlan/nodeport/announce-none', async ({ task, annotate }) => {
    await annotate('netns/flannel-vxlan/nodeport/announce-none', 'rcnc:started');
    task.meta.rcncRanMs = 1234;
    task.meta.rcnc = record('netns/flannel-vxlan/nodeport/announce-none', {
      observation: { meet: 'fails', ghosts: [], failedDialBacks: [], busPeers: [], notes: [],
                     fix: { settings: [], meet: 'ok', clusterState: 'ok' } },
    });
  });
  test('netns/flannel-vxlan/pod-ip/announce-none', async ({ task, annotate }) => {
    await annotate('netns/flannel-vxlan/pod-ip/announce-none', 'rcnc:started');
    await annotate('a note of another kind', 'notice');
    task.meta.rcncRanMs = 2500;
    task.meta.rcnc = record('netns/flannel-vxlan/pod-ip/announce-none');
    throw new Error('unexpected ghost 10.42.0.1:6379@16379\\nsecond line is not printed');
  });
  test('k3d/flannel-vxlan/nodeport/announce-none', (ctx) => {
    ctx.task.meta.rcnc = record('k3d/flannel-vxlan/nodeport/announce-none', {
      skipReason: 'no Docker daemon answers',
    });
    ctx.skip('no Docker daemon answers');
  });
  test.skip('netns/calico-vxlan/nodeport/announce-none', () => {});
});
`;

describe('ProgressReporter', () => {
  let root: string;
  let savedExitCode: typeof process.exitCode;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rcnc-progress-'));
    // The nested run fails on purpose and sets the exit code; the outer run must not inherit it.
    savedExitCode = process.exitCode;
  });

  afterEach(async () => {
    process.exitCode = savedExitCode;
    await rm(root, { recursive: true, force: true });
  });

  async function run(isTTY: boolean): Promise<string> {
    const suite = join(root, 'suite');
    await mkdir(suite, { recursive: true });
    await writeFile(join(suite, 'cells.test.js'), CELLS_TEST);
    const chunks: string[] = [];
    const stream = { isTTY, write: (chunk: string) => chunks.push(chunk) };
    // A clock that moves 10 s per reading: the estimate is then exact.
    let clock = 0;
    const now = () => (clock += 10_000);
    const vitest = await startVitest('test', [], {
      root: suite,
      config: false,
      watch: false,
      globals: true,
      // One cell at a time, so the lines come in a fixed order.
      sequence: { concurrent: false },
      reporters: [new ProgressReporter({ stream, now })],
    });
    await vitest.close();
    return chunks.join('');
  }

  test('prints a start line when a cell starts and an end line with [done/total] and the time left', async () => {
    const out = await run(false);
    expect(out.split('\n')).toEqual([
      '… running netns/flannel-vxlan/nodeport/announce-none',
      // First start at 10 s, one cell ran by 20 s: 10 s a cell, 3 left.
      '[1/4] ✓ pass  netns/flannel-vxlan/nodeport/announce-none  1.2s  works-with-announce  (~30.0s left)',
      '… running netns/flannel-vxlan/pod-ip/announce-none',
      // Two ran by 30 s: 10 s a cell, 2 left.
      '[2/4] ✗ FAIL  netns/flannel-vxlan/pod-ip/announce-none  2.5s  unexpected ghost 10.42.0.1:6379@16379  (~20.0s left)',
      // Skipped before it started: no running line, no duration; the pace is still that of the two
      // that ran (30 s over 2 by 40 s).
      '[3/4] - skip  k3d/flannel-vxlan/nodeport/announce-none  (no Docker daemon answers)  (~15.0s left)',
      '[4/4] - skip  netns/calico-vxlan/nodeport/announce-none  (marked skip)',
      '',
    ]);
    expect(out).not.toContain('\u001b[');
  });

  test('colours the status words on a terminal', async () => {
    const out = await run(true);
    expect(out).toContain('\u001b[32m✓ pass\u001b[39m  netns/flannel-vxlan/nodeport/announce-none');
    expect(out).toContain('\u001b[31m✗ FAIL\u001b[39m  netns/flannel-vxlan/pod-ip/announce-none');
    expect(out).toContain('\u001b[33m- skip\u001b[39m  k3d/flannel-vxlan/nodeport/announce-none');
  });

  test('NO_COLOR turns colour off even on a terminal', () => {
    const saved = process.env['NO_COLOR'];
    process.env['NO_COLOR'] = '1';
    try {
      const chunks: string[] = [];
      const reporter = new ProgressReporter({ stream: { isTTY: true, write: (chunk: string) => chunks.push(chunk) } });
      reporter.onTestCaseAnnotate({ name: 'cell-a', meta: () => ({}) } as never, {
        type: 'rcnc:started',
        message: 'cell-a',
      });
      expect(chunks).toEqual(['… running cell-a\n']);
    } finally {
      if (saved === undefined) {
        delete process.env['NO_COLOR'];
      } else {
        process.env['NO_COLOR'] = saved;
      }
    }
  });

  test('goes to stderr by default, so --json keeps stdout for the results', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write;
    try {
      new ProgressReporter({ color: false }).onTestCaseAnnotate({ name: 'cell-b', meta: () => ({}) } as never, {
        type: 'rcnc:started',
        message: 'cell-b',
      });
    } finally {
      process.stderr.write = original;
    }
    expect(written).toEqual(['… running cell-b\n']);
  });
});
