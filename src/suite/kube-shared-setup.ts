// The kube tier's global setup (vitest's main process): serves the run's shared kube cluster to the
// tier's files (src/deploy/kube/shared.ts). Nothing starts until a file asks, so a run whose kube
// cells skip (no root, no Go) or that runs no kube file starts no cluster; the one started is
// stopped after the last file, and on SIGINT/SIGTERM by the cluster's own signal handling.
import type { Server } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startCellsCluster, type KubeCluster } from '../deploy/kube/cluster.ts';
import { serveSharedClusters } from '../deploy/kube/shared.ts';
import { clusterTraces } from '../deploy/kube/sweep.ts';
import { TopologyError } from '../util/errors.ts';
import type { RunConfig } from './run-config.ts';

/** One owner per process: every project that lists this setup shares it; the last teardown ends it. */
interface Owner {
  server: Server;
  clusters: Promise<KubeCluster>[];
  users: number;
}
// vitest loads a global setup file once per project that lists it, each a module of its own: the
// owner is kept on globalThis so that they all serve the one socket (a second listen would fail).
const OWNER = Symbol.for('rcnc.kube-shared-setup');
const owners = globalThis as { [OWNER]?: Owner };

export function setup(project: TestProject): () => Promise<void> {
  const config = project.getProvidedContext().rcnc;
  const socket = config.kubeCluster?.shared;
  if (!socket) {
    return async () => {};
  }
  const owner = (owners[OWNER] ??= { server: serve(socket, config), clusters: [], users: 0 });
  owner.users += 1;
  return async () => {
    owner.users -= 1;
    if (owner.users > 0) {
      return;
    }
    delete owners[OWNER];
    await new Promise<void>((resolve) => owner.server.close(() => resolve()));
    // Every cluster is stopped before a leftover of one is reported.
    const leftovers: string[] = [];
    for (const c of owner.clusters) {
      const cluster = await c.catch(() => undefined);
      if (!cluster) {
        continue;
      }
      const t0 = performance.now();
      await cluster.stop();
      console.log(
        `rcnc: the run's shared kube cluster ${cluster.id} stopped in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      // No test outlives this stop to check it, so the owner does: a leftover fails the run (an
      // error thrown here is only logged by vitest).
      const left = await clusterTraces(cluster.id);
      if (left.length) {
        leftovers.push(`${cluster.id} left ${left.length} trace(s) after its stop: ${left.slice(0, 3).join(' | ')}`);
      }
    }
    if (leftovers.length) {
      process.exitCode = 1;
      throw new TopologyError(`the run's shared kube cluster ${leftovers.join('; ')}; rcnc clean removes them`);
    }
  };

  function serve(path: string, run: RunConfig): Server {
    return serveSharedClusters(path, (proxyMode) => {
      const started = startCellsCluster({
        kubeBin: run.kubeCluster?.bin,
        redis: run.redis,
        proxyMode,
        runId: run.runId,
      });
      owners[OWNER]?.clusters.push(started);
      return started.then((c) => c.shared);
    });
  }
}
