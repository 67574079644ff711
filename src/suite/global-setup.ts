// Runs once per `vitest` invocation of the lab project, in the main process: sweeps labs that a
// killed earlier run left, and afterwards any lab whose worker died before its own teardown.
import { sweep } from '../deploy/netns/sweep.ts';

export async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    return;
  }
  const { removed } = await sweep();
  if (removed.length) {
    console.log(`rcnc: removed ${removed.length} lab(s) left by earlier runs`);
  }
}

export async function teardown(): Promise<void> {
  if (process.getuid?.() !== 0) {
    return;
  }
  const { removed } = await sweep();
  if (removed.length) {
    console.log(`rcnc: removed ${removed.length} lab(s) whose worker exited without teardown`);
  }
}
