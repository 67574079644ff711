// The results model: what one cell expects, what it observed, and the file a run writes. Each
// scenario family has its own expectation, observation and compatibility words (FamilyShapes); a
// cell record is the union over families, told apart by `family`. Scenarios fill a `CellRecord`,
// the reporter adds the verdict, and every writer (markdown, junit, html, diff) reads these types
// only. The schema is documented in reports/README.md.
import type { AddressClass, CellDims, Family, ProviderName } from './dimensions.ts';

export const RESULTS_SCHEMA_VERSION = 2;

export type MeetOutcome = 'ok' | 'fails';

// ---------------------------------------------------------------------------------------------
// nat-meet: does a node that joins over a datapath become part of the cluster?

export interface NatMeetExpectation {
  meet: MeetOutcome;
  /** For failing meets: the class of address the receiver records for the joiner. */
  ghostClass?: AddressClass;
  /** For failing meets: announcing ip/port/bus-port and meeting again makes the node join. */
  fixWorks?: boolean;
  summary: string;
  /** Where the expectation comes from: `docs/datapath.md#…` anchors and upstream source files. */
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

export interface NatMeetObservation {
  meet: MeetOutcome;
  /** Handshake / noaddr entries that stand for no live node. */
  ghosts: Ghost[];
  /** The ghost address the kernel produced, resolved to its owner (e.g. `cni0@node-0`). */
  ghostOwner?: string;
  ghostClass?: AddressClass;
  failedDialBacks: FailedDialBack[];
  /** The joining node's own line in its view, e.g. `:6379@16379 myself,slave`. */
  joinerSelf?: string;
  /** Who joined, from which address, and the address it dialled (a NodePort, a pod IP…). */
  joiner?: { pod: string; address: string; dialed: string };
  /** The member the joiner met first, and its own address. */
  entry?: { pod: string; address: string };
  /** What `redis-cli --cluster add-node` printed as its last line and whether it claimed success. */
  addNode?: { ok: boolean; lastLine: string };
  /** Inbound cluster-bus connections, with the class of each peer. */
  busPeers: BusPeer[];
  clusterState?: string;
  slotsAssigned?: number;
  fix?: FixObservation;
  natMappings?: NatMapping[];
  /** For the cells that measure it: how long the members took to form one healthy cluster, and its cost. */
  formation?: {
    members: number;
    formedMs: number;
    /** Sum of the members' used_memory_rss. */
    redisRssBytes?: number;
    /** Growth of the kernel's slab, stacks and page tables while the lab was built and formed. */
    kernelBytes?: number;
    iptablesRulesPerNode?: number[];
    conntrackEntries?: number;
    nodeInterfaces?: number;
  };
  /** Why no packets were captured, when the provider declared it cannot capture. */
  captureSkipped?: string;
  notes: string[];
}

/** What a user gets on this datapath: the nodes meet, meet once they announce, or never meet. */
export type NatMeetCompatibility = 'works' | 'works-with-announce' | 'breaks';

// ---------------------------------------------------------------------------------------------
// snat: which source does a Redis server see on a path?

/** How a connection's source was rewritten on its way, or that it never arrived. */
export const REWRITE_CLASSES = ['none', 'bridge-gateway', 'tunnel', 'node-ip', 'unknown', 'unreachable'] as const;
export type RewriteClass = (typeof REWRITE_CLASSES)[number];

export interface SnatExpectation {
  rewrite: RewriteClass;
  summary: string;
  source: string;
  /** What to do instead, for a path that drops the connection (known from the same sources). */
  knownFix?: string;
}

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
  rewrite: RewriteClass;
  /** Whose address `seen` is, e.g. `cni0@node-0`. */
  owner: string;
  evidence: string;
  notes: string[];
}

/** The source kept, rewritten (to the class in the observation), or the connection dropped. */
export type SnatCompatibility = 'kept' | 'rewritten' | 'dropped';

// ---------------------------------------------------------------------------------------------
// recovery: does the cluster come back from a fault?

export const HEALS = ['by-itself', 'after-remediation'] as const;

export interface RecoveryExpectation {
  /** Heals by itself, or only after rcnc applies the remediation operators use. */
  heals: (typeof HEALS)[number];
  summary: string;
  source: string;
}

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
  ackedWrites: number;
  lostAckedWrites: number;
  waitConfirmedWrites: number;
  lostWaitConfirmedWrites: number;
  /** Acknowledged writes the read-back could not read (neither found nor lost): must be 0 for the figures to hold. */
  unreadWrites?: number;
  p99Ms?: number;
}

/** One moment of a fault, ms after it began (negative: before it). */
export interface TimelineEvent {
  atMs: number;
  /** fault, pfail, fail, promoted, remediation, healthy, heal (a partition lifted), … */
  event: string;
  detail?: string;
}

export interface RecoveryObservation {
  /** What was done to the cluster, in words. */
  action: string;
  /** The fault's moments in order, for the timeline picture. */
  timeline?: TimelineEvent[];
  /** cluster_state and the like, seen while the fault was in effect. */
  duringFault?: string;
  /** A replica promoted because of the fault: which, and how long after the fault began. */
  failover?: { promoted: string; afterMs: number };
  /** What rcnc did to make the cluster recover, when it could not by itself. */
  remediation?: string;
  /** The remediation in a few words, for the compatibility word (`heals after re-MEET`). */
  remediationSummary?: string;
  recovered: boolean;
  /** From the fault (or the remediation, when one was needed) until every view was healthy again. */
  recoveryMs?: number;
  keys?: { written: number; readable: number };
  client?: ClientSummary;
  clusterState?: string;
  slotsAssigned?: number;
  /** What still kept the views from one healthy cluster at the end; empty when healthy. */
  notes: string[];
}

export type RecoveryCompatibility = 'heals' | 'heals-after-remediation' | 'does-not-heal';

// ---------------------------------------------------------------------------------------------
// sentinel: where does Sentinel record replicas and sentinels, can it fail over, and can clients
// reach the master it hands out?

/** Where a client asks Sentinel from: a pod on the master's node, a pod on another node, outside the cluster. */
export const SENTINEL_VANTAGES = ['pod-same-node', 'pod-other-node', 'outside'] as const;
export type SentinelVantage = (typeof SENTINEL_VANTAGES)[number];

/** `recovered` / `lost`: after a restart of every pod, Sentinel hands out a master that answers, or not. */
export const FAILOVER_OUTCOMES = ['promoted', 'no-good-replica', 'not-promoted', 'recovered', 'lost'] as const;
export type FailoverOutcome = (typeof FAILOVER_OUTCOMES)[number];

export interface SentinelExpectation {
  /** As deployed: every replica recorded at an address of its own, or some at a rewritten one. */
  replicas: 'true-address' | 'rewritten';
  /** The classes of the rewritten replica addresses, sorted. */
  rewriteClasses?: AddressClass[];
  /** Whether Sentinel can promote a replica as deployed. */
  failover: boolean;
  /** For cells that do not work as deployed: the announce settings make them work. */
  fixWorks?: boolean;
  /** The vantages whose client reaches the master Sentinel hands out, at the end (after the fix, if any). */
  clientsReach: SentinelVantage[];
  /** Under load (failover, rolling update): no write a replica confirmed through WAIT is lost. */
  keepsConfirmedWrites?: boolean;
  /**
   * Whole-restart cells: after every pod restarts at once at a new pod IP, Sentinel again hands out
   * a master that answers, as deployed (the fix, when `fixWorks`, makes it so).
   */
  survivesRestart?: boolean;
  summary: string;
  source: string;
}

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

/** What answered at a rewritten replica address. */
export interface AddressProbe {
  address: string;
  /** The member whose run_id answered, when something answered. */
  answeredBy?: string;
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

export interface SentinelFailover {
  /** What started it: SENTINEL FAILOVER, the master killed, a rolling update. */
  how: string;
  outcome: FailoverOutcome;
  promoted?: string;
  /** The new master as Sentinel hands it out. */
  newMaster?: string;
  /** From the trigger until every sentinel hands out the new master. */
  afterMs?: number;
  /** Why not: the reply or the log line (`-NOGOODSLAVE …`, `-failover-abort-no-good-slave …`). */
  detail?: string;
  /** Whether clients reach the new master at the address they are given. */
  clients?: ClientReach[];
  /** The load client's figures while it happened. */
  client?: ClientSummary;
  /** The moments (trigger at 0; sdown, odown, switch-master, restarts…) for the timeline picture. */
  timeline?: TimelineEvent[];
}

export interface SentinelObservation {
  /** Each member and where it really is: `redis-0 master 10.42.0.2:6379 (node-0), reached at 172.18.0.2:30000`. */
  members: string[];
  deployed: SentinelState;
  /** Replica records whose address is none of the member's own: the rewrite. */
  rewritten: SentinelRecord[];
  /** The classes of the rewritten addresses, sorted; owners are on each record. */
  rewriteClasses: AddressClass[];
  /** Two or more replicas Sentinel knows as one record (the same rewritten address and port). */
  collapsed?: string[];
  probes?: AddressProbe[];
  /** A failover as deployed: SENTINEL FAILOVER, or the fault of a failover / rolling-update cell. */
  failover?: SentinelFailover;
  /** Every pod deleted at once and back at new pod IPs (whole-restart cells): outcome recovered or lost. */
  restart?: SentinelFailover;
  fix?: { settings: string[]; state: SentinelState; failover?: SentinelFailover; restart?: SentinelFailover };
  natMappings?: NatMapping[];
  /** The sources of the connections the master's capture saw arrive on its port while replication started. */
  replicationSources?: string[];
  captureSkipped?: string;
  /** Sentinel log events that tell the story (`+slave`, `+sdown`, `-failover-abort-no-good-slave`, `+switch-master`, …). */
  events: string[];
  notes: string[];
}

export type SentinelCompatibility = 'works' | 'works-with-announce' | 'breaks';

// ---------------------------------------------------------------------------------------------
// The families together.

export interface FamilyShapes {
  'nat-meet': { expectation: NatMeetExpectation; observation: NatMeetObservation; compatibility: NatMeetCompatibility };
  snat: { expectation: SnatExpectation; observation: SnatObservation; compatibility: SnatCompatibility };
  recovery: {
    expectation: RecoveryExpectation;
    observation: RecoveryObservation;
    compatibility: RecoveryCompatibility;
  };
  sentinel: {
    expectation: SentinelExpectation;
    observation: SentinelObservation;
    compatibility: SentinelCompatibility;
  };
}

export type ExpectationOf<F extends Family> = FamilyShapes[F]['expectation'];
export type ObservationOf<F extends Family> = FamilyShapes[F]['observation'];
export type CompatibilityOf<F extends Family> = FamilyShapes[F]['compatibility'];
export type Expectation = ExpectationOf<Family>;
export type Observation = ObservationOf<Family>;
export type Compatibility = CompatibilityOf<Family>;

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
}

export type CellRecordOf<F extends Family> = CellRecordBase & {
  family: F;
  expectation: ExpectationOf<F>;
  observation?: ObservationOf<F>;
  /** What a user gets, in the family's words; derived from the observation (model/vocabulary.ts). */
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
