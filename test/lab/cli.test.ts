// `rcnc run` end to end on the lab: exit codes, reports, --fail-fast, --shard and rcnc merge
// (reproduce: reproduce.test.ts).
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ResultsFile } from '../../src/model/results.ts';
import { labSkipReason, leftovers } from './leftovers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';
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

  // Three runs of rcnc: minutes on a busy machine.
  test(
    'run --shard 1/2 and 2/2, then rcnc merge: the cells and verdicts of the unsharded run',
    { timeout: 10 * 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cli-shards-'));
      try {
        const before = await leftovers();
        // Three quick cells: the classic failure (works-with-announce) and two controls.
        const select = ['--scenario', 'nat-meet', '--cell', 'netns/no-nat/*', '--cell', CLASSIC];
        const summary = join(dir, 'step-summary.md');
        const junit = join(dir, 'ci', 'junit.xml');
        const whole = await rcnc(['run', ...select, '--report-dir', join(dir, 'whole'), '--junit-file', junit], {
          GITHUB_STEP_SUMMARY: summary,
        });
        expect(whole.exitCode, whole.stderr).toBe(0);
        const parts = [];
        for (const shard of ['1/2', '2/2']) {
          const r = await rcnc([
            'run',
            ...select,
            '--shard',
            shard,
            '--report-dir',
            join(dir, shard.replace('/', '-of-')),
          ]);
          expect(r.exitCode, r.stderr).toBe(0);
          parts.push(join(dir, shard.replace('/', '-of-'), 'latest'));
        }
        const merged = await rcnc(['merge', ...parts, '--out', join(dir, 'merged')]);
        expect(merged.exitCode, merged.stderr).toBe(0);
        expect(merged.stdout).toMatch(/rcnc: 3 passed, 0 failed, 0 skipped — report: .*merged\/compatibility\.md/);

        const read = async (at: string) => JSON.parse(await readFile(join(at, 'results.json'), 'utf8')) as ResultsFile;
        const verdicts = (r: ResultsFile) => r.cells.map((c) => [c.id, c.verdict.status, c.compatibility]);
        const [all, first, second, joined] = await Promise.all(
          [join(dir, 'whole', 'latest'), ...parts, join(dir, 'merged')].map(read),
        );
        expect(verdicts(all!)).toEqual([
          [CLASSIC, 'pass', 'works-with-announce'],
          ['netns/no-nat/host-network/announce-none/2-nodes', 'pass', 'works'],
          ['netns/no-nat/pod-ip/announce-none/2-nodes', 'pass', 'works'],
        ]);
        expect(verdicts(joined!)).toEqual(verdicts(all!));
        // Each shard ran its own part, and recorded it.
        expect([first!.cells.length, second!.cells.length]).toEqual([2, 1]);
        expect(first!.shard).toEqual({ index: 1, count: 2, selected: 3 });
        expect(joined!.shard).toBeUndefined();
        // The merged junit.xml names the word; the run's copy went where --junit-file said.
        expect(await readFile(join(dir, 'merged', 'junit.xml'), 'utf8')).toContain(
          `name="${CLASSIC} [works-with-announce]"`,
        );
        expect(await readFile(junit, 'utf8')).toBe(await readFile(join(dir, 'whole', 'latest', 'junit.xml'), 'utf8'));
        // The job summary names the cells without linking to an index.html it does not have.
        const text = await readFile(summary, 'utf8');
        expect(text).toContain('**Verdicts: 3 passed, 0 failed, 0 skipped.**');
        expect(text).not.toContain('](');
        expect(await leftovers()).toEqual(before);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

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
      // Before the last line, the failed cell and its reason.
      expect(r.stdout).toMatch(/^Failed \(1\):\n {2}✗ netns\/no-nat\/\S+ {2}.*exited with code 1/m);
      expect(await leftovers()).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
