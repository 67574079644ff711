// What a recovery fault acts on and reports: the lab of one cell (its topology, the Redis
// cluster, which replica serves which master, every member's node id, where the load client
// runs) and the part of the observation a fault fills in.
import type { ExecTarget, StartedTopology } from '../../../src/deploy/provider.ts';
import type { RedisCluster, RedisMember } from '../../../src/deploy/redis-cluster.ts';
import type { RecoveryObservation } from '../types.ts';

// Short enough that failovers happen within a test, long enough for 2 cores under load.
export const NODE_TIMEOUT_MS = 2000;
export const HEAL_TIMEOUT_MS = 45_000;

/** The cluster a fault acts on, as the run built it. */
export interface RecoveryLab {
  topo: StartedTopology;
  cluster: RedisCluster;
  masters: RedisMember[];
  replicas: RedisMember[];
  /** Which replica serves which master, by member name. */
  replicaOf: Map<string, RedisMember>;
  ids: Map<string, string>;
  clientTarget: ExecTarget;
  phase: (name: string) => void;
}

/** What a fault reports; the run adds the final views' state. */
export type FaultOutcome = Omit<RecoveryObservation, 'notes' | 'clusterState' | 'slotsAssigned'>;

export type Fault = (lab: RecoveryLab) => Promise<FaultOutcome>;
