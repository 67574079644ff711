// k3s ServiceLB (klipper-lb) in the lab, as rule text. For every LoadBalancer Service k3s runs a
// DaemonSet `svclb-<service>`: one pod per node whose only job is klipper-lb's `entry` script
// (iptables DNAT to the Service), reached through a hostPort per Service port, which the CNI
// portmap plugin turns into CNI-HOSTPORT-* chains on the node. Every node's InternalIP becomes a
// `status.loadBalancer.ingress` address, and kube-proxy's "loadbalancer IP" rules (kube-proxy.ts)
// catch traffic to those addresses before the hostPort chains see it; the hostPort path only
// serves node-local addresses that are not ingress IPs (the pod gateway, a tunnel address,
// 127.0.0.1). docs/datapath.md#servicelb-in-the-lab lists the sources. Pure functions: the netns
// provider applies the output.
import { createHash } from 'node:crypto';
import type { TrafficPolicy } from '../../model/dimensions.ts';
import { profileFacts, type ProfileName } from '../../model/profiles.ts';
import type { RestoreTables } from './iptables.ts';

/** What klipper-lb forwards one Service port to (its DEST_IPS, DEST_PORT, SRC_PORT). */
export interface KlipperPort {
  /** SRC_PORT: the Service port, also the hostPort. */
  port: number;
  nodePort: number;
}

export interface KlipperTarget {
  policy: TrafficPolicy;
  clusterIP: string;
  /** The svclb pod's node IP (status.hostIP), the destination under externalTrafficPolicy Local. */
  hostIP: string;
  ports: KlipperPort[];
}

/**
 * klipper-lb `entry` start_proxy() inside one svclb pod, for SRC_RANGES 0.0.0.0/0 and TCP, in
 * iptables-save order: under policy Cluster the destination is the ClusterIP and the Service
 * port; under Local it is the node's own IP and the NodePort (k3s servicelb.go newDaemonSet).
 */
export function klipperTables(t: KlipperTarget): RestoreTables {
  const nat: string[] = [];
  const filter: string[] = [];
  for (const p of t.ports) {
    const [ip, port] = t.policy === 'Cluster' ? [t.clusterIP, p.port] : [t.hostIP, p.nodePort];
    filter.push(
      `-A FORWARD -p tcp -m tcp --dport ${port} -j ACCEPT`,
      `-A FORWARD -d ${ip}/32 -p tcp -m tcp --dport ${port} -j DROP`,
    );
    nat.push(
      `-A PREROUTING -p tcp -m tcp --dport ${p.port} -j DNAT --to-destination ${ip}:${port}`,
      `-A POSTROUTING -d ${ip}/32 -p tcp -j MASQUERADE`,
    );
  }
  return { nat: { chains: [], rules: nat }, filter: { chains: [], rules: filter } };
}

/** The pod sysctl k3s puts on every svclb pod (servicelb.go: net.ipv4.ip_forward=1). */
export const SVCLB_SYSCTLS = ['net.ipv4.ip_forward=1'];

/** One svclb pod on a node, as the portmap plugin sees it: its address and its hostPorts. */
export interface HostPortPod {
  /** The runtime's container id (part of the chain name and the comment). */
  containerId: string;
  /** The pod's address with the prefix length its CNI result carries, e.g. `10.42.0.7/24`. */
  address: string;
  ports: number[];
}

// portmap: hairpin and localhost connections get this mark and are masqueraded (DefaultMarkBit 13).
const PORTMAP_MARK = '0x2000/0x2000';

/** CNI `utils.FormatChainNameWithPrefix`: CNI-<prefix> + sha512(network name + container id), cut at 28 chars. */
export const portmapChain = (network: string, containerId: string, prefix = 'DN-'): string =>
  `CNI-${prefix}${createHash('sha512')
    .update(network + containerId)
    .digest('hex')}`.slice(0, 28);

/** `10.42.0.7/24` → `10.42.0.0/24`: iptables stores a source match as its network. */
export function networkOf(cidr: string): string {
  const [ip, bits] = cidr.split('/');
  const len = Number(bits);
  const n = ip!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - len);
  const net = n - (n % size);
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${len}`;
}

/**
 * The CNI portmap plugin's chains on a node for its hostPort pods (plugins/meta/portmap
 * portmap.go forwardPorts; snat on): the top-level chain is appended to PREROUTING and OUTPUT
 * (after kube-proxy's jump, which kube-proxy prepends), the masquerade chain prepended to
 * POSTROUTING. `network` is the CNI network name (k3s flannel: cbr0).
 */
export function portmapTables(network: string, pods: HostPortPod[]): RestoreTables {
  if (pods.length === 0) {
    return {};
  }
  const chains = ['CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-DNAT'];
  const rules = [
    `-I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ`,
    `-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT`,
    `-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT`,
    `-A CNI-HOSTPORT-MASQ -m mark --mark ${PORTMAP_MARK} -j MASQUERADE`,
    `-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark ${PORTMAP_MARK}`,
  ];
  for (const pod of pods) {
    const chain = portmapChain(network, pod.containerId);
    const ip = pod.address.split('/')[0]!;
    const comment = `dnat name: \\"${network}\\" id: \\"${pod.containerId}\\"`;
    chains.push(chain);
    rules.push(
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "${comment}" -m multiport --dports ${pod.ports.join(',')} -j ${chain}`,
    );
    for (const port of pod.ports) {
      rules.push(
        `-A ${chain} -s ${networkOf(pod.address)} -p tcp -m tcp --dport ${port} -j CNI-HOSTPORT-SETMARK`,
        `-A ${chain} -s 127.0.0.1/32 -p tcp -m tcp --dport ${port} -j CNI-HOSTPORT-SETMARK`,
        `-A ${chain} -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${ip}:${port}`,
      );
    }
  }
  return { nat: { chains, rules } };
}

/**
 * k3s ServiceLB's `status.loadBalancer.ingress` (servicelb.go podIPs): the InternalIP of every node
 * with a ready svclb pod (the lab's nodes have no ExternalIP); under policy Local only nodes that
 * also hold a ready endpoint.
 */
export const serviceLbIngress = (
  nodeIps: readonly string[],
  policy: TrafficPolicy,
  endpointNode: number | undefined,
): string[] => (policy === 'Cluster' ? [...nodeIps] : nodeIps.filter((_, i) => i === endpointNode));

/**
 * The CNI network name portmap puts in its chain names (the profile table's: k3s' flannel conflist
 * is `cbr0`, Calico's `k8s-pod-network`). A profile without one serves no Services, so no svclb pod
 * asks; it gets k3s' default.
 */
export const cniNetworkName = (profile: ProfileName): string => profileFacts(profile).cniNetwork ?? 'cbr0';
