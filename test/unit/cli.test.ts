// The rcnc command as users meet it: help for every command, one- or two-line errors with exit
// code 2 for bad input, and nothing left behind when it refuses to run.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readRecords } from '../../src/deploy/netns/ownership.ts';
import type { ResultsFile } from '../../src/model/results.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const rcnc = async (...args: string[]) => {
  const child = execa('node', ['bin/rcnc.mjs', ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } });
  // The pid is the rcnc process itself, which is what a lab's owner record names.
  return Object.assign(await child, { pid: child.pid });
};
// Lab tests may run in parallel, so only labs owned by the rcnc process under test count.
const labDirsOf = async (pid: number | undefined) =>
  (await readRecords()).records.filter((r) => r.pid === pid).map((r) => r.labId);

describe.concurrent('rcnc help', () => {
  test('rcnc --help lists every command and the exit codes', async () => {
    const r = await rcnc('--help');
    expect(r.exitCode).toBe(0);
    for (const cmd of ['run', 'reproduce nat-meet', 'collect -n NS DIR', 'doctor', 'setup', 'clean', 'k3d -- ARGS']) {
      expect(r.stdout).toContain(cmd);
    }
    expect(r.stdout).toMatch(/Exit codes: 0 .*1 .*2 /);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('130 interrupted (SIGINT, Ctrl-C) and 143 terminated (SIGTERM)');
  });

  test('rcnc --version names the version, and the commit in a checkout', async () => {
    const r = await rcnc('--version');
    expect(r.exitCode).toBe(0);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const head = (await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false })).stdout.trim();
    expect(r.stdout).toBe(head ? `rcnc ${pkg.version} (${head})` : `rcnc ${pkg.version}`);
  });

  test.each(['run', 'reproduce', 'collect', 'diff', 'merge', 'doctor', 'setup', 'clean', 'k3d'])(
    'rcnc %s --help documents its options',
    async (cmd) => {
      const r = await rcnc(cmd, '--help');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: rcnc ${cmd}`));
      expect(r.stderr).toBe('');
    },
  );

  test('rcnc run --help names every filter', async () => {
    const r = await rcnc('run', '--help');
    for (const flag of [
      '--provider',
      '--scenario',
      '--profile',
      '--exposure',
      '--report-dir',
      '--list',
      '--json',
      '--redis-server',
      '--timing-cells',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});

describe.concurrent('rcnc diff', () => {
  const SAMPLE = join(ROOT, 'test/fixtures/report/results.sample.json');

  test('exit 0 between a run and itself, exit 1 naming the cell when a cell got worse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rcnc-diff-'));
    try {
      const same = await rcnc('diff', SAMPLE, SAMPLE);
      expect(same.exitCode).toBe(0);
      const later = JSON.parse(await readFile(SAMPLE, 'utf8')) as ResultsFile;
      const cell = later.cells.find((c) => c.family === 'nat-meet' && c.verdict.status === 'pass')!;
      cell.verdict = { status: 'fail', reason: 'the dial-back now succeeds' };
      later.summary.pass -= 1;
      later.summary.fail += 1;
      const after = join(dir, 'results.json');
      await writeFile(after, JSON.stringify(later));
      const worse = await rcnc('diff', SAMPLE, after);
      expect(worse.exitCode).toBe(1);
      expect(worse.stdout).toContain(cell.id);
      const json = await rcnc('diff', '--json', SAMPLE, dir);
      expect(JSON.parse(json.stdout)).toMatchObject({
        regression: true,
        changes: [{ cellId: cell.id, kind: 'verdict' }],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.concurrent('bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate".*rcnc --help/],
    [
      'an unknown timing mode',
      ['run', '--timing-cells', 'sometimes'],
      /^rcnc: --timing-cells sometimes: choose alone or shared$/m,
    ],
    ['an unknown option', ['run', '--colour'], /^rcnc: unknown option --colour; see 'rcnc run --help'$/m],
    [
      'a value left out before the next option',
      ['run', '--report-dir', '--json'],
      /^rcnc: --report-dir DIR needs a value, but --json follows it .*; see 'rcnc run --help'$/m,
    ],
    [
      'a profile of another provider',
      ['run', '--profile', 'docker-iptables'],
      /^rcnc: --profile docker-iptables is a profile of provider docker, not of netns: add --provider docker;/,
    ],
    ['no cells side by side', ['run', '--concurrency', '0', '--list'], /^rcnc: --concurrency 0: give a whole number/],
    ['an unknown profile', ['run', '--profile', 'weave'], /--profile: unknown value weave; choose from flannel-vxlan/],
    [
      'an unknown exposure',
      ['run', '--exposure', 'ingress'],
      /--exposure: unknown value ingress; choose from pod-ip, nodeport, host-network/,
    ],
    [
      'a filter that matches nothing',
      ['run', '--profile', 'no-nat', '--exposure', 'nodeport'],
      /no netns cell matches these filters; 'rcnc run --list --provider netns' lists them all/,
    ],
    [
      'a missing redis-server binary',
      ['run', '--redis-server', '/nope/redis-server'],
      /--redis-server \/nope\/redis-server: no such file/,
    ],
    [
      'a redis-server that is not Redis',
      ['run', '--cell', 'netns/no-nat/*', '--redis-server', '/bin/false'],
      /--redis-server \/bin\/false: `\/bin\/false --version` exited 1 and printed ".*", not a redis-server version; pass a redis-server binary/,
    ],
    [
      'a redis-cli that is not Redis',
      ['run', '--cell', 'netns/no-nat/*', '--redis-cli', '/bin/true'],
      /--redis-cli \/bin\/true: `\/bin\/true --version` printed ".*", not a redis-cli version/,
    ],
    ['an empty report dir', ['run', '--cell', 'netns/no-nat/*', '--report-dir', ''], /--report-dir is empty/],
    [
      'a report dir that cannot be written',
      ['run', '--cell', 'netns/no-nat/*', '--report-dir', '/proc/rcnc'],
      /--report-dir \/proc\/rcnc: cannot write reports there \(ENOENT\); pass a writable directory/,
    ],
    [
      'a file as report dir',
      ['run', '--cell', 'netns/no-nat/*', '--report-dir', 'package.json'],
      /--report-dir package\.json: cannot write reports there \(a file is in the way\)/,
    ],
    [
      'an unknown scenario to reproduce',
      ['reproduce', 'failover'],
      /no netns cell failover .*try: rcnc reproduce nat-meet/,
    ],
    // One prefix, not `rcnc: rcnc analyze: …`.
    ['diff without two files', ['diff', 'reports/latest'], /^rcnc: diff takes two results files/],
    [
      'diff of a file that is not results',
      ['diff', 'package.json', 'package.json'],
      /^rcnc: .*package\.json is not an rcnc results\.json \(it is JSON, but without schemaVersion, runId and cells\): pass the results\.json of a report directory/,
    ],
    [
      'diff with a bad tolerance',
      ['diff', '--tolerance-ms', 'soon', 'a', 'b'],
      /^rcnc: --tolerance-ms soon: use a whole number of milliseconds, 0 or more; see 'rcnc diff --help'$/m,
    ],
    [
      'diff with a negative tolerance',
      ['diff', 'a', 'b', '--tolerance-ms', '-5'],
      /^rcnc: --tolerance-ms -5: use a whole number of milliseconds, 0 or more; see 'rcnc diff --help'$/m,
    ],
    [
      'diff of a file that is not JSON',
      ['diff', '/etc/hostname', 'test/fixtures/report/results.sample.json'],
      /^rcnc: \/etc\/hostname is not an rcnc results\.json \(it is not JSON\): pass the results\.json of a report directory/,
    ],
    [
      'reproduce with a redis-server that is not Redis',
      ['reproduce', 'nat-meet', '--redis-server', '/bin/true'],
      /^rcnc: --redis-server \/bin\/true: `\/bin\/true --version` printed ".*", not a redis-server version/,
    ],
    ['a missing analyze dir', ['analyze', '/nope'], /^rcnc: \/nope does not exist; pass the directory/],
    ['a shard past the count', ['run', '--shard', '3/2'], /^rcnc: --shard 3\/2: give I\/N, part I of N with 1 ≤ I ≤ N/],
    ['a bare exclusion', ['run', '--cell', '!'], /^rcnc: --cell '!': name the cells to leave out after the !/],
    [
      'a junit file that is a directory',
      ['run', '--cell', 'netns/no-nat/*', '--junit-file', 'src'],
      /^rcnc: --junit-file src: a directory is in the way; pass a file, e\.g\. src\/junit\.xml$/,
    ],
    [
      'a junit file nowhere writable',
      ['run', '--cell', 'netns/no-nat/*', '--junit-file', '/proc/rcnc/junit.xml'],
      /^rcnc: --junit-file \/proc\/rcnc: cannot write reports there/,
    ],
    ['merge without reports', ['merge'], /^rcnc: merge takes the report directories of the shards/],
    [
      'merge of a missing report',
      ['merge', '/nope', '--out', '/tmp/rcnc-never'],
      /^rcnc: cannot read \/nope\/results\.json|^rcnc: cannot read \/nope/,
    ],
    [
      'merge of a run with itself',
      [
        'merge',
        'test/fixtures/report/results.sample.json',
        'test/fixtures/report/results.sample.json',
        '--out',
        '/tmp/rcnc-never',
      ],
      /^rcnc: cell k3d\/flannel-vxlan\/nodeport\/announce-none is in both .* each once$/,
    ],
    ['a profile that cannot NAT', ['reproduce', 'nat-meet', '--profile', 'no-nat'], /needs a NATing profile/],
    [
      'a bad node count',
      ['reproduce', 'nat-meet', '--nodes', 'three'],
      /--nodes three: give a whole number from 1 to 5/,
    ],
    ['collect without a dir', ['collect', '-n', 'shop'], /^rcnc: collect takes one output directory/],
    ['collect without a namespace', ['collect', '/tmp/rcnc-never'], /needs -n NAMESPACE/],
    [
      'collect with a bad capture',
      ['collect', '-n', 'shop', '--capture', '0', '/tmp/rcnc-never'],
      /--capture 0: use a whole number from 1 to 600/,
    ],
    [
      'collect capturing without consent',
      ['collect', '-n', 'shop', '--capture', '5', '/tmp/rcnc-never'],
      /--capture needs --debug/,
    ],
    [
      'collect with two passwords',
      ['collect', '-n', 'shop', '--password', 'a', '--password-secret', 'redis/key', '/tmp/rcnc-never'],
      /^rcnc: --password and --password-secret are alternatives; pass one; see 'rcnc collect --help'$/,
    ],
    [
      'collect bundling into a zip',
      ['collect', '-n', 'shop', '--bundle', '/tmp/rcnc-never.zip', '/tmp/rcnc-never'],
      /^rcnc: --bundle \/tmp\/rcnc-never\.zip: name a \.tar\.gz file; see 'rcnc collect --help'$/,
    ],
    [
      'collect into a dir in use',
      ['collect', '-n', 'shop', 'src'],
      /src is not empty .*; pass a new or empty directory/,
    ],
    [
      'collect from a cluster that does not answer',
      ['collect', '-n', 'shop', '--kubeconfig', 'test/fixtures/k8s/k3d-kubeconfig.yaml', '/tmp/rcnc-never'],
      /^rcnc: collect cannot reach the cluster: cannot reach the API server https:\/\/0\.0\.0\.0:39745/,
    ],
  ];
  test.each(cases)('%s: exit 2, a short error, nothing left behind', async (_name, args, message) => {
    const r = await rcnc(...args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(r.stdout).toBe('');
    expect(await labDirsOf(r.pid)).toEqual([]);
    expect(existsSync('/tmp/rcnc-never')).toBe(false);
  });
});

describe.concurrent('settings from the environment', () => {
  const withEnv = (env: Record<string, string>) =>
    execa('node', ['bin/rcnc.mjs', 'run', '--cell', 'netns/no-nat/*'], { cwd: ROOT, reject: false, env });
  test.each([
    [{ RCNC_MATRIX: 'bogus' }, /RCNC_MATRIX=bogus: choose default or full/],
    [{ RCNC_REQUIRE_LAB: 'yes' }, /RCNC_REQUIRE_LAB=yes: use 1 \(or 0, or leave it unset\)/],
    [{ RCNC_MATIRX: 'full' }, /RCNC_MATIRX: not a setting rcnc knows \(a typo\?\); known: RCNC_REPORT_DIR/],
  ])('%o: exit 2 with one line', async (env, message) => {
    const r = await withEnv(env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  // as-nobody.mjs loads the CLI as root and then becomes nobody, so the test holds wherever the
  // checkout lives (nobody cannot read a clone under a 0700 directory).
  const asNobody = (env: Record<string, string>, ...args: string[]) =>
    execa(process.execPath, [join(ROOT, 'test/support/as-nobody.mjs'), ...args], {
      cwd: tmpdir(),
      reject: false,
      env: { HOME: '/tmp', TMPDIR: '/tmp', ...env },
    });

  test('a run as non-root is refused in one line', async () => {
    const r = await asNobody({}, 'run', '--cell', 'netns/no-nat/*');
    expect(r.stderr).toMatch(/^rcnc: rcnc run builds network namespaces .* needs root; run it with sudo$/);
    expect(r.exitCode).toBe(2);
  });

  test('a run as non-root on a machine without the lab packages names the one command to run', async () => {
    // PATH holds apt-get and none of the lab's commands: they count as not installed.
    const bin = await mkdtemp(join(tmpdir(), 'rcnc-path-'));
    try {
      await chmod(bin, 0o755);
      await symlink('/usr/bin/apt-get', join(bin, 'apt-get'));
      const r = await asNobody({ PATH: bin }, 'run', '--cell', 'netns/no-nat/*');
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^rcnc: the netns lab needs root and packages this machine lacks \(.*redis-server.*\): run `sudo npx rcnc setup`, then this command again with sudo$/,
      );
      expect(r.stdout).toBe('');
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  test('without apt-get either, the one line names the packages to install', async () => {
    const r = await asNobody({ PATH: '/nonexistent' }, 'run', '--cell', 'netns/no-nat/*');
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^rcnc: the netns lab needs packages this machine lacks \(.*redis-server.*\) and there is no apt-get to install them: install them \(these are their Debian names\), then run again with sudo$/,
    );
  });

  test('--proxy-mode: one line naming the profile that took its place, exit 2, before any cluster starts', async () => {
    const r = await execa(
      process.execPath,
      ['bin/rcnc.mjs', 'run', '--provider', 'kube', '--proxy-mode', 'nftables', '--scenario', 'nat-meet'],
      { cwd: ROOT, reject: false },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(
      "rcnc: --proxy-mode is gone: kube-proxy's mode is part of the profile; for nftables mode run --provider kube --profile flannel-vxlan-nftables; see 'rcnc run --help'",
    );
  });

  test('the nftables profile: the lab runs it when named, k3d refuses it in one line naming who runs it', async () => {
    const lab = await rcnc('run', '--list', '--provider', 'netns', '--profile', 'flannel-vxlan-nftables');
    expect(lab.exitCode).toBe(0);
    expect(lab.stdout).toMatch(/^netns\/flannel-vxlan-nftables\/nodeport\/announce-none /m);
    const k3d = await rcnc('run', '--list', '--provider', 'k3d', '--profile', 'flannel-vxlan-nftables');
    expect(k3d.exitCode).toBe(2);
    expect(k3d.stdout).toBe('');
    expect(k3d.stderr.trim()).toBe(
      "rcnc: profile flannel-vxlan-nftables needs kube-proxy in nftables mode, which the k3d provider does not run; run it with --provider netns or --provider kube; see 'rcnc run --help'",
    );
    const kube = await rcnc('run', '--list', '--provider', 'kube', '--profile', 'flannel-vxlan-nftables');
    expect(kube.stdout).toMatch(/^kube\/flannel-vxlan-nftables\/nodeport\/announce-none /m);
  });

  test('a redis-server nobody chose that is not installed: how to install it, no variable named', async () => {
    // k3d: a provider whose run does not install the lab's packages, so the binary check speaks.
    const r = await execa(process.execPath, ['bin/rcnc.mjs', 'run', '--provider', 'k3d', '--scenario', 'nat-meet'], {
      cwd: ROOT,
      reject: false,
      env: { PATH: '/nonexistent', RCNC_REDIS_SERVER: '' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(
      'rcnc: redis-server is missing (not found on PATH): run `sudo npx rcnc setup`, or pass --redis-server PATH',
    );
  });
});

describe.concurrent('rcnc run --list', () => {
  test('lists the matrix without running it', async () => {
    const r = await rcnc('run', '--list');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CELL +SCENARIO +EXPECTS +TITLE$/);
    // Aligned: the SCENARIO column starts at the same offset on every row.
    const at = lines[0]!.indexOf('SCENARIO');
    const rows = lines.slice(1, lines.indexOf(''));
    for (const row of rows) {
      expect(row.slice(at).split(' ')[0]).toMatch(/^(nat-meet|snat|recovery|sentinel|cases)$/);
    }
    expect(r.stdout).toMatch(
      /netns\/flannel-vxlan\/nodeport\/announce-none +nat-meet +meet fails \(bridge-gateway\), announce fixes it/,
    );
    expect(r.stdout).toMatch(
      /netns\/flannel-vxlan\/nodeport\/announce-none\/local\/2-nodes\/external-nodeport-remote +snat +dropped/,
    );
    expect(r.stdout).toMatch(/\/whole-restart +recovery +heals after remediation/);
    expect(r.stdout).toMatch(
      /\/nodeport\/announce-none\/2-nodes\/views +sentinel +replicas at bridge-gateway addresses/,
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(`^${rows.length} cell\\(s\\): \\d+ nat-meet, \\d+ snat, \\d+ recovery, \\d+ sentinel, \\d+ cases$`),
    );
  });

  test('--list --json: the same cells as JSON, with a shard and the selection it was cut from', async () => {
    const table = await rcnc('run', '--list', '--quick', '--shard', '2/3');
    const json = await rcnc('run', '--list', '--json', '--quick', '--shard', '2/3');
    expect(json.exitCode).toBe(0);
    const listed = JSON.parse(json.stdout) as {
      total: number;
      shard: unknown;
      cells: { id: string; family: string }[];
    };
    const lines = table.stdout.trim().split('\n');
    expect(listed.cells.map((c) => c.id)).toEqual(lines.slice(1, lines.indexOf('')).map((l) => l.split(/\s+/)[0]));
    expect(listed.total).toBe(listed.cells.length);
    expect(listed.shard).toEqual({ index: 2, count: 3, selected: 13 });
  });

  test('filters combine', async () => {
    const r = await rcnc('run', '--list', '--profile', 'calico-vxlan,calico-crosssubnet', '--exposure', 'nodeport');
    const lines = r.stdout.trim().split('\n');
    const ids = lines.slice(1, lines.indexOf('')).map((l) => l.split(/\s+/)[0]);
    expect(ids.length).toBeGreaterThan(1);
    for (const id of ids) {
      expect(id).toMatch(/^netns\/calico-(vxlan|crosssubnet)\/nodeport\//);
    }
  });
});

describe.concurrent('rcnc on k3d without Docker', () => {
  // Where a Docker daemon answers these cells would really run; that path is test/k3d's.
  const dockerAnswers = async () =>
    (await execa('docker', ['info'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;

  test('run --provider k3d: every cell skipped, the reason in results.json, exit 2: nothing ran', async (ctx) => {
    if (await dockerAnswers()) {
      ctx.skip('a Docker daemon answers here; the k3d cells would run');
    }
    const dir = await mkdtemp(join(tmpdir(), 'k3d-report-'));
    try {
      const r = await rcnc('run', '--provider', 'k3d', '--scenario', 'nat-meet', '--report-dir', dir);
      const results = JSON.parse(await readFile(join(dir, 'latest', 'results.json'), 'utf8')) as ResultsFile;
      expect(results.cells.length).toBeGreaterThan(0);
      for (const c of results.cells) {
        expect(c.id).toMatch(/^k3d\//);
        expect(c.verdict.status).toBe('skip');
        expect(c.verdict.reason).toMatch(/no Docker daemon answers/);
      }
      // A run that tested nothing must not read as one in which everything worked.
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(
        new RegExp(`^rcnc: nothing ran: all ${results.cells.length} cells were skipped: .*no Docker daemon answers`),
      );
      expect(r.stdout).toBe('');
      const markdown = await readFile(join(dir, 'latest', 'compatibility.md'), 'utf8');
      expect(markdown).toMatch(/\*\*Nothing ran:\*\* all \d+ cells were skipped: .*no Docker daemon answers/);
      expect(markdown).not.toContain('Every cell works as deployed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('REQUIRE_K3D=1: exit 2 with a one-line reason, before anything runs', async (ctx) => {
    if (await dockerAnswers()) {
      ctx.skip('a Docker daemon answers here');
    }
    const r = await execa('node', ['bin/rcnc.mjs', 'run', '--provider', 'k3d'], {
      cwd: ROOT,
      reject: false,
      env: { REQUIRE_K3D: '1' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/REQUIRE_K3D=1 but provider k3d cannot run here: no Docker daemon answers/);
    expect(r.stdout).toBe('');
  });

  test('k3d -- ARGS without a k3d binary: exit 2 and how to get one', async () => {
    const r = await execa('node', ['bin/rcnc.mjs', 'k3d', '--', 'version'], {
      cwd: ROOT,
      reject: false,
      env: { K3D_BIN: '', PATH: '/usr/bin:/bin' },
    });
    if (r.exitCode === 0) {
      return; // a real k3d is installed here; its output is k3d's business
    }
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/k3d not found: .*K3D_BIN.*K3D_AUTO_INSTALL=1/);
  });
});
