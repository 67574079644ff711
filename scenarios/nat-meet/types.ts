// The nat-meet family's shapes: what a cell expects of a join over a datapath, what it observed
// (ghosts, failed dial-backs, the bus peers, the fix), and the word a user gets. Added to the
// results model's FamilyShapes below; the schema is documented in reports/README.md.
import type { AddressClass } from '../../src/model/dimensions.ts';
import type { ExpectationBase, FailedDialBack, Ghost, NatMapping } from '../../src/model/results.ts';

export type MeetOutcome = 'ok' | 'fails';

// ---------------------------------------------------------------------------------------------
// nat-meet: does a node that joins over a datapath become part of the cluster?

export interface NatMeetExpectation extends ExpectationBase {
  meet: MeetOutcome;
  /** For failing meets: the class of address the receiver records for the joiner. */
  ghostClass?: AddressClass;
  /** For failing meets: announcing ip/port/bus-port and meeting again makes the node join. */
  fixWorks?: boolean;
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
  /**
   * cluster-node-timeout while the fix converged: the handshake entry a failed MEET left is gone
   * at most this long (1 s at least) after it was made. Absent in results written before it was
   * recorded.
   */
  nodeTimeoutMs?: number;
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

declare module '../../src/model/results.ts' {
  interface FamilyShapes {
    'nat-meet': {
      expectation: NatMeetExpectation;
      observation: NatMeetObservation;
      compatibility: NatMeetCompatibility;
    };
  }
}
