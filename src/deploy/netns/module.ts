// The netns lab as the suite knows it: one provider for every profile, an emulation, run as root
// with this machine's Redis binaries.
import { profileLabel } from '../../model/dimensions.ts';
import { CELL_BUDGET_MS, type ProviderModule } from '../provider.ts';
import { MAX_NODES } from './names.ts';

export const netnsModule: ProviderModule<'netns'> = {
  name: 'netns',
  traits: {
    perProfile: false,
    cellBudgetMs: CELL_BUDGET_MS,
    redis: 'run-binaries',
    require: { variable: 'RCNC_REQUIRE_LAB', meaning: '1: the netns lab must run (CI)' },
    maxNodes: MAX_NODES,
    // Both modes are rendered (kube-proxy.ts, kube-proxy-nft.ts); nftables mode's cells repeat
    // flannel-vxlan's expectations, so a plain run leaves them to be named (--profile).
    kubeProxyModes: ['iptables', 'nftables'],
    defaultKubeProxyModes: ['iptables'],
    emulation: true,
    label: (profile) => `netns lab emulation of ${profileLabel(profile)}`,
    // The lab's kubelet holds a killed container back for the delay (a crash-loop back-off).
    delayedKill: 'restart-after-delay',
  },
  async create(settings) {
    const { NetnsProvider } = await import('./netns.ts');
    return new NetnsProvider({ runId: settings.runId });
  },
};
