// Runs once per `vitest` invocation of the lab project, in the main process: sweeps labs and
// Docker hosts that a killed earlier run left, and afterwards any whose worker died before its own
// teardown; the same for k3d clusters and kubeconfig namespaces whose owner (a worker) is gone.
import { sweepDocker } from '../deploy/docker/sweep.ts';
import { sweepKubeLeftovers } from '../deploy/kube-leftovers.ts';
import { sweep } from '../deploy/netns/sweep.ts';

const sweepAll = async () => (await sweep()).removed.length + (await sweepDocker()).removed.length;

export async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    return;
  }
  const removed = await sweepAll();
  if (removed) {
    console.log(`rcnc: removed ${removed} lab(s) left by earlier runs`);
  }
}

export async function teardown(): Promise<void> {
  // Other runs' live clusters are kept silently; what this sweep did (or failed to do) is said.
  for (const line of (await sweepKubeLeftovers()).filter((l) => !l.startsWith('kept '))) {
    console.log(`rcnc: ${line}`);
  }
  if (process.getuid?.() !== 0) {
    return;
  }
  const removed = await sweepAll();
  if (removed) {
    console.log(`rcnc: removed ${removed} lab(s) whose worker exited without teardown`);
  }
}
