// The load client's report arithmetic, pure so unit tests cover it with synthetic records: the
// error window, latency percentiles, error kinds, and which acknowledged writes a read-back found
// gone (each write's key is unique, so a missing key is exactly one lost acknowledged write).
import type { EndReason, OpKind, OpRecord, VerifyResult } from './client-protocol.ts';

export interface ErrorWindow {
  /** Issue time of the earliest command that failed (ms since load start). */
  firstErrorAt: number;
  /** Completion time of the latest command that failed. */
  lastErrorAt: number;
  /** Issue time of the latest command that failed (lastErrorAt minus its retries). */
  lastFailedIssuedAt: number;
  /**
   * lastErrorAt − firstErrorAt: the span that holds every failed command, retries included. In a
   * partial outage (one shard down) other commands succeed inside it.
   */
  windowMs: number;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface OpCounts {
  ops: number;
  ok: number;
  errors: number;
}

export interface VerifyReport extends VerifyResult {
  /** Acknowledged writes that are gone (missing or overwritten). */
  lostAckedWrites: number;
  /** Of those, writes a replica had confirmed through WAIT: zero is the expectation. */
  lostWaitConfirmedWrites: number;
  lostSeqs: number[];
  lostWaitConfirmedSeqs: number[];
}

export interface ClientReport {
  target: string;
  /** Wall clock (Date.now()) when the load started: op times are relative to it. */
  startedAtEpochMs: number | null;
  endReason: EndReason | null;
  ops: number;
  ok: number;
  errors: number;
  byOp: Record<OpKind, OpCounts>;
  /** Error kinds (see `errorKind`) → count. */
  errorsByKind: Record<string, number>;
  errorWindow: ErrorWindow | null;
  /** ms, over every completed command, failed ones included (a failure is time the caller waited too). */
  latency: Latency | null;
  ackedWrites: number;
  /** SET + WAIT writes whose SET was acked. */
  waitWrites: number;
  /** …and whose WAIT reported at least one replica. */
  waitConfirmedWrites: number;
  /** GETs that read nil or another value from a key whose SET had been acked. */
  readMisses: number;
  verify: VerifyReport | null;
  lostAckedWrites: number | null;
  lostWaitConfirmedWrites: number | null;
}

/**
 * A short, stable name for an error message, so reports can count kinds: Redis error codes
 * (`MOVED`, `CLUSTERDOWN`, `TRYAGAIN`…), socket errors (`ECONNREFUSED`…), ioredis' own
 * messages, and `redirections/<kind>` when ioredis gave up retrying after `maxRedirections`.
 */
export function errorKind(message: string): string {
  const m = message.trim();
  const redirect = /^Too many Cluster redirections\. Last error: (?:\w*Error: )?(.*)$/s.exec(m);
  if (redirect) {
    return `redirections/${errorKind(redirect[1] ?? '')}`;
  }
  if (m === 'Connection is closed.') {
    return 'connection-closed';
  }
  if (/^Command timed out/i.test(m)) {
    return 'command-timeout';
  }
  if (/^op timed out/.test(m)) {
    return 'op-timeout';
  }
  if (/enableOfflineQueue/.test(m)) {
    return 'cluster-not-ready';
  }
  if (/^Cluster is ended/.test(m)) {
    return 'cluster-ended';
  }
  if (/Failed to refresh slots cache/.test(m)) {
    return 'slots-refresh';
  }
  const code = /^([A-Z][A-Z_]{2,})\b/.exec(m) ?? /\b(E[A-Z]{3,})\b/.exec(m);
  return code?.[1] ?? 'other';
}

/** Nearest-rank percentile of unsorted values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) {
    return undefined;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function errorWindow(records: readonly OpRecord[]): ErrorWindow | null {
  const failed = records.filter((r) => !r.ok);
  if (failed.length === 0) {
    return null;
  }
  const firstErrorAt = Math.min(...failed.map((r) => r.t));
  const lastErrorAt = Math.max(...failed.map((r) => r.t + r.ms));
  const lastFailureIssued = Math.max(...failed.map((r) => r.t));
  return {
    firstErrorAt: round(firstErrorAt),
    lastErrorAt: round(lastErrorAt),
    lastFailedIssuedAt: round(lastFailureIssued),
    windowMs: round(lastErrorAt - firstErrorAt),
  };
}

/** The error window and the failed commands on the clock of a timeline (ms after the fault began). */
export interface PlacedFailures {
  /** Absent when nothing failed. */
  errorWindowFromMs?: number;
  errorWindowToMs?: number;
  /** When each drawn failed command was issued. */
  failedAtMs: number[];
  /** How long each of them took to fail (ioredis' retries included), in the same order. */
  failedTookMs: number[];
}

/** Failed commands a timeline draws; the rest are counted. A few hundred already read as a band. */
export const MAX_DRAWN_FAILURES = 300;

/**
 * The failed commands a timeline draws, on the clock `toClock` maps the load's times to: each from
 * its issue to its outcome, at most `max`, evenly spread over the failures in issue order with the
 * first issued and the last to end kept. The window is the span of those failures, so the band and
 * its "errors for" label cover exactly what the drawn failures cover: the first failure's issue to
 * the last failure's end, the interval `errorWindow` measures. (Drawing issue times only, or the
 * first few hundred failures, ended the drawing seconds before the band.)
 */
export function placeFailures(
  records: readonly OpRecord[],
  toClock: (loadMs: number) => number,
  max = MAX_DRAWN_FAILURES,
): PlacedFailures {
  const failed = records.filter((r) => !r.ok).sort((a, b) => a.t - b.t);
  if (failed.length === 0) {
    return { failedAtMs: [], failedTookMs: [] };
  }
  const end = (r: OpRecord) => r.t + r.ms;
  const lastToEnd = failed.reduce((last, r) => (end(r) > end(last) ? r : last));
  const drawn = [
    ...spread(
      failed.filter((r) => r !== lastToEnd),
      max - 1,
    ),
    lastToEnd,
  ].sort((a, b) => a.t - b.t);
  const at = (r: OpRecord) => Math.round(toClock(r.t));
  return {
    errorWindowFromMs: at(failed[0]!),
    errorWindowToMs: Math.round(toClock(end(lastToEnd))),
    failedAtMs: drawn.map(at),
    failedTookMs: drawn.map((r) => Math.round(toClock(end(r))) - at(r)),
  };
}

/** At most `n` of the values, evenly spread, the first and the last kept. */
export function spread<T>(values: readonly T[], n: number): T[] {
  if (values.length <= n) {
    return [...values];
  }
  if (n <= 1) {
    return values.slice(0, Math.max(0, n));
  }
  return Array.from({ length: n }, (_, i) => values[Math.round((i * (values.length - 1)) / (n - 1))]!);
}

/** Seqs of writes the cluster acknowledged, and of those a replica confirmed through WAIT. */
export function ackedSeqs(records: readonly OpRecord[]): { acked: Set<number>; waitConfirmed: Set<number> } {
  const acked = new Set<number>();
  const waitConfirmed = new Set<number>();
  for (const r of records) {
    if (r.op === 'get' || !r.ok) {
      continue;
    }
    acked.add(r.seq);
    if (r.op === 'setw' && (r.r ?? 0) >= 1) {
      waitConfirmed.add(r.seq);
    }
  }
  return { acked, waitConfirmed };
}

/** Which acknowledged writes a read-back found gone, and which of them WAIT had confirmed. */
export function lostWrites(records: readonly OpRecord[], verify: VerifyResult): VerifyReport {
  const { acked, waitConfirmed } = ackedSeqs(records);
  const lost = [...new Set([...verify.missing, ...verify.wrong.map((w) => w.seq)])]
    .filter((s) => acked.has(s))
    .sort((a, b) => a - b);
  const lostConfirmed = lost.filter((s) => waitConfirmed.has(s));
  return {
    ...verify,
    lostAckedWrites: lost.length,
    lostWaitConfirmedWrites: lostConfirmed.length,
    lostSeqs: lost,
    lostWaitConfirmedSeqs: lostConfirmed,
  };
}

export function summarize(
  records: readonly OpRecord[],
  meta: { target?: string; startedAtEpochMs?: number | null; endReason?: EndReason | null } = {},
  verify?: VerifyResult | null,
): ClientReport {
  const byOp: Record<OpKind, OpCounts> = {
    set: { ops: 0, ok: 0, errors: 0 },
    setw: { ops: 0, ok: 0, errors: 0 },
    get: { ops: 0, ok: 0, errors: 0 },
  };
  const errorsByKind: Record<string, number> = {};
  let waitWrites = 0;
  let readMisses = 0;
  for (const r of records) {
    const c = byOp[r.op];
    c.ops += 1;
    if (r.ok) {
      c.ok += 1;
    } else {
      c.errors += 1;
      const kind = errorKind(r.err ?? '');
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
    }
    if (r.op === 'setw' && r.ok) {
      waitWrites += 1;
    }
    if (r.op === 'get' && r.ok && r.miss) {
      readMisses += 1;
    }
  }
  const { acked, waitConfirmed } = ackedSeqs(records);
  const latencies = records.map((r) => r.ms);
  const ok = records.filter((r) => r.ok).length;
  const v = verify ? lostWrites(records, verify) : null;
  return {
    target: meta.target ?? '',
    startedAtEpochMs: meta.startedAtEpochMs ?? null,
    endReason: meta.endReason ?? null,
    ops: records.length,
    ok,
    errors: records.length - ok,
    byOp,
    errorsByKind,
    errorWindow: errorWindow(records),
    latency: latencies.length
      ? {
          p50: round(percentile(latencies, 50)!),
          p99: round(percentile(latencies, 99)!),
          max: round(Math.max(...latencies)),
        }
      : null,
    ackedWrites: acked.size,
    waitWrites,
    waitConfirmedWrites: waitConfirmed.size,
    readMisses,
    verify: v,
    lostAckedWrites: v?.lostAckedWrites ?? null,
    lostWaitConfirmedWrites: v?.lostWaitConfirmedWrites ?? null,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
