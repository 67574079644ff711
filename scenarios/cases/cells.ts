// The cases: one published failure each, as the thread reported it (facts only), the lab setup
// that produces it, what the lab must show before the fix and after it, and where that expectation
// comes from. The setups are data (run.ts runs them); every case runs on the netns lab, whose
// namespaces carry the thread's datapath with real iptables, and real redis-server/redis-sentinel;
// the threads that ran on one Docker host run on the docker provider too (caseCells).
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { CellDims, ProfileName, ProviderName } from '../../src/model/dimensions.ts';
import type { CaseExpectation } from './types.ts';

/** Extra NAT a case adds to every node, as the thread's setup installed it (mechanisms.ts). */
export type Masquerade = 'docker-ip-masq' | 'node-ip';

/** How a replica reaches its master: the master's pod IP, or its NodePort on a node. */
export type ReplicaPath = { via: 'pod-ip' } | { via: 'nodeport'; node: number };

/** Master redis-0 on node 0, replicas redis-1.. attached one at a time; optional sentinel-0. */
export interface ReplicationSetup {
  kind: 'replication';
  replicas: { node: number; path: ReplicaPath }[];
  /** The replica whose record the case looks at (index into `replicas`). */
  subject: number;
  masquerade?: Masquerade;
  /** The master's inbound connections are intercepted by a sidecar (iptables REDIRECT + a relay from loopback). */
  sidecar?: boolean;
  /** What is looked at: the master's INFO replication, Sentinel's replica record, or a Sentinel failover. */
  look: 'info' | 'sentinel' | 'failover';
  /** The fix: announce the pod IP, stop the extra masquerade, or replicate over the pod IP. */
  fix: 'announce-pod-ip' | 'announce-nodeport' | 'remove-masquerade' | 'replicate-pod-ip';
}

/**
 * Three masters (redis-0..2) formed by CLUSTER MEET (or redis-cli --cluster create). In
 * `reused-address` they are host-network pods, one a node, and two of them come back at each
 * other's addresses.
 */
export interface ClusterSetup {
  kind: 'cluster';
  variant:
    'announced-bus-port' | 'shared-bus-port' | 'create-masqueraded' | 'create-over-service-ips' | 'reused-address';
  /** Node of each member. */
  placement: number[];
  masquerade?: Masquerade;
}

/** A master, a replica and a sentinel; every data pod restarts at once and comes back at new IPs. */
export interface SentinelRestartSetup {
  kind: 'sentinel-restart';
}

export type CaseSetup = ReplicationSetup | ClusterSetup | SentinelRestartSetup;

export interface CaseOptions {
  name: string;
  setup: CaseSetup;
}

interface CaseRow {
  name: string;
  title: string;
  profile: ProfileName;
  nodes: number;
  setup: CaseSetup;
  expectation: Omit<CaseExpectation, 'summary'>;
  /**
   * The thread ran Redis in containers on one Docker host: the case also runs on the docker
   * provider (a real dockerd; NodePorts are published ports there), with what Docker adds, cited.
   */
  docker?: {
    source: string;
    /** The setup on one Docker host, where the lab's spans nodes (the provider starts one host). */
    setup?: CaseSetup;
  };
}

// The Redis and datapath facts the expectations rest on.
const REPLICA_ADDRESS =
  'docs/sentinel.md#replica-address (INFO replication lists the peer address of the replication connection unless replica-announce-ip is set)';
const REPLICA_DISCOVERY = 'docs/sentinel.md#replica-discovery, docs/sentinel.md#unreachable-replicas';
const DOCKER_IP_MASQ =
  "moby libnetwork bridge setup_ip_tables.go (dockerd --ip-masq: -t nat -A POSTROUTING -s <bridge subnet> ! -o <bridge> -j MASQUERADE); docs/datapath.md#masquerade-source-address (MASQUERADE takes the outgoing device's address: flannel.1 holds <subnet>.0)";
const MEET = 'docs/datapath.md#redis-meet-and-handshake, docs/datapath.md#nat-and-the-cluster-bus';
const NOADDR =
  'cluster.c clusterProcessPacket ("PONG contains mismatching sender ID": the link\'s node is marked noaddr, its address zeroed)';
const ADDRESS_UPDATES =
  'docs/datapath.md#redis-address-updates, docs/datapath.md#redis-announce (cport from the header, cluster.c nodeUpdateAddressIfNeeded)';

const ROWS: CaseRow[] = [
  {
    name: 'redis-5983',
    title: 'announced bus port nobody listens on',
    profile: 'no-nat',
    nodes: 1,
    setup: { kind: 'cluster', variant: 'announced-bus-port', placement: [0, 0, 0] },
    expectation: {
      thread: 'redis/redis#5983',
      reported: 'a node announces bus port @6380 while peers use 16379; nc to port 6379 succeeds, the node stays fail',
      subject: "redis-2 in redis-0's CLUSTER NODES",
      // The thread's Redis (4.0) marked the node fail; 7.0 counts the node's own PINGs as a sign
      // of life (clusterCron: PFAIL only when both the PONG and any data are overdue), so the
      // symptom here is the link that never connects.
      failure: { state: 'disconnected', recordedAs: 'unlistened-port' },
      fix: 'announce the bus port the node listens on (CONFIG SET cluster-announce-bus-port 0 on redis-2); its PINGs re-address it',
      fixed: { state: 'ok', recordedAs: 'pod' },
      source: `${ADDRESS_UPDATES}; docs/datapath.md#redis-reconnects-and-gossip (reconnects go to the stored address; any data from the node counts: cluster.c clusterCron)`,
    },
    // docker-library/redis#190 (the same report): redis:4 containers on one Docker host.
    docker: { source: 'docs/docker.md#container-to-container (containers on one bridge reach each other unNATed)' },
  },
  {
    name: 'redis-5406',
    title: 'two nodes on one host announce the same bus port',
    profile: 'flannel-vxlan',
    nodes: 1,
    setup: { kind: 'cluster', variant: 'shared-bus-port', placement: [0, 0, 0] },
    expectation: {
      thread: 'redis/redis#5406',
      reported:
        'containers on one host behind published ports announce the host address and one bus port (10060) between them; the cluster does not form',
      subject: "redis-2 in redis-0's CLUSTER NODES",
      // Redis zeroes the address of an entry it marks noaddr: whose bus port answered is in the
      // log line ("PONG contains mismatching sender ID"), not in the record.
      failure: { state: 'noaddr' },
      fix: "announce each node's own published bus port (CONFIG SET cluster-announce-bus-port 31002 on redis-2)",
      fixed: { state: 'ok', recordedAs: 'pod' },
      source: `${ADDRESS_UPDATES}; ${NOADDR}`,
    },
    // The thread's containers published their ports on the host (Docker on EC2).
    docker: {
      source:
        'docs/docker.md#published-ports-from-a-container (a container dialing the host address reaches the published port of another)',
    },
  },
  {
    name: 'flannel-1059',
    title: 'cluster create loops on flannel with pod-to-pod masquerade',
    profile: 'flannel-vxlan',
    nodes: 2,
    setup: { kind: 'cluster', variant: 'create-masqueraded', placement: [0, 1, 0], masquerade: 'docker-ip-masq' },
    expectation: {
      thread: 'flannel-io/flannel#1059',
      reported:
        'redis-cli --cluster create loops on "Waiting for the cluster to join" on flannel; peers connect from a node subnet\'s .0 address',
      subject: "redis-1 (on the other node) in redis-0's CLUSTER NODES",
      failure: { state: 'create-loops', recordedAs: 'tunnel' },
      fix: 'stop masquerading pod-to-pod traffic (dockerd --ip-masq=false: the extra MASQUERADE removed), CLUSTER RESET HARD, create again',
      fixed: { state: 'create-ok', recordedAs: 'pod' },
      source: `${DOCKER_IP_MASQ}; ${MEET}`,
    },
  },
  {
    name: 'kelseyhightower-1',
    title: 'cluster created over Service ClusterIPs',
    profile: 'flannel-vxlan',
    nodes: 1,
    setup: { kind: 'cluster', variant: 'create-over-service-ips', placement: [0, 0, 0] },
    expectation: {
      thread: 'kelseyhightower/kubernetes-redis-cluster#1',
      reported: 'redis-trib create over six Service ClusterIPs ends in an endless "Waiting for the cluster to join"',
      subject: "redis-0 in redis-1's CLUSTER NODES",
      failure: { state: 'create-loops', recordedAs: 'service-ip' },
      fix: 'CLUSTER RESET HARD, create the cluster over the pod IPs',
      fixed: { state: 'create-ok', recordedAs: 'pod' },
      source: `${MEET} (MEET dials <address>:<port+10000>); docs/datapath.md#kube-proxy-service-chains (a ClusterIP is DNATed only on the Service's ports: the Services expose 6379 alone)`,
    },
  },
  {
    name: 'flannel-445',
    title: 'replica listed at the flannel device (.0) beside docker --ip-masq',
    profile: 'flannel-vxlan',
    nodes: 2,
    setup: {
      kind: 'replication',
      replicas: [
        { node: 0, path: { via: 'pod-ip' } },
        { node: 1, path: { via: 'pod-ip' } },
      ],
      subject: 1,
      masquerade: 'docker-ip-masq',
      look: 'info',
      fix: 'remove-masquerade',
    },
    expectation: {
      thread: 'flannel-io/flannel#445',
      reported:
        "INFO replication lists the replica on the other host at its host subnet's .0 address; the same-host replica at its own",
      subject: "redis-2 (on the other node) in redis-0's INFO replication",
      failure: { state: 'online', recordedAs: 'tunnel' },
      fix: 'stop masquerading container traffic (dockerd --ip-masq=false: the extra MASQUERADE removed); the replica reconnects',
      fixed: { state: 'online', recordedAs: 'pod' },
      source: `${DOCKER_IP_MASQ}; ${REPLICA_ADDRESS}`,
    },
  },
  {
    name: 'kubernetes-38176',
    title: 'Sentinel lists a replica at a .0 address, s_down',
    profile: 'flannel-vxlan',
    nodes: 2,
    setup: {
      kind: 'replication',
      replicas: [{ node: 1, path: { via: 'pod-ip' } }],
      subject: 0,
      masquerade: 'docker-ip-masq',
      look: 'sentinel',
      fix: 'announce-pod-ip',
    },
    expectation: {
      thread: 'kubernetes/kubernetes#38176',
      reported: 'Sentinel knows the replica on another node at <subnet>.0:6379, flagged s_down',
      subject: "redis-1 in sentinel-0's SENTINEL REPLICAS",
      failure: { state: 's_down', recordedAs: 'tunnel' },
      fix: 'replica-announce-ip <pod IP> on the replica, then SENTINEL RESET',
      fixed: { state: 'ok', recordedAs: 'pod' },
      source: `${DOCKER_IP_MASQ}; ${REPLICA_ADDRESS}; ${REPLICA_DISCOVERY}`,
    },
  },
  {
    name: 'spotahome-312',
    title: 'sidecar on the master: replicas at 127.0.0.1, NOGOODSLAVE',
    profile: 'flannel-vxlan',
    nodes: 2,
    setup: {
      kind: 'replication',
      replicas: [
        { node: 1, path: { via: 'pod-ip' } },
        { node: 0, path: { via: 'pod-ip' } },
      ],
      subject: 0,
      sidecar: true,
      look: 'failover',
      fix: 'announce-pod-ip',
    },
    expectation: {
      thread: 'spotahome/redis-operator#312',
      reported:
        'with an Istio sidecar every replica shows as 127.0.0.1 and failover answers NOGOODSLAVE; replica-announce-ip fixed it',
      subject: "redis-1 in sentinel-0's SENTINEL REPLICAS, and SENTINEL FAILOVER",
      failure: { state: 'NOGOODSLAVE', recordedAs: 'loopback' },
      fix: 'replica-announce-ip <pod IP> on every replica, SENTINEL RESET, SENTINEL FAILOVER',
      fixed: { state: 'promoted', recordedAs: 'pod' },
      source: `${REPLICA_ADDRESS}; ${REPLICA_DISCOVERY}; istio tools/istio-iptables (ISTIO_INBOUND: REDIRECT to 15006, the proxy connects onward to the app)`,
    },
  },
  {
    name: 'ot-927',
    title: 'Sentinel adds replicas at node addresses',
    profile: 'no-nat',
    nodes: 2,
    setup: {
      kind: 'replication',
      replicas: [{ node: 1, path: { via: 'pod-ip' } }],
      subject: 0,
      masquerade: 'node-ip',
      look: 'sentinel',
      fix: 'announce-pod-ip',
    },
    expectation: {
      thread: 'OT-CONTAINER-KIT/redis-operator#927',
      reported: 'Sentinel adds the replicas at node addresses while the master is at a pod IP',
      subject: "redis-1 in sentinel-0's SENTINEL REPLICAS",
      failure: { state: 's_down', recordedAs: 'node-ip' },
      fix: 'replica-announce-ip <pod IP> on the replica, then SENTINEL RESET',
      fixed: { state: 'ok', recordedAs: 'pod' },
      source: `docs/datapath.md#masquerade-source-address (pod traffic to another node masqueraded out eth0 takes the node IP, as ip-masq-agent does without the pod CIDR in nonMasqueradeCIDRs); ${REPLICA_ADDRESS}; ${REPLICA_DISCOVERY}`,
    },
  },
  {
    name: 'bitnami-10067',
    title: "Sentinel hands out a dead master's old pod IP",
    profile: 'no-nat',
    nodes: 1,
    setup: { kind: 'sentinel-restart' },
    expectation: {
      thread: 'bitnami/charts#10067',
      reported:
        "Sentinel's get-master-addr-by-name returns an address no pod holds; the old master's pod runs at another IP",
      subject: 'get-master-addr-by-name on sentinel-0',
      failure: { state: 's_down', recordedAs: 'no-pod' },
      fix: 'point Sentinel at the current master (SENTINEL REMOVE, SENTINEL MONITOR <its pod IP>) and REPLICAOF it',
      fixed: { state: 'ok', recordedAs: 'pod' },
      source:
        'docs/sentinel.md#whole-restart (every pod back at a new IP; Sentinel keeps the old records until re-pointed), docs/sentinel.md#replica-discovery',
    },
  },
  {
    name: 'hairpin-bridge-gateway',
    title: "replica on the master's node through its Service: listed at the bridge gateway (.1)",
    profile: 'flannel-vxlan',
    nodes: 1,
    setup: {
      kind: 'replication',
      replicas: [{ node: 0, path: { via: 'nodeport', node: 0 } }],
      subject: 0,
      look: 'info',
      fix: 'replicate-pod-ip',
    },
    expectation: {
      thread: 'flannel-io/flannel#445',
      reported:
        'the same symptom as a .0 address with another owner: a same-node replica through a Service is masqueraded to cni0, not to flannel.1',
      subject: "redis-1 in redis-0's INFO replication",
      failure: { state: 'online', recordedAs: 'bridge-gateway' },
      fix: "replicate from the master's pod IP instead of its Service (REPLICAOF <pod IP> 6379)",
      fixed: { state: 'online', recordedAs: 'pod' },
      source: `docs/datapath.md#flannel-local-endpoint, docs/datapath.md#externaltrafficpolicy-cluster (a NodePort connection is marked and masqueraded out cni0: 10.42.N.1); ${REPLICA_ADDRESS}`,
    },
  },
  {
    name: 'published-port-master-host',
    title: "replication through a published port: the replica listed at the master host's bridge gateway",
    profile: 'flannel-vxlan',
    nodes: 2,
    setup: {
      kind: 'replication',
      replicas: [{ node: 1, path: { via: 'nodeport', node: 0 } }],
      subject: 0,
      look: 'info',
      fix: 'announce-nodeport',
    },
    expectation: {
      thread: 'redis/redis#5406',
      reported:
        "nodes on Docker hosts reach each other through published ports on the hosts' addresses; what a peer records is not the address it is reached at",
      subject: "redis-1 in redis-0's INFO replication",
      failure: { state: 'online', recordedAs: 'bridge-gateway' },
      fix: "replica-announce-ip <its host's IP> and replica-announce-port <its own published port>",
      fixed: { state: 'online', recordedAs: 'pod' },
      source: `docs/datapath.md#flannel-local-endpoint (the published port's DNAT on the master's host is masqueraded out its bridge: the master's host's .1), docs/docker.md#published-ports-from-outside; ${REPLICA_ADDRESS}`,
    },
    // On one Docker host the replica dials the host address and the master's published port, as
    // a container beside it would; the master's host is its own, so its gateway is the same.
    docker: {
      source:
        "docs/docker.md#published-ports-from-a-container (with the userland proxy, a container's connection to a published port is docker-proxy's own, from the bridge gateway)",
      setup: {
        kind: 'replication',
        replicas: [{ node: 0, path: { via: 'nodeport', node: 0 } }],
        subject: 0,
        look: 'info',
        fix: 'announce-nodeport',
      },
    },
  },
  {
    name: 'bitnami-11341',
    title: "two pods back at each other's addresses: each lists the other noaddr",
    profile: 'no-nat',
    nodes: 3,
    setup: { kind: 'cluster', variant: 'reused-address', placement: [0, 1, 2] },
    expectation: {
      thread: 'bitnami/charts#11341',
      reported:
        'after a scale-down and up of bitnami/redis-cluster 7.0.3, some nodes list others as ":0@0 noaddr", two of them each other; one dialled the other at an IP a third pod held by then, and logged "PONG contains"; CLUSTER MEET brought the cluster back',
      subject: "redis-2 in redis-1's CLUSTER NODES, once both are back at each other's addresses",
      // The address redis-1 dialled for redis-2 is redis-1's own by then: another pod's, for redis-2.
      failure: { state: 'noaddr', recordedAs: 'other-pod' },
      fix: "CLUSTER MEET redis-2's current address from redis-1, as the thread did",
      fixed: { state: 'ok', recordedAs: 'pod' },
      source: `${NOADDR}; cluster.c clusterNodeCronHandleReconnect (no link is made to a noaddr node), clusterCron (a noaddr node is never flagged PFAIL), clusterProcessGossipSection (gossip re-addresses only a PFAIL or FAIL node), nodeUpdateAddressIfNeeded (a PING from the node itself, or the PONG that ends a CLUSTER MEET handshake, restores the address): a third node heals by itself, since both PING it; the pair, which never dial each other, stays noaddr until a MEET`,
    },
  },
];

const summaryOf = (r: CaseRow): string =>
  `${r.expectation.thread}: ${r.expectation.failure.state}` +
  (r.expectation.failure.recordedAs ? ` at a ${r.expectation.failure.recordedAs} address` : '') +
  `, then ${r.expectation.fixed.state} after the fix`;

const clusterExposure: Record<ClusterSetup['variant'], CellDims['exposure']> = {
  'announced-bus-port': 'pod-ip',
  'shared-bus-port': 'nodeport',
  'create-masqueraded': 'pod-ip',
  'create-over-service-ips': 'pod-ip',
  'reused-address': 'host-network',
};

/**
 * The cases as cells of a provider: every case on the lab (its namespaces carry each thread's
 * datapath with real iptables), and the threads that ran on Docker hosts also on the docker
 * provider, with Docker's default daemon (userland proxy on), on the one host it starts per
 * topology (a case whose lab setup spans nodes gives its one-host setup).
 */
export function caseCells(provider: ProviderName = 'netns'): Cell<'cases', CaseOptions>[] {
  if (provider !== 'netns' && provider !== 'docker') {
    return [];
  }
  const rows = provider === 'docker' ? ROWS.filter((r) => r.docker) : ROWS;
  return rows.map((r) => {
    const dims: CellDims = {
      provider,
      profile: provider === 'docker' ? 'docker-userland-proxy' : r.profile,
      exposure: r.setup.kind === 'cluster' ? clusterExposure[r.setup.variant] : 'pod-ip',
      announce: 'none',
      policy: 'Cluster',
      nodes: provider === 'docker' ? 1 : r.nodes,
      variant: r.name,
    };
    return {
      id: cellId(dims),
      title: r.title,
      family: 'cases',
      dims,
      expectation: {
        ...r.expectation,
        summary: summaryOf(r),
        ...(provider === 'docker' && r.docker ? { source: `${r.expectation.source}; ${r.docker.source}` } : {}),
      },
      options: { name: r.name, setup: (provider === 'docker' && r.docker?.setup) || r.setup },
    };
  });
}

/** The case names, in table order. */
export const caseNames = (): string[] => ROWS.map((r) => r.name);
