// The dimensions a cell is a point of (docs/design vocabulary): provider, profile, exposure,
// announce, traffic policy, node count, and the scenario family it belongs to. Every other layer
// takes these names from here, so a new value is added in one place.

/** Who builds the topology: the netns lab (an emulation) or a real system. */
export const PROVIDERS = ['netns', 'k3d', 'kubeconfig', 'docker'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * The datapath under test: a CNI on Kubernetes (the netns lab, k3d, kubeconfig), or Docker's bridge
 * with published ports, by how the daemon publishes them (the docker provider).
 */
export const PROFILES = [
  'flannel-vxlan',
  'calico-vxlan',
  'calico-crosssubnet',
  'no-nat',
  'docker-userland-proxy',
  'docker-iptables',
] as const;
export type ProfileName = (typeof PROFILES)[number];

const PROFILE_LABELS: Record<ProfileName, string> = {
  'flannel-vxlan': 'flannel VXLAN',
  'calico-vxlan': 'Calico VXLAN (vxlanMode Always)',
  'calico-crosssubnet': 'Calico VXLAN CrossSubnet',
  'no-nat': 'routed pods without NAT',
  'docker-userland-proxy': 'Docker bridge, published ports through docker-proxy (userland-proxy on, the default)',
  'docker-iptables': 'Docker bridge, published ports by iptables DNAT (userland-proxy off)',
};

/** The datapath in words, e.g. `flannel VXLAN`. */
export const profileLabel = (p: ProfileName): string => PROFILE_LABELS[p] ?? p;

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
export const FAMILIES = ['nat-meet', 'snat', 'recovery', 'sentinel'] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * What kind of address a peer was seen as: a pod, the CNI bridge gateway (cni0), a tunnel device
 * (flannel.1, vxlan.calico), a node IP, the client outside the cluster, or none of these
 * (docs/datapath.md#masquerade-source-address).
 */
export const ADDRESS_CLASSES = ['pod', 'bridge-gateway', 'tunnel', 'node-ip', 'external', 'unknown'] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

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
