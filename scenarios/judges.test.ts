// The families' judges on made-up runs: each check can fail, and fails for the reason its name
// says. The scenario test files run the same judges on real labs.
import { describe, expect, test } from 'vitest';
import type { MemberView } from '../src/probes/convergence.ts';
import { recoveryCells } from './recovery/cells.ts';
import { judgeRecovery } from './recovery/judge.ts';
import type { RecoveryRun } from './recovery/run.ts';
import type { RecoveryObservation } from './recovery/types.ts';
import { snatCells } from './snat/cells.ts';
import { judgeSnat } from './snat/judge.ts';
import type { SnatProbe } from './snat/run.ts';

const failed = (checks: { name: string; ok: boolean }[]) => checks.filter((c) => !c.ok).map((c) => c.name);

describe('judgeSnat', () => {
  const cell = snatCells('netns').find((c) => c.expectation.rewrite === 'node-ip')!;
  const capture = (ips: string[]) =>
    ({
      packets: ips.map((ip) => ({ src: { ip, port: 1 }, dst: { ip: '10.0.0.9', port: 6379 } })),
    }) as unknown as SnatProbe['server'];
  const probe = (
    seen: string | undefined,
    rewrite: SnatProbe['observation']['rewrite'],
    server: string[],
  ): SnatProbe => ({
    observation: {
      path: 'p',
      from: 'external',
      source: '172.18.0.1',
      target: '172.18.0.2:30000',
      seen,
      rewrite,
      owner: '',
      evidence: '',
      notes: [],
    },
    server: capture(server),
    ingress: capture(['172.18.0.1']),
  });

  test('passes a rewrite the SYN confirms', () => {
    expect(failed(judgeSnat(cell, probe('172.18.0.2:5', 'node-ip', ['172.18.0.2'])))).toEqual([]);
  });

  test('fails another class, and a server view the SYN contradicts', () => {
    expect(failed(judgeSnat(cell, probe('172.18.0.2:5', 'tunnel', ['10.1.1.1'])))).toEqual([
      'source',
      "source of the server's first SYN",
    ]);
  });

  test('a dropped path must show its SYN at the ingress node and none at the server', () => {
    expect(failed(judgeSnat(cell, probe(undefined, 'unreachable', ['172.18.0.2'])))).toEqual([
      'source',
      'SYNs at the server',
    ]);
  });
});

describe('judgeRecovery', () => {
  const cell = recoveryCells('netns', 'full').find((c) => c.options.kind === 'node-loss')!;
  const view = (member: string, state: string) =>
    ({ member, info: { cluster_state: state }, nodes: [] }) as unknown as MemberView;
  const run = (o: Partial<RecoveryObservation>, views = [view('redis-0', 'ok')]): RecoveryRun => {
    const recovery: RecoveryObservation = {
      action: 'stopped node-0',
      recovered: true,
      failover: { promoted: 'redis-3', afterMs: 900 },
      timeline: [
        { atMs: 0, event: 'fault' },
        { atMs: 700, event: 'fail' },
        { atMs: 900, event: 'promoted' },
      ],
      keys: { written: 300, readable: 300 },
      notes: [],
      ...o,
    };
    return { recovery, views, record: { observation: recovery } as RecoveryRun['record'] };
  };

  test('passes a node loss that healed by itself after the right promotion', () => {
    expect(failed(judgeRecovery(cell, run({})))).toEqual([]);
  });

  test('fails a promotion before FAIL, lost keys, a failed view and a lost confirmed write', () => {
    const checks = judgeRecovery(
      cell,
      run(
        {
          timeline: [
            { atMs: 0, event: 'fault' },
            { atMs: 1200, event: 'fail' },
            { atMs: 900, event: 'promoted' },
          ],
          keys: { written: 300, readable: 299 },
          client: {
            ops: 10,
            errors: 1,
            errorWindowMs: 0,
            failedAtMs: [5],
            ackedWrites: 5,
            lostAckedWrites: 0,
            waitConfirmedWrites: 5,
            lostWaitConfirmedWrites: 1,
          },
        },
        [view('redis-0', 'ok'), view('redis-1', 'fail')],
      ),
    );
    expect(failed(checks)).toEqual([
      'cluster_state ok in',
      'keys readable',
      'FAIL no later than the promotion (ms)',
      'WAIT-confirmed writes lost',
    ]);
  });
});
