// The external load client: an ioredis Cluster client that runs inside a lab (or pod) network
// namespace and drives a bounded, paced write/read load while a scenario injects faults. The
// runner never talks to Redis itself (design.md: the runner reaches Redis only through `ip netns
// exec`); it starts `client-worker.ts` with `topology.spawn` and speaks JSON lines over stdio:
//
//   runner → worker   line 1: WorkerConfig; then {"cmd":"start"|"stop"|"verify"|"quit"}
//   worker → runner   {"ev":"ready"}, {"ev":"started"}, one {"ev":"op"} per command, {"ev":"done"},
//                     {"ev":"verified"}, {"ev":"log"} (client events), {"ev":"fatal"}
//
// Writes are `SET <prefix>:<seq> <seq>` with a unique seq each, so a key missing (or holding
// another value) after the fact is exactly one lost acknowledged write. Every `waitEvery`-th write
// is followed by `WAIT 1 <timeout>` on the same connection; those confirmed by a replica must
// survive a failover. The arithmetic over the records (error window, percentiles, lost writes) is
// pure and lives here, so unit tests cover it with synthetic records.
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ExecTarget, StartedTopology } from '../deploy/provider.ts';
import { memberPorts, type RedisCluster } from '../deploy/redis-cluster.ts';
import { ProbeError, UsageError } from '../util/errors.ts';
import { waitFor } from '../util/wait.ts';

// ---------------------------------------------------------------------------------------------
// Protocol (shared with client-worker.ts through `import type` only: the worker imports nothing
// of the project at run time, so it starts fast and cannot drag runner state into the namespace).

export interface Endpoint {
  host: string;
  port: number;
}

/** SET only; SET followed by WAIT 1 on the same connection; GET of an earlier acknowledged key. */
export type OpKind = 'set' | 'setw' | 'get';

/** One command as the client saw it. Times are ms since the load started (`started.epochMs`). */
export interface OpRecord {
  /** The key's sequence number: `<prefix>:<seq>` (for `get`, the key that was read). */
  seq: number;
  op: OpKind;
  /** The command got a reply that was not an error (for `setw`: the SET did). */
  ok: boolean;
  /** First line of the error, when `ok` is false. */
  err?: string;
  /** Latency: from issuing the command (ioredis retries included) to its outcome. */
  ms: number;
  /** When the command was issued. */
  t: number;
  /** `setw`: replicas that acknowledged, as WAIT returned it. */
  r?: number;
  /** `setw`: WAIT's own error when the SET succeeded but WAIT did not. */
  werr?: string;
  /** `get`: the key did not hold its seq (nil or another value) although its SET was acked. */
  miss?: boolean;
}

/**
 * Sentinel mode: an ioredis client that asks these sentinels for the master of `name` and follows
 * `+switch-master` (failoverDetector), instead of a Cluster client (docs/sentinel.md#client-discovery).
 */
export interface SentinelTarget {
  sentinels: Endpoint[];
  name: string;
  /** ioredis natMap: the address Sentinel hands out (`ip:port`) → the address to dial. */
  natMap?: Record<string, Endpoint>;
}

export interface WorkerConfig {
  /** Cluster mode: where ioredis starts; empty in Sentinel mode. */
  startupNodes: Endpoint[];
  sentinel?: SentinelTarget;
  /** ioredis natMap: the address a node reports (`ip:port`) → the address to dial. */
  natMap?: Record<string, Endpoint>;
  keyPrefix: string;
  maxOps: number;
  maxDurationMs: number;
  /** Operations issued per second, over all lanes. */
  rate: number;
  /** Operations in flight at once. */
  concurrency: number;
  /**
   * Every Nth write is SET + WAIT 1, unless a WAIT write is still in flight (then it is a plain
   * SET: WAITs on one connection run in turn, see client-worker.ts); 0 disables WAIT.
   */
  waitEvery: number;
  waitTimeoutMs: number;
  /** Every Nth operation is a GET of a random earlier acknowledged key; 0 disables reads. */
  readEvery: number;
  /**
   * ioredis commandTimeout. ioredis arms it at a command's first send and keeps it across cluster
   * retries, so it bounds a command with its retries; kept above the redirection budget and
   * above waitTimeoutMs (a WAIT may block for its whole timeout).
   */
  commandTimeoutMs: number;
  /** Bounds one operation including every ioredis retry. */
  opTimeoutMs: number;
  connectTimeoutMs: number;
  readyTimeoutMs: number;
  verifyTimeoutMs: number;
  /** Hard bound on the worker's life, whatever the runner does. */
  lifetimeMs: number;
  retryDelayOnFailoverMs: number;
  retryDelayOnClusterDownMs: number;
  maxRedirections: number;
  slotsRefreshTimeoutMs: number;
  slotsRefreshIntervalMs: number;
}

export type WorkerCommand = { cmd: 'start' } | { cmd: 'stop' } | { cmd: 'verify'; id: number } | { cmd: 'quit' };

export type EndReason = 'count' | 'time' | 'stop';

export interface VerifyResult {
  id: number;
  /** Acknowledged keys read back. */
  checked: number;
  /** Seqs whose key was nil. */
  missing: number[];
  /** Seqs whose key held another value. */
  wrong: { seq: number; got: string }[];
  /** Seqs that could not be read within the verify bound (not counted as lost). */
  unreadable: { seq: number; err: string }[];
  ms: number;
}

export type WorkerEvent =
  | { ev: 'ready'; masters: string[]; ms: number }
  | { ev: 'started'; epochMs: number }
  | ({ ev: 'op' } & OpRecord)
  | { ev: 'done'; reason: EndReason; ops: number }
  | ({ ev: 'verified' } & VerifyResult)
  | { ev: 'log'; t: number; msg: string }
  | { ev: 'fatal'; message: string };

// ---------------------------------------------------------------------------------------------
// Report arithmetic (pure).

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

// ---------------------------------------------------------------------------------------------
// Endpoints per exposure.

/**
 * Where a client reaches the cluster over its exposure: NodePort → node IP + client NodePort;
 * host-network → node IP + port; pod-ip → pod IP + 6379 (reachable only from inside the cluster,
 * so run that client in a pod's namespace). Pod IPs change when a pod is deleted: call this again
 * for a client started afterwards.
 */
export function clientEndpoints(cluster: RedisCluster): Endpoint[] {
  return cluster.plan.members.map((m) => {
    const a = cluster.address(m);
    return { host: a.ip, port: a.port };
  });
}

/**
 * The natMap a client outside the cluster needs under NodePort when members do not announce:
 * they then report (CLUSTER SLOTS, MOVED) `podIP:port`, which only the cluster can dial. Entries
 * for addresses nobody reports are inert, so passing it when everyone announces is harmless.
 * Undefined for the other exposures, whose reported addresses are the dialled ones.
 */
export function clientNatMap(cluster: RedisCluster): Record<string, Endpoint> | undefined {
  if (cluster.plan.exposure !== 'nodeport') {
    return undefined;
  }
  const natMap: Record<string, Endpoint> = {};
  for (const m of cluster.plan.members) {
    const a = cluster.address(m);
    natMap[`${cluster.topology.pod(m.name).ip}:${memberPorts(cluster.plan, m).port}`] = { host: a.ip, port: a.port };
  }
  return natMap;
}

// ---------------------------------------------------------------------------------------------
// The runner side.

export interface ClientOptions {
  /** Where ioredis starts (see `clientEndpoints`); empty with `sentinel`. */
  startupNodes: Endpoint[];
  /** Sentinel mode instead of Cluster mode. */
  sentinel?: SentinelTarget;
  /** ioredis natMap (see `clientNatMap`). */
  natMap?: Record<string, Endpoint>;
  /** Key prefix; default `rcnc:<random>` so clients never share keys. */
  keyPrefix?: string;
  /** Count bound of the load; default 100 000. */
  maxOps?: number;
  /** Time bound of the load; default 30 s. */
  maxDurationMs?: number;
  /** Ops per second over all lanes; default 200. */
  rate?: number;
  /**
   * Cap on ops in flight; default 128. The rate sets the pace: a command stuck in retries during
   * a failover holds one slot, not the clock (a closed loop of a few lanes would stop issuing
   * and make the error window coarse). While the cluster is down every op retries for about
   * 1.5 s, so rate × 1.5 slots keep the pace through it.
   */
  concurrency?: number;
  /** Every Nth write is SET + WAIT 1 (at most one in flight); default 5, 0 disables. */
  waitEvery?: number;
  /** WAIT's timeout; default 500 ms. */
  waitTimeoutMs?: number;
  /** Every Nth op is a GET of an earlier acked key; default 4, 0 disables. */
  readEvery?: number;
  // The rest tune the ioredis client and the worker's bounds: see WorkerConfig, and workerConfig()
  // for the defaults (commandTimeout 3 s, op 10 s, connect 1 s, ready 15 s, verify 30 s,
  // lifetime 15 min, retry delays 100 ms, 16 redirections, slot refresh 1 s timeout / 2 s period).
  commandTimeoutMs?: number;
  opTimeoutMs?: number;
  connectTimeoutMs?: number;
  readyTimeoutMs?: number;
  verifyTimeoutMs?: number;
  lifetimeMs?: number;
  retryDelayOnFailoverMs?: number;
  retryDelayOnClusterDownMs?: number;
  maxRedirections?: number;
  slotsRefreshTimeoutMs?: number;
  slotsRefreshIntervalMs?: number;
}

export interface ClientSnapshot {
  ops: number;
  ok: number;
  errors: number;
  ackedWrites: number;
  /** ms since load start of the latest op completion; null before the first. */
  lastOpAt: number | null;
  running: boolean;
}

export interface LoadClient extends AsyncDisposable {
  readonly target: string;
  /** The worker's pid (in the root pid namespace: network namespaces do not isolate pids). */
  readonly pid: number | undefined;
  /** Starts the load; resolves once the worker has begun issuing commands. */
  start(): Promise<void>;
  /** Counters so far, for waits such as "until 200 writes are acked". */
  snapshot(): ClientSnapshot;
  /** Operations completed so far (any outcome). */
  opsDone(): number;
  /**
   * Waits until `n` operations have completed (any outcome); fails at once if the load ends
   * first. The default bound is what the rate needs, plus one op bound and a margin.
   */
  waitForOps(n: number, timeoutMs?: number): Promise<void>;
  /** ms since the load started, in the records' time base (null before start). */
  loadTime(): number | null;
  /** Waits for the load to end on its own bounds (count or time). */
  done(): Promise<ClientReport>;
  /** Ends the load early (in-flight commands finish) and reports; the same report once ended. */
  stop(): Promise<ClientReport>;
  /** Reads back every acked key (stopping the load first). May be called again later. */
  verify(): Promise<VerifyReport>;
  /** The report so far, with the latest verify if there was one. */
  report(): ClientReport;
  readonly records: readonly OpRecord[];
  /** The last client events (node errors, slot refreshes): for failure messages. */
  readonly events: readonly string[];
}

const require = createRequire(import.meta.url);
// tsx's ESM loader by absolute URL: the worker runs from whatever cwd `ip netns exec` leaves, where
// a bare `--import tsx` would not resolve.
const TSX_LOADER = pathToFileURL(require.resolve('tsx/esm')).href;
const WORKER = fileURLToPath(new URL('./client-worker.ts', import.meta.url));

const MAX_EVENTS = 200;
const MAX_STDERR = 40;
const SETTLE_MS = 5_000;

export function workerConfig(opts: ClientOptions): WorkerConfig {
  if (opts.sentinel ? opts.sentinel.sentinels.length === 0 : opts.startupNodes.length === 0) {
    throw new UsageError(`the load client needs at least one ${opts.sentinel ? 'sentinel' : 'startup node'}`);
  }
  const waitTimeoutMs = opts.waitTimeoutMs ?? 500;
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new UsageError(`load client option ${name} must be a finite number ≥ 0, got ${v}`);
    }
    return v;
  };
  const c: WorkerConfig = {
    startupNodes: opts.startupNodes,
    ...(opts.sentinel ? { sentinel: opts.sentinel } : {}),
    natMap: opts.natMap,
    keyPrefix: opts.keyPrefix ?? `rcnc:${Math.random().toString(36).slice(2, 8)}`,
    maxOps: positive('maxOps', opts.maxOps ?? 100_000),
    maxDurationMs: positive('maxDurationMs', opts.maxDurationMs ?? 30_000),
    rate: positive('rate', opts.rate ?? 200),
    concurrency: Math.max(1, positive('concurrency', opts.concurrency ?? 128)),
    waitEvery: positive('waitEvery', opts.waitEvery ?? 5),
    waitTimeoutMs,
    readEvery: positive('readEvery', opts.readEvery ?? 4),
    // A WAIT may block for its whole timeout: the command timeout must not cut it short.
    commandTimeoutMs: Math.max(opts.commandTimeoutMs ?? 3_000, waitTimeoutMs + 500),
    opTimeoutMs: positive('opTimeoutMs', opts.opTimeoutMs ?? 10_000),
    connectTimeoutMs: positive('connectTimeoutMs', opts.connectTimeoutMs ?? 1_000),
    readyTimeoutMs: positive('readyTimeoutMs', opts.readyTimeoutMs ?? 15_000),
    verifyTimeoutMs: positive('verifyTimeoutMs', opts.verifyTimeoutMs ?? 30_000),
    lifetimeMs: positive('lifetimeMs', opts.lifetimeMs ?? 15 * 60_000),
    retryDelayOnFailoverMs: positive('retryDelayOnFailoverMs', opts.retryDelayOnFailoverMs ?? 100),
    retryDelayOnClusterDownMs: positive('retryDelayOnClusterDownMs', opts.retryDelayOnClusterDownMs ?? 100),
    maxRedirections: positive('maxRedirections', opts.maxRedirections ?? 16),
    slotsRefreshTimeoutMs: positive('slotsRefreshTimeoutMs', opts.slotsRefreshTimeoutMs ?? 1_000),
    slotsRefreshIntervalMs: positive('slotsRefreshIntervalMs', opts.slotsRefreshIntervalMs ?? 2_000),
  };
  if (c.rate === 0) {
    throw new UsageError('load client option rate must be > 0');
  }
  return c;
}

export const describeTarget = (t: ExecTarget): string =>
  'pod' in t ? `pod ${t.pod}` : 'node' in t ? `node-${t.node}` : 'the external client';

/**
 * Starts the worker in `target`'s network namespace and resolves once it is connected to the
 * cluster (every master answered PING). The load starts with `start()`.
 */
export async function startClient(
  topology: StartedTopology,
  target: ExecTarget,
  opts: ClientOptions,
): Promise<LoadClient> {
  const config = workerConfig(opts);
  const child = topology.spawn(target, [process.execPath, '--import', TSX_LOADER, WORKER]);
  const client = new WorkerClient(child, `load client in ${describeTarget(target)}`, config);
  try {
    await client.ready();
  } catch (e) {
    await client.kill();
    throw e;
  }
  return client;
}

class WorkerClient implements LoadClient {
  readonly records: OpRecord[] = [];
  readonly events: string[] = [];
  private readonly stderr: string[] = [];
  private readyInfo: { masters: string[]; ms: number } | undefined;
  private startedAt: number | null = null;
  private endReason: EndReason | null = null;
  private fatal: string | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private readonly verifies = new Map<number, VerifyResult>();
  private lastVerify: VerifyResult | null = null;
  private verifyId = 0;
  private stopping: Promise<ClientReport> | undefined;
  private disposing: Promise<void> | undefined;
  private ok = 0;

  constructor(
    private readonly child: ChildProcess,
    readonly target: string,
    private readonly config: WorkerConfig,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      child.once('error', (e) => {
        this.fatal ??= `could not start: ${e.message}`;
        this.exit ??= { code: null, signal: null };
        resolve();
      });
    });
    // A worker that died leaves a closed pipe; writing to it must not crash the runner.
    child.stdin?.on('error', () => {});
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > MAX_STDERR) {
        this.stderr.shift();
      }
    });
    this.send(JSON.stringify(config));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onLine(line: string): void {
    let e: WorkerEvent;
    try {
      e = JSON.parse(line) as WorkerEvent;
    } catch {
      this.pushEvent(`unparsable worker output: ${line.slice(0, 200)}`);
      return;
    }
    switch (e.ev) {
      case 'op': {
        const { ev: _ev, ...rec } = e;
        this.records.push(rec);
        if (rec.ok) {
          this.ok += 1;
        }
        break;
      }
      case 'ready':
        this.readyInfo = { masters: e.masters, ms: e.ms };
        break;
      case 'started':
        this.startedAt = e.epochMs;
        break;
      case 'done':
        this.endReason = e.reason;
        break;
      case 'verified': {
        const { ev: _ev, ...v } = e;
        this.verifies.set(v.id, v);
        this.lastVerify = v;
        break;
      }
      case 'log':
        this.pushEvent(`${e.t}ms ${e.msg}`);
        break;
      case 'fatal':
        this.fatal = e.message;
        break;
    }
  }

  private pushEvent(s: string): void {
    this.events.push(s);
    if (this.events.length > MAX_EVENTS) {
      this.events.shift();
    }
  }

  private send(line: string): void {
    if (this.child.stdin?.writable) {
      this.child.stdin.write(line + '\n');
    }
  }

  private command(c: WorkerCommand): void {
    this.send(JSON.stringify(c));
  }

  /** One line of what the worker is doing, for timeout messages. */
  private state(): string {
    const s = this.snapshot();
    const parts = [
      `ready=${this.readyInfo ? 'yes' : 'no'}`,
      `ops=${s.ops} ok=${s.ok} errors=${s.errors}`,
      `ended=${this.endReason ?? 'no'}`,
    ];
    const last = this.events.at(-1);
    if (last) {
      parts.push(`last event: ${last}`);
    }
    const err = this.stderr.at(-1);
    if (err) {
      parts.push(`stderr: ${err}`);
    }
    return parts.join(', ');
  }

  /** A waitFor whose check fails fast (ProbeError) once the worker reported fatal or exited. */
  private async until(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
    await waitFor({
      target: `${this.target}: ${what}`,
      timeoutMs,
      intervalMs: 20,
      isFatal: (e) => e instanceof ProbeError,
      check: async () => {
        if (done()) {
          return { done: true, state: '' };
        }
        if (this.fatal || this.exit) {
          const how = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'failed';
          throw new ProbeError(
            `${this.target} ${how} while waiting for ${what}: ${this.fatal ?? (this.stderr.slice(-3).join(' | ') || 'no output')}`,
          );
        }
        return { done: false, state: this.state() };
      },
    });
  }

  ready(): Promise<void> {
    // The worker's own connect bound plus the time node + tsx take to start.
    return this.until('the connection to the cluster', this.config.readyTimeoutMs + SETTLE_MS, () => !!this.readyInfo);
  }

  async start(): Promise<void> {
    if (this.startedAt !== null) {
      return;
    }
    this.command({ cmd: 'start' });
    await this.until('the load to start', SETTLE_MS, () => this.startedAt !== null);
  }

  snapshot(): ClientSnapshot {
    const last = this.records.at(-1);
    return {
      ops: this.records.length,
      ok: this.ok,
      errors: this.records.length - this.ok,
      ackedWrites: this.records.filter((r) => r.ok && r.op !== 'get').length,
      lastOpAt: last ? last.t + last.ms : null,
      running: this.startedAt !== null && this.endReason === null,
    };
  }

  opsDone(): number {
    return this.records.length;
  }

  async waitForOps(n: number, timeoutMs?: number): Promise<void> {
    if (this.startedAt === null) {
      throw new UsageError(`${this.target}: waitForOps() before start()`);
    }
    const bound =
      timeoutMs ??
      Math.ceil((Math.max(0, n - this.records.length) / this.config.rate) * 1000) + this.config.opTimeoutMs + SETTLE_MS;
    await this.until(`${n} completed ops`, bound, () => {
      if (this.records.length >= n) {
        return true;
      }
      if (this.endReason) {
        throw new ProbeError(
          `${this.target}: the load ended (${this.endReason}) after ${this.records.length} ops, before reaching ${n}`,
        );
      }
      return false;
    });
  }

  loadTime(): number | null {
    return this.startedAt === null ? null : Date.now() - this.startedAt;
  }

  report(): ClientReport {
    return summarize(
      this.records,
      { target: this.target, startedAtEpochMs: this.startedAt, endReason: this.endReason },
      this.lastVerify,
    );
  }

  async done(): Promise<ClientReport> {
    if (this.startedAt === null) {
      throw new UsageError(`${this.target}: done() before start()`);
    }
    const left = Math.max(0, this.startedAt + this.config.maxDurationMs - Date.now());
    await this.until(
      'the load to end on its bounds',
      left + this.config.opTimeoutMs + SETTLE_MS,
      () => !!this.endReason,
    );
    return this.report();
  }

  stop(): Promise<ClientReport> {
    this.stopping ??= (async () => {
      if (this.startedAt !== null && this.endReason === null) {
        this.command({ cmd: 'stop' });
        // In-flight commands finish within their op bound.
        await this.until('the load to stop', this.config.opTimeoutMs + SETTLE_MS, () => !!this.endReason);
      }
      return this.report();
    })();
    return this.stopping;
  }

  async verify(): Promise<VerifyReport> {
    await this.stop();
    const id = ++this.verifyId;
    this.command({ cmd: 'verify', id });
    await this.until(
      `read-back of ${this.report().ackedWrites} acked keys`,
      this.config.verifyTimeoutMs + this.config.opTimeoutMs + SETTLE_MS,
      () => this.verifies.has(id),
    );
    return lostWrites(this.records, this.verifies.get(id)!);
  }

  /** Closes stdin (the worker exits on EOF), then SIGKILL if it is still there after a bound. */
  kill(): Promise<void> {
    this.disposing ??= (async () => {
      if (!this.exit) {
        this.command({ cmd: 'quit' });
        this.child.stdin?.end();
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
        await this.exited;
        clearTimeout(timer);
      }
    })();
    return this.disposing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (!this.exit && !this.fatal) {
        await this.stop();
      }
    } catch {
      // Disposal must still kill the worker; the stop failure already reached whoever awaited stop().
    } finally {
      await this.kill();
    }
  }
}
