// What the kube end-to-end tests that signal a cluster's starter share: test/kube/start-cluster.ts
// started as one process, with the binaries and images it needs ready.
import { execa } from 'execa';
import { join } from 'node:path';
import { ensureKubeBinaries } from '../../src/deploy/kube/build.ts';
import { clusterImages } from '../../src/deploy/kube/images.ts';
import type { RunConfig } from '../../src/suite/run-config.ts';

const REPO = join(import.meta.dirname, '..', '..');

/**
 * test/kube/start-cluster.ts as one process (no npx or tsx wrapper in between, so a signal reaches
 * the cluster's starter itself). Wrapped: an execa child is itself a promise, and returning it bare
 * would wait for it to exit.
 */
export async function starter(config: Pick<RunConfig, 'kubeCluster' | 'redis'>, runId: string) {
  const { dir } = await ensureKubeBinaries({ kubeBin: config.kubeCluster?.bin });
  await clusterImages(dir, config.redis);
  const script = join(REPO, 'test', 'kube', 'start-cluster.ts');
  const child = execa('node', ['--import', 'tsx', script, dir, config.redis.server, config.redis.cli, runId], {
    cwd: REPO,
    reject: false,
    all: true,
    // execa's kill() SIGKILLs 5 s after SIGTERM by default, and a cluster's teardown on a loaded
    // machine takes longer: a SIGTERM test must see the starter's own teardown, not a SIGKILL's leftovers.
    forceKillAfterDelay: false,
  });
  return { child };
}
