// One diagnosis per mechanism the files show, each with the address it is about, who holds that
// address now (and who held it before, for a reused or stale one), the cause, the fix (settings,
// commands, a StatefulSet snippet and the chart's or operator's own keys when the files show which
// deployed it), and what to collect next. The problems (problems.ts, stale.ts, sentinel.ts) say
// what is wrong in words; this is the same evidence sorted by mechanism, for people and for JSON.
// Mechanisms (docs/datapath.md#masquerade-source-address for the rewrites):
//   flannel-dot0       a peer recorded at a /24's network address: flannel's VXLAN device of the
//                      sender's node, after cross-node pod traffic was masqueraded (flannel#445,
//                      kubernetes#38176; Docker's --ip-masq beside flannel)
//   bridge-gateway     at the first address of a node's pod CIDR (cni0): a same-node connection that
//                      went through a Service and was hairpin-masqueraded by kube-proxy
//   node-ip            at a node's address: pod traffic SNATed to its node (OT redis-operator#927)
//   loopback-sidecar   at 127.0.0.1/127.0.0.6: a sidecar proxy took the connection and opened its own
//                      from loopback (spotahome/redis-operator#312, Istio)
//   docker-gateway     at a Docker network's gateway: a published port's proxy or DNAT on that host
//   stale-address      a master address no pod holds any more (redis/redis#15136); likely, without
//                      a pods list, when a replica's link to it has long been down (bitnami/charts#8605)
//   sentinel-master-no-pod  a sentinel hands out a master no pod is at (bitnami/charts#10067)
//   reused-ip          a node id lost its address (noaddr) because another node answered there:
//                      Redis logs "PONG contains mismatching sender ID" (cluster.c clusterProcessPacket)
//   bus-port-unreachable / bus-port-twice  an announced cluster-bus port that does not answer, or
//                      one host announced with one bus port twice (redis/redis#5983, #5406)
//   service-ip-create  a cluster created over Service ClusterIPs (kelseyhightower/kubernetes-redis-cluster#1)
//   announce-mismatch  nodes announce one address and were created with another (redis/redis#5406)
//   create-stuck       `--cluster create` never saw the nodes join (flannel#1059)
//   unjoined           a node no peer reached: its own view has no address (kubeblocks-addons#447)
import { hasFlag } from '../probes/cluster-nodes.ts';
import { hostOf } from '../util/address.ts';
import { deployerSnippet, recogniseDeployer } from './deployers.ts';
import {
  DIAGNOSIS_KINDS,
  type Deployer,
  type Diagnosis,
  type DiagnosisFix,
  type DiagnosisKind,
  type Need,
  type Snippet,
} from './diagnosis-types.ts';
import { LINK_DOWN_PROBLEM_S } from './problems.ts';
import type {
  AnalyzeFailedDialBack,
  AnalyzeGhost,
  NatedConnection,
  Recommendation,
  SentinelAnalysis,
} from './report-types.ts';
import { staleReplicas } from './stale.ts';
import { nodePortSnippets, podIpSnippet } from './statefulset-snippets.ts';
import type { Cluster } from './who-is-who.ts';

export { DIAGNOSIS_KINDS };
export type { Diagnosis, DiagnosisFix, DiagnosisKind, Snippet };

/** The findings a diagnosis is made from. */
export interface DiagnosisInput {
  ghosts: AnalyzeGhost[];
  failedDialBacks: AnalyzeFailedDialBack[];
  natedConnections: NatedConnection[];
  sentinel: SentinelAnalysis;
  recommendations: Recommendation[];
}

const PODS_NEXT = 'kubectl get pods -o wide (with -n NAMESPACE): which pod holds each address now';
const NODES_NEXT = 'kubectl get nodes -o wide and ip addr of each node: which device or node holds the address';
const IS_DOT0 = /^\d+\.\d+\.\d+\.0$/;

interface Sighting {
  ip: string;
  address: string;
  seenBy: string;
  cls: string;
  owner: string;
  /** Sentinel/replication records (replica-announce-ip) rather than cluster-bus ones. */
  replication: boolean;
}

/** A dial-back to an address another Redis pod holds now (a host-network pod's node IP): reused, not rewritten. */
const toAnotherPod = (c: Cluster, f: AnalyzeFailedDialBack): boolean =>
  [...c.pods.values()].some((p) => p.ip === hostOf(f.address) && p.nodeId !== undefined && p.nodeId !== f.nodeId);

function sightings(c: Cluster, d: DiagnosisInput): Sighting[] {
  const out: Sighting[] = [];
  const add = (address: string, seenBy: string, cls: string, owner: string, replication: boolean) =>
    out.push({ ip: hostOf(address), address, seenBy, cls, owner, replication });
  d.ghosts.forEach((g) => add(g.address, g.seenBy, g.class, g.owner, false));
  d.failedDialBacks.filter((f) => !toAnotherPod(c, f)).forEach((f) => add(f.address, f.pod, f.class, f.owner, false));
  d.natedConnections.filter((n) => !n.harmless).forEach((n) => add(n.peer, n.pod, n.class, n.owner, false));
  [...d.sentinel.listedAt, ...d.sentinel.rewrittenReplicas, ...d.sentinel.rewrittenSentinels].forEach((s) =>
    add(s.address, s.seenBy, s.class, s.owner, true),
  );
  return out;
}

/** Which rewrite an address class stands for, or undefined when it is none of them. */
function rewriteKind(s: Sighting): DiagnosisKind | undefined {
  if (/^127\./.test(s.ip)) {
    return 'loopback-sidecar';
  }
  if (s.cls === 'tunnel' || (s.cls === 'unknown' && IS_DOT0.test(s.ip))) {
    return 'flannel-dot0';
  }
  if (s.cls === 'bridge-gateway') {
    return 'bridge-gateway';
  }
  if (s.cls === 'node-ip') {
    return 'node-ip';
  }
  if (s.cls === 'external' && s.owner.startsWith('host')) {
    return 'docker-gateway';
  }
  return undefined;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** The announce fix for a rewrite: settings, StatefulSet snippet, the deployer's own keys. */
function announceFix(
  c: Cluster,
  deployer: Deployer | undefined,
  replication: boolean,
  summary: string,
  recs: Recommendation[],
  need: Need = replication ? 'replica-announce' : 'cluster-announce',
): DiagnosisFix {
  const nodePort = c.services.some((s) => s.type === 'NodePort' && s.ports.some((p) => p.nodePort));
  const snippets: Snippet[] =
    need === 'cluster-announce' && nodePort
      ? nodePortSnippets(statefulSetOf(c), firstNodePorts(c))
      : need === 'sidecar'
        ? [podIpSnippet('replica-announce-ip')]
        : [podIpSnippet(replication ? 'replica-announce-ip' : 'cluster-announce-ip')];
  const own = deployer ? deployerSnippet(deployer, need) : undefined;
  return {
    summary: own ? `${summary}; with ${deployer!.name}: ${own.title} (${own.source})` : summary,
    commands: recs.flatMap((r) => r.commands),
    snippets: own ? [...snippets, own] : snippets,
  };
}

/** The StatefulSet the pods belong to: their name without the ordinal. */
function statefulSetOf(c: Cluster): string {
  const names = [...c.pods.keys()].filter((n) => /-\d+$/.test(n)).map((n) => n.replace(/-\d+$/, ''));
  return names[0] ?? 'redis';
}

/** Pod 0's NodePorts, when a Service for it shows them. */
function firstNodePorts(c: Cluster): { data: number; bus: number } | undefined {
  const s = c.services.find(
    (x) => x.type === 'NodePort' && Object.values(x.selector).some((v) => /-0$/.test(v)) && x.ports.length >= 2,
  );
  const data = s?.ports.find((p) => p.port !== 16379 && p.nodePort)?.nodePort;
  const bus = s?.ports.find((p) => p.port === 16379 && p.nodePort)?.nodePort;
  return data && bus ? { data, bus } : undefined;
}

interface RewriteText {
  owner: string;
  cause: string;
  summary: string;
  need?: Need;
  next?: string[];
}

/** Owner, cause and fix of one rewrite kind, for its first sighting. */
function rewriteText(c: Cluster, kind: DiagnosisKind, first: Sighting, seenBy: string[], replication: boolean) {
  const setting = replication ? 'replica-announce-ip' : 'cluster-announce-ip';
  const nodePorts = c.services.some((x) => x.type === 'NodePort');
  const host = seenBy.map((p) => c.pods.get(p)?.node).find(Boolean);
  const texts: Partial<Record<DiagnosisKind, () => RewriteText>> = {
    'flannel-dot0': () => ({
      owner: first.owner.includes('@')
        ? first.owner
        : `flannel's VXLAN device (flannel.1) of the node whose pod subnet is ${first.ip}/24`,
      cause: nodePorts
        ? "a connection through a NodePort on another node was masqueraded by kube-proxy to the sending node's flannel device, so the peer is recorded at the subnet's .0 address, where nothing listens"
        : "cross-node pod traffic was masqueraded to the sending node's flannel device (Docker's --ip-masq beside flannel, or a MASQUERADE rule for pod-to-pod traffic), so the peer is recorded at the subnet's .0 address, where nothing listens",
      summary: nodePorts
        ? `have each pod announce the address peers reach it at: its node IP and its NodePorts (${replication ? 'replica-announce-ip/-port' : 'cluster-announce-ip, -port, -bus-port'})`
        : `stop masquerading pod-to-pod traffic (dockerd --ip-masq=false with flanneld --ip-masq, flannel-io/flannel#117), or have each pod announce its pod IP (${setting})`,
      next: first.owner.includes('@') ? [] : [NODES_NEXT, PODS_NEXT],
    }),
    'bridge-gateway': () => ({
      owner: first.owner,
      cause:
        "a connection between two pods on one node went through a Service (ClusterIP or NodePort) and kube-proxy masqueraded it to the node's bridge gateway (hairpin), so the peer is recorded at the gateway, where no Redis listens",
      summary: `have each pod announce the address peers reach it at (${setting}, with its ports when it is reached through a NodePort)`,
    }),
    'node-ip': () => ({
      owner: first.owner,
      cause:
        "the connection was SNATed to its node's address (the CNI's masquerade of pod traffic, or ip-masq-agent without the pod CIDR in nonMasqueradeCIDRs), or the sender runs with hostNetwork",
      summary: `have each pod announce its pod IP (${setting}) and leave the pod CIDR out of the masquerade`,
    }),
    'loopback-sidecar': () => ({
      owner: `a sidecar proxy in ${seenBy.join(', ')}'s pod: it accepts the connection and opens its own to Redis from loopback (Istio's Envoy uses 127.0.0.6, older versions 127.0.0.1)`,
      cause: 'inbound connections are intercepted by a sidecar, so Redis sees every replica as loopback',
      summary:
        'have each replica announce its pod IP (replica-announce-ip), or exclude the Redis and Sentinel ports from the sidecar (traffic.sidecar.istio.io/excludeInboundPorts)',
      need: 'sidecar',
    }),
    'docker-gateway': () => ({
      owner: `the Docker network's gateway ${first.ip} on the host of ${host ?? seenBy.join(', ')}: the published port's proxy (or DNAT) there hands the connection over from the gateway`,
      cause:
        "the connection came in through a port Docker published on the receiving node's host, so it arrives from that host's bridge gateway",
      summary: `have each node announce its host's address and its published ports (${replication ? 'replica-announce-ip/-port' : 'cluster-announce-ip, -port and -bus-port'})`,
    }),
  };
  return texts[kind]?.();
}

function rewriteDiagnoses(c: Cluster, d: DiagnosisInput, deployer: Deployer | undefined): Diagnosis[] {
  const groups = new Map<string, { kind: DiagnosisKind; s: Sighting[] }>();
  for (const s of sightings(c, d)) {
    const kind = rewriteKind(s);
    if (kind) {
      const g = groups.get(`${kind} ${s.ip}`) ?? { kind, s: [] };
      g.s.push(s);
      groups.set(`${kind} ${s.ip}`, g);
    }
  }
  return [...groups.values()].flatMap(({ kind, s }) => {
    const first = s[0]!;
    const replication = s.every((x) => x.replication);
    const seenBy = sorted(s.map((x) => x.seenBy));
    const t = rewriteText(c, kind, first, seenBy, replication);
    if (!t) {
      return [];
    }
    const recs = d.recommendations.filter((r) =>
      r.settings.some((x) => x.startsWith(replication ? 'replica-' : 'cluster-announce')),
    );
    // The rewritten address itself: the ports differ by connection, the address is the finding.
    return [
      {
        kind,
        certainty: 'shown' as const,
        addresses: [first.ip],
        owner: t.owner,
        seenBy,
        cause: t.cause,
        fix: announceFix(c, deployer, replication, t.summary, recs, t.need),
        next: t.next ?? [],
      },
    ];
  });
}

function staleDiagnoses(c: Cluster, d: DiagnosisInput): Diagnosis[] {
  const stale = staleReplicas(c);
  if (!stale.length) {
    return [];
  }
  const rec = d.recommendations.find((r) => /CLUSTER MEET every pod/.test(r.then));
  const restarted = restartedPods(c);
  return [
    {
      kind: 'stale-address',
      certainty: 'shown',
      addresses: sorted(stale.map((s) => s.master)),
      owner: 'no pod',
      ...(restarted.length ? { previousOwner: restarted.join(', ') } : {}),
      seenBy: sorted(stale.map((s) => s.pod)),
      cause:
        'the replicas still follow the addresses their masters had before the pods restarted with new IPs (nodes.conf keeps them), and no pod holds those addresses now',
      fix: {
        summary: rec
          ? 'CLUSTER MEET every pod at its current address from one pod, then CLUSTER REPLICATE <master id> on each replica that still follows an old address; announce a stable hostname so it does not come back'
          : 'point each replica at its master again (REPLICAOF <master> 6379, or SENTINEL RESET <master> on every sentinel); announce stable hostnames so it does not come back',
        commands: rec?.commands ?? [],
        snippets: [],
      },
      next: rec ? [] : ['CLUSTER NODES or INFO replication of every pod: which pod is the master now'],
    },
  ];
}

/**
 * Without a full pods list a stale master cannot be proven: a replica whose link to an address no
 * known pod holds has been down a while likely follows one (bitnami/charts#8605).
 */
function likelyStale(c: Cluster): Diagnosis[] {
  if (c.podsListed) {
    return [];
  }
  return [...c.inputs.pods.entries()].flatMap(([pod, f]) => {
    const r = f.replication?.fields;
    const down = Number(r?.['master_link_down_since_seconds']);
    const host = r?.['master_host'];
    if (r?.['role'] !== 'slave' || !host || c.podIps.has(host) || !(down >= LINK_DOWN_PROBLEM_S)) {
      return [];
    }
    const address = `${host}:${r['master_port'] ?? '6379'}`;
    return [
      {
        kind: 'stale-address' as const,
        certainty: 'likely' as const,
        addresses: [address],
        owner: 'unknown: no pods list to check it against',
        seenBy: [pod],
        cause: `the replica's link to ${address} has been down for ${down} s: likely its master's address before that pod restarted or moved (a replica keeps dialling the old address)`,
        fix: {
          summary: `point the replica at its master's current address (REPLICAOF <master IP> 6379, or SENTINEL RESET <master> on every sentinel); announce stable hostnames (replica-announce-ip the pod's DNS name) so it does not come back`,
          commands: [`kubectl exec ${pod} -- redis-cli REPLICAOF <current master IP> 6379`],
          snippets: [],
        },
        next: [PODS_NEXT],
      },
    ];
  });
}

/** Pods the tables show restarting or not running: the likely previous owners of an old address. */
function restartedPods(c: Cluster): string[] {
  const states = new Map<string, Set<string>>();
  for (const p of c.inputs.kube.pods.filter((x) => x.status && !/^Running$|^Completed$/.test(x.status))) {
    states.set(p.name, (states.get(p.name) ?? new Set()).add(p.status!));
  }
  return [...states.entries()].sort().map(([name, st]) => `${name} (${sorted(st).join(', ')})`);
}

function sentinelMasterDiagnoses(c: Cluster, deployer: Deployer | undefined): Diagnosis[] {
  const out: Diagnosis[] = [];
  const known = [...c.pods.values()].filter((p) => p.ip);
  for (const [pod, f] of c.inputs.pods) {
    const master = f.sentinel?.master;
    if (!master) {
      continue;
    }
    const ip = hostOf(master);
    if (c.podIps.has(ip) || c.nodeIps.has(ip) || !known.length) {
      continue;
    }
    const elsewhere = known.map((p) => `${p.name} is at ${p.ip}`).join(', ');
    const name = f.sentinel?.masterName ?? '<master>';
    const restarted = restartedPods(c);
    const own = deployer ? deployerSnippet(deployer, 'hostnames') : undefined;
    out.push({
      kind: 'sentinel-master-no-pod',
      certainty: c.podsListed ? 'shown' : 'likely',
      addresses: [master],
      owner: `no pod the files give an address for (${elsewhere})`,
      ...(restarted.length ? { previousOwner: restarted.join(', ') } : {}),
      seenBy: [pod],
      cause:
        'the sentinel still hands out the address the master had before its pod restarted with a new IP; clients and a restarting pod that asks the sentinel for the master wait on an address nobody holds',
      fix: {
        summary: `SENTINEL RESET ${name} on every sentinel (or SENTINEL FAILOVER ${name} to a live replica); announce hostnames (replica-announce-ip the pod's DNS name, sentinel resolve-hostnames and announce-hostnames yes, Redis 6.2+) so a new pod IP does not strand it${own ? `; with ${deployer!.name}: ${own.title} (${own.source})` : ''}`,
        commands: [`kubectl exec ${pod} -- redis-cli -p 26379 SENTINEL RESET ${name}`],
        snippets: own ? [own] : [],
      },
      next: c.podsListed ? [] : [PODS_NEXT],
    });
  }
  return out;
}

/** Replicas a sentinel records in another network than the master, with no pods list to check: likely node IPs. */
function nodeIpLikely(c: Cluster, taken: Set<string>, deployer: Deployer | undefined): Diagnosis[] {
  if (c.podsListed) {
    return [];
  }
  const out: Diagnosis[] = [];
  const net16 = (ip: string) => ip.split('.').slice(0, 2).join('.');
  for (const [pod, f] of c.inputs.pods) {
    const master = f.sentinel?.master;
    const replicas = (f.sentinel?.replicas ?? []).map((e) => `${e['ip']}:${e['port']}`);
    if (!master || !replicas.length) {
      continue;
    }
    const far = replicas.filter((r) => net16(hostOf(r)) !== net16(hostOf(master)) && !taken.has(hostOf(r)));
    if (!far.length || far.length !== replicas.length) {
      continue;
    }
    out.push({
      kind: 'node-ip',
      certainty: 'likely',
      addresses: sorted(far),
      owner: `likely the nodes of the replica pods (another network than the master's ${hostOf(master)})`,
      seenBy: [pod],
      cause:
        "the replicas' connections to the master were SNATed to their nodes' addresses (a CNI's masquerade, or ip-masq-agent without the pod CIDR), or the replicas run with hostNetwork",
      fix: announceFix(
        c,
        deployer,
        true,
        'have each replica announce its pod IP or DNS name (replica-announce-ip) and leave the pod CIDR out of the masquerade',
        [],
      ),
      next: [PODS_NEXT, 'kubectl get nodes -o wide: whether these are node addresses'],
    });
  }
  return out;
}

/** Node ids that lost their address to another node (noaddr), and the PONG lines that say so. */
function reusedIps(c: Cluster, dialBacks: AnalyzeFailedDialBack[]): Diagnosis[] {
  const ids = new Set<string>();
  for (const v of c.views) {
    v.nodes.filter((n) => hasFlag(n, 'noaddr') && !hasFlag(n, 'myself')).forEach((n) => ids.add(n.id));
  }
  for (const f of c.inputs.pods.values()) {
    for (const m of (f.log?.text ?? '').matchAll(/PONG contains mismatching sender ID\. About node ([0-9a-f]{40})/g)) {
      ids.add(m[1]!);
    }
  }
  const out: Diagnosis[] = [];
  for (const id of ids) {
    const previous = c.podById.get(id);
    // Where the id was recorded or dialled, other than where its pod is now: the address another
    // pod took.
    const addresses = sorted(
      [
        ...c.views.flatMap((v) =>
          v.nodes.filter((n) => n.id === id && n.ip && !hasFlag(n, 'noaddr')).map((n) => `${n.ip}:${n.port}`),
        ),
        ...dialBacks.filter((f) => f.nodeId === id).map((f) => f.address),
      ].filter((a) => hostOf(a) !== previous?.ip),
    );
    const holders = addresses.flatMap((a) => {
      const p = [...c.pods.values()].find((x) => x.ip === hostOf(a) && x.nodeId !== id);
      return p ? [p.name] : [];
    });

    const seenBy = sorted(
      c.views.filter((v) => v.nodes.some((n) => n.id === id && hasFlag(n, 'noaddr'))).map((v) => v.pod),
    );
    // A MEET re-addresses the node only in the view of the pod that sends it (cluster.c: the PONG
    // ending its handshake, nodeUpdateAddressIfNeeded), and a noaddr entry is never dialled, so
    // each pod whose view lost the address sends its own.
    const from = seenBy.length ? seenBy : [c.members.find((m) => m !== previous?.name) ?? '<any healthy pod>'];
    out.push({
      kind: 'reused-ip',
      certainty: 'shown',
      addresses,
      owner: holders.length ? sorted(holders).join(', ') : 'another node (a pod that came back at this IP)',
      previousOwner: previous ? `${previous.name} (node ${id.slice(0, 8)})` : `node ${id.slice(0, 8)}`,
      seenBy,
      cause: `a pod came back at an IP node ${id.slice(0, 8)} held before; peers dialled the old address, got a PONG from another node id ("PONG contains mismatching sender ID") and dropped the address (noaddr)`,
      fix: {
        summary: previous?.ip
          ? `CLUSTER MEET ${previous.name} at its current address ${previous.ip} from each pod that lists it noaddr; announce a stable hostname (cluster-announce-hostname, Redis 7) so a reused IP cannot be mistaken`
          : `CLUSTER MEET the pod of node ${id.slice(0, 8)} at its current address, or CLUSTER FORGET ${id.slice(0, 8)}… on every node if that pod is gone`,
        commands: from.map((pod) =>
          previous?.ip
            ? `kubectl exec ${pod} -- redis-cli CLUSTER MEET ${previous.ip} ${previous.port || 6379}`
            : `kubectl exec ${pod} -- redis-cli CLUSTER FORGET ${id}`,
        ),
        snippets: [],
      },
      next:
        holders.length && previous
          ? []
          : [PODS_NEXT, 'CLUSTER NODES of every pod: which node id each pod has now (its myself line)'],
    });
  }
  return out;
}

function busPortDiagnoses(c: Cluster): Diagnosis[] {
  const { failing, byHostBus } = busPorts(c);
  return [...unreachableBus(failing), ...twiceBus(c, byHostBus), ...configBusTwice(c)];
}

/**
 * Entries at a bus port other than port + 10000 that peers mark failed, or whose link from a peer
 * is down: Redis 7 keeps such a node out of `fail` while its own PINGs still arrive over the links
 * it opens (clusterCron in redis/redis src/cluster.c takes the smaller of the PONG delay and the
 * delay since any data from the node, "every incoming data as proof of liveness"), so the peers'
 * view shows it `disconnected` instead (the lab's redis/redis#5983 case). Ids per host and bus port.
 */
function busPorts(c: Cluster) {
  const failing = new Map<string, { ip: string; cport: number; seenBy: Set<string>; failed: boolean }>();
  const byHostBus = new Map<string, Set<string>>();
  for (const v of c.views) {
    for (const n of v.nodes.filter((x) => x.ip)) {
      const failed = hasFlag(n, 'fail') || hasFlag(n, 'fail?');
      const down = !hasFlag(n, 'myself') && n.linkState === 'disconnected';
      if ((failed || down) && n.cport && n.cport !== n.port + 10000) {
        const key = `${n.ip}:${n.port}@${n.cport}`;
        const f = failing.get(key) ?? { ip: n.ip, cport: n.cport, seenBy: new Set<string>(), failed: false };
        f.seenBy.add(v.pod);
        f.failed ||= failed;
        failing.set(key, f);
      }
      const hb = `${n.ip}@${n.cport}`;
      byHostBus.set(hb, (byHostBus.get(hb) ?? new Set()).add(n.id));
    }
  }
  return { failing, byHostBus };
}

function unreachableBus(failing: ReturnType<typeof busPorts>['failing']): Diagnosis[] {
  const out: Diagnosis[] = [];
  for (const [address, f] of failing) {
    out.push({
      kind: 'bus-port-unreachable',
      certainty: 'shown',
      addresses: [address],
      owner: `the port mapping of ${f.ip}: it announces bus port ${f.cport}, which its peers cannot reach`,
      seenBy: sorted(f.seenBy),
      cause: `the node announces cluster bus port ${f.cport} (not its port + 10000); nothing listens or is published there, so ${f.failed ? 'peers mark it failed' : "peers' links to it stay disconnected"} even though its data port answers`,
      fix: {
        summary: `make cluster-announce-bus-port a port that listens and is published on ${f.ip}; test it with nc -z ${f.ip} ${f.cport}, not the data port`,
        commands: [`nc -vz ${f.ip} ${f.cport}`],
        snippets: [],
      },
      next: [`the node's redis.conf and its container's published ports (docker port, or the pod's Service)`],
    });
  }
  return out;
}

function twiceBus(c: Cluster, byHostBus: ReturnType<typeof busPorts>['byHostBus']): Diagnosis[] {
  const out: Diagnosis[] = [];
  for (const [hb, ids] of byHostBus) {
    if (ids.size > 1) {
      out.push({
        kind: 'bus-port-twice',
        certainty: 'shown',
        addresses: [hb.replace('@', ':')],
        owner: `${ids.size} nodes (${sorted([...ids].map((i) => i.slice(0, 8))).join(', ')}) announce the same host and bus port`,
        seenBy: sorted(c.views.filter((v) => v.nodes.some((n) => `${n.ip}@${n.cport}` === hb)).map((v) => v.pod)),
        cause: 'two nodes on one host announce one cluster-bus port: only one of them can be published there',
        fix: {
          summary: 'give each node its own published bus port and announce it (cluster-announce-bus-port)',
          commands: [],
          snippets: [],
        },
        next: [],
      });
    }
  }
  return out;
}

/** A config announcing one bus port while the create was given two nodes on one host. */
function configBusTwice(c: Cluster): Diagnosis[] {
  const out: Diagnosis[] = [];
  for (const cfg of c.inputs.configs) {
    const bus = cfg.directives.get('cluster-announce-bus-port')?.[0];
    const port = cfg.directives.get('cluster-announce-port')?.[0];
    // Only a create of the same deployment: one given the client port this config announces.
    for (const t of bus ? c.inputs.clusterTool.filter((x) => x.addresses.some((a) => a.endsWith(`:${port}`))) : []) {
      const hosts = new Map<string, string[]>();
      t.addresses.forEach((a) => hosts.set(hostOf(a), [...(hosts.get(hostOf(a)) ?? []), a]));
      for (const [host, on] of hosts) {
        if (on.length > 1) {
          out.push({
            kind: 'bus-port-twice',
            certainty: 'likely',
            addresses: [`${host}:${bus}`],
            owner: `${on.join(' and ')}: two nodes on one host, each with ${cfg.file}'s cluster-announce-bus-port ${bus} if they share it`,
            seenBy: [cfg.file, t.file].sort(),
            cause:
              'two nodes on one host that announce the same bus port: only one can be published there, so the other never completes a handshake',
            fix: {
              summary:
                'give each container its own published bus port and announce it (cluster-announce-bus-port), next to its own published client port (cluster-announce-port)',
              commands: [],
              snippets: [],
            },
            next: ["each node's redis.conf (or its arguments) and its published ports"],
          });
        }
      }
    }
  }
  return out;
}

function toolDiagnoses(c: Cluster): Diagnosis[] {
  return c.inputs.clusterTool.flatMap((t) => {
    const vips = serviceIpCreate(c, t);
    return [...vips, ...announceMismatch(c, t), ...(vips.length ? [] : createStuck(t))];
  });
}

type ToolRun = Cluster['inputs']['clusterTool'][number];

function serviceIpCreate(c: Cluster, t: ToolRun): Diagnosis[] {
  const out: Diagnosis[] = [];
  const clusterIps = new Map(c.services.flatMap((s) => (s.clusterIP ? [[s.clusterIP, s.name] as const] : [])));
  const vips = t.addresses.filter((a) => clusterIps.has(hostOf(a)));
  if (vips.length) {
    out.push({
      kind: 'service-ip-create',
      certainty: 'shown',
      addresses: sorted(vips),
      owner: `kube-proxy: Service ClusterIPs (${sorted(vips.map((a) => clusterIps.get(hostOf(a))!)).join(', ')}), not pods`,
      seenBy: [t.file],
      cause:
        'the cluster was created over Service ClusterIPs: each node learns its peers at virtual IPs, and their bus handshakes either reach no bus port (the Service does not expose port+10000) or arrive from another address than the one the node was met at, so they never complete',
      fix: {
        summary:
          "create the cluster with the pods' own IPs (kubectl get pods -o wide), and have each pod announce its pod IP (cluster-announce-ip); keep the Services for clients only",
        commands: [],
        snippets: [podIpSnippet('cluster-announce-ip')],
      },
      next: [],
    });
  }
  return out;
}

function announceMismatch(c: Cluster, t: ToolRun): Diagnosis[] {
  const out: Diagnosis[] = [];
  const announce = c.inputs.configs.flatMap((f) => {
    const ip = f.directives.get('cluster-announce-ip')?.[0];
    return ip ? [{ f, ip }] : [];
  });
  for (const a of announce.filter((x) => t.addresses.length && !t.addresses.some((y) => hostOf(y) === x.ip))) {
    out.push({
      kind: 'announce-mismatch',
      certainty: 'shown',
      addresses: sorted([a.ip, ...t.addresses.map(hostOf)]),
      owner: `${a.f.file} announces ${a.ip}; ${t.file} was given other addresses`,
      seenBy: [a.f.file, t.file].sort(),
      cause:
        'peers learn a node at the address the create used (its MEET) and then gossip the address it announces: the two disagree, so handshakes go to one and come from the other',
      fix: {
        summary:
          'per node: cluster-announce-ip the address peers reach (the one given to create), cluster-announce-port its published client port, cluster-announce-bus-port its own published bus port; publish both',
        commands: [],
        snippets: [],
      },
      next: [],
    });
  }
  return out;
}

function createStuck(t: ToolRun): Diagnosis[] {
  const out: Diagnosis[] = [];
  // Addresses in several /24s are pods on several nodes (flannel gives each node one): only then
  // does a masquerade of cross-node traffic apply, and pods on one node would join (flannel#1059).
  const subnets = sorted(t.addresses.map((a) => `${hostOf(a).split('.').slice(0, 3).join('.')}.0/24`));
  const across =
    subnets.length > 1
      ? `; the addresses are in ${subnets.length} subnets (${subnets.join(', ')}), likely pods on as many nodes (flannel gives each node one): if pods on one node join and pods across nodes do not, cross-node traffic is masqueraded`
      : '';
  if (t.stuckJoining) {
    out.push({
      kind: 'create-stuck',
      certainty: 'shown',
      addresses: sorted(t.addresses),
      owner: 'unknown until the views are read: the address a peer recorded each node at',
      seenBy: [t.file],
      cause: `the nodes' cluster-bus handshakes did not complete: a peer records a MEET's sender at the connection's source address, which a masquerade (a subnet's .0 with flannel, a node IP, a Service) rewrites, and then dials that address in vain${across}`,
      fix: {
        summary:
          'have each node announce the address peers reach it at (cluster-announce-ip $(POD_IP)), or stop masquerading pod-to-pod traffic; then run the create again',
        commands: [],
        snippets: [podIpSnippet('cluster-announce-ip')],
      },
      next: [
        'CLUSTER NODES of each node it was given: at which address (a .0, a node IP) each peer recorded it',
        PODS_NEXT,
      ],
    });
  }
  return out;
}

function unjoinedDiagnoses(c: Cluster, d: DiagnosisInput, deployer: Deployer | undefined): Diagnosis[] {
  return d.recommendations
    .filter((r) => r.settings.some((s) => s.startsWith('cluster-announce-ip')) && /MEET/.test(r.commands.at(-1) ?? ''))
    .map((r) => {
      const p = c.pods.get(r.pod);
      return {
        kind: 'unjoined' as const,
        certainty: 'shown' as const,
        addresses: [p?.self ?? ':6379@16379'],
        owner: r.pod,
        seenBy: [r.pod],
        cause: r.reason,
        fix: announceFix(c, deployer, false, `${r.settings.join(', ')}; ${r.then || 'then CLUSTER MEET'}`, [r]),
        next: r.exact
          ? []
          : ['kubectl get svc -o wide and kubectl get nodes -o wide: the NodePorts and node IP the fix needs'],
      };
    });
}

/** Every diagnosis the files support, in the order of DIAGNOSIS_KINDS, then by address. */
export function diagnose(c: Cluster, d: DiagnosisInput): Diagnosis[] {
  const deployer = recogniseDeployer(c);
  const rewrites = rewriteDiagnoses(c, d, deployer);
  const taken = new Set(rewrites.flatMap((x) => x.addresses.map(hostOf)));
  const all = [
    ...unjoinedDiagnoses(c, d, deployer),
    ...rewrites,
    ...nodeIpLikely(c, taken, deployer),
    ...staleDiagnoses(c, d),
    ...likelyStale(c),
    ...sentinelMasterDiagnoses(c, deployer),
    ...reusedIps(c, d.failedDialBacks),
    ...busPortDiagnoses(c),
    ...toolDiagnoses(c),
  ];
  const rank = (k: DiagnosisKind) => DIAGNOSIS_KINDS.indexOf(k);
  return all.sort((a, b) => rank(a.kind) - rank(b.kind) || a.addresses.join().localeCompare(b.addresses.join()));
}

/** One sentence for a diagnosis the problems do not already state (the verdict counts it). */
export const diagnosisProblem = (x: Diagnosis): string =>
  `${x.certainty === 'likely' ? 'likely ' : ''}${x.kind} at ${x.addresses.join(', ')}: ${x.owner}${x.previousOwner ? `; held before by ${x.previousOwner}` : ''}`;

/** Where the chart or operator is recognisable, which one (for the report). */
export { recogniseDeployer };
