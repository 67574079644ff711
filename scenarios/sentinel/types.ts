// The sentinel family's shapes: where a cell expects Sentinel to record replicas, whether it fails
// over and whom clients reach; what it observed (records, clients, failovers, the fix), and the
// word a user gets. Added to the results model's FamilyShapes below; the records and clients are
// in the results model, where src/probes/sentinel.ts reads them.
import type { AddressClass } from '../../src/model/dimensions.ts';
import type {
  ClientReach,
  ClientSummary,
  ExpectationBase,
  NatMapping,
  SentinelRecord,
  SentinelState,
  SentinelVantage,
  TimelineEvent,
} from '../../src/model/results.ts';

/** `recovered` / `lost`: after a restart of every pod, Sentinel hands out a master that answers, or not. */
export const FAILOVER_OUTCOMES = ['promoted', 'no-good-replica', 'not-promoted', 'recovered', 'lost'] as const;
export type FailoverOutcome = (typeof FAILOVER_OUTCOMES)[number];

export interface SentinelExpectation extends ExpectationBase {
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
}

/** What answered at a rewritten replica address. */
export interface AddressProbe {
  address: string;
  /** The member whose run_id answered, when something answered. */
  answeredBy?: string;
  role?: string;
  error?: string;
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

declare module '../../src/model/results.ts' {
  interface FamilyShapes {
    sentinel: {
      expectation: SentinelExpectation;
      observation: SentinelObservation;
      compatibility: SentinelCompatibility;
    };
  }
}
