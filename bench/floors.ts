// What the lab's figures are measured against, in the same run: the same redis-server on bare
// loopback (bench/loopback.ts), doing the least the figure needs.
import { readFile } from 'node:fs/promises';
import { members, planFor, RedisCluster, redisPods, type RedisClusterPlan } from '../src/deploy/redis-cluster.ts';
import { formShards } from '../src/suite/formation.ts';
import { waitFor } from '../src/util/wait.ts';
import { startLoopback } from './loopback.ts';

export interface RedisBinaries {
  server: string;
  cli: string;
}

const loopbackPlan = (count: number, redis: RedisBinaries): RedisClusterPlan =>
  // host-network: every member on its own port of the one loopback.
  planFor({
    exposure: 'host-network',
    announce: 'none',
    members: members({ count, nodes: 1 }),
    redisServer: redis.server,
    redisCli: redis.cli,
  });

// The bus port of a client port nothing listens on (REDIS_PORT + members stays below it).
const REFUSED_PORT = 7999;
// cluster.c clusterLinkConnectHandler, at verbose level (redis.conf of the lab sets it).
const REFUSAL = /Connection with Node [0-9a-f]{40} at 127\.0\.0\.1:17999 failed/;

/**
 * The fastest a failure verdict can be: from `CLUSTER MEET` to a port nothing listens on until the
 * node logs the refused connection. Redis dials from clusterCron, every 100 ms, so this is about
 * that period plus a connect; the lab's verdict pays it too.
 */
export async function refusedMeetMs(redis: RedisBinaries): Promise<number> {
  const plan = loopbackPlan(1, redis);
  await using topo = await startLoopback(redisPods(plan));
  const cluster = new RedisCluster(topo, plan);
  const node = plan.members[0]!;
  const t0 = performance.now();
  await cluster.cli(node, ['cluster', 'meet', '127.0.0.1', String(REFUSED_PORT)]);
  await waitFor({
    target: `${node.name} logging its refused MEET`,
    timeoutMs: 10_000,
    intervalMs: 2,
    check: async () => ({
      done: REFUSAL.test(await readFile(topo.logFile(node.name), 'utf8')),
      state: 'no refusal logged',
    }),
  });
  return performance.now() - t0;
}

/**
 * Bare loopback formation of the same shape (masters + one replica each) with the lab's own
 * formation routine and forming timeout, so the only difference is the datapath; redis-server RSS
 * of the formed cluster comes with it.
 */
export async function loopbackFormation(
  count: number,
  formingNodeTimeoutMs: number,
  redis: RedisBinaries,
): Promise<{ formedMs: number; redisRssBytes: number }> {
  const plan = loopbackPlan(count, redis);
  await using topo = await startLoopback(redisPods(plan));
  const cluster = new RedisCluster(topo, plan);
  const masters = plan.members.slice(0, count / 2);
  const replicas = plan.members.slice(count / 2);
  const formedMs = await formShards(cluster, masters, replicas, formingNodeTimeoutMs);
  const rss = await Promise.all(
    plan.members.map(async (m) => Number(/used_memory_rss:(\d+)/.exec(await cluster.cli(m, ['info', 'memory']))?.[1])),
  );
  return { formedMs, redisRssBytes: rss.reduce((a, b) => a + b, 0) };
}
