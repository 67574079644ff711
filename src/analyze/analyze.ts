// `rcnc analyze DIR`: diagnoses artifacts collected from a real cluster (or a lab run) with the
// same probes the scenarios use. DIR holds any of:
//   <pod>.cluster-nodes.txt      redis-cli cluster nodes
//   <pod>.ss.txt                 ss -tanp            <pod>.netstat.txt   netstat -anop (grep-filtered is fine)
//   <pod>.tcpdump.txt            tcpdump text (-nn or with names; -tt -v preferred)
//   <pod>.log / <pod>.log.txt    the Redis log (kubectl logs)
//   pods.txt                     kubectl get pods -o wide (with or without -A's NAMESPACE column)
//   nodes.txt                    kubectl get nodes -o wide
//   services.txt                 kubectl get svc -o wide (optional: exact NodePorts for the fix)
//   <node>.ip-addr.txt           ip addr on the node  <node>.ifconfig.txt   ifconfig on the node
// Nothing here throws on file content: unknown files and unreadable lines become warnings that
// name the file and line. The only errors are about DIR itself (UsageError).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTcpdump, type Packet, type PacketEndpoint } from '../probes/capture.ts';
import { hasFlag, parseClusterNodes, type ClusterNode, type ParseWarning } from '../probes/cluster-nodes.ts';
import { findAddressUpdates, findFailedConnections, parseRedisLog } from '../probes/logs.ts';
import { isTranslated, reconstructNat, type NatMapping } from '../probes/nat-map.ts';
import { classifyAddress, type AddressBook, type Classified } from '../probes/snat.ts';
import { inbound, parseSocketTable, type SocketEntry } from '../probes/sockets.ts';
import type { AddressClass, FailedDialBack, Ghost } from '../report/results.ts';
import { UsageError } from '../util/errors.ts';
import { parseInterfaces, type InterfaceInfo } from './interfaces.ts';
import { parseNodes, parsePods, parseServices, type KubeService } from './kubectl.ts';

const DEFAULT_PORT = 6379;
const BUS_PORT_INCR = 10000; // CLUSTER_PORT_INCR in cluster.c
const NODEPORT_RANGE = [30000, 32767] as const;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface AnalyzeWarning {
  file: string;
  /** 1-based; 0 when the warning is about the whole file. */
  line: number;
  problem: string;
}

export interface NatedConnection {
  pod: string;
  /** `ip:port` of the pod's bus port */
  local: string;
  peer: string;
  class: AddressClass;
  /** Who owns the peer address, e.g. `cni0@node-0`, or the address itself when unknown. */
  owner: string;
}

export interface AnalyzeGhost extends Ghost {
  class: AddressClass;
  owner: string;
  /** The pod this entry stands for, when the files tell (same id, a packet capture, or one candidate). */
  pod?: string;
}

export interface AnalyzeFailedDialBack extends FailedDialBack {
  class: AddressClass;
  owner: string;
  error: string;
  /** How many times the log shows this dial-back failing. */
  count: number;
}

export interface AnalyzeAddressUpdate {
  pod: string;
  nodeId: string;
  /** `ip:port` the node was updated to */
  address: string;
  class: AddressClass;
  owner: string;
}

export interface Recommendation {
  pod: string;
  /** `name value` lines for redis.conf or CONFIG SET, in this order. */
  settings: string[];
  /** What to do after setting them. */
  then: string;
  /** Why this pod needs them. */
  reason: string;
  /** false when a value is a placeholder (e.g. the NodePort is not in the files). */
  exact: boolean;
}

export interface AnalyzedPod {
  name: string;
  ip?: string;
  node?: string;
  nodeIP?: string;
  hostNetwork: boolean;
  nodeId?: string;
  /** The myself line's address, e.g. `:6379@16379` when it never learned its own. */
  self?: string;
  port: number;
  busPort: number;
}

export interface AnalyzedNode {
  name: string;
  internalIP?: string;
  externalIP?: string;
  /** IPv4 addresses per interface (from ip addr / ifconfig). */
  interfaces: Record<string, string[]>;
}

export interface AnalyzeReport {
  /** Files read, sorted. */
  files: string[];
  pods: AnalyzedPod[];
  nodes: AnalyzedNode[];
  natedConnections: NatedConnection[];
  natMappings: NatMapping[];
  ghosts: AnalyzeGhost[];
  failedDialBacks: AnalyzeFailedDialBack[];
  addressUpdates: AnalyzeAddressUpdate[];
  recommendations: Recommendation[];
  /** One sentence per problem found; empty means nothing wrong was found. */
  problems: string[];
  warnings: AnalyzeWarning[];
}

type PodFileKind = 'cluster-nodes' | 'ss' | 'netstat' | 'tcpdump' | 'log';
type NodeFileKind = 'ip-addr' | 'ifconfig';

const POD_FILES: [PodFileKind, RegExp][] = [
  ['cluster-nodes', /^(.+)\.cluster-nodes\.txt$/],
  ['ss', /^(.+)\.ss\.txt$/],
  ['netstat', /^(.+)\.netstat\.txt$/],
  ['tcpdump', /^(.+)\.tcpdump\.txt$/],
  ['log', /^(.+)\.log(?:\.txt)?$/],
];
const NODE_FILES: [NodeFileKind, RegExp][] = [
  ['ip-addr', /^(.+)\.ip-addr\.txt$/],
  ['ifconfig', /^(.+)\.ifconfig\.txt$/],
];
const TABLES = ['pods.txt', 'nodes.txt', 'services.txt'] as const;
// Files that belong in an example or artifact directory but are not evidence.
const IGNORED = /^(?:README(?:\..*)?|expected\.json|\..*)$/i;

export const EXPECTED_FILES =
  '<pod>.cluster-nodes.txt, <pod>.ss.txt, <pod>.netstat.txt, <pod>.tcpdump.txt, <pod>.log, pods.txt, nodes.txt, services.txt, <node>.ip-addr.txt, <node>.ifconfig.txt';

interface PodFiles {
  view?: { nodes: ClusterNode[]; file: string };
  sockets: { entries: SocketEntry[]; file: string }[];
  packets?: Packet[];
  log?: { text: string; file: string };
}

const isNodePort = (port: number) => port >= NODEPORT_RANGE[0] && port <= NODEPORT_RANGE[1];
const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';
const shortId = (id: string) => id.slice(0, 8);
const ipOf = (endpoint: string) => endpoint.replace(/^\[/, '').replace(/\]?:\d+$/, '');

// Device names → rewrite class, beyond the three classifyAddress knows (datapath.md §5): the
// pod-network gateway on a node, or a tunnel device.
const BRIDGE_DEVICE = /^(?:cni\d*|docker\d+|cbr\d+|kube-bridge|br-\S+|virbr\d+|cilium_host|weave)$/;
const TUNNEL_DEVICE =
  /^(?:flannel[.-]\S+|vxlan[.-]\S+|tunl\d+|cilium_vxlan|cilium_geneve|genev_sys_\d+|wireguard\.cali)$/;

function deviceClass(dev: string): AddressClass {
  if (BRIDGE_DEVICE.test(dev)) {
    return 'bridge-gateway';
  }
  if (TUNNEL_DEVICE.test(dev)) {
    return 'tunnel';
  }
  return 'unknown';
}

async function readText(path: string): Promise<string | { problem: string }> {
  try {
    const s = await stat(path);
    if (s.size > MAX_FILE_BYTES) {
      return { problem: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; cut it down (e.g. grep the bus port)` };
    }
    return await readFile(path, 'utf8');
  } catch (e) {
    return { problem: `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** Reads and analyzes DIR. Throws UsageError only when DIR itself cannot be listed. */
export async function analyzeDir(dir: string): Promise<AnalyzeReport> {
  let entries: string[];
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) {
      throw new UsageError(`${dir} is a file, not a directory; pass the directory that holds the collected files`);
    }
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => e.name);
  } catch (e) {
    if (e instanceof UsageError) {
      throw e;
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${dir} does not exist; pass the directory that holds the collected files (${EXPECTED_FILES})`
        : `cannot read directory ${dir} (${code ?? (e as Error).message}); check its permissions`,
      { cause: e },
    );
  }
  entries.sort();

  const warnings: AnalyzeWarning[] = [];
  const warnAll = (file: string, list: ParseWarning[]) =>
    list.forEach((w) => warnings.push({ file, line: w.line, problem: `${w.problem}: ${truncate(w.text)}` }));
  const files: string[] = [];
  const podFiles = new Map<string, PodFiles>();
  const ifaceFiles = new Map<string, { interfaces: InterfaceInfo[]; file: string }>();
  const tables: Partial<Record<(typeof TABLES)[number], string>> = {};
  const podEntry = (name: string) => {
    let p = podFiles.get(name);
    if (!p) {
      podFiles.set(name, (p = { sockets: [] }));
    }
    return p;
  };

  for (const name of entries) {
    if (IGNORED.test(name)) {
      continue;
    }
    const tableName = TABLES.find((t) => t === name);
    const podKind = POD_FILES.find(([, re]) => re.test(name));
    const nodeKind = NODE_FILES.find(([, re]) => re.test(name));
    if (!tableName && !podKind && !nodeKind) {
      warnings.push({
        file: name,
        line: 0,
        problem: name.endsWith('.pcap')
          ? 'pcap files are not read; add its text: tcpdump -r FILE -nn -tt -v > <pod>.tcpdump.txt'
          : `not a file rcnc analyze reads (expected ${EXPECTED_FILES})`,
      });
      continue;
    }
    const text = await readText(join(dir, name));
    if (typeof text !== 'string') {
      warnings.push({ file: name, line: 0, problem: text.problem });
      continue;
    }
    files.push(name);
    if (tableName) {
      tables[tableName] = text;
      continue;
    }
    if (nodeKind) {
      const owner = nodeKind[1].exec(name)![1]!;
      const parsed = parseInterfaces(text);
      warnAll(name, parsed.warnings);
      if (parsed.interfaces.length === 0) {
        warnings.push({ file: name, line: 0, problem: 'no interfaces found; expected `ip addr` or `ifconfig` output' });
      }
      ifaceFiles.set(owner, { interfaces: parsed.interfaces, file: name });
      continue;
    }
    const [kind, re] = podKind!;
    const pod = podEntry(re.exec(name)![1]!);
    switch (kind) {
      case 'cluster-nodes': {
        const parsed = parseClusterNodes(text);
        warnAll(name, parsed.warnings);
        if (parsed.nodes.length && !parsed.nodes.some((n) => hasFlag(n, 'myself'))) {
          warnings.push({ file: name, line: 0, problem: 'no myself line: is this the whole CLUSTER NODES reply?' });
        }
        pod.view = { nodes: parsed.nodes, file: name };
        break;
      }
      case 'ss':
      case 'netstat': {
        const parsed = parseSocketTable(text);
        warnAll(name, parsed.warnings);
        if (parsed.format !== 'unknown' && parsed.format !== kind) {
          warnings.push({
            file: name,
            line: 0,
            problem: `looks like ${parsed.format} output, not ${kind}; read it anyway`,
          });
        }
        pod.sockets.push({ entries: parsed.sockets, file: name });
        break;
      }
      case 'tcpdump': {
        const parsed = parseTcpdump(text);
        warnAll(name, parsed.warnings);
        if (parsed.packets.length === 0) {
          warnings.push({ file: name, line: 0, problem: 'no TCP packets in it' });
        }
        pod.packets = parsed.packets;
        break;
      }
      case 'log': {
        const lines = parseRedisLog(text);
        if (lines.length > 0 && lines.every((l) => l.pid === undefined)) {
          warnings.push({ file: name, line: 0, problem: 'no redis-server log lines in it' });
        }
        pod.log = { text, file: name };
        break;
      }
    }
  }

  // --- who is who ---------------------------------------------------------------------------
  const table = <T extends { warnings: ParseWarning[] }>(name: (typeof TABLES)[number], parse: (text: string) => T) => {
    const text = tables[name];
    if (text === undefined) {
      return undefined;
    }
    const parsed = parse(text);
    warnAll(name, parsed.warnings);
    return parsed;
  };
  const podRows = table('pods.txt', parsePods)?.pods ?? [];
  const nodeRows = table('nodes.txt', parseNodes)?.nodes ?? [];
  const services: KubeService[] = table('services.txt', parseServices)?.services ?? [];

  const podNames = new Set([...podRows.map((p) => p.name), ...podFiles.keys()]);
  const nodes = new Map<string, AnalyzedNode>();
  for (const n of nodeRows) {
    nodes.set(n.name, {
      name: n.name,
      ...(n.internalIP ? { internalIP: n.internalIP } : {}),
      ...(n.externalIP ? { externalIP: n.externalIP } : {}),
      interfaces: {},
    });
  }
  for (const [owner, { interfaces, file }] of ifaceFiles) {
    if (podNames.has(owner) && !nodes.has(owner)) {
      warnings.push({ file, line: 0, problem: `${owner} is a pod; node interface files are named after nodes` });
      continue;
    }
    let n = nodes.get(owner);
    if (!n) {
      nodes.set(owner, (n = { name: owner, interfaces: {} }));
    }
    for (const i of interfaces) {
      if (i.ipv4.length) {
        n.interfaces[i.name] = i.ipv4;
      }
    }
    if (!n.internalIP) {
      // Without nodes.txt: the first address on an interface that is neither loopback nor CNI.
      const uplink = interfaces.find((i) => i.name !== 'lo' && deviceClass(i.name) === 'unknown' && i.ipv4.length);
      if (uplink) {
        n.internalIP = uplink.ipv4[0]!;
      }
    }
  }
  const nodeIps = new Set(
    [...nodes.values()].flatMap((n) => [n.internalIP, n.externalIP].filter((x) => x !== undefined)),
  );

  const seenRows = new Set<string>();
  const pods = new Map<string, AnalyzedPod>();
  for (const name of [...podNames].sort()) {
    const rows = podRows.filter((r) => r.name === name);
    if (rows.length > 1 && !seenRows.has(name)) {
      warnings.push({
        file: 'pods.txt',
        line: rows[1]!.line,
        problem: `pod ${name} is listed twice; the first line is used`,
      });
    }
    seenRows.add(name);
    const row = rows[0];
    const files = podFiles.get(name);
    const myself = files?.view?.nodes.find((n) => hasFlag(n, 'myself'));
    const node = row?.node;
    const nodeIP = node ? nodes.get(node)?.internalIP : undefined;
    // Without pods.txt the myself line's address is the pod's, unless it announces a node IP.
    const ip = row?.ip ?? (myself?.ip && !nodeIps.has(myself.ip) ? myself.ip : undefined);
    const sockets = files?.sockets.flatMap((s) => s.entries) ?? [];
    const busPort = pickPort(sockets, [
      myself?.cport,
      myself ? myself.port + BUS_PORT_INCR : undefined,
      DEFAULT_PORT + BUS_PORT_INCR,
    ]);
    const port = pickPort(sockets, [myself?.port, busPort - BUS_PORT_INCR, DEFAULT_PORT]);
    const p: AnalyzedPod = { name, hostNetwork: ip !== undefined && nodeIps.has(ip), port, busPort };
    if (ip) {
      p.ip = ip;
    }
    if (node) {
      p.node = node;
    }
    if (nodeIP) {
      p.nodeIP = nodeIP;
    }
    if (myself) {
      p.nodeId = myself.id;
      p.self = `${myself.ip}:${myself.port}@${myself.cport}`;
    }
    pods.set(name, p);
  }
  if (podFiles.size && !tables['pods.txt']) {
    warnings.push({
      file: 'pods.txt',
      line: 0,
      problem: 'missing: pod IPs come from the myself lines only, so NATed peers may be missed',
    });
  }

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
  const classify = (ip: string): Classified => {
    const c = classifyAddress(ip, book);
    if (c.class === 'unknown' && c.owner.includes('@')) {
      return { class: deviceClass(c.owner.split('@')[0]!.replace(/#\d+$/, '')), owner: c.owner };
    }
    const ext = [...nodes.values()].find((n) => n.externalIP === ip);
    if (c.class === 'unknown' && ext) {
      return { class: 'node-ip', owner: `external-ip@${ext.name}` };
    }
    return c;
  };
  // A hostNetwork pod's IP is its node's: only the analyzed pods' count as pod addresses, or a
  // kube-proxy pod in pods.txt would hide every NATed node-IP peer.
  const podIps = new Set(book.pods.filter((p) => !p.hostNetwork || podFiles.has(p.name)).map((p) => p.ip));
  const podById = new Map([...pods.values()].filter((p) => p.nodeId).map((p) => [p.nodeId!, p]));

  // --- inbound bus connections from no pod --------------------------------------------------
  const natedConnections: NatedConnection[] = [];
  for (const p of pods.values()) {
    const seen = new Set<string>();
    for (const s of inbound(podFiles.get(p.name)?.sockets.flatMap((t) => t.entries) ?? [], p.busPort)) {
      if (!s.peer || isLoopback(s.peer.ip) || podIps.has(s.peer.ip)) {
        continue;
      }
      const local = `${s.local.ip}:${s.local.port}`;
      const peer = `${s.peer.ip}:${s.peer.port}`;
      if (seen.has(`${local} ${peer}`)) {
        continue;
      }
      seen.add(`${local} ${peer}`);
      const c = classify(s.peer.ip);
      natedConnections.push({ pod: p.name, local, peer, class: c.class, owner: c.owner });
    }
  }

  // --- NAT mappings from every pair of captures ----------------------------------------------
  const captures = [...podFiles.entries()]
    .filter(([, f]) => f.packets)
    .map(([name, f]) => ({ name, packets: f.packets!.map((p) => withPodAddresses(p, pods)) }));
  const natMappings: NatMapping[] = [];
  for (let i = 0; i < captures.length; i++) {
    for (let j = i + 1; j < captures.length; j++) {
      for (const m of reconstructNat(captures[i]!, captures[j]!).filter(isTranslated)) {
        // Written from the initiator's own capture, so `flow` is the connection as its pod made it.
        const swap =
          ipOf(m.flow.split(' > ')[0]!) !== pods.get(m.capturedAt)?.ip &&
          ipOf(m.as.split(' > ')[0]!) === pods.get(m.seenAt)?.ip;
        natMappings.push(
          swap
            ? { capturedAt: m.seenAt, flow: m.as, seenAt: m.capturedAt, as: m.flow, matchedPackets: m.matchedPackets }
            : m,
        );
      }
    }
  }
  natMappings.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt) || a.flow.localeCompare(b.flow));

  // --- ghosts -------------------------------------------------------------------------------
  const views = [...podFiles.entries()]
    .filter(([, f]) => f.view)
    .map(([name, f]) => ({ pod: name, nodes: f.view!.nodes }));
  const knows = (viewer: string, id: string) =>
    views
      .find((v) => v.pod === viewer)
      ?.nodes.some((n) => n.id === id && !hasFlag(n, 'handshake') && !hasFlag(n, 'noaddr')) ?? false;
  const legit = (n: ClusterNode) =>
    podIps.has(n.ip) ||
    (nodeIps.has(n.ip) && (isNodePort(n.port) || book.pods.some((p) => p.hostNetwork && p.ip === n.ip)));
  const ghosts: AnalyzeGhost[] = [];
  for (const v of views) {
    for (const n of v.nodes) {
      if (hasFlag(n, 'myself') || !(hasFlag(n, 'handshake') || hasFlag(n, 'noaddr') || !legit(n))) {
        continue;
      }
      const c = classify(n.ip);
      const g: AnalyzeGhost = {
        seenBy: v.pod,
        nodeId: n.id,
        address: `${n.ip}:${n.port}@${n.cport}`,
        flags: n.flags,
        class: c.class,
        owner: c.owner,
      };
      const who = attributeGhost(g, n);
      if (who) {
        g.pod = who;
      }
      ghosts.push(g);
    }
  }

  // Which pod a ghost stands for: the same id; else the pod whose capture shows the connection
  // that reached the viewer from the ghost's address; else the one pod the viewer does not know
  // that knows the viewer (it joined, nobody could dial it back).
  function attributeGhost(g: AnalyzeGhost, n: ClusterNode): string | undefined {
    const same = podById.get(n.id);
    if (same && same.name !== g.seenBy) {
      return same.name;
    }
    const viewer = pods.get(g.seenBy);
    const strangers = (name: string) => name !== g.seenBy && !knows(g.seenBy, pods.get(name)?.nodeId ?? '');
    const fromCapture = new Set(
      natMappings
        .filter(
          (m) =>
            m.seenAt === g.seenBy && ipOf(m.as.split(' > ')[0]!) === n.ip && ipOf(m.as.split(' > ')[1]!) === viewer?.ip,
        )
        .map((m) => m.capturedAt)
        .filter(strangers),
    );
    if (fromCapture.size === 1) {
      return [...fromCapture][0];
    }
    const candidates = [...pods.values()].filter(
      (p) => p.nodeId && strangers(p.name) && knows(p.name, viewer?.nodeId ?? ''),
    );
    return candidates.length === 1 ? candidates[0]!.name : undefined;
  }

  // --- logs ---------------------------------------------------------------------------------
  const failedDialBacks: AnalyzeFailedDialBack[] = [];
  const addressUpdates: AnalyzeAddressUpdate[] = [];
  for (const [name, f] of podFiles) {
    if (!f.log) {
      continue;
    }
    const byKey = new Map<string, AnalyzeFailedDialBack>();
    for (const x of findFailedConnections(f.log.text)) {
      const address = `${x.ip}:${x.port}`;
      const key = `${x.nodeId} ${address}`;
      const known = byKey.get(key);
      if (known) {
        known.count++;
        continue;
      }
      const c = classify(x.ip);
      byKey.set(key, {
        pod: name,
        nodeId: x.nodeId,
        address,
        class: c.class,
        owner: c.owner,
        error: x.error,
        count: 1,
      });
    }
    failedDialBacks.push(...byKey.values());
    const updates = new Map<string, AnalyzeAddressUpdate>();
    for (const u of findAddressUpdates(f.log.text)) {
      const c = classify(u.ip);
      updates.set(`${u.nodeId} ${u.ip}:${u.port}`, {
        pod: name,
        nodeId: u.nodeId,
        address: `${u.ip}:${u.port}`,
        class: c.class,
        owner: c.owner,
      });
    }
    addressUpdates.push(...updates.values());
  }

  // --- what to fix --------------------------------------------------------------------------
  const problems: string[] = [];
  const reasons = new Map<string, string[]>();
  const addReason = (pod: string, why: string) => reasons.set(pod, [...(reasons.get(pod) ?? []), why]);
  for (const g of ghosts) {
    const what = `${g.seenBy} holds ${shortId(g.nodeId)} at ${g.address} (${g.flags.join(',')}; ${g.class}, ${g.owner})`;
    if (g.pod) {
      problems.push(`${what}: it stands for ${g.pod}`);
      addReason(g.pod, `${g.seenBy} recorded it at ${g.address} (${g.owner}), an address that does not reach it`);
    } else if (g.flags.includes('noaddr')) {
      problems.push(`${what}: a stale entry; CLUSTER FORGET ${g.nodeId} on every node if that node is gone`);
    } else {
      problems.push(what);
    }
  }
  for (const p of pods.values()) {
    if (!p.nodeId) {
      continue;
    }
    for (const v of views) {
      const e = v.pod === p.name ? undefined : v.nodes.find((n) => n.id === p.nodeId);
      if (e && e.ip && !legit(e) && !hasFlag(e, 'handshake')) {
        const c = classify(e.ip);
        problems.push(
          `${v.pod} knows ${p.name} at ${e.ip}:${e.port}@${e.cport} (${c.class}, ${c.owner}), not at an address of ${p.name}`,
        );
        addReason(p.name, `${v.pod} knows it at ${e.ip}:${e.port}@${e.cport} (${c.owner})`);
      }
    }
  }
  for (const f of failedDialBacks) {
    if (f.class !== 'pod') {
      problems.push(
        `${f.pod} failed to dial ${shortId(f.nodeId)} back at ${f.address} (${f.class}, ${f.owner}): ${f.error}`,
      );
    }
  }
  for (const u of addressUpdates) {
    if (u.class !== 'pod' && u.class !== 'node-ip') {
      problems.push(`${u.pod} updated ${shortId(u.nodeId)} to ${u.address} (${u.class}, ${u.owner}): a NAT address`);
    }
  }
  const unannounced = [...pods.values()].filter(
    (p) => p.self !== undefined && (p.self.startsWith(':') || ipOf(p.self.split('@')[0]!) === p.ip),
  );
  if (natedConnections.length && unannounced.length) {
    const receivers = [...new Set(natedConnections.map((c) => c.pod))].join(', ');
    const sources = [...new Set(natedConnections.map((c) => `${ipOf(c.peer)} ${c.class}, ${c.owner}`))].join('; ');
    problems.push(
      `${natedConnections.length} inbound cluster-bus connection(s) reach ${receivers} from no pod (${sources}) while ` +
        `${unannounced.map((p) => p.name).join(', ')} announce(s) no address: Redis records a peer that announces ` +
        'nothing at the address its connection comes from',
    );
  }

  const recommendations: Recommendation[] = [];
  for (const [podName, why] of [...reasons.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const p = pods.get(podName)!;
    if (p.self?.startsWith(':')) {
      why.push(`its own view has no address for itself (${p.self}): nobody ever sent it a MEET it could answer`);
    }
    recommendations.push(recommend(p, [...new Set(why)].join('; ')));
  }

  function recommend(p: AnalyzedPod, reason: string): Recommendation {
    const svc = services.find(
      (s) =>
        s.type === 'NodePort' && Object.entries(s.selector).some(([k, v]) => k.endsWith('pod-name') && v === p.name),
    );
    const viaCapture = (port: number) =>
      natMappings.find(
        (m) =>
          ipOf(m.as.split(' > ')[1]!) === p.ip &&
          m.as.endsWith(`:${port}`) &&
          nodeIps.has(ipOf(m.flow.split(' > ')[1]!)),
      );
    const npFor = (port: number, nth: number): { port?: number; ip?: string } => {
      const fromSvc =
        svc?.ports.find((x) => x.port === port)?.nodePort ??
        (svc?.ports.length === 2 ? [...svc.ports].sort((a, b) => a.port - b.port)[nth]?.nodePort : undefined);
      if (fromSvc) {
        return { port: fromSvc };
      }
      const m = viaCapture(port);
      return m ? { port: Number(m.flow.split(':').at(-1)), ip: ipOf(m.flow.split(' > ')[1]!) } : {};
    };
    const client = npFor(p.port, 0);
    const bus = npFor(p.busPort, 1);
    const nodePortEvident =
      svc !== undefined ||
      client.port !== undefined ||
      bus.port !== undefined ||
      views.some((v) => v.nodes.some((n) => nodeIps.has(n.ip) && isNodePort(n.port)));
    const target = meetTarget(p);
    const then = target
      ? `then CLUSTER MEET again: redis-cli -p ${p.port} cluster meet ${target.ip} ${target.port} ${target.cport}`
      : 'then CLUSTER MEET again, from this pod to a healthy member at the address the others know it by';
    if (nodePortEvident) {
      const ip = p.nodeIP ?? bus.ip ?? client.ip;
      return {
        pod: p.name,
        settings: [
          `cluster-announce-ip ${ip ?? `<node IP of ${p.name}>`}`,
          `cluster-announce-port ${client.port ?? `<NodePort of ${p.name}:${p.port}>`}`,
          `cluster-announce-bus-port ${bus.port ?? `<NodePort of ${p.name}:${p.busPort}>`}`,
        ],
        then,
        reason,
        exact: ip !== undefined && client.port !== undefined && bus.port !== undefined,
      };
    }
    return {
      pod: p.name,
      settings: [
        `cluster-announce-ip ${p.ip ?? `<pod IP of ${p.name}>`}`,
        `cluster-announce-port ${p.port}`,
        `cluster-announce-bus-port ${p.busPort}`,
      ],
      then,
      reason,
      exact: p.ip !== undefined,
    };
  }

  // The member to MEET, at the address the pod's own view has it connected by: the one that
  // holds its ghost (the entry it joined through), else a master.
  function meetTarget(p: AnalyzedPod): ClusterNode | undefined {
    const own = views.find((v) => v.pod === p.name)?.nodes ?? [];
    const ok = own.filter((n) => !hasFlag(n, 'myself') && n.linkState === 'connected' && n.ip && legit(n));
    const entries = ghosts.filter((g) => g.pod === p.name).map((g) => pods.get(g.seenBy)?.nodeId);
    return ok.find((n) => entries.includes(n.id)) ?? ok.find((n) => hasFlag(n, 'master')) ?? ok[0];
  }

  return {
    files,
    pods: [...pods.values()].filter((p) => podFiles.has(p.name)),
    nodes: [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    natedConnections,
    natMappings,
    ghosts,
    failedDialBacks,
    addressUpdates,
    recommendations,
    problems,
    warnings: warnings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
  };
}

/**
 * A capture printed without -n names pods by DNS: `redis-0.redis.ns.svc.cluster.local` (a
 * StatefulSet pod behind a headless Service) or `10-42-0-5.ns.pod.cluster.local`. Such names are
 * turned back into the pod's address, so flows compare with -nn captures and with ss.
 */
function withPodAddresses(p: Packet, pods: Map<string, AnalyzedPod>): Packet {
  const resolve = (e: PacketEndpoint): PacketEndpoint => {
    if (!e.host) {
      return e;
    }
    const label = e.ip.split('.')[0]!;
    const dashed = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(label);
    const ip = dashed ? dashed.slice(1).join('.') : pods.get(label)?.ip;
    return ip ? { ip, port: e.port } : e;
  };
  return p.src.host || p.dst.host ? { ...p, src: resolve(p.src), dst: resolve(p.dst) } : p;
}

/**
 * The pod's own port among candidates (from its myself line, then the defaults): the first with a
 * listener in its socket table; else the one most inbound connections use; else the first that is
 * not a NodePort (an announced port is not the one the pod listens on).
 */
function pickPort(sockets: SocketEntry[], candidates: (number | undefined)[]): number {
  const list = [...new Set(candidates.filter((c): c is number => c !== undefined && c > 0 && c <= 65535))];
  const listening = list.find((c) => sockets.some((s) => s.state === 'LISTEN' && s.local.port === c));
  if (listening !== undefined) {
    return listening;
  }
  const used = list
    .map((c) => ({ c, n: inbound(sockets, c).length }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n)[0];
  return used?.c ?? list.find((c) => !isNodePort(c)) ?? list.at(-1)!;
}

const truncate = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n)}…` : s);

const section = (title: string, lines: string[]) =>
  lines.length ? ['', `${title}:`, ...lines.map((l) => `  ${l}`)] : [];

/** The report for people: problems first, then the evidence, the fix, and what could not be read. */
export function renderAnalyzeText(r: AnalyzeReport): string {
  const out: string[] = [
    `rcnc analyze: ${r.pods.length} pod(s), ${r.nodes.length} node(s), ${r.files.length} file(s) read`,
  ];
  out.push(
    ...(r.problems.length
      ? section(
          `Problems (${r.problems.length})`,
          r.problems.map((p) => `- ${p}`),
        )
      : ['', 'No problems found: every node is known at a pod or node address, no ghosts, no failed dial-backs.']),
  );
  out.push(
    ...section(
      'Inbound cluster-bus connections from no pod (ss/netstat)',
      r.natedConnections.map(
        (c) => `${c.pod.padEnd(12)} ${c.local.padEnd(22)} <- ${c.peer.padEnd(22)} ${c.class} (${c.owner})`,
      ),
    ),
  );
  out.push(
    ...section(
      'NAT seen in packet captures (same packets at both ends)',
      r.natMappings.map(
        (m) => `[${m.capturedAt}] ${m.flow.replace(' > ', ' → ')}  ==  [${m.seenAt}] ${m.as.replace(' > ', ' → ')}`,
      ),
    ),
  );
  out.push(
    ...section(
      'Ghost entries (CLUSTER NODES)',
      r.ghosts.map(
        (g) =>
          `${g.seenBy} sees ${shortId(g.nodeId)} at ${g.address} ${g.flags.join(',')}: ${g.class} (${g.owner})${g.pod ? `, stands for ${g.pod}` : ''}`,
      ),
    ),
  );
  out.push(
    ...section(
      'Failed dial-backs (Redis logs)',
      r.failedDialBacks.map(
        (f) => `${f.pod} -> ${f.address} for ${shortId(f.nodeId)}: ${f.error} (x${f.count}; ${f.class}, ${f.owner})`,
      ),
    ),
  );
  out.push(
    ...section(
      'Address updates (Redis logs)',
      r.addressUpdates.map((u) => `${u.pod} now knows ${shortId(u.nodeId)} at ${u.address}: ${u.class} (${u.owner})`),
    ),
  );
  out.push(
    ...section(
      'Fix',
      r.recommendations.flatMap((x) => [
        `${x.pod}: ${x.settings.join(', ')}${x.exact ? '' : '  (fill in the <…> values; services.txt gives NodePorts)'}`,
        `  ${x.then}`,
        `  why: ${x.reason}`,
      ]),
    ),
  );
  out.push(
    ...section(
      'Warnings',
      r.warnings.map((w) => `${w.file}${w.line ? `:${w.line}` : ''}: ${w.problem}`),
    ),
  );
  return out.join('\n') + '\n';
}

/**
 * What `rcnc analyze DIR [--json]` prints and exits with: 0 nothing wrong found, 1 problems found,
 * 2 DIR missing, unreadable or without any file analyze reads.
 */
export async function analyzeCommand(dir: string, json: boolean): Promise<{ output: string; exitCode: number }> {
  let report: AnalyzeReport;
  try {
    report = await analyzeDir(dir);
  } catch (e) {
    if (e instanceof UsageError) {
      return { output: `rcnc analyze: ${e.message}\n`, exitCode: 2 };
    }
    throw e;
  }
  if (report.files.length === 0) {
    return {
      output: `rcnc analyze: ${dir} holds none of the files analyze reads; collect ${EXPECTED_FILES} into it (see rcnc analyze --help)\n`,
      exitCode: 2,
    };
  }
  return {
    output: json ? JSON.stringify(report, null, 2) + '\n' : renderAnalyzeText(report),
    exitCode: report.problems.length ? 1 : 0,
  };
}
