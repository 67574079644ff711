// Sentinel transcripts: the master's `INFO replication` lists each replica at the peer address of
// its replication link unless the replica announces one, and every sentinel records what the
// master lists (docs/sentinel.md#replica-address, #replica-discovery). A listed or recorded
// address that is no pod's, no NodePort or host-network address on a node, and no LoadBalancer
// address is a rewrite; so is a replica recorded at the very address the same sentinel hands out
// as the master (docs/sentinel.md#convert-to-slave). Each replica then needs replica-announce-ip
// and -port, and each sentinel known at such an address sentinel announce-ip and -port.
import { hostOf } from '../util/address.ts';
import { ownerText } from './address-owners.ts';
import type { PodFiles } from './inputs.ts';
import type { AnalyzedPod, Recommendation, SentinelAnalysis, SentinelFinding } from './report-types.ts';
import { isNodePort, type Cluster } from './who-is-who.ts';

const DEFAULT_PORTS = { data: 6379, sentinel: 26379 };

const selects = (selector: Record<string, string>, pod: string) =>
  Object.entries(selector).some(([k, v]) => k.endsWith('pod-name') && v === pod);

/**
 * Why an `ip:port` does not reach a pod as recorded, or undefined when it can (or, without a pods
 * list, when nothing shows it cannot: only a loopback address, or a /24's network address, which
 * flannel gives its VXLAN device, is evidently no pod's).
 */
export function rewriteReason(c: Cluster, address: string): string | undefined {
  const ip = hostOf(address);
  const port = Number(address.split(':').at(-1));
  if (!c.podsListed) {
    return /^127\./.test(ip)
      ? 'a loopback address: the connection came through a local proxy (a sidecar), not from the replica'
      : /^\d+\.\d+\.\d+\.0$/.test(ip)
        ? "a /24's network address (flannel's VXLAN device holds it on the node), no pod's"
        : undefined;
  }
  if (c.podIps.has(ip)) {
    return undefined;
  }
  if (c.nodeIps.has(ip) && (isNodePort(port) || [...c.pods.values()].some((p) => p.hostNetwork && p.ip === ip))) {
    return undefined;
  }
  if (c.services.some((s) => s.externalIPs?.includes(ip) && s.ports.some((p) => p.port === port))) {
    return undefined;
  }
  return 'no pod, NodePort, host-network or load-balancer address';
}

function finding(
  c: Cluster,
  seenBy: string,
  source: SentinelFinding['source'],
  address: string,
  flags: string[],
  why: string,
): SentinelFinding {
  const o = c.owner(hostOf(address));
  return { seenBy, source, address, flags, class: o.class, owner: ownerText(o), why };
}

const entryAddress = (e: Record<string, string>) => `${e['ip']}:${e['port']}`;
const entryFlags = (e: Record<string, string>) => (e['flags'] ?? '').split(',').filter(Boolean);

/**
 * Every address that reaches the master pod (the one whose INFO says role:master): its pod IP, its
 * NodePort on every node, its load-balancer addresses. A replica recorded there is the master.
 */
function masterAddresses(c: Cluster): { pod?: string; addresses: Set<string> } {
  const pod = [...c.inputs.pods.entries()].find(([, f]) => f.replication?.role === 'master')?.[0];
  const addresses = new Set<string>();
  const p = pod ? c.pods.get(pod) : undefined;
  if (!pod || !p) {
    return { addresses };
  }
  if (p.ip) {
    addresses.add(`${p.ip}:${DEFAULT_PORTS.data}`);
  }
  for (const s of c.services.filter((x) => selects(x.selector, pod))) {
    for (const port of s.ports) {
      for (const ip of s.externalIPs ?? []) {
        addresses.add(`${ip}:${port.port}`);
      }
      for (const ip of port.nodePort ? c.nodeIps : []) {
        addresses.add(`${ip}:${port.nodePort}`);
      }
    }
  }
  return { pod, addresses };
}

function sentinelFindings(
  c: Cluster,
  name: string,
  files: NonNullable<PodFiles['sentinel']>,
  master: ReturnType<typeof masterAddresses>,
) {
  const replicas: SentinelFinding[] = [];
  for (const e of files.replicas ?? []) {
    const address = entryAddress(e);
    const why =
      address === files.master
        ? `the address ${name} hands out as the master`
        : master.addresses.has(address)
          ? `an address of ${master.pod}, the master`
          : rewriteReason(c, address);
    if (why) {
      replicas.push(finding(c, name, 'sentinel-replicas', address, entryFlags(e), why));
    }
  }
  const sentinels = (files.sentinels ?? []).flatMap((e) => {
    const why = rewriteReason(c, entryAddress(e));
    return why ? [finding(c, name, 'sentinel-sentinels', entryAddress(e), entryFlags(e), why)] : [];
  });
  return { replicas, sentinels };
}

/** The address others should record a pod at: its LoadBalancer, its NodePort, or its pod IP. */
function announceFor(c: Cluster, pod: AnalyzedPod, port: number): { ip: string; port: number; exact: boolean } {
  const lb = c.services.find(
    (s) => s.type === 'LoadBalancer' && selects(s.selector, pod.name) && s.externalIPs?.length,
  );
  if (lb) {
    const ip = pod.nodeIP && lb.externalIPs!.includes(pod.nodeIP) ? pod.nodeIP : lb.externalIPs![0]!;
    return { ip, port: lb.ports[0]!.port, exact: true };
  }
  const np = c.services.find((s) => s.type === 'NodePort' && selects(s.selector, pod.name));
  const nodePort = np?.ports[0]?.nodePort;
  if (np) {
    return { ip: pod.nodeIP ?? '<node IP>', port: nodePort ?? port, exact: !!pod.nodeIP && !!nodePort };
  }
  return { ip: pod.ip ?? '<pod IP>', port, exact: !!pod.ip };
}

function recommend(c: Cluster, pod: string, role: 'data' | 'sentinel', reason: string): Recommendation {
  const p = c.pods.get(pod) ?? { name: pod, hostNetwork: false, port: 0, busPort: 0 };
  const a = announceFor(c, p, DEFAULT_PORTS[role]);
  const settings =
    role === 'data'
      ? [`replica-announce-ip ${a.ip}`, `replica-announce-port ${a.port}`]
      : [`sentinel announce-ip ${a.ip}`, `sentinel announce-port ${a.port}`];
  const cli = role === 'data' ? 'redis-cli' : 'redis-cli -p 26379';
  const set = role === 'data' ? 'CONFIG SET' : 'SENTINEL CONFIG SET';
  return {
    pod,
    settings,
    then:
      role === 'data'
        ? 'CLIENT KILL TYPE master on it (a new handshake carries the address), then SENTINEL RESET <master> on every sentinel'
        : 'SENTINEL RESET <master> on every sentinel',
    reason,
    exact: a.exact,
    commands: [
      ...settings.map((s) => `kubectl exec ${pod} -- ${cli} ${set} ${s.replace(/^sentinel /, '')}`),
      ...(role === 'data'
        ? [
            `kubectl exec ${pod} -- redis-cli CONFIG REWRITE`,
            `kubectl exec ${pod} -- redis-cli CLIENT KILL TYPE master`,
          ]
        : []),
    ],
  };
}

/** What the Sentinel transcripts show; empty when there are none. */
export function analyzeSentinel(c: Cluster): SentinelAnalysis {
  const out: SentinelAnalysis = {
    rewrittenReplicas: [],
    listedAt: [],
    rewrittenSentinels: [],
    collapsed: [],
    recommendations: [],
    problems: [],
  };
  const pods = [...c.inputs.pods.entries()];
  const master = masterAddresses(c);
  for (const [name, f] of pods) {
    if (f.sentinel) {
      const found = sentinelFindings(c, name, f.sentinel, master);
      out.rewrittenReplicas.push(...found.replicas);
      out.rewrittenSentinels.push(...found.sentinels);
    }
    // A Redis Cluster member (it has a CLUSTER NODES view) finds its peers through the cluster
    // bus, not through INFO replication: only Sentinel reads the replica addresses listed there.
    if (f.replication?.role === 'master' && !f.view) {
      const counts = new Map<string, number>();
      for (const r of f.replication.replicas) {
        const address = `${r.ip}:${r.port}`;
        counts.set(address, (counts.get(address) ?? 0) + 1);
        const why = master.addresses.has(address) ? `an address of ${name} itself` : rewriteReason(c, address);
        if (why) {
          out.listedAt.push(finding(c, name, 'info-replication', address, [r.state], why));
        }
      }
      out.collapsed.push(
        ...[...counts.entries()].filter(([, n]) => n > 1).map(([a, n]) => `${name} lists ${n} replicas at ${a}`),
      );
    }
  }
  problemsAndFixes(c, out, pods);
  // Two replicas behind one address give the same sentence twice; once is enough.
  out.problems = [...new Set(out.problems)];
  return out;
}

/** Replica addresses that masters (INFO replication) and sentinels list, but for the wrong ones. */
function recordedAt(pods: [string, PodFiles][], wrong: Set<string>): Set<string> {
  const listed = pods.flatMap(([, f]) => [
    ...(f.replication?.replicas ?? []).map((r) => `${r.ip}:${r.port}`),
    ...(f.sentinel?.replicas ?? []).map((r) => `${r['ip']}:${r['port']}`),
  ]);
  return new Set(listed.filter((a) => !wrong.has(a)));
}

function problemsAndFixes(c: Cluster, out: SentinelAnalysis, pods: [string, PodFiles][]): void {
  const line = (x: SentinelFinding) =>
    `${x.address} (${x.class}, ${x.owner}${x.flags.length ? `; ${x.flags.join(',')}` : ''})`;
  for (const x of out.listedAt) {
    out.problems.push(`${x.seenBy} lists a replica at ${line(x)}: ${x.why}; the replica announces nothing`);
  }
  for (const x of out.rewrittenReplicas) {
    out.problems.push(`${x.seenBy} records a replica at ${line(x)}: ${x.why}; a failover cannot use it`);
  }
  for (const x of out.rewrittenSentinels) {
    out.problems.push(`${x.seenBy} records a sentinel at ${line(x)}: ${x.why}`);
  }
  out.problems.push(...out.collapsed.map((s) => `${s}: Sentinel keeps one record for them`));
  if (out.listedAt.length || out.rewrittenReplicas.length) {
    const wrong = new Set([...out.listedAt, ...out.rewrittenReplicas].map((x) => x.address));
    const where = [...wrong].join(', ');
    const replicas = pods.filter(([, f]) => f.replication?.role === 'slave');
    // A replica already listed at its own pod IP is recorded right (the same-node replica of
    // flannel-io/flannel#445, beside the cross-node one at a .0): the fix is for the others, unless
    // that would leave none, when the files cannot tell which replica the wrong record is.
    const right = recordedAt(pods, wrong);
    const atOwnIp = ([name]: [string, PodFiles]) => right.has(`${c.pods.get(name)?.ip}:${DEFAULT_PORTS.data}`);
    const others = replicas.filter((r) => !atOwnIp(r));
    for (const [name] of others.length ? others : replicas) {
      out.recommendations.push(
        recommend(c, name, 'data', `replicas are recorded at ${where}, not where they are reached`),
      );
    }
  }
  const sentinelPods = pods.filter(([, f]) => f.sentinel).map(([name]) => name);
  if (out.rewrittenSentinels.length) {
    for (const name of sentinelPods) {
      out.recommendations.push(
        recommend(c, name, 'sentinel', 'sentinels are recorded at addresses that reach none of them'),
      );
    }
  }
}
