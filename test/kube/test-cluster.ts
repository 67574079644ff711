// The kube cluster a kube end-to-end file runs on: the run's shared one when the kube tier serves
// it (npm test: src/suite/kube-shared-setup.ts), which its owner stops; otherwise one of the file's
// own, which the file stops. Either way the file calls stop() when done (a no-op on the shared one).
import { KubeCluster, startCellsCluster } from '../../src/deploy/kube/cluster.ts';
import { askSharedCluster } from '../../src/deploy/kube/shared.ts';
import type { RunConfig } from '../../src/suite/run-config.ts';

export async function kubeTestCluster(config: RunConfig): Promise<KubeCluster> {
  const shared = config.kubeCluster?.shared;
  if (shared) {
    return KubeCluster.attach(await askSharedCluster(shared, 'iptables'));
  }
  return startCellsCluster({
    kubeBin: config.kubeCluster?.bin,
    redis: config.redis,
    proxyMode: 'iptables',
    runId: config.runId,
  });
}
