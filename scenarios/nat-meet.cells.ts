// The nat-meet matrix: which joins should work on which datapath, and why. Each expectation cites
// the source it comes from (datapath.md sections, which quote flannel, kube-proxy and Redis code).
import { cellId, type Cell } from '../src/cells.ts';
import type { CellDims, Expectation } from '../src/report/results.ts';
import type { NatMeetOptions } from '../src/scenarios/nat-meet.ts';

type Row = Omit<CellDims, 'scenario' | 'provider'> & {
  expectation: Expectation;
  options: NatMeetOptions;
  title: string;
};

const NODEPORT_SNAT =
  'datapath.md §3 (KUBE-EXT-* marks every NodePort connection 0x4000 under policy Cluster; KUBE-POSTROUTING masquerades), ' +
  '§5 (the source is the outgoing device address), §8 (Redis records the TCP peer address on MEET when cluster-announce-ip is unset)';

const rows: Row[] = [
  {
    title: 'replica joins over NodePort without announce (single node): the classic failure',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'none',
    policy: 'Cluster',
    nodes: 1,
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'fails',
      ghostClass: 'bridge-gateway',
      fixWorks: true,
      summary:
        'the master records the joiner at cni0 10.42.0.1:6379@16379, its dial-back is refused; announcing fixes it',
      source: NODEPORT_SNAT,
    },
  },
  {
    title: 'every node announces node IP and NodePorts',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'ip',
    policy: 'Cluster',
    nodes: 1,
    options: { bootstrap: 'redis-cli' },
    expectation: {
      meet: 'ok',
      summary: 'announced addresses travel in the bus header, so SNAT on the way does not matter',
      source: 'datapath.md §8 (hdr->myip is used instead of the peer address when announced)',
    },
  },
  {
    title: 'NodePort with externalTrafficPolicy Local, joiner in a pod',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'none',
    policy: 'Local',
    nodes: 1,
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary:
        'pod sources skip KUBE-MARK-MASQ under Local and flannel never NATs pod→pod, so the master sees the pod IP',
      source: 'datapath.md §3 (EXT: -s 10.42.0.0/16 -j SVC, no mark) and §2 (FLANNEL-POSTRTG -s PC -d CL RETURN)',
    },
  },
  {
    title: 'NodePort join across nodes, dialing the joiner’s own node (endpoint remote)',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'none',
    policy: 'Cluster',
    nodes: 3,
    variant: 'dial-own-node',
    options: { bootstrap: 'manual', dial: 'own-node' },
    expectation: {
      meet: 'fails',
      ghostClass: 'tunnel',
      fixWorks: true,
      summary: 'the MEET leaves the ingress node by flannel.1, so the master records 10.42.N.0 of the joiner’s node',
      source: `${NODEPORT_SNAT}; §5 table row "flannel, endpoint on a remote node"`,
    },
  },
  {
    title: 'NodePort join across nodes, dialing the master’s node (endpoint local)',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'none',
    policy: 'Cluster',
    nodes: 3,
    variant: 'dial-endpoint-node',
    options: { bootstrap: 'manual', dial: 'endpoint-node' },
    expectation: {
      meet: 'fails',
      ghostClass: 'bridge-gateway',
      fixWorks: true,
      summary: 'the MEET leaves the master’s node by cni0, so the master records that node’s 10.42.N.1',
      source: `${NODEPORT_SNAT}; §5 table row "flannel, endpoint on the same node"`,
    },
  },
  {
    title: 'pod IPs, no announce',
    profile: 'flannel-vxlan',
    exposure: 'pod-ip',
    announce: 'none',
    policy: 'Cluster',
    nodes: 1,
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary: 'flannel returns before MASQUERADE for pod→pod, so every bus peer is a pod',
      source: 'datapath.md §0 finding 1, §2 (FLANNEL-POSTRTG RETURN rules), §8 consequence',
    },
  },
  {
    title: 'pod IPs across nodes, no announce',
    profile: 'flannel-vxlan',
    exposure: 'pod-ip',
    announce: 'none',
    policy: 'Cluster',
    nodes: 3,
    options: { bootstrap: 'redis-cli' },
    expectation: {
      meet: 'ok',
      summary: 'VXLAN carries pod→pod unNATed between nodes',
      source: 'datapath.md §2 (-s PC -d CL RETURN), §1 (flannel.1 routes)',
    },
  },
  {
    title: 'hostNetwork pods, no announce',
    profile: 'flannel-vxlan',
    exposure: 'host-network',
    announce: 'none',
    policy: 'Cluster',
    nodes: 1,
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary: 'node-to-node traffic matches no NAT rule, so the peer address is the real node IP',
      source: 'datapath.md §7',
    },
  },
  {
    title: 'control: routed pods without any NAT',
    profile: 'no-nat',
    exposure: 'pod-ip',
    announce: 'none',
    policy: 'Cluster',
    nodes: 2,
    options: { bootstrap: 'redis-cli' },
    expectation: {
      meet: 'ok',
      summary: 'no MASQUERADE anywhere: every peer is who it says it is',
      source: 'datapath.md §9 no-nat',
    },
  },
  {
    title: 'control: hostNetwork without any NAT',
    profile: 'no-nat',
    exposure: 'host-network',
    announce: 'none',
    policy: 'Cluster',
    nodes: 2,
    options: { bootstrap: 'manual' },
    expectation: {
      meet: 'ok',
      summary: 'node IPs only, nothing rewrites them',
      source: 'datapath.md §7, §9 no-nat',
    },
  },
];

export const natMeetCells = (provider: CellDims['provider'] = 'netns'): Cell<NatMeetOptions>[] =>
  rows.map(({ expectation, options, title, ...rest }) => {
    const dims: CellDims = { scenario: 'nat-meet', provider, ...rest };
    return { id: cellId(dims), title, dims, expectation, options };
  });
