// The rcnc command as users meet it: help for every command, one- or two-line errors with exit
// code 2 for bad input, and nothing left behind when it refuses to run.
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const rcnc = (...args: string[]) =>
  execa('node', ['bin/rcnc.mjs', ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } });
const labDirs = async () => (await readdir(tmpdir())).filter((d) => d.startsWith('rcnc-')).sort();

describe('rcnc help', () => {
  test('rcnc --help lists every command and the exit codes', async () => {
    const r = await rcnc('--help');
    expect(r.exitCode).toBe(0);
    for (const cmd of ['run', 'reproduce nat-meet', 'doctor', 'setup', 'clean']) {
      expect(r.stdout).toContain(cmd);
    }
    expect(r.stdout).toMatch(/Exit codes: 0 .*1 .*2 /);
  });

  test.each(['run', 'reproduce', 'doctor', 'setup', 'clean'])('rcnc %s --help documents its options', async (cmd) => {
    const r = await rcnc(cmd, '--help');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: rcnc ${cmd}`));
    expect(r.stderr).toBe('');
  });

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
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});

describe('bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate".*rcnc --help/],
    ['an unknown option', ['run', '--colour'], /Unknown option '--colour'.*rcnc run --help/],
    ['an unknown profile', ['run', '--profile', 'weave'], /--profile: unknown value weave; choose from flannel-vxlan/],
    [
      'an unknown exposure',
      ['run', '--exposure', 'ingress'],
      /--exposure: unknown value ingress; choose from pod-ip, nodeport, host-network/,
    ],
    [
      'a filter that matches nothing',
      ['run', '--profile', 'no-nat', '--exposure', 'nodeport'],
      /no cell matches these filters; run with --list/,
    ],
    [
      'a missing redis-server binary',
      ['run', '--redis-server', '/nope/redis-server'],
      /--redis-server \/nope\/redis-server: no such file/,
    ],
    ['an unknown scenario to reproduce', ['reproduce', 'failover'], /knows one scenario: nat-meet/],
    ['a profile that cannot NAT', ['reproduce', 'nat-meet', '--profile', 'no-nat'], /needs a NATing profile/],
    [
      'a bad node count',
      ['reproduce', 'nat-meet', '--nodes', 'three'],
      /--nodes three: give a whole number from 1 to 5/,
    ],
  ];
  test.each(cases)('%s: exit 2, a short error, nothing left behind', async (_name, args, message) => {
    const before = await labDirs();
    const r = await rcnc(...args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(r.stdout).toBe('');
    expect(await labDirs()).toEqual(before);
  });
});

describe('rcnc run --list', () => {
  test('lists the matrix without running it', async () => {
    const r = await rcnc('run', '--list');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('netns/flannel-vxlan/nodeport/announce-none ');
    expect(r.stdout).toContain('expect meet fails');
    expect(r.stdout).toContain('netns/no-nat/pod-ip/announce-none/2-nodes');
  });

  test('filters combine', async () => {
    const r = await rcnc('run', '--list', '--profile', 'calico-vxlan,calico-crosssubnet', '--exposure', 'nodeport');
    const ids = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(ids.length).toBeGreaterThan(1);
    for (const id of ids) {
      expect(id).toMatch(/^netns\/calico-(vxlan|crosssubnet)\/nodeport\//);
    }
  });
});
