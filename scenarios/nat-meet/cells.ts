// The nat-meet matrix: which joins should work on which datapath, and why. Each expectation cites
// the source it comes from (docs/datapath.md anchors, which name the flannel, kube-proxy and Redis code they describe).
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { AddressClass, CellDims, ProviderName } from '../../src/model/dimensions.ts';
import { kubeProxyVariantsOf, nodePortRewrite, variantSource, type ServingProfile } from '../../src/model/profiles.ts';
import type { Matrix } from '../../src/suite/run-config.ts';
import { dockerNatMeetRows } from './docker-cells.ts';
import type { NatMeetExpectation } from './types.ts';

export interface NatMeetOptions {
  /** How the masters form: `redis-cli --cluster create` or ADDSLOTSRANGE + MEET. */
  bootstrap: 'redis-cli' | 'manual';
  /**
   * How the node joins: a direct `CLUSTER MEET` then `CLUSTER REPLICATE` (the steps
   * `redis-cli --cluster add-node` performs, without its fixed sleeps), or `add-node` itself, for
   * the cells that check what it prints.
   */
  join: 'meet' | 'add-node';
  /** Which node's IP the joiner dials for a NodePort entry: its own (status.hostIP) or the master's. */
  dial?: 'own-node' | 'endpoint-node';
  /** Members formed before the join: this many masters, and as many replicas (default 3 and 0). */
  masters?: number;
  replicas?: number;
  /**
   * The rewrite happens in a userland proxy (docker-proxy) that ends the joiner's connection and
   * opens its own: the captures show two connections, and no NAT mapping pairs them.
   */
  relay?: 'userland-proxy';
}

type Row = Omit<CellDims, 'provider'> & {
  expectation: NatMeetExpectation;
  options: NatMeetOptions;
  title: string;
};

const NODEPORT_SNAT =
  'docs/datapath.md#externaltrafficpolicy-cluster (KUBE-EXT-* marks every NodePort connection 0x4000 under policy Cluster; KUBE-POSTROUTING masquerades), ' +
  'docs/datapath.md#masquerade-source-address (the source is the outgoing device address), ' +
  'docs/datapath.md#redis-meet-and-handshake (Redis records the TCP peer address on MEET when cluster-announce-ip is unset)';

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
  options: {
    bootstrap: 'manual',
    join: 'meet',
    dial: multi?.variant === 'dial-endpoint-node' ? 'endpoint-node' : 'own-node',
  },
  expectation: { meet: 'fails', ghostClass, fixWorks: true, summary: why, source: `${NODEPORT_SNAT}; ${section}` },
});

/**
 * The classic failure the way operators meet it: `redis-cli --cluster add-node … --cluster-slave`,
 * which prints `[OK] New node added correctly` for a node that never joined. Once per NATing
 * profile: add-node's own sleeps cost seconds, so the other cells drive the same MEET and
 * REPLICATE directly.
 */
const addNodeClaim = (profile: Row['profile'], ghostClass: AddressClass, why: string, section: string): Row => ({
  ...natFailure(profile, ghostClass, why, section),
  title: 'joined with redis-cli --cluster add-node, which claims success for a node that never joined',
  variant: 'add-node',
  options: { bootstrap: 'manual', join: 'add-node', dial: 'own-node' },
});

/**
 * The failure at scale: N members (half masters, half replicas) formed over NodePorts on 10 nodes,
 * then one more node joins through its own node's NodePort, like the 3-node dial-own-node cell.
 */
const atScale = (profile: ServingProfile, members: number, section: string): Row => ({
  ...natFailure(
    profile,
    nodePortRewrite(profile, 'remote').class,
    `the MEET leaves the ingress node by its ${nodePortRewrite(profile, 'remote').leavesBy} device, so the master records that node’s tunnel address, however large the cluster`,
    section,
    { variant: 'dial-own-node' },
  ),
  title: `${members} members (half masters, half replicas) on 10 nodes, then one joins over its own node's NodePort`,
  nodes: 10,
  variant: `scale-${members}`,
  options: { bootstrap: 'manual', join: 'meet', dial: 'own-node', masters: members / 2, replicas: members / 2 },
});

const meetsOnPodIps = (profile: Row['profile'], nodes: number, source: string): Row => ({
  ...base,
  title: `pod IPs${nodes > 1 ? ` across ${nodes} nodes` : ''}, no announce`,
  profile,
  exposure: 'pod-ip',
  nodes,
  options: { bootstrap: 'manual', join: 'meet' },
  expectation: { meet: 'ok', summary: 'pod→pod is never NATed, so every bus peer is a pod', source },
});

const rows: Row[] = [
  natFailure(
    'flannel-vxlan',
    nodePortRewrite('flannel-vxlan', 'local').class,
    'the master records the joiner at cni0 10.42.0.1:6379@16379 and its dial-back is refused; announcing fixes it',
    'docs/datapath.md#flannel-local-endpoint',
  ),
  natFailure(
    'flannel-vxlan',
    nodePortRewrite('flannel-vxlan', 'remote').class,
    'the MEET leaves the ingress node by flannel.1, so the master records 10.42.N.0 of the joiner’s node',
    'docs/datapath.md#flannel-remote-endpoint',
    { variant: 'dial-own-node' },
  ),
  natFailure(
    'flannel-vxlan',
    nodePortRewrite('flannel-vxlan', 'local').class,
    'the MEET leaves the master’s node by cni0, so the master records that node’s 10.42.N.1',
    'docs/datapath.md#flannel-local-endpoint',
    { variant: 'dial-endpoint-node' },
  ),
  natFailure(
    'calico-vxlan',
    nodePortRewrite('calico-vxlan', 'local').class,
    'the MEET leaves by the master’s cali* veth, which has no IPv4 address, so MASQUERADE falls back to the node IP',
    'docs/datapath.md#calico-local-endpoint (caliX has no IPv4)',
  ),
  natFailure(
    'calico-vxlan',
    nodePortRewrite('calico-vxlan', 'remote').class,
    'the MEET leaves the ingress node by vxlan.calico, so the master records that node’s tunnel address',
    'docs/datapath.md#calico-always-remote-endpoint',
    { variant: 'dial-own-node' },
  ),
  natFailure(
    'calico-crosssubnet',
    nodePortRewrite('calico-crosssubnet', 'local').class,
    'the MEET leaves by the master’s cali* veth, which has no IPv4 address, so MASQUERADE falls back to the node IP',
    'docs/datapath.md#calico-local-endpoint',
  ),
  natFailure(
    'calico-crosssubnet',
    nodePortRewrite('calico-crosssubnet', 'remote').class,
    'nodes share a subnet, so Felix routes the block unencapsulated via eth0 and the master records the ingress node IP',
    'docs/datapath.md#calico-crosssubnet, docs/datapath.md#calico-crosssubnet-remote-endpoint',
    { variant: 'dial-own-node' },
  ),
  addNodeClaim(
    'flannel-vxlan',
    nodePortRewrite('flannel-vxlan', 'local').class,
    'add-node sends the same MEET through the NodePort, so the master records cni0; add-node still prints [OK]',
    'docs/datapath.md#flannel-local-endpoint',
  ),
  addNodeClaim(
    'calico-vxlan',
    nodePortRewrite('calico-vxlan', 'local').class,
    'add-node sends the same MEET through the NodePort, so the master records the node IP; add-node still prints [OK]',
    'docs/datapath.md#calico-local-endpoint',
  ),
  addNodeClaim(
    'calico-crosssubnet',
    nodePortRewrite('calico-crosssubnet', 'local').class,
    'add-node sends the same MEET through the NodePort, so the master records the node IP; add-node still prints [OK]',
    'docs/datapath.md#calico-local-endpoint',
  ),
  {
    ...base,
    title: 'every node announces node IP and NodePorts',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    announce: 'ip',
    options: { bootstrap: 'manual', join: 'meet' },
    expectation: {
      meet: 'ok',
      summary: 'announced addresses travel in the bus header, so SNAT on the way does not matter',
      source: 'docs/datapath.md#redis-announce (hdr->myip is used instead of the peer address when announced)',
    },
  },
  {
    ...base,
    title: 'NodePort with externalTrafficPolicy Local, joiner in a pod',
    profile: 'flannel-vxlan',
    exposure: 'nodeport',
    policy: 'Local',
    options: { bootstrap: 'manual', join: 'meet' },
    expectation: {
      meet: 'ok',
      summary:
        'pod sources skip KUBE-MARK-MASQ under Local and flannel never NATs pod→pod, so the master sees the pod IP',
      source:
        'docs/datapath.md#externaltrafficpolicy-local (EXT: -s 10.42.0.0/16 -j SVC, no mark) and docs/datapath.md#flannel-pod-to-pod-traffic (FLANNEL-POSTRTG -s PC -d CL RETURN)',
    },
  },
  meetsOnPodIps(
    'flannel-vxlan',
    1,
    'docs/datapath.md#flannel-pod-to-pod-traffic (FLANNEL-POSTRTG RETURN rules), docs/datapath.md#nat-and-the-cluster-bus',
  ),
  meetsOnPodIps(
    'flannel-vxlan',
    3,
    'docs/datapath.md#flannel-pod-to-pod-traffic (-s PC -d CL RETURN), docs/datapath.md#flannel-vxlan-device (flannel.1 routes)',
  ),
  meetsOnPodIps(
    'calico-vxlan',
    3,
    'docs/datapath.md#calico-nat-outgoing (cali-nat-outgoing skips destinations in the pools)',
  ),
  meetsOnPodIps(
    'calico-crosssubnet',
    2,
    'docs/datapath.md#calico-nat-outgoing (cali-nat-outgoing skips destinations in the pools)',
  ),
  {
    ...base,
    title: 'hostNetwork pods, no announce',
    profile: 'flannel-vxlan',
    exposure: 'host-network',
    options: { bootstrap: 'manual', join: 'meet' },
    expectation: {
      meet: 'ok',
      summary: 'node-to-node traffic matches no NAT rule, so the peer address is the real node IP',
      source: 'docs/datapath.md#host-network-traffic',
    },
  },
  {
    ...meetsOnPodIps('no-nat', 2, 'docs/datapath.md#no-nat'),
    title: 'control: routed pods without any NAT',
  },
  {
    ...base,
    title: 'control: hostNetwork without any NAT',
    profile: 'no-nat',
    exposure: 'host-network',
    nodes: 2,
    options: { bootstrap: 'manual', join: 'meet' },
    expectation: {
      meet: 'ok',
      summary: 'node IPs only, nothing rewrites them',
      source: 'docs/datapath.md#host-network-traffic, docs/datapath.md#no-nat',
    },
  },
];

/**
 * The rows through kube-proxy (NodePort) again for each profile that is a row's profile with
 * kube-proxy in another mode: the same expectation, with the source saying why that mode gives it.
 * Pod-IP and host-network rows take no kube-proxy rule, so they would repeat the other profile's.
 */
const kubeProxyVariantRows = (rows: Row[]): Row[] =>
  rows
    .filter((r) => r.exposure === 'nodeport')
    .flatMap((r) =>
      kubeProxyVariantsOf(r.profile).map((profile) => ({
        ...r,
        profile,
        expectation: { ...r.expectation, source: variantSource(profile, r.expectation.source) },
      })),
    );

/** 10 members in the default matrix; 30 and 100 with RCNC_MATRIX=full (and in the bench). */
const scaleRows = (matrix: Matrix): Row[] =>
  (matrix === 'full' ? [10, 30, 100] : [10]).flatMap((n) => [
    atScale('flannel-vxlan', n, 'docs/datapath.md#flannel-remote-endpoint'),
    atScale('calico-vxlan', n, 'docs/datapath.md#calico-always-remote-endpoint'),
  ]);

// The docker provider has rows of its own (docker-cells.ts): its profiles are Docker's bridge, not
// a CNI, and the Kubernetes rows mean nothing there.
const dockerRows = (): Row[] =>
  dockerNatMeetRows.map((r) => ({ ...r, options: { join: 'meet', ...r.options }, policy: 'Cluster', nodes: 1 }));

export const natMeetCells = (
  provider: ProviderName = 'netns',
  matrix: Matrix = 'default',
): Cell<'nat-meet', NatMeetOptions>[] =>
  (provider === 'docker' ? dockerRows() : [...rows, ...kubeProxyVariantRows(rows), ...scaleRows(matrix)]).map(
    ({ expectation, options, title, ...rest }) => {
      const dims: CellDims = { provider, ...rest };
      // Ten members load the cores like one ordinary cell does.
      const members = (options.masters ?? 0) + (options.replicas ?? 0);
      const slots = Math.ceil(members / 10);
      return {
        id: cellId(dims),
        title,
        family: 'nat-meet',
        dims,
        expectation,
        options,
        ...(slots > 1 ? { slots } : {}),
      };
    },
  );
