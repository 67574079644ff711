// The kube provider as the suite knows it: one real cluster per profile per run (started at the
// profile's first cell, so a cell's budget holds a cluster start, and a cold build before it), one
// topology at a time on it (each cell's NodePorts are fixed numbers), pods running the image built
// from the run's own Redis binaries. Its code loads client-node: create() imports it only when a run
// uses kube.
import { profileLabel } from '../../model/dimensions.ts';
import { kubeProxyMode } from '../../model/profiles.ts';
import type { ProviderModule } from '../provider.ts';
import { KUBE_CELL_NODES } from './names.ts';

/** A cluster start from cached binaries is about 20 s here; a cold build is far longer (setup --kube). */
const CLUSTER_START_MS = 180_000;
const CELL_MS = 240_000;

export const kubeModule: ProviderModule<'kube'> = {
  name: 'kube',
  traits: {
    perProfile: true,
    cellBudgetMs: CLUSTER_START_MS + CELL_MS,
    testBounds: { testMs: CLUSTER_START_MS + CELL_MS, hookMs: 300_000 },
    // Built into the image from the run's binaries, and found there by name.
    redis: { image: { server: 'redis-server', cli: 'redis-cli' } },
    require: { variable: 'REQUIRE_KUBE', meaning: '1: the kube provider (real Kubernetes in namespaces) must run' },
    topologiesAtOnce: 1,
    maxNodes: KUBE_CELL_NODES,
    // Real kube-proxy, started in the mode of the profile's facts.
    kubeProxyModes: ['iptables', 'nftables'],
    emulation: false,
    label: (profile) => `kube: upstream Kubernetes with ${profileLabel(profile)}`,
    delayedKill: 'freeze-then-kill',
  },
  async create(settings, profile) {
    const { KubeProvider } = await import('./provider.ts');
    return KubeProvider.forProfile(profile, {
      runId: settings.runId,
      redis: settings.redis,
      kubeBin: settings.kubeCluster?.bin,
      shared: settings.kubeCluster?.shared,
      proxyMode: kubeProxyMode(profile),
    });
  },
};
