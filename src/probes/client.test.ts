// The load client's report arithmetic over synthetic op records: error window, percentiles,
// acked and WAIT-confirmed writes, lost writes after a read-back, error kinds. The worker and
// the lab run are covered by test/lab/client.test.ts.
import { describe, expect, test } from 'vitest';
import {
  ackedSeqs,
  errorKind,
  errorWindow,
  lostWrites,
  percentile,
  placeFailures,
  summarize,
  workerConfig,
  type OpRecord,
  type VerifyResult,
} from './client.ts';

const set = (seq: number, t: number, ms = 1, extra: Partial<OpRecord> = {}): OpRecord => ({
  seq,
  op: 'set',
  ok: true,
  ms,
  t,
  ...extra,
});
const setw = (seq: number, t: number, r: number, extra: Partial<OpRecord> = {}): OpRecord => ({
  seq,
  op: 'setw',
  ok: true,
  ms: 2,
  t,
  r,
  ...extra,
});
const fail = (seq: number, t: number, ms: number, err: string, op: OpRecord['op'] = 'set'): OpRecord => ({
  seq,
  op,
  ok: false,
  err,
  ms,
  t,
});
const verified = (v: Partial<VerifyResult>): VerifyResult => ({
  id: 1,
  checked: 0,
  missing: [],
  wrong: [],
  unreadable: [],
  ms: 5,
  ...v,
});

describe('percentile (nearest rank)', () => {
  test('p50, p99 and the edges', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });
});

describe('errorWindow', () => {
  test('null without failures', () => {
    expect(errorWindow([set(1, 0), set(2, 10)])).toBeNull();
  });

  test('from the issue of the first failed command to the completion of the last', () => {
    const records = [
      set(1, 0),
      fail(2, 100, 900, 'Too many Cluster redirections. Last error: Error: Connection is closed.'),
      set(3, 150, 5), // another slot: fine while the failing one is stuck
      fail(4, 1_200, 300, 'CLUSTERDOWN The cluster is down'),
      set(5, 1_300, 400),
    ];
    expect(errorWindow(records)).toEqual({
      firstErrorAt: 100,
      lastErrorAt: 1_500,
      lastFailedIssuedAt: 1_200,
      windowMs: 1_400,
    });
  });

  test('one failure: the window is its own latency', () => {
    expect(errorWindow([set(1, 0), fail(2, 50, 10, 'x')])).toMatchObject({ firstErrorAt: 50, windowMs: 10 });
  });

  test('the completion order, not the record order, decides the last error', () => {
    // Lanes run in parallel: a long failure issued first can end after a short one issued later.
    const w = errorWindow([fail(1, 0, 2_000, 'a'), fail(2, 500, 10, 'b')]);
    expect(w).toMatchObject({ firstErrorAt: 0, lastErrorAt: 2_000, windowMs: 2_000 });
  });
});

describe('placeFailures', () => {
  // Shaped on a real cluster failover (netns pod-ip, 3 nodes): commands failed fast while the dead
  // master refused, then hung up to ~1.4 s each until the replica was promoted, so the last failure
  // to end was issued well before it ended, and there were more failures than are drawn.
  const records: OpRecord[] = [
    set(1, 0),
    ...Array.from({ length: 400 }, (_, i) => fail(10 + i, 1_004 + i * 5, 2, 'ECONNREFUSED')),
    ...Array.from({ length: 100 }, (_, i) => fail(500 + i, 3_000 + i * 2, 1_400 - i * 10, 'CLUSTERDOWN')),
    set(900, 5_000),
  ];
  const placed = placeFailures(records, (t) => t - 1_000);

  test('draws at most 300, the first issued and the last to end among them', () => {
    expect(placed.failedAtMs).toHaveLength(300);
    expect(placed.failedTookMs).toHaveLength(300);
    expect(placed.failedAtMs[0]).toBe(4);
    const ends = placed.failedAtMs.map((at, i) => at + placed.failedTookMs[i]!);
    expect(Math.max(...ends)).toBe(3_000 + 1_400 - 1_000);
    // Spread over all of them, not the first 300 (which all failed before 2.6 s).
    expect(Math.max(...placed.failedAtMs)).toBeGreaterThan(2_000);
  });

  test('the window is the span of the failures drawn, on the given clock, as errorWindow measures it', () => {
    const ends = placed.failedAtMs.map((at, i) => at + placed.failedTookMs[i]!);
    expect(placed.errorWindowFromMs).toBe(Math.min(...placed.failedAtMs));
    expect(placed.errorWindowToMs).toBe(Math.max(...ends));
    expect(placed.errorWindowToMs! - placed.errorWindowFromMs!).toBe(errorWindow(records)!.windowMs);
  });

  test('nothing to place without failures', () => {
    expect(placeFailures([set(1, 0)], (t) => t)).toEqual({ failedAtMs: [], failedTookMs: [] });
  });
});

describe('acked writes and losses', () => {
  const records = [
    set(1, 0),
    setw(2, 1, 1),
    setw(3, 2, 0), // WAIT timed out: acked but not confirmed
    fail(4, 3, 10, 'MOVED 1 10.0.0.1:6379'),
    setw(5, 4, 1, { werr: 'Command timed out' }), // WAIT's error does not unack the SET
    fail(6, 5, 10, 'CLUSTERDOWN The cluster is down', 'setw'),
    { seq: 1, op: 'get', ok: true, ms: 1, t: 6 } as OpRecord,
    { seq: 3, op: 'get', ok: true, ms: 1, t: 7, miss: true } as OpRecord,
  ];

  test('acked = SETs that got a reply; WAIT-confirmed = those with at least one replica', () => {
    const { acked, waitConfirmed } = ackedSeqs(records);
    expect([...acked]).toEqual([1, 2, 3, 5]);
    expect([...waitConfirmed]).toEqual([2, 5]);
  });

  test('lost = acked keys read back missing or wrong; unreadable keys are not counted', () => {
    const v = lostWrites(
      records,
      verified({
        checked: 4,
        missing: [3, 5],
        wrong: [{ seq: 1, got: '7' }],
        unreadable: [{ seq: 2, err: 'CLUSTERDOWN' }],
      }),
    );
    expect(v).toMatchObject({
      lostAckedWrites: 3,
      lostSeqs: [1, 3, 5],
      lostWaitConfirmedWrites: 1,
      lostWaitConfirmedSeqs: [5],
    });
  });

  test('a key reported missing that was never acked is not a lost write', () => {
    expect(lostWrites(records, verified({ missing: [4, 6] })).lostAckedWrites).toBe(0);
  });

  test('summarize counts ops, kinds, latency and carries the verify', () => {
    const r = summarize(
      records,
      { target: 'load client in the external client', endReason: 'count' },
      verified({ missing: [2] }),
    );
    expect(r).toMatchObject({
      target: 'load client in the external client',
      endReason: 'count',
      ops: 8,
      ok: 6,
      errors: 2,
      byOp: {
        set: { ops: 2, ok: 1, errors: 1 },
        setw: { ops: 4, ok: 3, errors: 1 },
        get: { ops: 2, ok: 2, errors: 0 },
      },
      errorsByKind: { MOVED: 1, CLUSTERDOWN: 1 },
      errorWindow: { firstErrorAt: 3, lastErrorAt: 15, lastFailedIssuedAt: 5, windowMs: 12 },
      latency: { p50: 2, p99: 10, max: 10 },
      ackedWrites: 4,
      waitWrites: 3,
      waitConfirmedWrites: 2,
      readMisses: 1,
      lostAckedWrites: 1,
      lostWaitConfirmedWrites: 1,
    });
  });

  test('without a verify the loss counts are null, not zero', () => {
    const r = summarize([set(1, 0)]);
    expect(r.lostAckedWrites).toBeNull();
    expect(r.lostWaitConfirmedWrites).toBeNull();
    expect(r.verify).toBeNull();
  });

  test('an empty run has no latency and no window', () => {
    expect(summarize([])).toMatchObject({ ops: 0, latency: null, errorWindow: null, ackedWrites: 0 });
  });
});

describe('errorKind', () => {
  test.each([
    ['MOVED 3999 172.18.0.3:30001', 'MOVED'],
    ['CLUSTERDOWN The cluster is down', 'CLUSTERDOWN'],
    ['TRYAGAIN Multiple keys request during rehashing of slot', 'TRYAGAIN'],
    ["READONLY You can't write against a read only replica.", 'READONLY'],
    ['Connection is closed.', 'connection-closed'],
    ['Command timed out', 'command-timeout'],
    ['op timed out after 10000ms', 'op-timeout'],
    ['connect ECONNREFUSED 172.18.0.3:30001', 'ECONNREFUSED'],
    ["Cluster isn't ready and enableOfflineQueue options is false", 'cluster-not-ready'],
    ['Too many Cluster redirections. Last error: Error: Connection is closed.', 'redirections/connection-closed'],
    [
      'Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down',
      'redirections/CLUSTERDOWN',
    ],
    ['Too many Cluster redirections. Last error: CLUSTERDOWN The cluster is down', 'redirections/CLUSTERDOWN'],
    ['something else', 'other'],
  ])('%s → %s', (message, kind) => {
    expect(errorKind(message)).toBe(kind);
  });
});

describe('workerConfig', () => {
  const nodes = [{ host: '172.18.0.2', port: 30000 }];

  test('the command timeout never cuts a WAIT short', () => {
    expect(workerConfig({ startupNodes: nodes, waitTimeoutMs: 2_000, commandTimeoutMs: 500 }).commandTimeoutMs).toBe(
      2_500,
    );
  });

  test('rejects what cannot bound a load', () => {
    expect(() => workerConfig({ startupNodes: [] })).toThrow(/at least one startup node/);
    expect(() => workerConfig({ startupNodes: nodes, rate: 0 })).toThrow(/rate must be > 0/);
    expect(() => workerConfig({ startupNodes: nodes, maxDurationMs: Infinity })).toThrow(/maxDurationMs/);
  });

  test('Sentinel mode: sentinels instead of startup nodes, passed to the worker as given', () => {
    const sentinel = { sentinels: [{ host: '172.18.0.2', port: 32000 }], name: 'mymaster' };
    expect(workerConfig({ startupNodes: [], sentinel }).sentinel).toEqual(sentinel);
    expect(() => workerConfig({ startupNodes: nodes, sentinel: { ...sentinel, sentinels: [] } })).toThrow(
      /at least one sentinel/,
    );
  });

  test('clients get distinct key prefixes by default', () => {
    expect(workerConfig({ startupNodes: nodes }).keyPrefix).not.toBe(workerConfig({ startupNodes: nodes }).keyPrefix);
  });
});
