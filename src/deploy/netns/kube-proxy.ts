// kube-proxy's iptables mode, as k3s runs it: the fixed chains and the per-Service NodePort chains,
// rendered in iptables-restore syntax. Rule text and order follow pkg/proxy/iptables/proxier.go
// (see docs/datapath.md#kube-proxy-nodeport); chain names use kube-proxy's own hash so the rules read like a real node's.
import { createHash } from 'node:crypto';
import type { TrafficPolicy } from '../../model/dimensions.ts';
import type { RestoreTables } from './iptables.ts';

export const MASQ_MARK = '0x4000';

export interface ProxiedPort {
  name: string;
  port: number;
  targetPort: number;
  nodePort: number;
}

export interface ProxiedService {
  namespace: string;
  name: string;
  clusterIP: string;
  policy: TrafficPolicy;
  ports: ProxiedPort[];
  /** The one pod the Service selects, or null while it has no ready endpoint. */
  endpoint: { ip: string; node: number } | null;
  /** A LoadBalancer Service's `status.loadBalancer.ingress` IPs (docs/datapath.md#kube-proxy-loadbalancer-ip). */
  loadBalancerIPs?: string[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// kube-proxy: base32(sha256(servicePortName + protocol))[:16] (proxier.go portProtoHash); for an
// endpoint chain the endpoint `ip:port` is appended to the hashed text.
export const hash16 = (text: string): string => {
  const bytes = createHash('sha256').update(text).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
};

export const chainNames = (svc: ProxiedService, port: ProxiedPort) => {
  const spn = `${svc.namespace}/${svc.name}:${port.name}`;
  const h = hash16(spn + 'tcp');
  const ep = svc.endpoint ? `${svc.endpoint.ip}:${port.targetPort}` : '';
  return {
    servicePortName: spn,
    svc: `KUBE-SVC-${h}`,
    ext: `KUBE-EXT-${h}`,
    svl: `KUBE-SVL-${h}`,
    sep: `KUBE-SEP-${hash16(spn + 'tcp' + ep)}`,
  };
};

const c = (text: string) => `-m comment --comment "${text}"`;

// The kubelet's guard for route_localnet (pkg/kubelet/kubelet_network_linux.go L78-L115), which
// iptables mode's kube-proxy writes a copy of.
const LOCALNET_DROP = `-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 ${c('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`;

/** The kubelet's KUBE-FIREWALL on its own: what the filter table holds of it beside nftables-mode kube-proxy. */
export const KUBELET_FIREWALL: RestoreTables = {
  filter: {
    chains: ['KUBE-FIREWALL'],
    rules: ['-A INPUT -j KUBE-FIREWALL', '-A OUTPUT -j KUBE-FIREWALL', LOCALNET_DROP],
  },
};

/** Rules kube-proxy installs on node `nodeIndex` for `services`. */
export function kubeProxyTables(nodeIndex: number, services: ProxiedService[], clusterCidr: string): RestoreTables {
  const nat: RestoreTables['nat'] = {
    chains: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'],
    rules: [
      `-A PREROUTING ${c('kubernetes service portals')} -j KUBE-SERVICES`,
      `-A OUTPUT ${c('kubernetes service portals')} -j KUBE-SERVICES`,
      `-A POSTROUTING ${c('kubernetes postrouting rules')} -j KUBE-POSTROUTING`,
      `-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`,
      `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
      `-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
      `-A KUBE-POSTROUTING ${c('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
    ],
  };
  const filter: RestoreTables['filter'] = {
    chains: [
      'KUBE-PROXY-FIREWALL',
      'KUBE-NODEPORTS',
      'KUBE-EXTERNAL-SERVICES',
      'KUBE-FIREWALL',
      'KUBE-FORWARD',
      'KUBE-SERVICES',
    ],
    rules: [
      `-A INPUT -m conntrack --ctstate NEW ${c('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`,
      `-A INPUT ${c('kubernetes health check service ports')} -j KUBE-NODEPORTS`,
      `-A INPUT -m conntrack --ctstate NEW ${c('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`,
      `-A INPUT -j KUBE-FIREWALL`,
      `-A FORWARD -m conntrack --ctstate NEW ${c('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`,
      `-A FORWARD ${c('kubernetes forwarding rules')} -j KUBE-FORWARD`,
      `-A FORWARD -m conntrack --ctstate NEW ${c('kubernetes service portals')} -j KUBE-SERVICES`,
      `-A FORWARD -m conntrack --ctstate NEW ${c('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`,
      `-A OUTPUT -m conntrack --ctstate NEW ${c('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`,
      `-A OUTPUT -m conntrack --ctstate NEW ${c('kubernetes service portals')} -j KUBE-SERVICES`,
      `-A OUTPUT -j KUBE-FIREWALL`,
      LOCALNET_DROP,
      `-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP`,
      `-A KUBE-FORWARD ${c('kubernetes forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
      `-A KUBE-FORWARD ${c('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ],
  };

  for (const svc of services) {
    for (const port of svc.ports) {
      const n = chainNames(svc, port);
      const spn = n.servicePortName;
      const ep = svc.endpoint;
      if (!ep) {
        continue;
      }
      const local = ep.node === nodeIndex;
      nat.chains.push(n.svc, n.ext, n.sep);
      nat.rules.push(
        `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p tcp ${c(`${spn} cluster IP`)} -m tcp --dport ${port.port} -j ${n.svc}`,
        // "Capture load-balancer ingress": on every node, for every ingress IP, before the NodePort tail rule.
        ...(svc.loadBalancerIPs ?? []).map(
          (ip) =>
            `-A KUBE-SERVICES -d ${ip}/32 -p tcp ${c(`${spn} loadbalancer IP`)} -m tcp --dport ${port.port} -j ${n.ext}`,
        ),
        `-A KUBE-NODEPORTS -p tcp ${c(spn)} -m tcp --dport ${port.nodePort} -j ${n.ext}`,
        `-A ${n.svc} ! -s ${clusterCidr} -d ${svc.clusterIP}/32 -p tcp ${c(`${spn} cluster IP`)} -m tcp --dport ${port.port} -j KUBE-MARK-MASQ`,
        `-A ${n.svc} ${c(`${spn} -> ${ep.ip}:${port.targetPort}`)} -j ${n.sep}`,
        `-A ${n.sep} -s ${ep.ip}/32 ${c(spn)} -j KUBE-MARK-MASQ`,
        `-A ${n.sep} -p tcp ${c(spn)} -m tcp -j DNAT --to-destination ${ep.ip}:${port.targetPort}`,
      );
      if (svc.policy === 'Cluster') {
        nat.rules.push(
          `-A ${n.ext} ${c(`masquerade traffic for ${spn} external destinations`)} -j KUBE-MARK-MASQ`,
          `-A ${n.ext} -j ${n.svc}`,
        );
      } else {
        nat.rules.push(
          `-A ${n.ext} -s ${clusterCidr} ${c(`pod traffic for ${spn} external destinations`)} -j ${n.svc}`,
          `-A ${n.ext} ${c(`masquerade LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
          `-A ${n.ext} ${c(`route LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j ${n.svc}`,
        );
        // The SVL chain and the EXT chain's fall-through jump to it exist only where an endpoint is
        // local (proxier.go: usesLocalPolicyChain, hasExternalEndpoints); elsewhere what reaches the
        // end of EXT falls off it, and the filter table drops it.
        if (local) {
          nat.chains.push(n.svl);
          nat.rules.push(
            `-A ${n.ext} -j ${n.svl}`,
            `-A ${n.svl} ${c(`${spn} -> ${ep.ip}:${port.targetPort}`)} -j ${n.sep}`,
          );
        } else {
          filter.rules.push(
            `-A KUBE-EXTERNAL-SERVICES ${c(`${spn} has no local endpoints`)} -m addrtype --dst-type LOCAL -p tcp -m tcp --dport ${port.nodePort} -j DROP`,
            ...(svc.loadBalancerIPs ?? []).map(
              (ip) =>
                `-A KUBE-EXTERNAL-SERVICES -d ${ip}/32 -p tcp ${c(`${spn} has no local endpoints`)} -m tcp --dport ${port.port} -j DROP`,
            ),
          );
        }
      }
    }
  }
  // Must stay the last rule of KUBE-SERVICES (proxier.go), so it is appended after every Service.
  nat.rules.push(
    `-A KUBE-SERVICES ${c('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
  );
  return { nat, filter };
}
