// The recovery family's shapes: how a cell expects the cluster to heal from a fault, what it
// observed (the fault's moments, the remediation, the client's figures), and the word a user gets.
// Added to the results model's FamilyShapes below.
import type { ClientSummary, ExpectationBase, TimelineEvent } from '../../src/model/results.ts';

export const HEALS = ['by-itself', 'after-remediation'] as const;

export interface RecoveryExpectation extends ExpectationBase {
  /** Heals by itself, or only after rcnc applies the remediation operators use. */
  heals: (typeof HEALS)[number];
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

declare module '../../src/model/results.ts' {
  interface FamilyShapes {
    recovery: {
      expectation: RecoveryExpectation;
      observation: RecoveryObservation;
      compatibility: RecoveryCompatibility;
    };
  }
}
