// The profiles (the datapaths under test) and every fact about one that more than one place needs:
// its label, the devices it puts on a node and the class of their addresses as a peer sees them,
// where a NodePort connection is rewritten, why pod-to-pod traffic keeps its source, whether it
// serves Services, and how k3d and Docker run it. The datapath code itself (the netns lab's rules,
// k3d's installs) lives with its provider and takes these facts from here. Each fact cites its
// source (docs/datapath.md#masquerade-source-address, docs/docker.md#profiles, …); a unit test
// resolves every cited anchor. Plain data: nothing here imports anything.

/**
 * What kind of address a peer was seen as: a pod, the CNI bridge gateway (cni0), a tunnel device
 * (flannel.1, vxlan.calico), a node IP, the client outside the cluster, or none of these
 * (docs/datapath.md#masquerade-source-address).
 */
export const ADDRESS_CLASSES = ['pod', 'bridge-gateway', 'tunnel', 'node-ip', 'external', 'unknown'] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

/** A device a datapath puts on a node, whose address a rewritten source can carry. */
export interface DeviceFact {
  /** The name the lab and the providers give it, e.g. `cni0`; `br-<id>` where it carries an id. */
  name: string;
  /** Every name the device goes by: other indexes, VNIs, network ids, CNI versions. */
  names: RegExp;
  /** The pod gateway on a node, or one end of a tunnel between nodes. */
  class: 'bridge-gateway' | 'tunnel';
  /** Where the lab's device comes from; devices of datapaths without a profile have none here. */
  source?: string;
}

/** The node's own interface: its address is the node IP (class `node-ip`). */
export const NODE_DEVICE = 'eth0';

/** Where a NodePort connection's source is rewritten: the device it leaves by, and the class that gives. */
export interface NodePortRewrite {
  leavesBy: string;
  class: 'bridge-gateway' | 'tunnel' | 'node-ip';
  source: string;
}

/** Calico's IP pool encapsulation: VXLAN on every path, or only between subnets. */
export type CalicoMode = 'Always' | 'CrossSubnet';
/** How k3d runs a profile: k3s' own flannel, or Calico through the Tigera operator. */
export type K3dCni = { cni: 'flannel' } | { cni: 'calico'; calicoMode: CalicoMode };
export type Cni = K3dCni['cni'];

/** What a profile's datapath runs on; a provider runs the profiles of its platform (its traits). */
export type Platform = 'kubernetes' | 'docker';

/**
 * kube-proxy's mode: iptables, its default and the one the netns lab renders, or nftables (GA since
 * Kubernetes 1.33), which only a provider running real kube-proxy runs (docs/kubernetes.md#kube-proxy-mode).
 */
export const KUBE_PROXY_MODES = ['iptables', 'nftables'] as const;
export type KubeProxyMode = (typeof KUBE_PROXY_MODES)[number];

/**
 * A profile that is another one with kube-proxy in another mode: it runs only where kube-proxy
 * itself runs in that mode, and its cells expect what the other profile's expect, for the reason
 * its source gives.
 */
export interface KubeProxyVariant {
  mode: KubeProxyMode;
  /** The profile whose expectations hold unchanged in this mode (a key of PROFILE_FACTS). */
  expectsAs: string;
  /** Why they hold: the mode's code for the paths the cells take. */
  source: string;
}

export interface ProfileFacts {
  /** The datapath in words, e.g. `flannel VXLAN`. */
  label: string;
  /** A CNI with kube-proxy (the netns lab, k3d, kubeconfig), or Docker's bridge (the docker provider). */
  platform: Platform;
  devices: readonly DeviceFact[];
  /** The range pod addresses come from, on Kubernetes. */
  podCidr?: string;
  /** Why traffic between two pods keeps its source: the rule that skips MASQUERADE. */
  podToPod: string;
  /**
   * kube-proxy's NodePort NAT under policy Cluster: the source an endpoint sees when it is on the
   * node the connection came in at (local) or on another node (remote). Absent where the profile
   * serves no Services (no-nat has no masquerade by definition; Docker has no kube-proxy).
   */
  nodePort?: { local: NodePortRewrite; remote: NodePortRewrite };
  /** The CNI network name of its config, which portmap's chains carry (docs/datapath.md#portmap-hostport-chains). */
  cniNetwork?: string;
  k3d: K3dCni | { unsupported: string };
  /** How the daemon publishes ports (docs/docker.md#profiles). */
  docker?: { userlandProxy: boolean };
  /** kube-proxy in a mode other than iptables; absent: iptables mode. */
  kubeProxy?: KubeProxyVariant;
}

// k3s' default cluster CIDR, which flannel's pods use (docs/datapath.md#k3s-defaults).
const K3S_CLUSTER_CIDR = '10.42.0.0/16';
/** Calico's pool; k3s must hand out node CIDRs from the same range (docs/kubernetes.md#calico-on-k3d). */
export const CALICO_POOL = '192.168.0.0/16';

const CNI0: DeviceFact = {
  name: 'cni0',
  names: /^cni\d*$/,
  class: 'bridge-gateway',
  source: 'docs/datapath.md#flannel-cni0-bridge',
};
const FLANNEL_1: DeviceFact = {
  name: 'flannel.1',
  names: /^flannel[.-]\S+$/,
  class: 'tunnel',
  source: 'docs/datapath.md#flannel-vxlan-device',
};
const VXLAN_CALICO: DeviceFact = {
  name: 'vxlan.calico',
  names: /^vxlan[.-]\S+$/,
  class: 'tunnel',
  source: 'docs/datapath.md#calico-vxlan-device',
};
// Docker's default bridge, and a user-defined one: br-<first 12 hex of the network id>.
const DOCKER_BRIDGES: DeviceFact[] = [
  { name: 'docker0', names: /^docker\d+$/, class: 'bridge-gateway', source: 'docs/docker.md#the-docker-host' },
  { name: 'br-<id>', names: /^br-[0-9a-f]{12}$/, class: 'bridge-gateway', source: 'docs/docker.md#the-docker-host' },
];

// The endpoint's cali veth has no IPv4 address: the device-walk fallback gives the node IP.
const CALICO_LOCAL = { leavesBy: 'cali…', class: 'node-ip', source: 'docs/datapath.md#calico-local-endpoint' } as const;

// What both Calico profiles share: the modes differ only in the routes to other nodes' blocks
// (docs/datapath.md#calico-crosssubnet), so in where a remote endpoint's connection leaves.
const CALICO = {
  platform: 'kubernetes',
  // The device exists in both modes; within one subnet no route uses it.
  devices: [VXLAN_CALICO],
  podCidr: CALICO_POOL,
  podToPod: 'docs/datapath.md#calico-nat-outgoing (cali-nat-outgoing skips destinations in the pools)',
  cniNetwork: 'k8s-pod-network',
} as const;

// Both Docker profiles: one bridge per network, no Kubernetes.
const DOCKER = {
  platform: 'docker',
  devices: DOCKER_BRIDGES,
  podToPod: 'docs/docker.md#container-to-container',
} as const;
const DOCKER_ONLY = (p: string) => `profile ${p} is Docker's bridge without Kubernetes; run it with --provider docker`;

// flannel VXLAN with kube-proxy in iptables mode, and the same CNI with nftables mode.
const FLANNEL_VXLAN = {
  label: 'flannel VXLAN',
  platform: 'kubernetes',
  devices: [CNI0, FLANNEL_1],
  podCidr: K3S_CLUSTER_CIDR,
  podToPod: 'docs/datapath.md#flannel-pod-to-pod-traffic (FLANNEL-POSTRTG returns before MASQUERADE for pod↔pod)',
  nodePort: {
    local: { leavesBy: 'cni0', class: 'bridge-gateway', source: 'docs/datapath.md#flannel-local-endpoint' },
    remote: { leavesBy: 'flannel.1', class: 'tunnel', source: 'docs/datapath.md#flannel-remote-endpoint' },
  },
  cniNetwork: 'cbr0',
  k3d: { cni: 'flannel' },
} as const;

/** One entry per profile, in the order reports list them. */
export const PROFILE_FACTS = {
  'flannel-vxlan': FLANNEL_VXLAN,
  'flannel-vxlan-nftables': {
    ...FLANNEL_VXLAN,
    label: 'flannel VXLAN, kube-proxy in nftables mode',
    kubeProxy: {
      mode: 'nftables',
      expectsAs: 'flannel-vxlan',
      source:
        'docs/kubernetes.md#the-flannel-vxlan-nftables-profile (kube-proxy nftables mode, pkg/proxy/nftables/proxier.go: ' +
        'the same 0x4000 mark on every NodePort connection under policy Cluster, the same pod and local short-circuits ' +
        'under Local, a no-endpoint-nodeports drop without a local endpoint, and a masquerade in a srcnat chain that ' +
        'takes the outgoing device address as MASQUERADE does; flannel returns for marked packets)',
    },
    k3d: {
      unsupported:
        'profile flannel-vxlan-nftables needs kube-proxy in nftables mode, which rcnc sets only on the clusters it starts: run it with --provider kube',
    },
  },
  'calico-vxlan': {
    ...CALICO,
    label: 'Calico VXLAN (vxlanMode Always)',
    nodePort: {
      local: CALICO_LOCAL,
      remote: { leavesBy: 'vxlan.calico', class: 'tunnel', source: 'docs/datapath.md#calico-always-remote-endpoint' },
    },
    k3d: { cni: 'calico', calicoMode: 'Always' },
  },
  'calico-crosssubnet': {
    ...CALICO,
    label: 'Calico VXLAN CrossSubnet',
    nodePort: {
      local: CALICO_LOCAL,
      remote: {
        leavesBy: NODE_DEVICE,
        class: 'node-ip',
        source: 'docs/datapath.md#calico-crosssubnet-remote-endpoint',
      },
    },
    k3d: { cni: 'calico', calicoMode: 'CrossSubnet' },
  },
  'no-nat': {
    label: 'routed pods without NAT',
    platform: 'kubernetes',
    devices: [CNI0],
    podCidr: K3S_CLUSTER_CIDR,
    podToPod: 'docs/datapath.md#no-nat',
    k3d: {
      unsupported: 'profile no-nat is a netns-lab control (routed pods, no CNI masquerade); k3d has no such CNI setup',
    },
  },
  'docker-userland-proxy': {
    ...DOCKER,
    label: 'Docker bridge, published ports through docker-proxy (userland-proxy on, the default)',
    k3d: { unsupported: DOCKER_ONLY('docker-userland-proxy') },
    docker: { userlandProxy: true },
  },
  'docker-iptables': {
    ...DOCKER,
    label: 'Docker bridge, published ports by iptables DNAT (userland-proxy off)',
    k3d: { unsupported: DOCKER_ONLY('docker-iptables') },
    docker: { userlandProxy: false },
  },
} as const satisfies Record<string, ProfileFacts>;

export type ProfileName = keyof typeof PROFILE_FACTS;

/**
 * The datapath under test: a CNI on Kubernetes (the netns lab, k3d, kubeconfig), or Docker's bridge
 * with published ports, by how the daemon publishes them (the docker provider).
 */
export const PROFILES = Object.keys(PROFILE_FACTS) as readonly ProfileName[];

/** The facts of one profile. */
export const profileFacts = (p: ProfileName): ProfileFacts => PROFILE_FACTS[p];

/** kube-proxy's mode on the profile: iptables unless its facts name another. */
export const kubeProxyMode = (p: ProfileName): KubeProxyMode => profileFacts(p).kubeProxy?.mode ?? 'iptables';

/** The profile whose expectations `p`'s cells share: `p` itself unless it is a kube-proxy variant. */
export const expectsAs = (p: ProfileName): ProfileName => (profileFacts(p).kubeProxy?.expectsAs ?? p) as ProfileName;

/**
 * The profiles that are `p` with kube-proxy in another mode (flannel-vxlan-nftables for
 * flannel-vxlan): their cells are `p`'s on the paths through kube-proxy.
 */
export const kubeProxyVariantsOf = (p: ProfileName): ProfileName[] =>
  PROFILES.filter((v) => v !== p && expectsAs(v) === p);

/**
 * The source of an expectation on profile `p` that `expectsAs(p)`'s rules give, cited by `source`:
 * for a kube-proxy variant, first why its mode's rules give the same.
 */
export const variantSource = (p: ProfileName, source: string): string => {
  const kp = profileFacts(p).kubeProxy;
  return kp ? `${kp.source}; the iptables-mode rules it mirrors: ${source}` : source;
};

/** The datapath in words, e.g. `flannel VXLAN`. */
export const profileLabel = (p: ProfileName): string => PROFILE_FACTS[p]?.label ?? p;

/** The Kubernetes profiles, in table order. */
export const kubernetesProfiles = (): ProfileName[] =>
  PROFILES.filter((p) => profileFacts(p).platform === 'kubernetes');

/** The profiles whose facts hold NodePort rewrites: those that serve Services. */
export type ServingProfile = {
  [P in ProfileName]: (typeof PROFILE_FACTS)[P] extends { nodePort: object } ? P : never;
}[ProfileName];

/** Whether kube-proxy's Service NAT is part of the profile. */
export const servesServices = (p: ProfileName): p is ServingProfile => profileFacts(p).nodePort !== undefined;

/** The profiles that serve Services (NodePort, LoadBalancer), in table order. */
export const profilesWithServices = (): ServingProfile[] => PROFILES.filter(servesServices);

/**
 * Where a NodePort connection to `p` is rewritten when the endpoint is on the ingress node (local)
 * or on another one (remote).
 */
export const nodePortRewrite = (p: ServingProfile, endpoint: 'local' | 'remote'): NodePortRewrite =>
  PROFILE_FACTS[p].nodePort[endpoint];

// Devices of datapaths that have no profile here, as files collected from other clusters name
// them: kubenet's cbr0, kube-router, libvirt, Cilium, Weave Net, Calico's IP-in-IP and WireGuard
// devices, Open vSwitch's Geneve ports.
const other = (name: string, names: RegExp, cls: DeviceFact['class']): DeviceFact => ({ name, names, class: cls });
const OTHER_DEVICES: DeviceFact[] = [
  other('cbr0', /^cbr\d+$/, 'bridge-gateway'),
  other('kube-bridge', /^kube-bridge$/, 'bridge-gateway'),
  other('virbr0', /^virbr\d+$/, 'bridge-gateway'),
  other('cilium_host', /^cilium_host$/, 'bridge-gateway'),
  other('weave', /^weave$/, 'bridge-gateway'),
  other('tunl0', /^tunl\d+$/, 'tunnel'),
  other('cilium_vxlan', /^cilium_vxlan$/, 'tunnel'),
  other('cilium_geneve', /^cilium_geneve$/, 'tunnel'),
  other('genev_sys_6081', /^genev_sys_\d+$/, 'tunnel'),
  other('wireguard.cali', /^wireguard\.cali$/, 'tunnel'),
];

/** Every device the table knows: the profiles' first, then those of datapaths without a profile. */
export const KNOWN_DEVICES: readonly DeviceFact[] = [
  ...new Set([...PROFILES.flatMap((p) => profileFacts(p).devices), ...OTHER_DEVICES]),
];

/**
 * The class of an address on device `dev`: a pod gateway (bridge-gateway), a tunnel end (tunnel),
 * or unknown for any other device, the node's own interface included.
 */
export const deviceClass = (dev: string): AddressClass =>
  KNOWN_DEVICES.find((d) => d.names.test(dev))?.class ?? 'unknown';

/** Whether `dev` is a device a datapath adds (not the node's own interface, not loopback). */
export const isCniDevice = (dev: string): boolean => deviceClass(dev) !== 'unknown';
