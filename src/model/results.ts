// The results model: what one cell expects, what it observed, and the file a run writes. Each
// scenario family has its own expectation, observation and compatibility words (FamilyShapes); a
// cell record is the union over families, told apart by `family`. Scenarios fill a `CellRecord`,
// the reporter adds the verdict, and every writer (markdown, junit, html, diff) reads these types
// only. The schema is documented in reports/README.md.
import type { AddressClass, CellDims, Family, ProviderName } from './dimensions.ts';

export const RESULTS_SCHEMA_VERSION = 2;

// ---------------------------------------------------------------------------------------------
// Shapes several families record, and the probes and `rcnc analyze` that produce them. Each
// family's own expectation, observation and words are in its folder (scenarios/<family>/types.ts),
// which adds them to FamilyShapes below.

export interface Ghost {
  seenBy: string;
  nodeId: string;
  address: string;
  flags: string[];
}

export interface FailedDialBack {
  pod: string;
  nodeId: string;
  address: string;
}

/** One translated connection, reconstructed from the same packets captured at both ends. */
export interface NatMapping {
  /** Where the connection was captured as its initiator sent it. */
  capturedAt: string;
  /** `src:port > dst:port` as seen there. */
  flow: string;
  /** The other capture point. */
  seenAt: string;
  /** The same connection as seen there. */
  as: string;
  /** Packets matched between the two captures (TCP timestamps, lengths, flags). */
  matchedPackets: number;
}

// ---------------------------------------------------------------------------------------------
// A load client and a fault's moments (recovery, sentinel).

/** What the load client saw during a fault (src/probes/client.ts). */
export interface ClientSummary {
  ops: number;
  errors: number;
  /** First to last failed command, ms; null when nothing failed. */
  errorWindowMs: number | null;
  /** When the window opened and closed, ms after the fault began (for the timeline). */
  errorWindowFromMs?: number;
  errorWindowToMs?: number;
  /** When commands failed, ms after the fault began (at most a few hundred, for the timeline). */
  failedAtMs?: number[];
  /** How long each of those commands took to fail, in the same order: each spans at to at + took. */
  failedTookMs?: number[];
  ackedWrites: number;
  lostAckedWrites: number;
  waitConfirmedWrites: number;
  lostWaitConfirmedWrites: number;
  /** Acknowledged writes the read-back could not read (neither found nor lost): must be 0 for the figures to hold. */
  unreadWrites?: number;
  /** Why the read-back could not read them: the last error of the first one, as the client got it. */
  unreadError?: string;
  p99Ms?: number;
}

/** One moment of a fault, ms after it began (negative: before it). */
export interface TimelineEvent {
  atMs: number;
  /** fault, pfail, fail, promoted, remediation, healthy, heal (a partition lifted), … */
  event: string;
  detail?: string;
}

// ---------------------------------------------------------------------------------------------
// What Sentinel records and hands out (sentinel; src/probes/sentinel.ts reads them).

/** Where a client asks Sentinel from: a pod on the master's node, a pod on another node, outside the cluster. */
export const SENTINEL_VANTAGES = ['pod-same-node', 'pod-other-node', 'outside'] as const;
export type SentinelVantage = (typeof SENTINEL_VANTAGES)[number];

/** One replica or sentinel as a sentinel records it (`SENTINEL replicas` / `SENTINEL sentinels`). */
export interface SentinelRecord {
  seenBy: string;
  kind: 'replica' | 'sentinel';
  /** `ip:port`, as Sentinel records it and hands it out. */
  address: string;
  flags: string[];
  /** The member whose own address (pod or exposure address) this is; absent for a rewritten address. */
  member?: string;
  class: AddressClass;
  /** Whose address it is, e.g. `redis-1`, `cni0@node-0`, `eth0@node-1`. */
  owner: string;
}

/** What a client at one vantage got from Sentinel, and whether it reached that master. */
export interface ClientReach {
  vantage: SentinelVantage;
  /** Where the client ran (`client-0`, `client-1`, `external`). */
  from: string;
  /** The sentinel it asked, at the address it dialled. */
  asked: string;
  /** What `SENTINEL get-master-addr-by-name` returned; absent when no sentinel answered. */
  answer?: string;
  connected: boolean;
  /** The role the address answered with (`master`, `slave`). */
  role?: string;
  error?: string;
}

/** One view of the whole setup: the master's INFO, every sentinel's records and what clients got. */
export interface SentinelState {
  /** The master as it lists its replicas in INFO replication (`slaveN:ip=…,port=…`): `ip:port state`. */
  masterInfo: string[];
  /** What each sentinel answers to get-master-addr-by-name, as `sentinel-0 10.42.0.5:6379`. */
  handedOut: string[];
  records: SentinelRecord[];
  clients: ClientReach[];
}

// ---------------------------------------------------------------------------------------------
// The families together. Each family's folder adds its entry (scenarios/<family>/types.ts):
//
//   declare module '../../src/model/results.ts' {
//     interface FamilyShapes {
//       'nat-meet': { expectation: NatMeetExpectation; observation: NatMeetObservation; compatibility: … };
//     }
//   }
//
// so a family's shapes live with it. A name in FAMILIES without its entry here fails to compile
// at ExpectationOf below ("cannot be used to index type 'FamilyShapes'").

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by each family's types.ts
export interface FamilyShapes {}

export type ExpectationOf<F extends Family> = FamilyShapes[F]['expectation'];
export type ObservationOf<F extends Family> = FamilyShapes[F]['observation'];
export type CompatibilityOf<F extends Family> = FamilyShapes[F]['compatibility'];
export type Expectation = ExpectationOf<Family>;
export type Observation = ObservationOf<Family>;
export type Compatibility = CompatibilityOf<Family>;

/** What every family's expectation says besides its own facts. */
export interface ExpectationBase {
  summary: string;
  /** Where the expectation comes from: `docs/datapath.md#…` anchors and upstream source files. */
  source: string;
}

/**
 * One thing a cell's test checked, as its family's judge named it (scenarios/<family>/judge.ts):
 * what the expectation says, what the cell observed, and whether that is as expected. The test
 * asserts that none failed; the report shows the same list.
 */
export interface Check {
  name: string;
  expected: string;
  observed: string;
  ok: boolean;
}

/** Where a result came from: the netns emulation or a real system, with versions. */
export interface Provenance {
  provider: ProviderName;
  /** True for the netns lab, which rebuilds a datapath from namespaces and rules. */
  emulation: boolean;
  /** e.g. `netns lab emulation of flannel VXLAN`, `k3d v5.9.0, k3s v1.35.5+k3s1, flannel`. */
  label: string;
  versions?: Record<string, string>;
}

interface CellRecordBase {
  id: string;
  title: string;
  dims: CellDims;
  provenance?: Provenance;
  /** The configuration that makes the cell work, when it does not work as deployed. */
  fix?: string;
  skipReason?: string;
  /**
   * Set when a cell that asks to run alone (its figures are timings: failover windows, lost
   * writes) ran beside other cells; says so, so nobody reads its timings as measured alone.
   */
  sharedCores?: string;
  /** Milliseconds per phase (topology, deploy, bootstrap, join, observe, fix, teardown, total). */
  timings: Record<string, number>;
  /** Paths relative to the report directory. */
  artifacts: string[];
  /**
   * `rcnc run --collect-on-failure`, on a failed cell: the bundle of what `rcnc collect` gathered
   * from its pods before teardown (relative to the report directory, also in `artifacts`), and one
   * line on what it holds or why there is none.
   */
  collected?: { bundle?: string; note: string };
  /** What the cell's test checked (absent in results written before checks were recorded, and for a cell stopped before it was judged). */
  checks?: Check[];
}

export type CellRecordOf<F extends Family> = CellRecordBase & {
  family: F;
  expectation: ExpectationOf<F>;
  observation?: ObservationOf<F>;
  /** What a user gets, in the family's words; derived from the observation (scenarios/<family>/words.ts). */
  compatibility?: CompatibilityOf<F>;
};

/** What a scenario records in `task.meta.rcnc` while it runs. */
export type CellRecord = { [F in Family]: CellRecordOf<F> }[Family];

/** Whether the cell behaved as its expectation says; kept apart from what a user gets. */
export interface Verdict {
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
}

export type CellResultOf<F extends Family> = CellRecordOf<F> & { verdict: Verdict; durationMs: number };
export type CellResult = { [F in Family]: CellResultOf<F> }[Family];

export interface Environment {
  node: string;
  kernel: string;
  hostname: string;
  redis?: string;
  rcnc?: { version: string; commit?: string };
  /** `iptables --version`, e.g. `v1.8.9 (nf_tables)`. */
  iptables?: string;
  /** kube-proxy's mode where the run knows it (the lab renders iptables mode). */
  kubeProxyMode?: string;
}

export interface ResultsFile {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  runId: string;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  cells: CellResult[];
  summary: { pass: number; fail: number; skip: number };
  /**
   * How long each family's scenario file ran, wall clock, ms (files run one after another, their
   * cells side by side, so this is not the sum of the cells). Absent in files written before it was
   * recorded.
   */
  familyWallMs?: Partial<Record<Family, number>>;
  /** Set when the run was one part of a selection split with `rcnc run --shard INDEX/COUNT`. */
  shard?: Shard;
}

/** One of `count` parts of a selection of cells, `index` from 1. */
export interface Shard {
  index: number;
  count: number;
  /** How many cells the whole selection had before it was split: `rcnc merge` checks it got them all. */
  selected: number;
}

/** The annotation a cell's test sends when the cell leaves the queue and starts running. */
export const CELL_STARTED = 'rcnc:started';

declare module '@vitest/runner' {
  interface TaskMeta {
    rcnc?: CellRecord;
    /** How long the cell ran once it had a place in the pool, ms. */
    rcncRanMs?: number;
    /** Why a cell's timings were measured beside other cells (see CellRecordBase.sharedCores). */
    rcncSharedCores?: string;
  }
}
