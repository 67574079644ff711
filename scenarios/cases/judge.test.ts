// The cases judge and record classification on made-up readings: each check fails for the reason
// its name says, and each address class comes from what the book knows. cases.test.ts runs the
// same code on real labs.
import { describe, expect, test } from 'vitest';
import { caseCells, caseNames } from './cells.ts';
import { classifyRecord, type RecordBook } from './classify.ts';
import { judgeCase } from './judge.ts';
import { deleteRule, masqueradeRule } from './mechanisms.ts';
import type { CaseObservation, CasePhase } from './types.ts';
import { caseCompatibility } from './words.ts';

const failed = (checks: { name: string; ok: boolean }[]) => checks.filter((c) => !c.ok).map((c) => c.name);

describe('judgeCase', () => {
  const cell = caseCells('netns').find((c) => c.options.name === 'kubernetes-38176')!;
  const phase = (state: string, recordedAs?: CasePhase['recordedAs']): CasePhase => ({
    state,
    recorded: '10.42.1.0:6379',
    recordedAs,
    owner: 'flannel.1@node-1',
    evidence: 'e',
  });
  const observation = (
    failure: CasePhase,
    fixed: CasePhase | undefined,
    applied = ['SENTINEL RESET'],
  ): CaseObservation => ({
    thread: cell.expectation.thread,
    failure,
    applied,
    fixed,
    reproduced: true,
    fixWorks: true,
    notes: [],
  });

  test('the failure and the fix as the thread says pass', () => {
    expect(failed(judgeCase(cell, observation(phase('s_down', 'tunnel'), phase('ok', 'pod'))))).toEqual([]);
  });
  test('the right state at the wrong owner is no reproduction', () => {
    expect(failed(judgeCase(cell, observation(phase('s_down', 'node-ip'), phase('ok', 'pod'))))).toEqual([
      'failure reproduced',
    ]);
  });
  test('a healthy record before the fix is no reproduction', () => {
    expect(failed(judgeCase(cell, observation(phase('ok', 'tunnel'), phase('ok', 'pod'))))).toEqual([
      'failure reproduced',
    ]);
  });
  test('a fix that leaves the record rewritten, or never read, does not work', () => {
    expect(failed(judgeCase(cell, observation(phase('s_down', 'tunnel'), phase('ok', 'tunnel'))))).toEqual([
      'fix works',
    ]);
    expect(failed(judgeCase(cell, observation(phase('s_down', 'tunnel'), undefined)))).toEqual(['fix works']);
  });
  test('no fix applied fails', () => {
    expect(failed(judgeCase(cell, observation(phase('s_down', 'tunnel'), phase('ok', 'pod'), [])))).toEqual([
      'fix applied',
    ]);
  });
  test('the word follows the verdicts', () => {
    const o = observation(phase('s_down', 'tunnel'), phase('ok', 'pod'));
    expect(caseCompatibility(o)).toBe('reproduced-and-fixed');
    expect(caseCompatibility({ ...o, fixWorks: false })).toBe('fix-failed');
    expect(caseCompatibility({ ...o, reproduced: false })).toBe('not-reproduced');
  });
});

describe('judgeCase on a reused address (bitnami-11341)', () => {
  const cell = caseCells('netns').find((c) => c.options.name === 'bitnami-11341')!;
  const phase = (state: string, recordedAs: CasePhase['recordedAs'], owner: string): CasePhase => ({
    state,
    recorded: '172.18.0.4:6379@16379',
    recordedAs,
    owner,
    evidence: 'e',
  });
  const judged = (failure: CasePhase, fixed: CasePhase) =>
    failed(
      judgeCase(cell, {
        thread: cell.expectation.thread,
        failure,
        applied: ['redis-1: CLUSTER MEET 172.18.0.3 6379'],
        fixed,
        reproduced: true,
        fixWorks: true,
        notes: [],
      }),
    );

  test('noaddr at the address another pod holds now, then ok at its own, passes', () => {
    expect(judged(phase('noaddr', 'other-pod', 'redis-1'), phase('ok', 'pod', 'redis-2'))).toEqual([]);
  });
  test('noaddr at an address no pod holds is a pod back at a new IP, not a reused one', () => {
    expect(judged(phase('noaddr', 'no-pod', 'nobody'), phase('ok', 'pod', 'redis-2'))).toEqual(['failure reproduced']);
  });
  test('the pair healed by itself before the fix is no reproduction', () => {
    expect(judged(phase('ok', 'other-pod', 'redis-1'), phase('ok', 'pod', 'redis-2'))).toEqual(['failure reproduced']);
  });
});

describe('classifyRecord', () => {
  const book: RecordBook = {
    pods: [
      { name: 'redis-0', ip: '10.42.0.2' },
      { name: 'redis-1', ip: '10.42.1.2' },
    ],
    nodes: [
      { name: 'node-0', ip: '172.18.0.2', cniAddresses: { cni0: '10.42.0.1', 'flannel.1': '10.42.0.0' } },
      { name: 'node-1', ip: '172.18.0.3', cniAddresses: { cni0: '10.42.1.1', 'flannel.1': '10.42.1.0' } },
    ],
    services: [
      {
        name: 'redis-1-np',
        pod: 'redis-1',
        clusterIP: '10.43.1.3',
        ports: [{ name: 'r', port: 6379, targetPort: 6379, nodePort: 30001 }],
      },
    ],
    former: { '10.42.0.9': 'redis-0' },
  };
  const cls = (ip: string, port = 6379, listening?: boolean) => classifyRecord(ip, port, 'redis-1', book, listening);

  test('each address is whose it is, relative to the subject', () => {
    expect(cls('10.42.1.2')).toEqual({ recordedAs: 'pod', owner: 'redis-1' });
    expect(cls('10.42.0.2').recordedAs).toBe('other-pod');
    expect(cls('10.42.1.0')).toEqual({ recordedAs: 'tunnel', owner: 'flannel.1@node-1' });
    expect(cls('10.42.0.1')).toEqual({ recordedAs: 'bridge-gateway', owner: 'cni0@node-0' });
    expect(cls('172.18.0.3')).toEqual({ recordedAs: 'node-ip', owner: 'eth0@node-1' });
    expect(cls('127.0.0.1').recordedAs).toBe('loopback');
    expect(cls('10.43.1.3').recordedAs).toBe('service-ip');
  });
  test("a node address with the subject's NodePort is the subject; another pod's is not", () => {
    expect(cls('172.18.0.3', 30001).recordedAs).toBe('pod');
    expect(classifyRecord('172.18.0.3', 30001, 'redis-0', book).recordedAs).toBe('other-pod');
  });
  test('an address no pod holds names whose it was; a port nobody listens on wins', () => {
    expect(cls('10.42.0.9')).toEqual({
      recordedAs: 'no-pod',
      owner: "nobody (redis-0's address before it was recreated)",
    });
    expect(cls('10.42.7.7').owner).toBe('nobody');
    expect(cls('10.42.1.2', 6380, false).recordedAs).toBe('unlistened-port');
    expect(cls('10.42.1.2', 16379, true).recordedAs).toBe('pod');
  });
});

describe('the case table', () => {
  test('every case names its thread and a source, and ids are unique', () => {
    const cells = caseCells('netns');
    expect(cells.length).toBeGreaterThanOrEqual(10);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    expect(caseNames()).toEqual(cells.map((c) => c.options.name));
    for (const c of cells) {
      expect(c.expectation.thread).toMatch(/^[\w.-]+\/[\w.-]+#\d+$/);
      expect(c.expectation.source).not.toBe('');
      const [f, x] = [c.expectation.failure, c.expectation.fixed];
      expect(f.state !== x.state || f.recordedAs !== x.recordedAs, `${c.id}: the fix changes nothing`).toBe(true);
    }
  });
  test('the lab runs every case; the docker provider the Docker threads, on one host and Docker profiles', () => {
    const docker = caseCells('docker');
    expect(docker.map((c) => c.options.name)).toEqual(['redis-5983', 'redis-5406', 'published-port-master-host']);
    for (const c of docker) {
      expect(c.dims).toMatchObject({ provider: 'docker', profile: 'docker-userland-proxy', nodes: 1 });
      expect(c.expectation.source).toMatch(/docs\/docker\.md#/);
    }
    expect(caseCells('kube')).toEqual([]);
    expect(caseCells('k3d')).toEqual([]);
  });
  test("the masquerades are Docker's rule and a node-IP one, and both can be deleted", () => {
    expect(masqueradeRule('docker-ip-masq', '10.42.1.0/24').join(' ')).toBe(
      '-t nat -I POSTROUTING 1 -s 10.42.1.0/24 ! -o cni0 -j MASQUERADE',
    );
    expect(masqueradeRule('node-ip', '10.42.1.0/24').join(' ')).toBe(
      '-t nat -I POSTROUTING 1 -s 10.42.1.0/24 ! -d 10.42.1.0/24 -o eth0 -j MASQUERADE',
    );
    expect(deleteRule(masqueradeRule('docker-ip-masq', '10.42.1.0/24')).join(' ')).toBe(
      '-t nat -D POSTROUTING -s 10.42.1.0/24 ! -o cni0 -j MASQUERADE',
    );
  });
});
