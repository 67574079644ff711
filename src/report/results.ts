// The results model: one record per cell. Scenarios fill a `CellRecord` in `task.meta.rcnc`; the
// reporter adds the vitest outcome and writes `results.json`. Every writer (markdown, junit, html)
// reads only this file's types, so the schema is the one place the report grows from.
import type { Exposure, ProfileName, ProviderName, TrafficPolicy } from '../deploy/provider.ts';
import type { NatMapping } from '../probes/nat-map.ts';

export const RESULTS_SCHEMA_VERSION = 1;

/** What kind of address a peer was seen as (see datapath.md §5). */
export type AddressClass = 'pod' | 'bridge-gateway' | 'tunnel' | 'node-ip' | 'external' | 'unknown';
export type Announce = 'none' | 'ip';
export type Compatibility = 'works' | 'works-with-announce' | 'breaks';
export type MeetOutcome = 'ok' | 'fails';

export interface CellDims {
  scenario: string;
  provider: ProviderName;
  profile: ProfileName;
  exposure: Exposure;
  announce: Announce;
  policy: TrafficPolicy;
  nodes: number;
  /** Distinguishes cells that share every dimension above (e.g. which node IP a joiner dials). */
  variant?: string;
}

export interface Expectation {
  meet: MeetOutcome;
  /** For failing meets: the class of address the receiver records for the joiner. */
  ghostClass?: AddressClass;
  /** For failing meets: announcing ip/port/bus-port and meeting again makes the node join. */
  fixWorks?: boolean;
  /** For snat cells: how the path rewrites the source. */
  rewrite?: SnatObservation['rewrite'];
  summary: string;
  /** Where the expectation comes from (datapath.md section, source file). */
  source: string;
}

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

export interface BusPeer {
  pod: string;
  local: string;
  peer: string;
  class: AddressClass;
}

export interface FixObservation {
  /** The settings applied to the joining node, as `name value` lines. */
  settings: string[];
  meet: MeetOutcome;
  clusterState: string;
}

/** What the external load client saw during a fault (src/probes/client.ts). */
export interface ClientSummary {
  ops: number;
  errors: number;
  /** First to last failed command, ms; null when nothing failed. */
  errorWindowMs: number | null;
  ackedWrites: number;
  lostAckedWrites: number;
  waitConfirmedWrites: number;
  lostWaitConfirmedWrites: number;
  p99Ms?: number;
}

export interface RecoveryObservation {
  /** What was done to the cluster, in words. */
  action: string;
  /** cluster_state and the like, seen while the fault was in effect. */
  duringFault?: string;
  /** A replica promoted because of the fault: which, and how long after the fault began. */
  failover?: { promoted: string; afterMs: number };
  /** What rcnc did to make the cluster recover, when it could not by itself. */
  remediation?: string;
  recovered: boolean;
  /** From the fault (or the remediation, when one was needed) until every view was healthy again. */
  recoveryMs?: number;
  keys?: { written: number; readable: number };
  client?: ClientSummary;
}

/** One path's source rewrite, from the snat scenario. */
export interface SnatObservation {
  path: string;
  /** Who opened the connection (a pod, node-N, external). */
  from: string;
  /** The address it really came from. */
  source: string;
  /** What it connected to. */
  target: string;
  /** The peer address the server saw (absent when the path is blocked). */
  seen?: string;
  rewrite: 'none' | 'bridge-gateway' | 'tunnel' | 'node-ip' | 'unknown' | 'unreachable';
  /** Whose address `seen` is, e.g. `cni0@node-0`. */
  owner: string;
  evidence: string;
}

export interface Observation {
  meet: MeetOutcome;
  /** Handshake / noaddr entries that stand for no live node. */
  ghosts: Ghost[];
  /** The ghost address the kernel produced, resolved to its owner (e.g. `cni0@node-0`). */
  ghostOwner?: string;
  ghostClass?: AddressClass;
  failedDialBacks: FailedDialBack[];
  /** The joining node's own line in its view, e.g. `:6379@16379 myself,slave`. */
  joinerSelf?: string;
  /** What `redis-cli --cluster add-node` printed as its last line and whether it claimed success. */
  addNode?: { ok: boolean; lastLine: string };
  /** Inbound cluster-bus connections, with the class of each peer. */
  busPeers: BusPeer[];
  clusterState?: string;
  slotsAssigned?: number;
  fix?: FixObservation;
  recovery?: RecoveryObservation;
  snat?: SnatObservation;
  /** Translations reconstructed from captures at both ends of a connection (src/probes/nat-map.ts). */
  natMappings?: NatMapping[];
  /** Why no packets were captured, when the provider could not capture. */
  captureSkipped?: string;
  notes: string[];
}

export interface Verdict {
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
  compatibility?: Compatibility;
  /** The configuration that makes the cell work, when it does not work as deployed. */
  fix?: string;
}

/** What a scenario records in `task.meta.rcnc` while it runs. */
export interface CellRecord {
  id: string;
  title: string;
  dims: CellDims;
  expectation: Expectation;
  observation?: Observation;
  compatibility?: Compatibility;
  fix?: string;
  skipReason?: string;
  /** Milliseconds per phase (topology, deploy, bootstrap, join, observe, fix, teardown, total). */
  timings: Record<string, number>;
  /** Paths relative to the report directory. */
  artifacts: string[];
}

export interface CellResult extends CellRecord {
  verdict: Verdict;
  durationMs: number;
}

export interface ResultsFile {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  runId: string;
  startedAt: string;
  finishedAt: string;
  environment: { node: string; kernel: string; redis?: string; hostname: string };
  cells: CellResult[];
  summary: { pass: number; fail: number; skip: number };
}

declare module '@vitest/runner' {
  interface TaskMeta {
    rcnc?: CellRecord;
  }
}
