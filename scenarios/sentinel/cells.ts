// The sentinel matrix: one master, two replicas and three sentinels on two nodes, per profile and
// exposure. Expectations come from Redis' own address rules (docs/sentinel.md) applied to the
// datapath's rewrites (docs/datapath.md#masquerade-source-address, #servicelb-paths), each row
// naming its sources. Failover and rolling-update cells are timing-sensitive: they run alone
// (`runAlone`), so their figures measure Redis and the datapath, not a busy machine.
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { AddressClass, CellDims, Exposure, ProfileName, ProviderName } from '../../src/model/dimensions.ts';
import {
  kubernetesProfiles,
  nodePortRewrite,
  profilesWithServices,
  servesServices,
  type ServingProfile,
} from '../../src/model/profiles.ts';
import type { SentinelVantage } from '../../src/model/results.ts';
import type { Matrix } from '../../src/suite/run-config.ts';
import type { SentinelExpectation } from './types.ts';

export const SENTINEL_KINDS = ['views', 'failover', 'rolling-update', 'whole-restart'] as const;
export type SentinelKind = (typeof SENTINEL_KINDS)[number];

export interface SentinelOptions {
  kind: SentinelKind;
  /** How replicas and sentinels reach the master: over the exposure (default) or by pod IP. */
  replicationPath: 'exposure' | 'pod-ip';
}

const ALL: SentinelVantage[] = ['pod-same-node', 'pod-other-node', 'outside'];
const IN_CLUSTER: SentinelVantage[] = ['pod-same-node', 'pod-other-node'];

const S = {
  replica:
    'docs/sentinel.md#replica-address (INFO replication lists a replica at the peer address of its link unless it announces)',
  discovery: 'docs/sentinel.md#replica-discovery (Sentinel records what the master lists; one record per ip:port)',
  unreachable: 'docs/sentinel.md#unreachable-replicas (s_down replicas are never selected: NOGOODSLAVE)',
  convert: 'docs/sentinel.md#convert-to-slave (a replica record that answers as master is sent REPLICAOF the master)',
  announce: 'docs/sentinel.md#announce-settings',
  clients: 'docs/sentinel.md#client-discovery (clients connect where get-master-addr-by-name points)',
  external: 'docs/datapath.md#external-client (pod IPs are not routed outside the cluster)',
  cluster: 'docs/datapath.md#externaltrafficpolicy-cluster',
  masq: 'docs/datapath.md#masquerade-source-address',
  lb: 'docs/datapath.md#servicelb-paths (kube-proxy DNATs ingress IPs on the client’s node; node-local non-ingress addresses go through svclb)',
  hostNet: 'docs/datapath.md#host-network-traffic',
  podToPod:
    'docs/datapath.md#flannel-pod-to-pod-traffic, docs/datapath.md#calico-nat-outgoing, docs/datapath.md#no-nat',
  wait: 'docs/sentinel.md#failover-and-wait (the promoted replica has the highest offset: WAIT 1 writes survive)',
  rolling: 'docs/sentinel.md#rolling-update',
  restart:
    'docs/sentinel.md#whole-restart (a restarted sentinel reads the master, replicas and sentinels from its config file, at the addresses it last knew)',
  hostnames:
    'docs/sentinel.md#hostnames (with resolve-hostnames, Sentinel resolves a name again whenever it reconnects: sentinelReconnectInstance, Redis 7.0+)',
};

/** The classes of the rewritten replica records per profile, for the two NAT exposures (from the profile table). */
const rewrites = (classes: (p: ServingProfile) => AddressClass[]): Partial<Record<ProfileName, AddressClass[]>> =>
  Object.fromEntries(profilesWithServices().map((p) => [p, [...new Set(classes(p))]]));
const REWRITES: Record<'nodeport' | 'loadbalancer', Partial<Record<ProfileName, AddressClass[]>>> = {
  // Both replicas dial the master's node; that node DNATs and masquerades towards the local endpoint.
  nodeport: rewrites((p) => [nodePortRewrite(p, 'local').class]),
  // kube-proxy's loadbalancer-IP rule DNATs on each replica's own node: the remote one leaves by its tunnel (or eth0).
  loadbalancer: rewrites((p) => [nodePortRewrite(p, 'local').class, nodePortRewrite(p, 'remote').class]),
};

const works = (exposure: Exposure): SentinelExpectation => ({
  replicas: 'true-address',
  failover: true,
  clientsReach: exposure === 'pod-ip' ? IN_CLUSTER : ALL,
  summary:
    exposure === 'pod-ip'
      ? 'replication and Sentinel links run pod to pod without NAT: every replica and sentinel is recorded at its pod IP and a failover promotes one; clients outside the cluster cannot reach pod IPs'
      : 'with the host network nothing is rewritten and every address is a node IP: Sentinel records true addresses and fails over; clients everywhere reach the master',
  source: exposure === 'pod-ip' ? `${S.replica}; ${S.podToPod}; ${S.external}` : `${S.replica}; ${S.hostNet}`,
});

function viaNat(exposure: 'nodeport' | 'loadbalancer', profile: ProfileName): SentinelExpectation {
  const classes = REWRITES[exposure][profile] ?? [];
  if (exposure === 'nodeport') {
    return {
      replicas: 'rewritten',
      rewriteClasses: classes,
      failover: false,
      fixWorks: true,
      clientsReach: ALL,
      summary:
        'the master lists both replicas at the masquerade address of its own node with port 6379; Sentinel records them as one replica there, nothing answers, it goes s_down and SENTINEL FAILOVER answers NOGOODSLAVE; clients still reach the master at its NodePort. Announcing node IP and NodePort fixes it',
      source: `${S.replica}; ${S.cluster}; ${S.masq}; ${S.discovery}; ${S.unreachable}; ${S.announce}`,
    };
  }
  return {
    replicas: 'rewritten',
    rewriteClasses: classes,
    failover: false,
    fixWorks: true,
    clientsReach: [],
    summary:
      'each replica is listed at an address of its own node (kube-proxy DNATs the load-balancer IP there); that address on port 6379 leads back to the master through ServiceLB, so the "replicas" answer as master and Sentinel converts the master into a replica of its own load-balancer address: no data pod stays master. Announcing node IP and load-balancer port fixes it',
    source: `${S.replica}; ${S.lb}; ${S.masq}; ${S.convert}; ${S.announce}`,
  };
}

const inClusterReplication: SentinelExpectation = {
  replicas: 'true-address',
  failover: true,
  fixWorks: true,
  clientsReach: IN_CLUSTER,
  summary:
    'replication and Sentinel stay on pod IPs and work; a client outside reaches a sentinel through its LoadBalancer Service but is handed the master’s pod IP, which it cannot reach. Announcing node IP and load-balancer port (and monitoring the master there) fixes it',
  source: `${S.replica}; ${S.clients}; ${S.external}; ${S.announce}`,
};

const underLoad = (kind: 'failover' | 'rolling-update', exposure: Exposure): SentinelExpectation => ({
  replicas: 'true-address',
  failover: true,
  clientsReach: exposure === 'pod-ip' ? IN_CLUSTER : ALL,
  keepsConfirmedWrites: true,
  summary:
    kind === 'failover'
      ? 'the master is killed under load; Sentinel promotes the replica with the highest offset and clients follow +switch-master: no WAIT-confirmed write is lost'
      : 'every pod restarts in StatefulSet order, with a failover away from the master before its pod goes: no WAIT-confirmed write is lost',
  source: `${kind === 'failover' ? S.wait : S.rolling}; ${S.announce}`,
});

const wholeRestart: SentinelExpectation = {
  replicas: 'true-address',
  failover: true,
  survivesRestart: false,
  fixWorks: true,
  clientsReach: IN_CLUSTER,
  summary:
    'every pod of both StatefulSets restarts at once and comes back at a new pod IP with its volume: the configs Sentinel and CONFIG REWRITE saved name the master, the replicas and the other sentinels at old pod IPs where nothing answers, so no sentinel hands out a master that answers and the replicas follow none. Announcing headless-Service names, with sentinel resolve-hostnames and announce-hostnames, fixes it: Sentinel resolves a name again whenever it reconnects',
  source: `${S.restart}; ${S.replica}; ${S.hostnames}`,
};

interface Row {
  profile: ProfileName;
  exposure: Exposure;
  kind: SentinelKind;
  replicationPath?: 'pod-ip';
}

const VIEW_EXPOSURES: Exposure[] = ['pod-ip', 'nodeport', 'host-network', 'loadbalancer'];

function rows(matrix: Matrix): Row[] {
  if (matrix === 'full') {
    return kubernetesProfiles().flatMap((profile) => {
      const exposures = servesServices(profile) ? VIEW_EXPOSURES : ['pod-ip', 'host-network'];
      return (exposures as Exposure[]).flatMap((exposure): Row[] => [
        // Names are cluster DNS: only inside the cluster, on pod IPs. The longest shared cell goes
        // first, so it overlaps the others instead of running on after them.
        ...(exposure === 'pod-ip' ? [{ profile, exposure, kind: 'whole-restart' } as Row] : []),
        { profile, exposure, kind: 'views' },
        ...(exposure === 'loadbalancer'
          ? [{ profile, exposure, kind: 'views', replicationPath: 'pod-ip' } as Row]
          : []),
        { profile, exposure, kind: 'failover' },
        { profile, exposure, kind: 'rolling-update' },
      ]);
    });
  }
  return [
    // The longest shared cell first: it overlaps the views cells instead of running on after them.
    { profile: 'flannel-vxlan', exposure: 'pod-ip', kind: 'whole-restart' },
    ...VIEW_EXPOSURES.map((exposure): Row => ({ profile: 'flannel-vxlan', exposure, kind: 'views' })),
    { profile: 'flannel-vxlan', exposure: 'loadbalancer', kind: 'views', replicationPath: 'pod-ip' },
    { profile: 'calico-vxlan', exposure: 'nodeport', kind: 'views' },
    { profile: 'calico-vxlan', exposure: 'loadbalancer', kind: 'views' },
    { profile: 'calico-crosssubnet', exposure: 'nodeport', kind: 'views' },
    { profile: 'no-nat', exposure: 'pod-ip', kind: 'views' },
    { profile: 'flannel-vxlan', exposure: 'nodeport', kind: 'failover' },
    { profile: 'flannel-vxlan', exposure: 'pod-ip', kind: 'rolling-update' },
  ];
}

function expectationOf(r: Row): SentinelExpectation {
  if (r.kind === 'whole-restart') {
    return wholeRestart;
  }
  if (r.kind !== 'views') {
    return underLoad(r.kind, r.exposure);
  }
  if (r.replicationPath === 'pod-ip') {
    return inClusterReplication;
  }
  return r.exposure === 'nodeport' || r.exposure === 'loadbalancer' ? viaNat(r.exposure, r.profile) : works(r.exposure);
}

const TITLES: Record<SentinelKind, string> = {
  views: 'what Sentinel records over the exposure, a failover, and the fix',
  failover: 'the master killed under load; time to a new master, client errors, lost writes',
  'rolling-update': 'every pod restarted in StatefulSet order under load, a failover before the master goes',
  'whole-restart': 'every pod restarted at once at new pod IPs; then the same with headless-Service names',
};

/**
 * `RCNC_MATRIX=full` runs every kind on every profile and exposure; the default covers each
 * exposure on flannel, the NAT exposures on Calico, pod IPs on no-nat, and one cell of each
 * timing-sensitive kind.
 */
export const sentinelCells = (
  provider: ProviderName = 'netns',
  matrix: Matrix = 'default',
): Cell<'sentinel', SentinelOptions>[] =>
  rows(matrix).map((r) => {
    // Under load the NAT exposures run announced: unannounced they cannot fail over at all (the views cells show why).
    const announced = r.kind !== 'views' && (r.exposure === 'nodeport' || r.exposure === 'loadbalancer');
    // Always a variant: a bare 2-node id is a nat-meet cell's.
    const variant = r.replicationPath ? 'in-cluster-replication' : r.kind;
    const dims: CellDims = {
      provider,
      profile: r.profile,
      exposure: r.exposure,
      announce: announced ? 'ip' : 'none',
      policy: 'Cluster',
      nodes: 2,
      variant,
    };
    return {
      id: cellId(dims),
      title: r.replicationPath
        ? `${TITLES.views}; replication by pod IP, clients through the load balancer`
        : TITLES[r.kind],
      family: 'sentinel',
      dims,
      expectation: expectationOf(r),
      options: { kind: r.kind, replicationPath: r.replicationPath ?? 'exposure' },
      // The whole restart's fix is headless-Service names; a load-balancer exposure needs an
      // ingress address: a provider that declares it has neither skips the cell before deploying.
      ...(r.kind === 'whole-restart' || r.exposure === 'loadbalancer'
        ? { needs: [r.kind === 'whole-restart' ? 'cluster-dns' : 'load-balancer'] as const }
        : {}),
      ...(r.kind === 'views' || r.kind === 'whole-restart'
        ? {}
        : {
            runAlone:
              'it measures the time to a new master and the client error window under load; cells sharing the cores would stretch them',
          }),
    };
  });
