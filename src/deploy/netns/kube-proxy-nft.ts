// kube-proxy's nftables mode: its table `ip kube-proxy` for the same Services as kubeProxyTables
// (kube-proxy.ts), as one `nft -f` document. Structure, names and rule order follow
// pkg/proxy/nftables/proxier.go v1.34.4 (the `Lnnn` below are its lines); the text is written the
// way `nft list table ip kube-proxy` prints it, so the lab's live check can compare what the kernel
// holds with what was written (docs/kubernetes.md#kube-proxy-nftables-mode). Only the IPv4 table:
// the lab has no IPv6 (kube-proxy's `ip6 kube-proxy` table stays empty of Services there too).
import { hash16, MASQ_MARK, type ProxiedPort, type ProxiedService } from './kube-proxy.ts';

export interface NftOptions {
  /** Pod CIDR: the local-traffic detector (`--cluster-cidr`, detect-local-mode ClusterCIDR). */
  clusterCidr: string;
  /** Service CIDR: the drop for unallocated ClusterIPs. */
  serviceCidr: string;
  /** The node's primary IP: `nodeport-ips` (an empty nodePortAddresses means `primary` in nftables mode). */
  nodeIp: string;
}

export const NFT_TABLE = 'kube-proxy';
/** knftables.NameLengthMax (256) minus chainNamePrefixLengthMax (16): L880. */
const CHAIN_NAME_BASE_MAX = 240;
/** The mark as nft prints it: kube-proxy writes `%#08x` (0x004000), nft lists 32 bits. */
const MARK = `0x${Number(MASQ_MARK).toString(16).padStart(8, '0')}`;

// hashAndTruncate (L897-L905): the first 8 characters of base32(sha256(name)), then the name.
const hashAndTruncate = (name: string): string => {
  const out = `${hash16(name).slice(0, 8)}-${name}`;
  return out.length > CHAIN_NAME_BASE_MAX ? `${out.slice(0, CHAIN_NAME_BASE_MAX - 3)}...` : out;
};

/** The chains of one Service port: servicePortChainNameBase (L910-L938), servicePortEndpointChainNameBase (L943-L974). */
export const nftChainNames = (svc: ProxiedService, port: ProxiedPort) => {
  const base = `${svc.namespace}/${svc.name}/tcp/${port.name}`;
  const hashed = hashAndTruncate(base);
  const ep = svc.endpoint ? hashAndTruncate(`${base}__${svc.endpoint.ip}/${port.targetPort}`) : '';
  return {
    servicePortName: `${svc.namespace}/${svc.name}:${port.name}`,
    service: `service-${hashed}`,
    local: `local-${hashed}`,
    external: `external-${hashed}`,
    endpoint: `endpoint-${ep}`,
  };
};

interface Container {
  kind: 'set' | 'map';
  type: string;
  comment: string;
  elements: string[];
}

type Chain = [name: string, lines: string[]];

// setupNFTables (L457-L710): the sets and maps, in the order it adds them.
const setupContainers = (o: NftOptions) => {
  const c = (kind: Container['kind'], type: string, comment: string, elements: string[] = []): Container => ({
    kind,
    type,
    comment,
    elements,
  });
  const ipPortVerdict = 'ipv4_addr . inet_proto . inet_service : verdict';
  const portVerdict = 'inet_proto . inet_service : verdict';
  return {
    'cluster-ips': c('set', 'ipv4_addr', 'Active ClusterIPs'), // L541-L546
    'nodeport-ips': c('set', 'ipv4_addr', 'IPs that accept NodePort traffic', [o.nodeIp]), // L569-L601
    'no-endpoint-services': c('map', ipPortVerdict, 'vmap to drop or reject packets to services with no endpoints'), // L603-L608
    'no-endpoint-nodeports': c(
      'map',
      portVerdict,
      'vmap to drop or reject packets to service nodeports with no endpoints',
    ), // L609-L613
    // L655-L660: filled only for loadBalancerSourceRanges, which the lab's Services have none of.
    'firewall-ips': c('map', ipPortVerdict, 'destinations that are subject to LoadBalancerSourceRanges'),
    'service-ips': c('map', ipPortVerdict, 'ClusterIP, ExternalIP and LoadBalancer IP traffic'), // L671-L676
    'service-nodeports': c('map', portVerdict, 'NodePort traffic'), // L677-L681
  };
};

type Containers = ReturnType<typeof setupContainers>;

// setupNFTables: the base chains (nftablesBaseChains, L391-L405), each with its jumps
// (nftablesJumpChains, L416-L434), then the fixed regular chains in the order it creates them.
const setupChains = (o: NftOptions): Chain[] => [
  [
    'filter-prerouting-pre-dnat',
    ['type filter hook prerouting priority dstnat - 10; policy accept;', 'ct state new jump firewall-check'],
  ],
  [
    'filter-output-pre-dnat',
    ['type filter hook output priority -110; policy accept;', 'ct state new jump firewall-check'],
  ],
  [
    'filter-input',
    [
      'type filter hook input priority filter; policy accept;',
      'ct state new jump nodeport-endpoints-check',
      'ct state new jump service-endpoints-check',
    ],
  ],
  [
    'filter-forward',
    [
      'type filter hook forward priority filter; policy accept;',
      'ct state new jump service-endpoints-check',
      'ct state new jump cluster-ips-check',
    ],
  ],
  [
    'filter-output',
    [
      'type filter hook output priority filter; policy accept;',
      'ct state new jump service-endpoints-check',
      'ct state new jump cluster-ips-check',
    ],
  ],
  ['nat-prerouting', ['type nat hook prerouting priority dstnat; policy accept;', 'jump services']],
  ['nat-output', ['type nat hook output priority -100; policy accept;', 'jump services']],
  ['nat-postrouting', ['type nat hook postrouting priority srcnat; policy accept;', 'jump masquerading']],
  // nodePortAddresses is `primary`, not MatchAll: the set, not `fib daddr type local` (L635-L652).
  ['nodeport-endpoints-check', ['ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports']],
  ['service-endpoints-check', ['ip daddr . meta l4proto . th dport vmap @no-endpoint-services']], // L627-L633
  ['firewall-check', ['ip daddr . meta l4proto . th dport vmap @firewall-ips']], // L662-L669
  [
    'services', // L682-L708
    [
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    ],
  ],
  // L515-L539: returns unmarked packets, clears the mark, masquerades.
  [
    'masquerading',
    [`meta mark & ${MARK} == 0x00000000 return`, `meta mark set meta mark ^ ${MARK}`, 'masquerade fully-random'],
  ],
  [
    'cluster-ips-check', // L548-L567
    [
      'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
      `ip daddr ${o.serviceCidr} drop comment "Drop traffic to unallocated ClusterIPs"`,
    ],
  ],
  ['mark-for-masquerade', [`meta mark set meta mark | ${MARK}`]], // L516-L521
  ['reject-chain', ['comment "helper for @no-endpoint-services / @no-endpoint-nodeports"', 'reject']], // L615-L626
];

/**
 * What kube-proxy knows of one Service port on this node (CategorizeEndpoints, L1236-L1353): the
 * lab's Services have one endpoint or none, internalTrafficPolicy Cluster, no session affinity and no
 * loadBalancerSourceRanges, so the one endpoint serves Cluster traffic, and Local traffic on its node.
 */
const endpointsOf = (nodeIndex: number, svc: ProxiedService) => {
  const local = svc.policy === 'Local';
  const hasEndpoints = svc.endpoint !== null;
  const hasLocalEndpoint = svc.endpoint?.node === nodeIndex;
  return { local, hasEndpoints, hasLocalEndpoint, hasExternalEndpoints: hasEndpoints && (!local || hasLocalEndpoint) }; // L1310-L1316
};

/** The elements one Service port adds to the sets and maps (L1355-L1513). */
function captureElements(nodeIndex: number, svc: ProxiedService, port: ProxiedPort, sets: Containers): void {
  const n = nftChainNames(svc, port);
  const { hasEndpoints, hasExternalEndpoints } = endpointsOf(nodeIndex, svc);
  // L1329-L1353: reject without endpoints at all, drop for external traffic without local ones.
  const externalVerdict = hasEndpoints ? 'drop' : 'goto reject-chain';
  const comment = `comment "${n.servicePortName}"`;
  sets['cluster-ips'].elements.push(svc.clusterIP); // L1356-L1359
  if (hasEndpoints) {
    sets['service-ips'].elements.push(`${svc.clusterIP} . tcp . ${port.port} : goto ${n.service}`); // L1360-L1371
  } else {
    sets['no-endpoint-services'].elements.push(`${svc.clusterIP} . tcp . ${port.port} ${comment} : goto reject-chain`); // L1372-L1386
  }
  // Capture load-balancer ingress (L1430-L1478).
  for (const ip of svc.loadBalancerIPs ?? []) {
    if (hasEndpoints) {
      sets['service-ips'].elements.push(`${ip} . tcp . ${port.port} : goto ${n.external}`);
    }
    if (!hasExternalEndpoints) {
      sets['no-endpoint-services'].elements.push(`${ip} . tcp . ${port.port} ${comment} : ${externalVerdict}`);
    }
  }
  // Capture nodeports (L1480-L1513).
  if (hasEndpoints) {
    sets['service-nodeports'].elements.push(`tcp . ${port.nodePort} : goto ${n.external}`);
  }
  if (!hasExternalEndpoints) {
    sets['no-endpoint-nodeports'].elements.push(`tcp . ${port.nodePort} ${comment} : ${externalVerdict}`);
  }
}

/**
 * The chains of one Service port with an endpoint, in the order syncProxyRules creates them
 * (L1260-L1327): endpoint, cluster policy, local policy (only with a local endpoint, L1281),
 * external (L1323-L1327).
 */
function serviceChains(nodeIndex: number, svc: ProxiedService, port: ProxiedPort, o: NftOptions): Chain[] {
  const ep = svc.endpoint;
  if (!ep) {
    return [];
  }
  const n = nftChainNames(svc, port);
  const { local, hasLocalEndpoint, hasExternalEndpoints } = endpointsOf(nodeIndex, svc);
  const toEndpoint = `numgen random mod 1 vmap { 0 : goto ${n.endpoint} }`; // L1881-L1902
  const endpointRules = [
    `ip saddr ${ep.ip} jump mark-for-masquerade`, // L1710-L1717
    `meta l4proto tcp dnat to ${ep.ip}:${port.targetPort}`, // L1730-L1738
  ];
  // Set up internal traffic handling (L1521-L1546): off-cluster sources to the ClusterIP are marked.
  const serviceRules = [`ip daddr ${svc.clusterIP} ip saddr != ${o.clusterCidr} jump mark-for-masquerade`, toEndpoint];
  // Set up external traffic handling (L1548-L1614).
  const externalRules = local
    ? [
        `ip saddr ${o.clusterCidr} goto ${n.service} comment "short-circuit pod traffic"`,
        'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
        `fib saddr type local goto ${n.service} comment "short-circuit local traffic"`,
        ...(hasExternalEndpoints ? [`goto ${n.local}`] : []),
      ]
    : ['jump mark-for-masquerade', `goto ${n.service}`];
  return [
    [n.endpoint, endpointRules],
    [n.service, serviceRules],
    ...(local && hasLocalEndpoint ? [[n.local, [toEndpoint]] as Chain] : []),
    [n.external, externalRules],
  ];
}

/** The table kube-proxy keeps on node `nodeIndex` for `services`, in `nft list` syntax. */
export function kubeProxyNftTable(nodeIndex: number, services: ProxiedService[], o: NftOptions): string {
  const sets = setupContainers(o);
  const chains = setupChains(o);
  for (const svc of services) {
    for (const port of svc.ports) {
      captureElements(nodeIndex, svc, port, sets);
      chains.push(...serviceChains(nodeIndex, svc, port, o));
    }
  }
  const out = [`table ip ${NFT_TABLE} {`, '\tcomment "rules for kube-proxy"'];
  for (const [name, s] of Object.entries(sets)) {
    out.push(`\t${s.kind} ${name} {`, `\t\ttype ${s.type}`, `\t\tcomment "${s.comment}"`);
    if (s.elements.length) {
      // A set holds an element once (kube-proxy's ensureElem keeps a map of them): a ClusterIP comes once per Service.
      out.push(`\t\telements = { ${[...new Set(s.elements)].join(',\n\t\t\t     ')} }`);
    }
    out.push('\t}', '');
  }
  out.push(
    chains
      .map(([name, lines]) => [`\tchain ${name} {`, ...lines.map((l) => `\t\t${l}`), '\t}'].join('\n'))
      .join('\n\n'),
  );
  out.push('}');
  return out.join('\n') + '\n';
}

/**
 * An `nft -f` document that replaces the table in one transaction, as kube-proxy's full sync does:
 * `add` makes the `delete` valid on a first sync, and what follows is the whole table again.
 */
export const kubeProxyNftDocument = (nodeIndex: number, services: ProxiedService[], o: NftOptions): string =>
  `add table ip ${NFT_TABLE}\ndelete table ip ${NFT_TABLE}\n${kubeProxyNftTable(nodeIndex, services, o)}`;
