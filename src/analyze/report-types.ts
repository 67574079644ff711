// The shape of `rcnc analyze --json`: what each step of the analysis adds to the report. Fields are
// only ever added at the end of an object, so expected.json files written for older versions still
// describe a subset of what newer ones print.
import type { AddressClass } from '../model/dimensions.ts';
import type { FailedDialBack, Ghost, NatMapping } from '../model/results.ts';
import type { Deployer, Diagnosis } from './diagnosis-types.ts';

export type { NatMapping };

/** One piece of evidence read: where, as what, and whose. */
export interface ReadItem {
  /** The file, or `file:line` of its prompt when the file holds several outputs. */
  file: string;
  /** What it was read as, e.g. `CLUSTER NODES`. */
  as: string;
  owner?: string;
  /** How the owner was told: `command`, `file name`, `content`, or `unnamed` when nothing told. */
  ownerFrom?: 'command' | 'file name' | 'content' | 'unnamed';
}

export type VerdictKind = 'problems' | 'clear' | 'not-cleared';

export interface AnalyzeWarning {
  file: string;
  /** 1-based; 0 when the warning is about the whole file. */
  line: number;
  problem: string;
}

/** Who an address belongs to, and how that is known. */
export interface AddressOwner {
  class: AddressClass;
  /** e.g. `cni0@node-0`, `redis-3`, or the address itself when unknown. */
  owner: string;
  /** Set when the owner was inferred rather than read (no `ip addr` of the node): the reasoning. */
  inferred?: string;
}

export interface NatedConnection {
  pod: string;
  /** `ip:port` of the pod's bus port */
  local: string;
  peer: string;
  class: AddressClass;
  /** Who owns the peer address, e.g. `cni0@node-0`, or the address itself when unknown. */
  owner: string;
  /** The pod that opened it, when a pair of captures shows it. */
  from?: string;
  /** Why the rewrite does no harm (the peer announces its address), when it is known to. */
  harmless?: string;
}

export interface AnalyzeGhost extends Ghost {
  class: AddressClass;
  owner: string;
  /** The pod this entry stands for, when the files tell (same id, a packet capture, or one candidate). */
  pod?: string;
}

export interface AnalyzeFailedDialBack extends FailedDialBack {
  class: AddressClass;
  owner: string;
  error: string;
  /** How many times the log shows this dial-back failing. */
  count: number;
  /** The pod the dialled node id stands for, by the same rules as a ghost's. */
  standsFor?: string;
}

export interface AnalyzeAddressUpdate {
  pod: string;
  nodeId: string;
  /** `ip:port` the node was updated to */
  address: string;
  class: AddressClass;
  owner: string;
}

export interface Recommendation {
  pod: string;
  /** `name value` lines for redis.conf or CONFIG SET, in this order. */
  settings: string[];
  /** What to do after setting them. */
  then: string;
  /** Why this pod needs them. */
  reason: string;
  /** false when a value is a placeholder (e.g. the NodePort is not in the files). */
  exact: boolean;
  /** The same as commands to paste: `kubectl exec POD -- redis-cli …` CONFIG SETs, then CLUSTER MEET. */
  commands: string[];
}

export interface AnalyzedPod {
  name: string;
  ip?: string;
  node?: string;
  nodeIP?: string;
  hostNetwork: boolean;
  nodeId?: string;
  /** The myself line's address, e.g. `:6379@16379` when it never learned its own. */
  self?: string;
  port: number;
  busPort: number;
}

export interface AnalyzedNode {
  name: string;
  internalIP?: string;
  externalIP?: string;
  /** IPv4 addresses per interface (from ip addr / ifconfig). */
  interfaces: Record<string, string[]>;
  /** From a PODCIDR column of nodes.txt or from podcidrs.txt. */
  podCIDR?: string;
}

/** Something the files do not say but the analysis took as given; the text output says so. */
export interface Inference {
  /** The address the inference is about. */
  address: string;
  /** Who it was taken to be: a pod name, or `device@node`, or `host`. */
  owner: string;
  /** Why, in words. */
  basis: string;
}

/** Pods whose files of each kind were parsed into evidence (at least one record). */
export interface Coverage {
  views: string[];
  logs: string[];
  sockets: string[];
  captures: string[];
  /** Pods with INFO replication or SENTINEL transcripts. */
  sentinel: string[];
}

export interface SentinelFinding {
  /** The sentinel that records it, or the master that lists it. */
  seenBy: string;
  source: 'info-replication' | 'sentinel-replicas' | 'sentinel-sentinels';
  address: string;
  flags: string[];
  class: AddressClass;
  owner: string;
  why: string;
}

export interface SentinelAnalysis {
  /** Replicas a sentinel records at a rewritten address. */
  rewrittenReplicas: SentinelFinding[];
  /** Replicas the master lists (INFO replication) at a rewritten address. */
  listedAt: SentinelFinding[];
  /** Sentinels a sentinel records at an address that is none of a sentinel pod's. */
  rewrittenSentinels: SentinelFinding[];
  /** Addresses the master lists more than once: Sentinel keeps one record for all of them. */
  collapsed: string[];
  recommendations: Recommendation[];
  problems: string[];
}

export interface AnalyzeReport {
  /** Files read, sorted. */
  files: string[];
  pods: AnalyzedPod[];
  nodes: AnalyzedNode[];
  natedConnections: NatedConnection[];
  natMappings: NatMapping[];
  ghosts: AnalyzeGhost[];
  failedDialBacks: AnalyzeFailedDialBack[];
  addressUpdates: AnalyzeAddressUpdate[];
  recommendations: Recommendation[];
  /** One sentence per problem found; empty means nothing wrong was found in what was checked. */
  problems: string[];
  warnings: AnalyzeWarning[];
  inferences: Inference[];
  checked: Coverage;
  /** One sentence per kind of problem that could not be looked for, and why. */
  unchecked: string[];
  /** What the INFO replication and SENTINEL transcripts show (docs/sentinel.md). */
  sentinel: SentinelAnalysis;
  /** What each file, or each part of a transcript, was read as, and whose it is. */
  read: ReadItem[];
  /**
   * `problems`; `clear` when the files could have shown each problem looked for and none is there;
   * `not-cleared` when nothing wrong was found but the files cannot rule problems out.
   */
  verdict: VerdictKind;
  /** For `clear`: what was checked. */
  checks: string[];
  /** For `not-cleared`: why the files cannot rule problems out. */
  gaps: string[];
  /** What to collect next, to see more of a problem or to clear the run. */
  next: string[];
  /**
   * The problems sorted by mechanism (diagnoses.ts): kind, addresses, who holds them now and held
   * them before, the cause, the fix with paste-ready snippets, and what to collect next.
   */
  diagnoses: Diagnosis[];
  /** The chart or operator the files show, when they show one (its keys are in the fixes). */
  deployer?: Deployer;
}
