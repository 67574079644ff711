// The nat-meet matrix: which joins should work on which datapath, and why. Each expectation cites
// the source it comes from (datapath.md sections, which quote flannel, kube-proxy and Redis code).
import { cellId, type Cell } from '../src/cells.ts';
import type { AddressClass, CellDims, Expectation } from '../src/report/results.ts';
import type { NatMeetOptions } from '../src/scenarios/nat-meet.ts';

type Row = Omit<CellDims, 'scenario' | 'provider'> & {
  expectation: Expectation;
  options: NatMeetOptions;
  title: string;
};

const NODEPORT_SNAT =
  'datapath.md §3 (KUBE-EXT-* marks every NodePort connection 0x4000 under policy Cluster; KUBE-POSTROUTING masquerades), ' +
  '§5 (the source is the outgoing device address), §8 (Redis records the TCP peer address on MEET when cluster-announce-ip is unset)';

const base = { announce: 'none', policy: 'Cluster', nodes: 1 } as const;

/** A replica joining over NodePort without announce: the master records the MASQUERADE source. */
const natFailure = (
  profile: Row['profile'],
  ghostClass: AddressClass,
  why: string,
  section: string,
  multi?: { variant: 'dial-own-node' | 'dial-endpoint-node' },
): Row => ({
  ...base,
  title: multi
    ? `NodePort join across 3 nodes, ${multi.variant === 'dial-own-node' ? 'dialing the joiner’s own node (endpoint remote)' : 'dialing the master’s node (endpoint local)'}`
    : 'replica joins over NodePort without announce (single node): the classic failure',
  profile,
  exposure: 'nodeport',
  nodes: multi ? 3 : 1,
  variant: multi?.variant,
  options: { bootstrap: 'manual', dial: multi?.variant === 'dial-endpoint-node' ? 'endpoint-node' : 'own-node' },
  expectation: { meet: 'fails', ghostClass, fixWorks: true, summary: why, source: `${NODEPORT_SNAT}; ${section}` },
});

const meetsOnPodIps = (profile: Row['profile'], nodes: number, source: string): Row => ({
  ...base,
  title: `pod IPs${nodes > 1 ? ` across ${nodes} nodes` : ''}, no announce`,
  profile,
  exposure: 'pod-ip',
  nodes,
  options: { bootstrap: nodes > 1 ? 'redis-cli' : 'manual' },
  expectation: { meet: 'ok', summary: 'pod→pod is never NATed, so every bus peer is a pod', source },
});

const rows: Row[] = [
  natFailure(
    'flannel-vxlan',
    'bridge-gateway',
    'the master records the joiner at cni0 10.42.0.1:6379@16379 and its dial-back is refused; announcing fixes it',
    '§5 table row "flannel, endpoint on the same node"',
  ),
  natFailure(
    'flannel-vxlan',
    'tunnel',
    'the MEET leaves the ingress node by flannel.1, so the master records 10.42.N.0 of the joiner’s node',
    '§5 table row "flannel, endpoint on a remote node"',
    { variant: 'dial-own-node' },
  ),
  natFailure(
    'flannel-vxlan',
    'bridge-gateway',
    'the MEET leaves the master’s node by cni0, so the master records that node’s 10.42.N.1',
    '§5 table row "flannel, endpoint on the same node"',
    { variant: 'dial-endpoint-node' },
  ),
  natFailure(
    'calico-vxlan',
    'node-ip',
    'the MEET leaves by the master’s cali* veth, which has no IPv4 address, so MASQUERADE falls back to the node IP',
    '§5 table row "Calico, local (caliX has no IPv4)"',
  ),
  natFailure(
    'calico-vxlan',
    'tunnel',
    'the MEET leaves the ingress node by vxlan.calico, so the master records that node’s tunnel address',
    '§5 table row "Calico VXLAN Always, remote"',
    { variant: 'dial-own-node' },
  ),
  natFailure(
    'calico-crosssubnet',
    'node-ip',
    'the MEET leaves by the master’s cali* veth, which has no IPv4 address, so MASQUERADE falls back to the node IP',
    '§5 table row "Calico, local"',
  ),
  natFailure(
    'calico-crosssubnet',
    'node-ip',
    'nodes share a subnet, so Felix routes the block unencapsulated via eth0 and the master records the ingress node IP',
    '§0 finding 3, §5 table row "Calico CrossSubnet in k3d, remote"',
    { variant: 'dial-own-node' },
  ),
  {
    ...base,
    title: 'every node announces node IP and NodePorts',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'ip',
    options: { bootstrap: 'redis-cli' },
    expectation: {
      meet: 'ok',
      summary: 'announced addresses travel in the bus header, so SNAT on the way does not matter',
      source: 'datapath.md §8 (hdr->myip is used instead of the peer address when announced)',
    },
  },
  {
    ...base,
    title: 'NodePort with externalTrafficPolicy Local, joiner in a pod',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    policy: 'Local',
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary:
        'pod sources skip KUBE-MARK-MASQ under Local and flannel never NATs pod→pod, so the master sees the pod IP',
      source: 'datapath.md §3 (EXT: -s 10.42.0.0/16 -j SVC, no mark) and §2 (FLANNEL-POSTRTG -s PC -d CL RETURN)',
    },
  },
  meetsOnPodIps('flannel-vxlan', 1, 'datapath.md §0 finding 1, §2 (FLANNEL-POSTRTG RETURN rules), §8 consequence'),
  meetsOnPodIps('flannel-vxlan', 3, 'datapath.md §2 (-s PC -d CL RETURN), §1 (flannel.1 routes)'),
  meetsOnPodIps('calico-vxlan', 3, 'datapath.md §4 (cali-nat-outgoing skips destinations in the pools)'),
  meetsOnPodIps('calico-crosssubnet', 2, 'datapath.md §4 (cali-nat-outgoing skips destinations in the pools)'),
  {
    ...base,
    title: 'hostNetwork pods, no announce',
    profile: 'flannel-vxlan',
    exposure: 'host-network',
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary: 'node-to-node traffic matches no NAT rule, so the peer address is the real node IP',
      source: 'datapath.md §7',
    },
  },
  {
    ...meetsOnPodIps('no-nat', 2, 'datapath.md §9 no-nat'),
    title: 'control: routed pods without any NAT',
  },
  {
    ...base,
    title: 'control: hostNetwork without any NAT',
    profile: 'no-nat',
    exposure: 'host-network',
    nodes: 2,
    options: { bootstrap: 'manual' },
    expectation: { meet: 'ok', summary: 'node IPs only, nothing rewrites them', source: 'datapath.md §7, §9 no-nat' },
  },
];

export const natMeetCells = (provider: CellDims['provider'] = 'netns'): Cell<NatMeetOptions>[] =>
  rows.map(({ expectation, options, title, ...rest }) => {
    const dims: CellDims = { scenario: 'nat-meet', provider, ...rest };
    return { id: cellId(dims), title, dims, expectation, options };
  });
