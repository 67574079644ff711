// Bringing a cluster up the way the scenarios need it: masters, replicas, everyone agreeing.
import type { RedisCluster, RedisMember } from '../deploy/redis-cluster.ts';
import { waitForMeet } from '../probes/convergence.ts';

/**
 * Forms masters with one replica each (replica i follows master i) until every member knows every
 * other, connected, the replicas attached and cluster_state:ok; returns how long that took. Slots
 * spread only in direct PING/PONG, which a node sends a random peer once a second but any peer it
 * has not heard from for half the node timeout: a short timeout while forming lets a large
 * cluster agree in seconds (the caller restores its own). The bench forms the same cluster on
 * loopback with it, as the floor.
 */
export async function formShards(
  cluster: RedisCluster,
  masters: RedisMember[],
  replicas: RedisMember[],
  formingNodeTimeoutMs: number,
): Promise<number> {
  const t = performance.now();
  const formed = [...masters, ...replicas];
  // Reading a hundred views takes a while; polling faster only steals the time Redis needs.
  const intervalMs = Math.max(50, formed.length * 5);
  await cluster.setNodeTimeout(formed, formingNodeTimeoutMs);
  await cluster.createManually(masters, replicas);
  await waitForMeet(cluster, { members: formed, requireStateOk: false, timeoutMs: 120_000, intervalMs });
  const masterIds = await Promise.all(masters.map((m) => cluster.myId(m)));
  await Promise.all(replicas.map((r, i) => cluster.cli(r, ['cluster', 'replicate', masterIds[i % masterIds.length]!])));
  await waitForMeet(cluster, { members: formed, timeoutMs: 120_000, intervalMs });
  return Math.round(performance.now() - t);
}
