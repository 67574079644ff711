// The kube tier's global setup (src/suite/vitest-projects.ts): its files build no lab and no Docker
// host, so it sweeps neither (a lab's sweeping test beside it may have killed one on purpose); after
// the run it removes the k3d clusters and kubeconfig namespaces its workers left, as global-setup.ts does.
import { sweepKubeLeftovers } from '../deploy/kube-leftovers.ts';

export async function teardown(): Promise<void> {
  for (const line of (await sweepKubeLeftovers()).filter((l) => !l.startsWith('kept '))) {
    console.log(`rcnc: ${line}`);
  }
}
