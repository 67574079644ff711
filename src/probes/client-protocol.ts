// The load client's wire protocol: JSON lines between the runner (client-runner.ts) and the worker
// (client-worker.ts), which imports it through `import type` only, so the worker imports nothing
// of the project at run time, starts fast and cannot drag runner state into the namespace.
//
//   runner → worker   line 1: WorkerConfig; then {"cmd":"start"|"stop"|"verify"|"quit"}
//   worker → runner   {"ev":"ready"}, {"ev":"started"}, one {"ev":"op"} per command, {"ev":"done"},
//                     {"ev":"verified"}, {"ev":"log"} (client events), {"ev":"fatal"}

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
