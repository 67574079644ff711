// Where a load client reaches a Redis Cluster over its exposure, and the natMap it needs when the
// members report addresses only the cluster can dial.
import { memberPorts, type RedisCluster } from '../deploy/redis-cluster.ts';
import type { Endpoint } from './client-protocol.ts';

/**
 * Where a client reaches the cluster over its exposure: NodePort → node IP + client NodePort;
 * host-network → node IP + port; pod-ip → pod IP + 6379 (reachable only from inside the cluster,
 * so run that client in a pod's namespace). Pod IPs change when a pod is deleted: call this again
 * for a client started afterwards.
 */
export function clientEndpoints(cluster: RedisCluster): Endpoint[] {
  return cluster.plan.members.map((m) => {
    const a = cluster.address(m);
    return { host: a.ip, port: a.port };
  });
}

/**
 * The natMap a client outside the cluster needs under NodePort when members do not announce:
 * they then report (CLUSTER SLOTS, MOVED) `podIP:port`, which only the cluster can dial. Entries
 * for addresses nobody reports are inert, so passing it when everyone announces is harmless.
 * Undefined for the other exposures, whose reported addresses are the dialled ones.
 */
export function clientNatMap(cluster: RedisCluster): Record<string, Endpoint> | undefined {
  if (cluster.plan.exposure !== 'nodeport') {
    return undefined;
  }
  const natMap: Record<string, Endpoint> = {};
  for (const m of cluster.plan.members) {
    const a = cluster.address(m);
    natMap[`${cluster.topology.pod(m.name).ip}:${memberPorts(cluster.plan, m).port}`] = { host: a.ip, port: a.port };
  }
  return natMap;
}
