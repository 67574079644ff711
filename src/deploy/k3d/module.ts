// k3d as the suite knows it: a provider per profile (each CNI setup is its own cluster), one
// topology at a time per process, pods running the image's Redis. Its code loads client-node,
// so create() imports it only when a run uses k3d.
import { profileLabel } from '../../model/dimensions.ts';
import { REDIS_IMAGE_BINARIES } from '../k8s/versions.ts';
import type { ProviderModule } from '../provider.ts';
import { DEFAULT_AGENTS, K3D_START_BUDGET_MS, K8S_CELL_BUDGET_MS } from './budgets.ts';

/**
 * The first cell of a profile also starts the cluster the profile's cells share: a cell's budget
 * holds the whole start, which ends by its own phase bounds (budgets.ts) before the cell's could
 * cut it off; the after-file hook deletes every cluster of the file.
 */
const CELL_MS = K3D_START_BUDGET_MS + K8S_CELL_BUDGET_MS;

export const k3dModule: ProviderModule<'k3d'> = {
  name: 'k3d',
  traits: {
    perProfile: true,
    cellBudgetMs: CELL_MS,
    testBounds: { testMs: CELL_MS, hookMs: 900_000 },
    redis: { image: REDIS_IMAGE_BINARIES },
    require: { variable: 'REQUIRE_K3D', meaning: '1: the k3d provider must run' },
    // The cells of a profile then share one cluster in turn.
    topologiesAtOnce: 1,
    maxNodes: DEFAULT_AGENTS,
    emulation: false,
    label: (profile) => `k3d: ${profileLabel(profile)}`,
    delayedKill: 'freeze-then-kill',
  },
  async create(settings, profile) {
    const { K3dProvider } = await import('./k3d.ts');
    return K3dProvider.forProfile(profile, { runId: settings.runId });
  },
};
