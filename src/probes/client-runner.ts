// The runner side of the load client: starts client-worker.ts in a lab (or pod) network namespace
// with `topology.spawn`, sends it its WorkerConfig and commands, and collects its events into
// records and a report (client-protocol.ts, client-stats.ts).
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ExecTarget, StartedTopology } from '../deploy/provider.ts';
import { ProbeError, UsageError } from '../util/errors.ts';
import { waitFor } from '../util/wait.ts';
import type {
  EndReason,
  Endpoint,
  OpRecord,
  SentinelTarget,
  VerifyResult,
  WorkerCommand,
  WorkerConfig,
  WorkerEvent,
} from './client-protocol.ts';
import { lostWrites, summarize, type ClientReport, type VerifyReport } from './client-stats.ts';

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
