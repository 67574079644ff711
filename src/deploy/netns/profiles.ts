// Lab profiles: the devices, routes, sysctls and iptables rules one CNI leaves on a node and a pod,
// as `ip -batch` / `bridge -batch` lines and iptables-restore parts. Every value comes from
// docs/datapath.md#profiles; the heading is cited next to it. What other layers need to know of a
// profile (its devices' classes, its NodePort rewrites, whether it serves Services, its pod CIDR)
// is in the profile table, model/profiles.ts. Pure functions: the provider runs the output.
import { createHash } from 'node:crypto';
import { CALICO_POOL, PROFILE_FACTS, servesServices, type ProfileName } from '../../model/profiles.ts';
import type { RestoreTables } from './iptables.ts';

export const NODE_NET = { prefix: '172.18.0.0/16', gateway: '172.18.0.1', len: 16 } as const;
export const FLANNEL_CLUSTER_CIDR = PROFILE_FACTS['flannel-vxlan'].podCidr;
const FLANNEL_MTU = 1450; // flannel: interface MTU - 50 (docs/datapath.md#flannel-vxlan-device)

export interface NodeAddressing {
  index: number;
  ip: string;
  podCidr: string;
  /** Gateway of pods on this node (cni0's address for bridge profiles). */
  podGateway: string;
  /** CNI devices and their addresses, e.g. { cni0: '10.42.0.1', 'flannel.1': '10.42.0.0' }. */
  cniAddresses: Record<string, string>;
  vtepMac: string;
}

export interface PodAttachment {
  /** `ip -n <node>` lines (host side of the pod's interface). */
  nodeIp: string[];
  /** `bridge -n <node>` lines. */
  nodeBridge: string[];
  /** `ip -n <pod>` lines. */
  podIp: string[];
  /** `sysctl -w` settings in the node after the host side exists (per-interface knobs). */
  nodeSysctls?: string[];
  /** `sysctl -w` settings inside the pod. */
  podSysctls?: string[];
}

export interface Datapath {
  readonly name: ProfileName;
  readonly clusterCidr: string;
  /** Whether kube-proxy's NodePort NAT makes sense here (the profile table's: no-nat has no masquerade by definition). */
  readonly supportsServices: boolean;
  addressing(index: number): NodeAddressing;
  podIp(node: NodeAddressing, slot: number): string;
  /** Lines for the node, run after its eth0 is configured. */
  nodeDevices(node: NodeAddressing, all: NodeAddressing[]): { ip: string[]; bridge: string[] };
  sysctls(): string[];
  cniTables(node: NodeAddressing): RestoreTables;
  /**
   * Whether the CNI keeps its hooks above kube-proxy's. Felix does (it re-inserts its rules at the
   * top); flannel appends.
   */
  readonly hooksOnTop?: boolean;
  /** `ipset restore` input the CNI's rules refer to, if any. */
  ipsets?(): string;
  /** Name of the host side of a pod's interface; defaults to the lab's run-id-bearing veth name. */
  hostVethName?(labId: string, pod: string, generation: number): string;
  attachPod(node: NodeAddressing, podIp: string, hostVeth: string, podNs: string): PodAttachment;
}

export const nodeIp = (index: number) => `172.18.0.${index + 2}`;

// Fixed, locally administered MACs keep neighbour and FDB entries readable in captures.
const vtepMac = (index: number) => `0a:58:0a:2a:${index.toString(16).padStart(2, '0')}:00`;

// k3s sets these on every node (pkg/agent/syssetup/setup.go); rp_filter 0 and route_localnet as
// kube-proxy needs them (docs/datapath.md#node-sysctls).
const NODE_SYSCTLS = [
  'net.ipv4.ip_forward=1',
  'net.ipv4.conf.all.forwarding=1',
  'net.ipv4.conf.default.forwarding=1',
  'net.ipv4.conf.all.route_localnet=1',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
  // Without it, replies between two pods on one bridge skip conntrack and NodePort DNAT breaks
  // (docs/datapath.md#bridge-netfilter).
  'net.bridge.bridge-nf-call-iptables=1',
];

const bridgeAddressing = (index: number, tunnel: boolean): NodeAddressing => ({
  index,
  ip: nodeIp(index),
  podCidr: `10.42.${index}.0/24`,
  podGateway: `10.42.${index}.1`,
  // flannel.1 holds 10.42.N.0/32, cni0 the gateway 10.42.N.1/24 (docs/datapath.md#flannel-vxlan-device, docs/datapath.md#flannel-cni0-bridge).
  cniAddresses: tunnel ? { cni0: `10.42.${index}.1`, 'flannel.1': `10.42.${index}.0` } : { cni0: `10.42.${index}.1` },
  vtepMac: vtepMac(index),
});

// Bridge CNI plugin + flannel delegate: veth into cni0 with hairpin, host-local /24, routes to the
// gateway (docs/datapath.md#flannel-pod-routes).
const attachToCni0 = (node: NodeAddressing, podIp: string, hostVeth: string, podNs: string): PodAttachment => ({
  nodeIp: [
    `link add ${hostVeth} type veth peer name eth0 netns ${podNs}`,
    `link set ${hostVeth} mtu ${FLANNEL_MTU} master cni0 up`,
  ],
  nodeBridge: [`link set dev ${hostVeth} hairpin on`],
  podIp: [
    'link set lo up',
    `link set eth0 mtu ${FLANNEL_MTU} up`,
    `addr add ${podIp}/24 dev eth0`,
    `route add default via ${node.podGateway}`,
    `route add ${FLANNEL_CLUSTER_CIDR} via ${node.podGateway}`,
  ],
});

/**
 * A bridge with no address of its own takes the lowest MAC of its ports, which changes as pods come
 * and go, and every pod that kept the old one in its neighbour table loses its gateway until it
 * asks again (seconds). The bridge CNI plugin pins it (ensureAddr: "Set the bridge's MAC to itself.
 * Otherwise, the bridge will take the lowest-numbered mac on the bridge, and will change as ifs
 * churn"); the lab pins it to 0a:58 and the gateway address, as the plugin's older releases did.
 */
const bridgeMac = (gateway: string) =>
  ['0a', '58', ...gateway.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'))].join(':');

const cni0Lines = (node: NodeAddressing) => [
  `link add cni0 address ${bridgeMac(node.podGateway)} type bridge`,
  `link set cni0 mtu ${FLANNEL_MTU} up`,
  `addr add ${node.podGateway}/24 dev cni0`,
];

const flannelVxlan: Datapath = {
  name: 'flannel-vxlan',
  clusterCidr: FLANNEL_CLUSTER_CIDR,
  supportsServices: servesServices('flannel-vxlan'),
  addressing: (i) => bridgeAddressing(i, true),
  podIp: (node, slot) => `10.42.${node.index}.${slot}`,
  nodeDevices(node, all) {
    const tunnel = node.cniAddresses['flannel.1'];
    const ip = [
      // VNI 1, port 8472, learning off, MTU 1450 (flannel pkg/backend/vxlan, docs/datapath.md#flannel-vxlan-device).
      `link add flannel.1 type vxlan id 1 local ${node.ip} dev eth0 dstport 8472 nolearning`,
      `link set flannel.1 address ${node.vtepMac} mtu ${FLANNEL_MTU} up`,
      `addr add ${tunnel}/32 dev flannel.1`,
    ];
    const bridge: string[] = [];
    for (const m of all) {
      if (m.index === node.index) {
        continue;
      }
      const remote = m.cniAddresses['flannel.1'];
      ip.push(
        `route add ${m.podCidr} via ${remote} dev flannel.1 onlink`,
        `neigh replace ${remote} lladdr ${m.vtepMac} dev flannel.1 nud permanent`,
      );
      bridge.push(`fdb append ${m.vtepMac} dev flannel.1 dst ${m.ip} self permanent`);
    }
    ip.push(...cni0Lines(node));
    return { ip, bridge };
  },
  sysctls: () => NODE_SYSCTLS,
  cniTables(node) {
    const cl = FLANNEL_CLUSTER_CIDR;
    const pc = node.podCidr;
    const masq = '-m comment --comment "flanneld masq"';
    const fwd = '-m comment --comment "flanneld forward"';
    // flannel v0.21+ pkg/trafficmngr/iptables/iptables.go masqRules / forwardRules (docs/datapath.md#flannel-masquerade-rules).
    return {
      nat: {
        chains: ['FLANNEL-POSTRTG'],
        rules: [
          `-A POSTROUTING ${masq} -j FLANNEL-POSTRTG`,
          `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${masq} -j RETURN`,
          `-A FLANNEL-POSTRTG -s ${pc} -d ${cl} ${masq} -j RETURN`,
          `-A FLANNEL-POSTRTG -s ${cl} -d ${pc} ${masq} -j RETURN`,
          `-A FLANNEL-POSTRTG ! -s ${cl} -d ${pc} ${masq} -j RETURN`,
          `-A FLANNEL-POSTRTG -s ${cl} ! -d 224.0.0.0/4 ${masq} -j MASQUERADE --random-fully`,
          `-A FLANNEL-POSTRTG ! -s ${cl} -d ${cl} ${masq} -j MASQUERADE --random-fully`,
        ],
      },
      filter: {
        chains: ['FLANNEL-FWD'],
        rules: [
          `-A FORWARD ${fwd} -j FLANNEL-FWD`,
          `-A FLANNEL-FWD -s ${cl} ${fwd} -j ACCEPT`,
          `-A FLANNEL-FWD -d ${cl} ${fwd} -j ACCEPT`,
        ],
      },
    };
  },
  attachPod: attachToCni0,
};

// The control: routed pods, no tunnel and no masquerade anywhere (docs/datapath.md#no-nat).
const noNat: Datapath = {
  name: 'no-nat',
  clusterCidr: PROFILE_FACTS['no-nat'].podCidr,
  supportsServices: servesServices('no-nat'),
  addressing: (i) => bridgeAddressing(i, false),
  podIp: (node, slot) => `10.42.${node.index}.${slot}`,
  nodeDevices(node, all) {
    const ip = cni0Lines(node);
    for (const m of all) {
      if (m.index !== node.index) {
        ip.push(`route add ${m.podCidr} via ${m.ip} dev eth0`);
      }
    }
    return { ip, bridge: [] };
  },
  sysctls: () => NODE_SYSCTLS,
  cniTables: () => ({}),
  attachPod: attachToCni0,
};

// ---------------------------------------------------------------------------------------------
// Calico VXLAN with the iptables dataplane (docs/datapath.md#calico-vxlan). Pool 192.168.0.0/16, /26 blocks; node
// N owns block 192.168.N.0/26 and its tunnel address is the block's first address, as Calico IPAM
// hands out (e.g. 192.168.238.0 in the doc's example).
const CALICO_GATEWAY = '169.254.1.1';

const calicoAddressing = (index: number): NodeAddressing => ({
  index,
  ip: nodeIp(index),
  podCidr: `192.168.${index}.0/26`,
  podGateway: CALICO_GATEWAY,
  cniAddresses: { 'vxlan.calico': `192.168.${index}.0` },
  vtepMac: `66:cc:00:00:${index.toString(16).padStart(2, '0')}:01`,
});

// libcalico-go VethNameForWorkload: "cali" + first 11 hex chars of sha1("<namespace>.<pod>"). The
// lab id goes into the hashed name, so two labs never produce the same interface name.
const caliName = (labId: string, pod: string, generation: number) =>
  'cali' + createHash('sha1').update(`rcnc-${labId}.${pod}.${generation}`).digest('hex').slice(0, 11);

function calicoNodeDevices(mode: 'Always' | 'CrossSubnet', node: NodeAddressing, all: NodeAddressing[]) {
  const tunnel = node.cniAddresses['vxlan.calico'];
  // Felix vxlan_mgr.go: VNI 4096, port 4789, parent = the node-IP device, learning off, MTU -50.
  const ip = [
    `link add vxlan.calico type vxlan id 4096 local ${node.ip} dev eth0 dstport 4789 nolearning`,
    `link set vxlan.calico address ${node.vtepMac} mtu ${FLANNEL_MTU} up`,
    `addr add ${tunnel}/32 dev vxlan.calico`,
    // The local block is a blackhole; /32 routes to local workloads are more specific.
    `route add blackhole ${node.podCidr}`,
  ];
  const bridge: string[] = [];
  for (const m of all) {
    if (m.index === node.index) {
      continue;
    }
    const remote = m.cniAddresses['vxlan.calico'];
    if (mode === 'Always') {
      ip.push(
        `route add ${m.podCidr} via ${remote} dev vxlan.calico onlink`,
        `neigh replace ${remote} lladdr ${m.vtepMac} dev vxlan.calico nud permanent`,
      );
      bridge.push(`fdb append ${m.vtepMac} dev vxlan.calico dst ${m.ip} self permanent`);
    } else {
      // CrossSubnet with every node on one subnet: Felix's noEncapRoute (docs/datapath.md#calico-crosssubnet).
      ip.push(`route add ${m.podCidr} via ${m.ip} dev eth0 onlink`);
    }
  }
  return { ip, bridge };
}

// felix/rules/nat.go + static.go (docs/datapath.md#calico-nat-outgoing). Felix inserts its hooks at the top.
const CALICO_TABLES: RestoreTables = {
  nat: {
    chains: [
      'cali-PREROUTING',
      'cali-OUTPUT',
      'cali-POSTROUTING',
      'cali-fip-dnat',
      'cali-fip-snat',
      'cali-nat-outgoing',
    ],
    rules: [
      '-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING',
      '-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT',
      '-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING',
      '-A cali-PREROUTING -j cali-fip-dnat',
      '-A cali-OUTPUT -j cali-fip-dnat',
      '-A cali-POSTROUTING -j cali-fip-snat',
      '-A cali-POSTROUTING -j cali-nat-outgoing',
      '-A cali-POSTROUTING -o vxlan.calico -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully',
      '-A cali-nat-outgoing -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully',
    ],
  },
  // FORWARD stays ACCEPT: stands in for Calico's allow-by-default profiles (docs/datapath.md#calico-filter-policy).
  filter: { chains: [], rules: [] },
};

// The lab builds the vxlanMode k3d installs for the profile.
const calico = (name: 'calico-vxlan' | 'calico-crosssubnet', mode = PROFILE_FACTS[name].k3d.calicoMode): Datapath => ({
  name,
  clusterCidr: PROFILE_FACTS[name].podCidr,
  supportsServices: servesServices(name),
  hooksOnTop: true,
  addressing: calicoAddressing,
  podIp: (node, slot) => `192.168.${node.index}.${slot - 1}`,
  nodeDevices: (node, all) => calicoNodeDevices(mode, node, all),
  sysctls: () => NODE_SYSCTLS,
  ipsets: () =>
    ['cali40masq-ipam-pools', 'cali40all-ipam-pools']
      .map((set) => `create ${set} hash:net family inet\nadd ${set} ${CALICO_POOL}`)
      .join('\n') + '\n',
  cniTables: () => CALICO_TABLES,
  hostVethName: caliName,
  attachPod: (node, podIp, hostVeth, podNs) => ({
    nodeIp: [
      `link add ${hostVeth} type veth peer name eth0 netns ${podNs}`,
      `link set ${hostVeth} address ee:ee:ee:ee:ee:ee mtu ${FLANNEL_MTU} up`,
      `route add ${podIp}/32 dev ${hostVeth} scope link`,
    ],
    nodeBridge: [],
    // cni-plugin dataplane_linux.go: /32 address, a link-scope route to 169.254.1.1 and a default
    // via it; the host answers ARP for it by proxy ARP.
    podIp: [
      'link set lo up',
      `link set eth0 mtu ${FLANNEL_MTU} up`,
      `addr add ${podIp}/32 dev eth0`,
      `route add ${CALICO_GATEWAY} dev eth0 scope link`,
      `route add default via ${CALICO_GATEWAY} dev eth0`,
    ],
    nodeSysctls: [
      `net.ipv4.conf.${hostVeth}.proxy_arp=1`,
      `net.ipv4.conf.${hostVeth}.forwarding=1`,
      `net.ipv4.conf.${hostVeth}.route_localnet=1`,
      `net.ipv4.neigh.${hostVeth}.proxy_delay=0`,
    ],
    // containerIPForwarding: Enabled, as the k3d Calico guide patches it.
    podSysctls: ['net.ipv4.ip_forward=1'],
  }),
});

// The same flannel with kube-proxy in nftables mode (netns.ts renders its table, kube-proxy-nft.ts).
// Only iptables mode turns route_localnet on (pkg/proxy/iptables/proxier.go L239-L246, for
// localhost NodePorts, which nftables mode never serves); the nftables proxier sets no sysctl.
const flannelVxlanNftables: Datapath = {
  ...flannelVxlan,
  name: 'flannel-vxlan-nftables',
  sysctls: () => NODE_SYSCTLS.filter((s) => !s.startsWith('net.ipv4.conf.all.route_localnet=')),
};

const DATAPATHS: Partial<Record<ProfileName, Datapath>> = {
  'flannel-vxlan': flannelVxlan,
  'flannel-vxlan-nftables': flannelVxlanNftables,
  'calico-vxlan': calico('calico-vxlan'),
  'calico-crosssubnet': calico('calico-crosssubnet'),
  'no-nat': noNat,
};

export const labProfiles = (): ProfileName[] => Object.keys(DATAPATHS) as ProfileName[];

export function datapath(profile: ProfileName): Datapath | undefined {
  return DATAPATHS[profile];
}
