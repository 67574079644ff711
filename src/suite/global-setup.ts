// Runs once per `vitest` invocation of the lab project, in the main process: sweeps labs and
// Docker hosts that a killed earlier run left, and afterwards any whose worker died before its own
// teardown.
import { sweepDocker } from '../deploy/docker/sweep.ts';
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
  if (process.getuid?.() !== 0) {
    return;
  }
  const removed = await sweepAll();
  if (removed) {
    console.log(`rcnc: removed ${removed} lab(s) whose worker exited without teardown`);
  }
}
