// The cases family's shapes: a published failure as a case (the thread, what it reported), what
// the lab must show before and after the thread's fix, and what it observed. Added to the results
// model's FamilyShapes below.
import type { ExpectationBase } from '../../src/model/results.ts';

/**
 * Whose address a record holds, as the lab's address book tells: the subject's own pod IP,
 * another pod's, a node device's (the bridge gateway cni0 .1, the tunnel device flannel.1 .0, the
 * node's eth0), loopback (a sidecar's re-originated connection), an address no pod holds now (a
 * pod's earlier IP), a Service ClusterIP, or a port on which nothing listens.
 */
export const RECORD_CLASSES = [
  'pod',
  'other-pod',
  'bridge-gateway',
  'tunnel',
  'node-ip',
  'loopback',
  'no-pod',
  'service-ip',
  'unlistened-port',
] as const;
export type RecordClass = (typeof RECORD_CLASSES)[number];

/** What a phase must show: the state words of the record, and whose address it holds. */
export interface CaseSymptom {
  /** e.g. `fail`, `noaddr`, `create-loops`, `s_down`, `NOGOODSLAVE`, `online`, `ok`. */
  state: string;
  recordedAs?: RecordClass;
}

export interface CaseExpectation extends ExpectationBase {
  /** The public thread, as `owner/repo#number`. */
  thread: string;
  /** What the thread reported, in a line (facts only). */
  reported: string;
  /** Which record the case looks at, e.g. `redis-1 in redis-0's INFO replication`. */
  subject: string;
  failure: CaseSymptom;
  /** The fix the thread found (or the sources say), in words. */
  fix: string;
  fixed: CaseSymptom;
}

/** One phase as observed: the state, the record and whose it is, and the replies that show it. */
export interface CasePhase {
  state: string;
  /** The address as the record holds it (`10.42.1.0:6379`, `10.42.0.4:6379@6380`). */
  recorded?: string;
  recordedAs?: RecordClass;
  /** Who holds the recorded address (`flannel.1@node-1`, `redis-2`, `nobody`). */
  owner?: string;
  /** The lines of the replies that show it. */
  evidence: string;
}

export interface CaseObservation {
  thread: string;
  failure: CasePhase;
  /** The fix as applied, command by command. */
  applied: string[];
  fixed?: CasePhase;
  /** The failure showed as expected (judge.ts `shows`), and the fix did what it should. */
  reproduced: boolean;
  fixWorks: boolean;
  notes: string[];
}

/** Failure shown and fix working; the failure not shown; or shown but not fixed. */
export type CaseCompatibility = 'reproduced-and-fixed' | 'not-reproduced' | 'fix-failed';

declare module '../../src/model/results.ts' {
  interface FamilyShapes {
    cases: { expectation: CaseExpectation; observation: CaseObservation; compatibility: CaseCompatibility };
  }
}
