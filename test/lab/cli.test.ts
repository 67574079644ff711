// `rcnc run` end to end on the lab: exit codes, reports, --fail-fast (reproduce: reproduce.test.ts).
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ResultsFile } from '../../src/model/results.ts';
import { labSkipReason, leftovers } from './leftovers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const rcnc = (args: string[], env: Record<string, string> = {}) =>
  execa('node', ['bin/rcnc.mjs', ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', ...env } });

describe.skipIf(!!labSkipReason)('rcnc on the lab', () => {
  test('run: exit 0, results.json and compatibility.md in <report-dir>/<run-id>/ and latest/', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-report-'));
    try {
      const before = await leftovers();
      const r = await rcnc([
        'run',
        '--scenario',
        'nat-meet',
        '--profile',
        'no-nat',
        '--exposure',
        'pod-ip',
        '--report-dir',
        dir,
      ]);
      expect(r.exitCode, r.stderr).toBe(0);
      // Live progress per cell on stderr, then the summary on stdout.
      expect(r.stderr).toMatch(
        /… running netns\/no-nat\/pod-ip\/announce-none\/2-nodes\n\[1\/1\] ✓ pass {2}netns\/no-nat\/pod-ip\/announce-none\/2-nodes {2}[\d.]+m?s {2}works/,
      );
      expect(r.stdout).toMatch(
        /rcnc: 1 passed, 0 failed, 0 skipped — report: .*latest\/compatibility\.md \(also index\.html/,
      );
      const results = JSON.parse(await readFile(join(dir, 'latest', 'results.json'), 'utf8')) as ResultsFile;
      expect(results.cells.map((c) => [c.id, c.verdict.status, c.compatibility])).toEqual([
        ['netns/no-nat/pod-ip/announce-none/2-nodes', 'pass', 'works'],
      ]);
      expect(results.environment.redis).toMatch(/^7\./);
      expect(await readFile(join(dir, 'latest', 'compatibility.md'), 'utf8')).toMatch(
        /\| no-nat \(2 nodes\)<br><sub>netns lab emulation of routed pods without NAT<\/sub> \| \[🟢 works\]\(index\.html#cell-netns_no-nat_pod-ip_announce-none_2-nodes\) ✅ \|/,
      );
      expect(await leftovers()).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('run --fail-fast: after the first failed cell no queued cell starts, and the summary counts them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-fail-fast-'));
    try {
      // A redis-server that says it is Redis and then refuses to start: the first cell fails for real.
      const broken = join(dir, 'redis-server');
      await writeFile(
        broken,
        `#!/bin/sh\ncase "$1" in --version) exec redis-server --version ;; esac\necho "broken on purpose" >&2\nexit 1\n`,
        { mode: 0o755 },
      );
      const before = await leftovers();
      const r = await rcnc([
        'run',
        '--fail-fast',
        '--concurrency',
        '1',
        '--cell',
        'netns/no-nat/*',
        '--redis-server',
        broken,
        '--report-dir',
        join(dir, 'reports'),
      ]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.match(/✗ FAIL/g), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/✗ FAIL .*exited with code 1/);
      const results = JSON.parse(await readFile(join(dir, 'reports', 'latest', 'results.json'), 'utf8')) as ResultsFile;
      const notStarted = results.cells.filter((c) => c.skipReason?.includes('--fail-fast'));
      const listed = (await rcnc(['run', '--list', '--cell', 'netns/no-nat/*'])).stdout.match(/^(\d+) cell\(s\)/m);
      const total = Number(listed?.[1]);
      expect(results.summary.fail).toBe(1);
      expect(r.stdout).toContain(
        `0 passed, 1 failed, ${notStarted.length} skipped, ${total - results.cells.length} not run (--fail-fast)`,
      );
      expect(await leftovers()).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
