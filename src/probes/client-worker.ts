// The load client's worker process. It runs inside a lab (or pod) network namespace, started by
// `startClient` (client-runner.ts) through `topology.spawn(target, [node, --import, tsx, this file])`, and
// talks to the runner in JSON lines: one WorkerConfig line on stdin, then commands; events on
// stdout (protocol in client-protocol.ts). It exits when stdin closes, on `quit`, or at `lifetimeMs`,
// so it can never outlive the runner (and the lab's setpriv --pdeathsig covers a SIGKILLed one).
//
// Two ioredis Cluster clients with the same settings: one for SET and GET, one only for the
// SET + WAIT pipelines. WAIT blocks the connection it is sent on (Redis serves one client's
// commands in order), and ioredis keeps one connection per node; on a shared connection every
// command queued behind a WAIT would wait for it, which after a failover (the promoted master has
// no replica: every WAIT runs to its timeout) shows up as latency of the whole shard.
//
// Client settings, chosen for measuring failures rather than hiding them:
// - enableOfflineQueue false: while the Cluster object itself is not ready (startup, a full
//   reconnect) a command fails at once instead of waiting in an unbounded queue, so an outage
//   shows up as errors when it happens, not as late successes. Node-level connections keep
//   ioredis' offline queue (ConnectionPool forces it), which only covers connecting.
// - small retryDelayOnFailover / retryDelayOnClusterDown (100 ms) and maxRedirections (16): a
//   command bound for a dead master bounces MOVED → ECONNREFUSED ("Connection is closed.") →
//   delay + slot refresh → MOVED …, each bounce spending one redirection, so it fails with "Too
//   many Cluster redirections" after about 1.5 s instead of hanging.
// - commandTimeout: ioredis arms it once per command, at the first send, and retries keep the
//   same timer, so it bounds a command *with* its retries (not each attempt). It is set above the
//   redirection budget so the error says why a command failed, and still ends a command stuck on
//   a blackholed connection. connectTimeout bounds each connect; opTimeoutMs is a backstop.
// - maxRetriesPerRequest 1: only matters if node reconnects were enabled; ioredis' cluster mode
//   does not reconnect a lost node (clusterNodeRetryStrategy null) but refreshes slots instead.
// - scaleReads 'master': reads see acked writes; a replica read would count replication lag as
//   a miss.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { createInterface } from 'node:readline';
import type {
  EndReason,
  OpKind,
  OpRecord,
  VerifyResult,
  WorkerCommand,
  WorkerConfig,
  WorkerEvent,
} from './client-protocol.ts';

// Redis replies that mean "this node cannot take the key right now" (cluster.c getNodeByQuery).
const REDIRECTS = new Set(['MOVED', 'ASK', 'TRYAGAIN', 'CLUSTERDOWN']);
const MAX_LOGS = 500;
const VERIFY_LANES = 32;

const procStart = performance.now();
let loadStart: number | undefined;
const now = () => round(performance.now() - (loadStart ?? procStart));
const round = (n: number) => Math.round(n * 100) / 100;
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

const emit = (e: WorkerEvent): void => {
  process.stdout.write(JSON.stringify(e) + '\n');
};
let logsLeft = MAX_LOGS;
const log = (msg: string) => {
  if (logsLeft-- > 0) {
    emit({ ev: 'log', t: now(), msg });
  }
};

/** Resolves after `ms`, or at once when `signal` aborts (pacing must not delay a stop). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) {
      return resolve();
    }
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

const withTimeout = <T>(p: Promise<T>, ms: number, what = 'op'): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms)}ms`)), ms);
  });
  // The losing command may still settle later; its outcome is no longer anyone's business.
  p.catch(() => {});
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
};

function clusterOptions(c: WorkerConfig): ClusterOptions {
  return {
    natMap: c.natMap,
    scaleReads: 'master',
    enableOfflineQueue: false,
    enableReadyCheck: true,
    maxRedirections: c.maxRedirections,
    retryDelayOnFailover: c.retryDelayOnFailoverMs,
    retryDelayOnClusterDown: c.retryDelayOnClusterDownMs,
    retryDelayOnTryAgain: c.retryDelayOnClusterDownMs,
    slotsRefreshTimeout: c.slotsRefreshTimeoutMs,
    slotsRefreshInterval: c.slotsRefreshIntervalMs,
    // Losing every node (a full restart) is retried for the worker's whole life: giving up would
    // turn a recoverable outage into errors until the end of the run.
    clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
    redisOptions: {
      connectTimeout: c.connectTimeoutMs,
      commandTimeout: c.commandTimeoutMs,
      maxRetriesPerRequest: 1,
    },
  };
}

/**
 * Sentinel mode (docs/sentinel.md#client-discovery): the same measuring settings on a standalone
 * client that asks the sentinels for the master. failoverDetector subscribes to +switch-master
 * and reconnects at once, which a black-holed old master would otherwise delay until the command
 * timeout; reconnects are retried quickly for the worker's whole life.
 */
function sentinelOptions(c: WorkerConfig): RedisOptions {
  const t = c.sentinel!;
  return {
    sentinels: t.sentinels,
    name: t.name,
    role: 'master',
    natMap: t.natMap,
    failoverDetector: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    connectTimeout: c.connectTimeoutMs,
    commandTimeout: c.commandTimeoutMs,
    sentinelCommandTimeout: c.connectTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * times, 500),
    sentinelRetryStrategy: (times) => Math.min(100 * times, 1_000),
  };
}

/** What the worker drives: a Cluster client, or a standalone one found through Sentinel. */
type Client = Cluster | Redis;

class Worker {
  private readonly acked: number[] = [];
  private writes = 0;
  private issued = 0;
  private waitInFlight = false;
  private readonly abort = new AbortController();
  private reason: EndReason | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly c: WorkerConfig,
    private readonly cluster: Client,
    /** For SET + WAIT only (see the file comment). */
    private readonly waitCluster: Client,
  ) {}

  start(): void {
    if (this.running) {
      return;
    }
    loadStart = performance.now();
    emit({ ev: 'started', epochMs: Date.now() });
    this.running = this.load();
  }

  stop(): Promise<void> {
    this.reason ??= 'stop';
    this.abort.abort();
    return this.running ?? Promise.resolve();
  }

  private async load(): Promise<void> {
    const deadline = loadStart! + this.c.maxDurationMs;
    const interval = 1000 / this.c.rate;
    let nextDue = loadStart!;
    const lane = async () => {
      for (;;) {
        if (this.issued >= this.c.maxOps) {
          this.reason ??= 'count';
          return;
        }
        // One op per interval over all lanes. A slot missed while every lane was stuck in
        // retries is dropped, not made up in a burst at recovery (which would load the cluster
        // beyond the rate just when it comes back).
        const due = Math.max(nextDue, performance.now());
        nextDue = due + interval;
        await sleep(due - performance.now(), this.abort.signal);
        if (this.abort.signal.aborted) {
          return;
        }
        if (performance.now() >= deadline) {
          this.reason ??= 'time';
          return;
        }
        if (this.issued >= this.c.maxOps) {
          this.reason ??= 'count';
          return;
        }
        const i = this.issued++;
        emit({ ev: 'op', ...(await this.op(i)) });
      }
    };
    await Promise.all(Array.from({ length: this.c.concurrency }, lane));
    emit({ ev: 'done', reason: this.reason ?? 'time', ops: this.issued });
  }

  private op(i: number): Promise<OpRecord> {
    const { readEvery, waitEvery, keyPrefix } = this.c;
    if (readEvery > 0 && (i + 1) % readEvery === 0 && this.acked.length > 0) {
      const seq = this.acked[Math.floor(Math.random() * this.acked.length)]!;
      return this.timed('get', seq, async () => {
        const got = await this.cluster.get(`${keyPrefix}:${seq}`);
        return got === String(seq) ? {} : { miss: true };
      });
    }
    const seq = ++this.writes;
    const key = `${keyPrefix}:${seq}`;
    // One WAIT write in flight at a time: WAITs on one connection run one after another, and on
    // a shard without a live replica each takes its whole timeout; more in flight would queue
    // behind each other until they time out, an error the client made, not the cluster.
    if (waitEvery > 0 && seq % waitEvery === 0 && !this.waitInFlight) {
      this.waitInFlight = true;
      return this.timed('setw', seq, () => this.setWithWait(key, String(seq)), true).finally(() => {
        this.waitInFlight = false;
      });
    }
    return this.timed('set', seq, async () => (await this.cluster.set(key, String(seq)), {}), true);
  }

  private async timed(
    op: OpKind,
    seq: number,
    run: () => Promise<Partial<OpRecord>>,
    write = false,
  ): Promise<OpRecord> {
    const t = now();
    const started = performance.now();
    try {
      const extra = await withTimeout(run(), this.c.opTimeoutMs);
      if (write) {
        this.acked.push(seq);
      }
      return { seq, op, ok: true, ms: round(performance.now() - started), t, ...extra };
    } catch (e) {
      return { seq, op, ok: false, err: firstLine(e), ms: round(performance.now() - started), t };
    }
  }

  /**
   * SET then WAIT 1 as one two-command pipeline: ioredis routes a pipeline by the slot of its
   * keys (WAIT has none), so both go to the key's master on one connection, and WAIT counts
   * exactly this SET (WAIT waits for the connection's own latest write; sent elsewhere it would
   * answer at once for an older offset). ioredis retries a cluster pipeline only when every
   * command failed the same way; here WAIT succeeds wherever it lands, so a MOVED/CLUSTERDOWN on
   * the SET comes back unretried. This loop retries those like ioredis does a single command
   * (SET k v is idempotent), within the same maxRedirections budget and with the same message.
   */
  private async setWithWait(key: string, value: string): Promise<Partial<OpRecord>> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.waitCluster.pipeline().set(key, value).wait(1, this.c.waitTimeoutMs).exec();
      const [setErr] = res?.[0] ?? [new Error('empty pipeline result')];
      const [waitErr, replicas] = res?.[1] ?? [null, undefined];
      if (!setErr) {
        return {
          r: typeof replicas === 'number' ? replicas : undefined,
          ...(waitErr ? { werr: firstLine(waitErr) } : {}),
        };
      }
      const code = setErr.message.split(' ')[0] ?? '';
      if (!REDIRECTS.has(code)) {
        throw setErr;
      }
      if (attempt >= this.c.maxRedirections) {
        throw new Error(`Too many Cluster redirections. Last error: ${setErr.message}`);
      }
      const cluster = this.waitCluster;
      if (code === 'MOVED' && cluster instanceof Cluster) {
        // A pipeline's MOVED does not update ioredis' slot table; ask the cluster again.
        await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
      } else {
        await sleep(this.c.retryDelayOnClusterDownMs);
      }
    }
  }

  /** Reads back every acked key; a read that keeps failing is retried until the verify bound. */
  async verify(id: number): Promise<VerifyResult> {
    await this.stop();
    const started = performance.now();
    const deadline = started + this.c.verifyTimeoutMs;
    const seqs = [...this.acked].sort((a, b) => a - b);
    const missing: number[] = [];
    const wrong: { seq: number; got: string }[] = [];
    const unreadable: { seq: number; err: string }[] = [];
    let next = 0;
    const lane = async () => {
      while (next < seqs.length) {
        const seq = seqs[next++]!;
        for (;;) {
          try {
            const got = await withTimeout(this.cluster.get(`${this.c.keyPrefix}:${seq}`), this.c.opTimeoutMs);
            if (got === null) {
              missing.push(seq);
            } else if (got !== String(seq)) {
              wrong.push({ seq, got: got.slice(0, 100) });
            }
            break;
          } catch (e) {
            if (performance.now() >= deadline) {
              unreadable.push({ seq, err: firstLine(e) });
              break;
            }
            await sleep(this.c.retryDelayOnFailoverMs);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: VERIFY_LANES }, lane));
    const byNum = (a: number, b: number) => a - b;
    return {
      id,
      checked: seqs.length,
      missing: missing.sort(byNum),
      wrong: wrong.sort((a, b) => a.seq - b.seq),
      unreadable: unreadable.sort((a, b) => a.seq - b.seq),
      ms: round(performance.now() - started),
    };
  }
}

const clusters: Client[] = [];
let worker: Worker | undefined;
let exiting = false;

function shutdown(code: number): void {
  if (exiting) {
    return;
  }
  exiting = true;
  clusters.forEach((c) => c.disconnect());
  // stdout to a pipe is synchronous on Linux: what was emitted has reached the runner.
  process.exit(code);
}

function fatal(message: string, code: number): void {
  emit({ ev: 'fatal', message });
  shutdown(code);
}

/** Connects one Cluster client; resolves once it is ready and every master answered PING. */
async function connectOne(c: WorkerConfig, name: string, deadline: number): Promise<Cluster> {
  const left = () => Math.max(1, deadline - performance.now());
  const cl = new Cluster(c.startupNodes, clusterOptions(c));
  clusters.push(cl);
  // Without an 'error' listener an EventEmitter error would crash the worker mid-measurement.
  cl.on('error', (e: unknown) => log(`${name}: cluster error: ${firstLine(e)}`));
  cl.on('node error', (e: unknown, key: string) => log(`${name}: node error ${key}: ${firstLine(e)}`));
  cl.on('-node', (_r: unknown, key?: string) => log(`${name}: -node ${key ?? ''}`.trim()));
  cl.on('+node', (_r: unknown, key?: string) => log(`${name}: +node ${key ?? ''}`.trim()));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      cl.once('ready', resolve);
      cl.once('end', () => reject(new Error(`${name} cluster connection ended`)));
    }),
    left(),
    `${name} client: cluster ready (CLUSTER SLOTS + cluster_state:ok) from ${c.startupNodes.map((n) => `${n.host}:${n.port}`).join(', ')}`,
  );
  // Every master answers before `ready`: a wrong natMap or an unreachable NodePort fails here,
  // not as errors in the middle of a measurement.
  const masters = cl.nodes('master');
  await withTimeout(
    Promise.all(masters.map((n) => n.ping())),
    left(),
    `${name} client: PING of every master (${masters.map((n) => `${n.options.host}:${n.options.port}`).join(', ')})`,
  );
  return cl;
}

/** Connects one Sentinel-mode client; resolves once it reached the master Sentinel named and PING works. */
async function connectSentinelOne(c: WorkerConfig, name: string, deadline: number): Promise<Redis> {
  const left = () => Math.max(1, deadline - performance.now());
  const r = new Redis({ ...sentinelOptions(c), lazyConnect: true });
  clusters.push(r);
  r.on('error', (e: unknown) => log(`${name}: error: ${firstLine(e)}`));
  r.on('reconnecting', () => log(`${name}: reconnecting`));
  r.on('ready', () => log(`${name}: ready at ${r.stream?.remoteAddress ?? '?'}:${r.stream?.remotePort ?? '?'}`));
  const sentinels = c.sentinel!.sentinels.map((n) => `${n.host}:${n.port}`).join(', ');
  await withTimeout(r.connect(), left(), `${name} client: the master of ${c.sentinel!.name} through ${sentinels}`);
  await withTimeout(r.ping(), left(), `${name} client: PING of the master`);
  return r;
}

async function connect(c: WorkerConfig): Promise<void> {
  const started = performance.now();
  const deadline = started + c.readyTimeoutMs;
  const one = c.sentinel ? connectSentinelOne : connectOne;
  const [main, wait] = await Promise.all([one(c, 'main', deadline), one(c, 'wait', deadline)]);
  worker = new Worker(c, main, wait);
  emit({
    ev: 'ready',
    masters:
      main instanceof Cluster
        ? main.nodes('master').map((n) => `${n.options.host}:${n.options.port}`)
        : [`${main.stream?.remoteAddress ?? '?'}:${main.stream?.remotePort ?? '?'}`],
    ms: round(performance.now() - started),
  });
}

function handle(cmd: WorkerCommand): void {
  if (cmd.cmd === 'quit') {
    return shutdown(0);
  }
  if (!worker) {
    return fatal(`command ${cmd.cmd} before the client was ready`, 2);
  }
  const w = worker;
  switch (cmd.cmd) {
    case 'start':
      return w.start();
    case 'stop':
      void w.stop();
      return;
    case 'verify':
      void w.verify(cmd.id).then((v) => emit({ ev: 'verified', ...v }));
      return;
  }
}

let config: WorkerConfig | undefined;
process.stdout.on('error', () => shutdown(1)); // the runner is gone
process.on('unhandledRejection', (e) => fatal(`unhandled rejection: ${firstLine(e)}`, 4));
createInterface({ input: process.stdin })
  .on('line', (line) => {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return fatal(`unparsable input line: ${line.slice(0, 200)}`, 2);
    }
    if (!config) {
      config = msg as WorkerConfig;
      setTimeout(() => fatal(`lifetime of ${config!.lifetimeMs}ms exceeded`, 3), config.lifetimeMs).unref();
      connect(config).catch((e: unknown) => fatal(`could not connect: ${firstLine(e)}`, 2));
      return;
    }
    handle(msg as WorkerCommand);
  })
  // EOF: the runner closed our stdin or died. Nothing may outlive it.
  .on('close', () => shutdown(0));
