// Every provider, one line each: the suite (harness, run config, test bounds) looks a provider up
// here instead of switching on its name. A new provider is its folder (a ProviderModule beside its
// code), a line here and its name in PROVIDERS (model/dimensions.ts).
import { PROFILES, PROVIDERS, type ProfileName, type ProviderName } from '../model/dimensions.ts';
import { profileFacts } from '../model/profiles.ts';
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
 * Whether a provider can hold a cell's topology at all (its declared node limit): cells it cannot
 * are not part of its matrix, rather than failures found when they start.
 */
export const fitsProvider = (dims: { provider: ProviderName; nodes: number }): boolean =>
  dims.nodes <= (traitsOf(dims.provider).maxNodes ?? Number.POSITIVE_INFINITY);

/** The profiles a provider runs: those of its platform. */
export const providerProfiles = (name: ProviderName): ProfileName[] =>
  PROFILES.filter((profile) => profileFacts(profile).platform === (traitsOf(name).platform ?? 'kubernetes'));

/** The providers that run a profile. */
export const profileProviders = (profile: ProfileName): ProviderName[] =>
  PROVIDERS.filter((name) => providerProfiles(name).includes(profile));
