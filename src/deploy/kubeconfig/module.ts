// A cluster the user points at, as the suite knows it: one provider for every profile (the
// cluster has the CNI it has), pods running the image's Redis, nodes as many as it schedules on.
// Its code loads client-node, so create() imports it only when a run uses it.
import { profileLabel } from '../../model/dimensions.ts';
import { K8S_CELL_BUDGET_MS } from '../k3d/budgets.ts';
import { REDIS_IMAGE_BINARIES } from '../k8s/versions.ts';
import type { ProviderModule } from '../provider.ts';

export const kubeconfigModule: ProviderModule<'kubeconfig'> = {
  name: 'kubeconfig',
  traits: {
    perProfile: false,
    cellBudgetMs: K8S_CELL_BUDGET_MS,
    testBounds: { testMs: K8S_CELL_BUDGET_MS, hookMs: 600_000 },
    redis: { image: REDIS_IMAGE_BINARIES },
    require: { variable: 'REQUIRE_KUBECONFIG', meaning: '1: the kubeconfig provider must run' },
    // Each topology's NodePorts are fixed numbers: two at once on one cluster would collide.
    topologiesAtOnce: 1,
    emulation: false,
    label: (profile) => `kubeconfig: ${profileLabel(profile)}`,
    delayedKill: 'freeze-then-kill',
  },
  async create(settings) {
    const { KubeconfigProvider } = await import('./kubeconfig.ts');
    return new KubeconfigProvider({
      kubeconfig: settings.kube.kubeconfig,
      context: settings.kube.context,
      image: settings.kube.image,
      runId: settings.runId,
    });
  },
};
