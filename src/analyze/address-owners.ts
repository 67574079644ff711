// Who owns an address seen as a peer: a pod, a node's CNI device, a node, or the host. Read from
// the interface files (`ip addr`, `ifconfig`) and tables when they hold it; otherwise inferred from
// the rewrite rules of docs/datapath.md#masquerade-source-address and said to be inferred:
//   - the first address of a node's pod CIDR is its CNI bridge gateway (cni0,
//     docs/datapath.md#flannel-cni0-bridge); the network address (`.0`) is flannel's VXLAN device
//     (flannel.1, docs/datapath.md#flannel-vxlan-device). The pod CIDR is the node's PODCIDR
//     (nodes.txt column or podcidrs.txt), else the /24 its pods' IPs share;
//   - x.y.0.1 of the nodes' x.y.0.0/16 network is the Docker network's gateway: the host
//     (docs/datapath.md#k3d-docker-network).
import { deviceClass, PROFILE_FACTS } from '../model/profiles.ts';
import { classifyAddress, type AddressBook } from '../probes/address-class.ts';
import type { AddressOwner, AnalyzedNode, AnalyzedPod, Inference } from './report-types.ts';

// flannel's devices, which the pod-CIDR inference names: the bridge holds the first address, the
// VXLAN device the network address.
const [FLANNEL_BRIDGE, FLANNEL_TUNNEL] = (['bridge-gateway', 'tunnel'] as const).map(
  (cls) => PROFILE_FACTS['flannel-vxlan'].devices.find((d) => d.class === cls)!.name,
);

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Number(ip: string): number | undefined {
  const m = IPV4.exec(ip);
  const octets = m?.slice(1).map(Number);
  return octets?.every((o) => o <= 255) ? octets.reduce((n, o) => n * 256 + o, 0) : undefined;
}

/** Network address and size of an IPv4 CIDR. */
function cidrRange(cidr: string): { network: number; size: number } | undefined {
  const [ip, bits] = cidr.split('/');
  const n = ipv4Number(ip ?? '');
  const prefix = Number(bits);
  if (n === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    return undefined;
  }
  const size = 2 ** (32 - prefix);
  return { network: n - (n % size), size };
}

/** A node's pod CIDR: given in the tables, else the one /24 its pods' IPs share (and no other node's do). */
function podCidrOf(node: AnalyzedNode, pods: AnalyzedPod[]): { cidr: string; source: string } | undefined {
  if (node.podCIDR) {
    return { cidr: node.podCIDR, source: 'its PODCIDR' };
  }
  const net24 = (ip: string) => ip.split('.').slice(0, 3).join('.');
  const own = new Set(pods.filter((p) => p.node === node.name).map((p) => net24(p.ip!)));
  const others = new Set(pods.filter((p) => p.node !== node.name).map((p) => net24(p.ip!)));
  const [net] = own;
  if (own.size !== 1 || others.has(net!)) {
    return undefined;
  }
  return { cidr: `${net}.0/24`, source: "the /24 its pods' IPs share in pods.txt" };
}

function inferFromPodCidrs(ip: string, nodes: AnalyzedNode[], pods: AnalyzedPod[]) {
  const n = ipv4Number(ip);
  for (const node of nodes.filter((x) => Object.keys(x.interfaces).length === 0)) {
    const given = podCidrOf(node, pods);
    const range = given && cidrRange(given.cidr);
    if (!range || n === undefined) {
      continue;
    }
    const of = `of ${node.name}'s pod CIDR ${given.cidr} (${given.source})`;
    if (n === range.network + 1) {
      return {
        class: 'bridge-gateway' as const,
        owner: `${FLANNEL_BRIDGE}@${node.name}`,
        inferred: `the first address ${of}: the CNI bridge's gateway, ${FLANNEL_BRIDGE} with flannel`,
      };
    }
    if (n === range.network) {
      return {
        class: 'tunnel' as const,
        owner: `${FLANNEL_TUNNEL}@${node.name}`,
        inferred: `the network address ${of}: flannel's VXLAN device ${FLANNEL_TUNNEL}`,
      };
    }
  }
  return undefined;
}

/** x.y.0.1 when every node IP is in x.y.0.0/16: the gateway of a Docker network (k3d, kind). */
function inferDockerGateway(ip: string, nodes: AnalyzedNode[]): AddressOwner | undefined {
  const ips = nodes.map((n) => n.internalIP).filter((x): x is string => x !== undefined && IPV4.test(x));
  const nets = new Set(ips.map((x) => x.split('.').slice(0, 2).join('.')));
  const [net] = nets;
  if (nets.size !== 1 || ip !== `${net}.0.1` || ips.includes(ip)) {
    return undefined;
  }
  return {
    class: 'external',
    owner: 'host',
    inferred: `the gateway of the nodes' network ${net}.0.0/16: the Docker host, when the nodes are containers on a Docker network (k3d, kind)`,
  };
}

/** The owner lookup every step uses; each inferred owner is recorded in `inferences` once. */
export function addressOwners(
  pods: Map<string, AnalyzedPod>,
  nodes: Map<string, AnalyzedNode>,
  inferences: Inference[],
): (ip: string) => AddressOwner {
  const book: AddressBook = {
    pods: [...pods.values()].filter((p) => p.ip).map((p) => ({ name: p.name, ip: p.ip!, hostNetwork: p.hostNetwork })),
    nodes: [...nodes.values()].map((n) => ({
      name: n.name,
      ip: n.internalIP ?? '',
      cniAddresses: Object.fromEntries(
        Object.entries(n.interfaces)
          .filter(([dev]) => dev !== 'lo')
          .flatMap(([dev, ips]) => ips.map((ip, i) => [i === 0 ? dev : `${dev}#${i + 1}`, ip] as const))
          .filter(([, ip]) => ip !== n.internalIP && ip !== n.externalIP),
      ),
    })),
  };
  const podList = [...pods.values()].filter((p) => p.ip && !p.hostNetwork && p.node);
  const cache = new Map<string, AddressOwner>();
  const lookup = (ip: string): AddressOwner => {
    const c = classifyAddress(ip, book);
    if (c.class === 'unknown' && c.owner.includes('@')) {
      // `cni0#2@node-0`: a device's second address, named so above; it has the device's class.
      return { class: deviceClass(c.owner.split('@')[0]!.replace(/#\d+$/, '')), owner: c.owner };
    }
    const ext = [...nodes.values()].find((n) => n.externalIP === ip);
    if (c.class === 'unknown' && ext) {
      return { class: 'node-ip', owner: `external-ip@${ext.name}` };
    }
    if (c.class === 'unknown') {
      return inferFromPodCidrs(ip, [...nodes.values()], podList) ?? inferDockerGateway(ip, [...nodes.values()]) ?? c;
    }
    return c;
  };
  return (ip) => {
    let o = cache.get(ip);
    if (!o) {
      cache.set(ip, (o = lookup(ip)));
      if (o.inferred) {
        inferences.push({ address: ip, owner: o.owner, basis: o.inferred });
      }
    }
    return o;
  };
}

/** `cni0@node-0`, or `cni0@node-0, inferred` when no file says so. */
export const ownerText = (o: AddressOwner): string => (o.inferred ? `${o.owner}, inferred` : o.owner);
