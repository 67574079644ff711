// Every provider, one line each: the suite (harness, run config, test bounds) looks a provider up
// here instead of switching on its name. A new provider is its folder (a ProviderModule beside its
// code), a line here and its name in PROVIDERS (model/dimensions.ts).
import type { CellFilter } from '../model/cell.ts';
import { PROFILES, PROVIDERS, type ProfileName, type ProviderName } from '../model/dimensions.ts';
import { kubeProxyMode, profileFacts } from '../model/profiles.ts';
import { dockerModule } from './docker/module.ts';
import { k3dModule } from './k3d/module.ts';
import { kubeModule } from './kube/module.ts';
import { kubeconfigModule } from './kubeconfig/module.ts';
import { netnsModule } from './netns/module.ts';
import type { ProviderModule, ProviderTraits } from './provider.ts';

export const PROVIDER_MODULES: { readonly [P in ProviderName]: ProviderModule<P> } = {
  netns: netnsModule,
  k3d: k3dModule,
  kubeconfig: kubeconfigModule,
  docker: dockerModule,
  kube: kubeModule,
};

export const providerModule = (name: ProviderName): ProviderModule => PROVIDER_MODULES[name];

export const traitsOf = (name: ProviderName): ProviderTraits => PROVIDER_MODULES[name].traits;

/**
 * Why a provider cannot run a profile at all, if it cannot: the profile puts kube-proxy in a mode
 * the provider does not run (its `kubeProxyModes`).
 */
export function profileGap(provider: ProviderName, profile: ProfileName): string | undefined {
  const mode = kubeProxyMode(profile);
  const runs = (p: ProviderName) => mode === 'iptables' || (traitsOf(p).kubeProxyModes ?? []).includes(mode);
  if (runs(provider)) {
    return undefined;
  }
  const where = PROVIDERS.filter(runs).map((p) => `--provider ${p}`);
  return `profile ${profile} needs kube-proxy in ${mode} mode, which the ${provider} provider does not run; run it with ${where.join(' or ')}`;
}

/**
 * Whether a run with this filter holds a cell the provider can run (fitsProvider): a profile whose
 * kube-proxy mode is outside the provider's default modes (`defaultKubeProxyModes`) only when the
 * filter names it, by `--profile` or by the cell's exact id (as `rcnc run` hands its workers the
 * cells it chose).
 */
export function inRun(
  cell: { id: string; dims: { provider: ProviderName; profile: ProfileName; nodes: number } },
  filter: Pick<CellFilter, 'profile' | 'cells'> = {},
): boolean {
  const named = !!filter.profile?.includes(cell.dims.profile) || !!filter.cells?.includes(cell.id);
  return fitsProvider(cell.dims) && (named || !namedOnly(cell.dims.provider, cell.dims.profile));
}

/** Whether a provider runs a profile only when a run names it: its mode is outside `defaultKubeProxyModes`. */
const namedOnly = (provider: ProviderName, profile: ProfileName): boolean => {
  const modes = traitsOf(provider).defaultKubeProxyModes;
  return !!modes && !modes.includes(kubeProxyMode(profile));
};

/** The profiles a provider runs only when a run names them (`--profile`), for the help. */
export const namedOnlyProfiles = (provider: ProviderName): ProfileName[] =>
  providerProfiles(provider).filter((profile) => namedOnly(provider, profile));

/**
 * Whether a provider can hold a cell's topology at all (its declared node limit) and run its
 * profile (profileGap): cells it cannot are not part of its matrix, rather than failures found
 * when they start.
 */
export const fitsProvider = (dims: { provider: ProviderName; profile: ProfileName; nodes: number }): boolean =>
  dims.nodes <= (traitsOf(dims.provider).maxNodes ?? Number.POSITIVE_INFINITY) &&
  profileGap(dims.provider, dims.profile) === undefined;

/** The profiles a provider runs: those of its platform, whose kube-proxy mode it runs. */
export const providerProfiles = (name: ProviderName): ProfileName[] =>
  PROFILES.filter(
    (profile) =>
      profileFacts(profile).platform === (traitsOf(name).platform ?? 'kubernetes') &&
      profileGap(name, profile) === undefined,
  );

/** The providers that run a profile. */
export const profileProviders = (profile: ProfileName): ProviderName[] =>
  PROVIDERS.filter((name) => providerProfiles(name).includes(profile));
