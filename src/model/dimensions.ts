// The dimensions a cell is a point of (docs/design vocabulary): provider, profile, exposure,
// announce, traffic policy, node count, and the scenario family it belongs to. Every other layer
// takes these names from here, so a new value is added in one place.
import type { ProfileName } from './profiles.ts';

/** Who builds the topology: the netns lab (an emulation) or a real system. */
export const PROVIDERS = ['netns', 'k3d', 'kubeconfig', 'docker', 'kube'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

// The profiles and the address classes their devices give live with the rest of the profile
// facts in one table (profiles.ts).
export {
  ADDRESS_CLASSES,
  KUBE_PROXY_MODES,
  profileLabel,
  PROFILES,
  type AddressClass,
  type KubeProxyMode,
  type ProfileName,
} from './profiles.ts';

/**
 * How Redis nodes are reached: by pod IP, a NodePort Service, the node's own network, or a
 * LoadBalancer Service (k3s ServiceLB: every node's IP, the Service's port).
 */
export const EXPOSURES = ['pod-ip', 'nodeport', 'host-network', 'loadbalancer'] as const;
export type Exposure = (typeof EXPOSURES)[number];

/** What a Redis node announces of its own address: nothing, or ip/port/bus-port. */
export const ANNOUNCES = ['none', 'ip'] as const;
export type Announce = (typeof ANNOUNCES)[number];

/** externalTrafficPolicy of the NodePort Services. */
export const POLICIES = ['Cluster', 'Local'] as const;
export type TrafficPolicy = (typeof POLICIES)[number];

/** The scenario families; each has its own expectation, observation and vocabulary. */
export const FAMILIES = ['nat-meet', 'snat', 'recovery', 'sentinel', 'cases'] as const;
export type Family = (typeof FAMILIES)[number];

export interface CellDims {
  provider: ProviderName;
  profile: ProfileName;
  exposure: Exposure;
  announce: Announce;
  policy: TrafficPolicy;
  nodes: number;
  /** Tells apart cells that share every dimension above (e.g. which node IP a joiner dials). */
  variant?: string;
}

export const isOneOf = <T extends string>(values: readonly T[], x: unknown): x is T =>
  typeof x === 'string' && (values as readonly string[]).includes(x);
