// The snat family's shapes: the source a cell expects a Redis server to see on a path, the
// connection it observed, and the word a user gets. Added to the results model's FamilyShapes below.
import type { ExpectationBase } from '../../src/model/results.ts';

/** How a connection's source was rewritten on its way, or that it never arrived. */
export const REWRITE_CLASSES = ['none', 'bridge-gateway', 'tunnel', 'node-ip', 'unknown', 'unreachable'] as const;
export type RewriteClass = (typeof REWRITE_CLASSES)[number];

export interface SnatExpectation extends ExpectationBase {
  rewrite: RewriteClass;
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

declare module '../../src/model/results.ts' {
  interface FamilyShapes {
    snat: { expectation: SnatExpectation; observation: SnatObservation; compatibility: SnatCompatibility };
  }
}
