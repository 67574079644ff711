// DIR's files (subfolders too), parsed into evidence per pod and per node, with a warning for
// anything that could not be used (naming the file, and the line when it is one line). Files are
// recognised by content (read-parts.ts); whose evidence each piece is comes from its prompt, its
// file's name, or its content (owners.ts). Nothing here throws on content.
import { join } from 'node:path';
import { hasFlag, parseClusterInfo, parseClusterNodes, type ClusterNode } from '../probes/cluster-nodes.ts';
import { parseRedisLog } from '../probes/logs.ts';
import {
  parseInfoReplicas,
  parseMasterAddress,
  parseSentinelEntries,
  type ReplicaLine,
  type SentinelEntry,
} from '../probes/sentinel.ts';
import { parseSocketTable, type SocketEntry } from '../probes/sockets.ts';
import { parseTcpdump, type Packet } from '../probes/tcpdump-text.ts';
import { compareStrings } from '../util/text.ts';
import { parseShards, parseSlots, type ShardNode } from './cluster-replies.ts';
import { parseClusterTool, type ClusterToolRun } from './cluster-tool.ts';
import { parseInterfaces, type InterfaceInfo } from './ip-addr.ts';
import { parseHeaderlessPods, parseKubeJson, parseKubeYaml, parsePodList, type KubeObjects } from './kube-objects.ts';
import {
  parseKubectlTable,
  parseNodes,
  parsePodCidrs,
  parsePods,
  parseServices,
  type KubeNode,
  type KubePod,
  type KubeService,
} from './kubectl.ts';
import {
  captureOwner,
  logNodeId,
  memberPods,
  podAt,
  podsKnownBy,
  socketsOwner,
  viewOwner,
  type Directory,
} from './owners.ts';
import { isIgnored, isPcap, listDir, readTranscript } from './read-dir.ts';
import { filePieces, type Piece } from './read-parts.ts';
import { KINDS, LOG_PREFIX } from './recognise.ts';
import { configDirectives, sentinelConfState, type SentinelConfState } from './redis-config.ts';
import { pairsText, replyValues } from './redis-reply.ts';
import type { ReadItem } from './report-types.ts';
import { parseRole, parseRolesPerPod, type RoleReply } from './roles.ts';
import { sentinelLogState } from './sentinel-log.ts';
import { Warnings } from './warnings.ts';

export interface PodFiles {
  view?: { nodes: ClusterNode[]; file: string };
  sockets: { entries: SocketEntry[]; file: string }[];
  packets?: Packet[];
  /** The log's text and how many of its lines are redis-server log lines. */
  log?: { text: string; file: string; redisLines: number };
  /**
   * `INFO replication`: every field (role, master_host, master_link_status, …), the master it
   * follows, and the replicas it lists.
   */
  replication?: {
    file: string;
    fields: Record<string, string>;
    role?: string;
    master?: string;
    replicas: ReplicaLine[];
  };
  /** What a sentinel records: SENTINEL replies, its sentinel.conf, or its log's events. */
  sentinel?: { files: string[]; replicas?: SentinelEntry[]; sentinels?: SentinelEntry[]; master?: string };
  /** `redis-cli role`. */
  role?: { file: string; reply: RoleReply };
}

/** `field:value` lines of an INFO section (`# Replication` headers and blank lines skipped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) {
      out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
  }
  return out;
}

/** What kubectl output said, in whatever form it came. */
export interface KubeTables extends KubeObjects {
  cidrs: { node: string; cidr: string }[];
  /** Pod IPs from a list without names (`-o jsonpath='{.items[*].status.podIP}'`). */
  podAddresses: string[];
  /** Where each kind came from (a file, or `file:line` of its prompt), when read. */
  read: { pods?: string; nodes?: string; services?: string; podcidrs?: string };
}

export interface ClusterInfoRead {
  owner?: string;
  file: string;
  fields: Record<string, string>;
}

export interface ShardsRead {
  owner?: string;
  file: string;
  nodes: ShardNode[];
}

export interface Inputs {
  /** Files (paths under DIR) with evidence in them, sorted. */
  files: string[];
  pods: Map<string, PodFiles>;
  interfaces: Map<string, { interfaces: InterfaceInfo[]; file: string }>;
  kube: KubeTables;
  clusterInfos: ClusterInfoRead[];
  shards: ShardsRead[];
  clusterTool: (ClusterToolRun & { file: string })[];
  /** redis.conf files: their directives (announce settings, replicaof). */
  configs: { owner?: string; file: string; directives: Map<string, string[]> }[];
  /** What each piece was read as, in file order. */
  read: ReadItem[];
  /** Names made up for evidence no file, prompt or content tied to a pod: `<pod of node 3a136cd5>`. */
  unnamed: Set<string>;
  /** Files that could not be read as text, and why. */
  unread: { file: string; problem: string }[];
  warnings: Warnings;
}

/** A piece's parser warnings, at the piece's lines of its file. */
function addParsed(inputs: Inputs, p: Piece, warnings: { line: number; text: string; problem: string }[]): void {
  inputs.warnings.addParsed(
    p.file,
    warnings.map((w) => ({ ...w, line: w.line + p.offset })),
  );
}

/** A whole-piece warning: line 0 for a whole file, else the piece's first line. */
const warnPiece = (inputs: Inputs, p: Piece, problem: string) =>
  inputs.warnings.add(p.file, p.whole ? 0 : p.offset + 1, problem);

// --- kubectl output --------------------------------------------------------------------------------

function readKube(inputs: Inputs, p: Piece): void {
  const k = inputs.kube;
  const take = (o: Partial<KubeObjects>) => {
    k.pods.push(...(o.pods ?? []));
    k.nodes.push(...(o.nodes ?? []));
    k.services.push(...(o.services ?? []));
    k.read.pods ??= o.pods?.length ? p.label : undefined;
    k.read.nodes ??= o.nodes?.length ? p.label : undefined;
    k.read.services ??= o.services?.length ? p.label : undefined;
  };
  switch (p.kind) {
    case 'kube-pods': {
      const parsed = parseKubectlTable(p.text, ['NAME', 'IP']).rows.length
        ? parsePods(p.text)
        : parseKubectlTable(p.text, ['NAME', 'READY', 'STATUS']).rows.length
          ? readPlainPods(p.text)
          : parseHeaderlessPods(p.text);
      addParsed(inputs, p, parsed.warnings);
      take({ pods: parsed.pods.map((x) => ({ ...x, line: x.line + p.offset })) });
      k.read.pods ??= p.label;
      return;
    }
    case 'kube-nodes': {
      const parsed = parseNodes(p.text);
      addParsed(inputs, p, parsed.warnings);
      take({ nodes: parsed.nodes });
      k.read.nodes ??= p.label;
      return;
    }
    case 'kube-services': {
      const parsed = parseServices(p.text);
      addParsed(inputs, p, parsed.warnings);
      take({ services: parsed.services });
      k.read.services ??= p.label;
      return;
    }
    case 'kube-podcidrs': {
      const parsed = parsePodCidrs(p.text);
      addParsed(inputs, p, parsed.warnings);
      k.cidrs.push(...parsed.cidrs);
      k.read.podcidrs ??= p.label;
      return;
    }
    case 'kube-json':
      take(parseKubeJson(p.text.trim()) ?? {});
      return;
    case 'kube-yaml':
      take(parseKubeYaml(p.text));
      return;
    case 'pod-list': {
      const list = parsePodList(p.text)!;
      take({ pods: list.pods });
      k.podAddresses.push(...list.addresses);
      k.read.pods ??= p.label;
      return;
    }
  }
}

/** `kubectl get pods` without -o wide: names and statuses, no IPs. */
function readPlainPods(text: string): { pods: KubePod[]; warnings: { line: number; text: string; problem: string }[] } {
  const { rows, warnings } = parseKubectlTable(text, ['NAME', 'READY', 'STATUS']);
  return {
    pods: rows.map((r) => ({
      name: r.cells.NAME!,
      ...(r.cells.NAMESPACE ? { namespace: r.cells.NAMESPACE } : {}),
      ...(r.cells.STATUS ? { status: r.cells.STATUS } : {}),
      line: r.line,
    })),
    warnings,
  };
}

// --- per pod -------------------------------------------------------------------------------------

const podFiles = (inputs: Inputs, owner: string): PodFiles => {
  let f = inputs.pods.get(owner);
  if (!f) {
    inputs.pods.set(owner, (f = { sockets: [] }));
  }
  return f;
};

function readView(inputs: Inputs, p: Piece, nodes: ClusterNode[], warnings: Parameters<typeof addParsed>[2]) {
  addParsed(inputs, p, warnings);
  if (nodes.length === 0 && p.text.trim() !== '') {
    warnPiece(inputs, p, 'no CLUSTER NODES lines in it');
  } else if (nodes.length && !nodes.some((n) => hasFlag(n, 'myself'))) {
    warnPiece(inputs, p, 'no myself line: is this the whole CLUSTER NODES reply?');
  }
}

function readReplication(inputs: Inputs, p: Piece, f: PodFiles): void {
  const fields = parseInfo(p.text);
  if (fields['master0']?.includes('address=')) {
    const s = (f.sentinel ??= { files: [] });
    s.files.push(p.label);
    s.master = /address=([^,]+)/.exec(fields['master0'])![1];
    return;
  }
  if (!fields['role']) {
    if (!Object.keys(fields).length || p.name.word?.includes('replication')) {
      warnPiece(inputs, p, 'no role: line; expected the output of redis-cli info replication');
    }
    if (!Object.keys(fields).length) {
      return;
    }
  }
  f.replication = {
    file: p.label,
    fields,
    role: fields['role'],
    ...(fields['master_host'] ? { master: `${fields['master_host']}:${fields['master_port']}` } : {}),
    replicas: parseInfoReplicas(p.text),
  };
}

function readSentinel(inputs: Inputs, p: Piece, f: PodFiles, state?: SentinelConfState): void {
  const s = (f.sentinel ??= { files: [] });
  s.files.push(p.label);
  if (state) {
    s.replicas = [...(s.replicas ?? []), ...state.replicas];
    s.sentinels = [...(s.sentinels ?? []), ...state.sentinels];
    s.master ??= state.master;
    return;
  }
  if (p.kind === 'sentinel-master-addr') {
    const a = parseMasterAddress(replyValues(p.text).join('\n'));
    if (!a) {
      warnPiece(inputs, p, 'no address in it; expected redis-cli -p 26379 sentinel get-master-addr-by-name <master>');
    }
    s.master = a ? `${a.ip}:${a.port}` : undefined;
    return;
  }
  const entries = parseSentinelEntries(pairsText(p.text));
  if (entries.length === 0 && p.text.trim() !== '') {
    warnPiece(
      inputs,
      p,
      'no entries with ip and port; expected redis-cli -p 26379 sentinel replicas|sentinels <master>',
    );
  }
  if (p.kind === 'sentinel-replicas') {
    s.replicas = entries;
  } else if (p.kind === 'sentinel-sentinels') {
    s.sentinels = entries;
  } else {
    const m = entries.find((e) => (e['flags'] ?? '').includes('master'));
    s.master ??= m ? `${m['ip']}:${m['port']}` : undefined;
  }
}

function readSockets(inputs: Inputs, p: Piece, f: PodFiles): void {
  const parsed = parseSocketTable(p.text);
  addParsed(inputs, p, parsed.warnings);
  const word = p.name.word;
  const expected = word === 'proc-net-tcp' ? 'proc' : word;
  if (
    (word === 'ss' || word === 'netstat' || word === 'proc-net-tcp') &&
    parsed.format !== 'unknown' &&
    parsed.format !== expected
  ) {
    warnPiece(inputs, p, `looks like ${parsed.format} output, not ${word}; read it anyway`);
  }
  f.sockets.push({ entries: parsed.sockets, file: p.label });
}

function readLog(inputs: Inputs, p: Piece, f: PodFiles): void {
  const text = p.text.replace(LOG_PREFIX, '');
  const lines = parseRedisLog(text);
  const redisLines = lines.filter((l) => l.pid !== undefined).length;
  if (lines.length > 0 && redisLines === 0) {
    warnPiece(inputs, p, 'no redis-server log lines in it');
  }
  f.log = { text, file: p.label, redisLines };
  const state = sentinelLogState(text);
  if (state) {
    readSentinel(inputs, p, f, state);
  }
}

/** Reads one piece that belongs to a pod into its files; false when it held nothing to use. */
function readPodPiece(inputs: Inputs, p: Piece, owner: string, parsed: Parsed): boolean {
  if (p.kind === 'role') {
    const reply = parseRole(p.text);
    if (!reply) {
      warnPiece(inputs, p, 'not a ROLE reply (master, slave or sentinel first)');
      return false;
    }
    podFiles(inputs, owner).role = { file: p.label, reply };
    return true;
  }
  const f = podFiles(inputs, owner);
  switch (p.kind) {
    case 'cluster-nodes':
    case 'nodes-conf':
      readView(inputs, p, parsed.nodes!, parsed.warnings!);
      f.view = { nodes: parsed.nodes!, file: p.label };
      break;
    case 'sockets':
      readSockets(inputs, p, f);
      break;
    case 'tcpdump':
      addParsed(inputs, p, parsed.warnings!);
      if (parsed.packets!.length === 0) {
        warnPiece(inputs, p, 'no TCP packets in it');
      }
      f.packets = parsed.packets!;
      break;
    case 'info':
      readReplication(inputs, p, f);
      break;
    case 'log':
      readLog(inputs, p, f);
      break;
    case 'sentinel-conf':
      readSentinel(inputs, p, f, sentinelConfState(p.text));
      break;
    default:
      readSentinel(inputs, p, f);
  }
  return true;
}

// Pieces read per pod; the rest are read once for the whole directory.
const POD_KINDS = new Set([
  'cluster-nodes',
  'nodes-conf',
  'sockets',
  'tcpdump',
  'info',
  'log',
  'role',
  'sentinel-conf',
  'sentinel-replicas',
  'sentinel-sentinels',
  'sentinel-masters',
  'sentinel-master-addr',
]);

/** What parsing a piece early gives, for telling its owner by content. */
interface Parsed {
  nodes?: ClusterNode[];
  warnings?: { line: number; text: string; problem: string }[];
  packets?: Packet[];
}

function parseEarly(p: Piece): Parsed {
  if (p.kind === 'cluster-nodes' || p.kind === 'nodes-conf') {
    const r = parseClusterNodes(p.kind === 'nodes-conf' ? p.text.replace(/^vars .*$/gm, '') : p.text);
    return { nodes: r.nodes, warnings: r.warnings };
  }
  if (p.kind === 'tcpdump') {
    const r = parseTcpdump(p.text);
    return { packets: r.packets, warnings: r.warnings };
  }
  return {};
}

// --- whose pieces are -----------------------------------------------------------------------------

interface Owned {
  piece: Piece;
  parsed: Parsed;
  owner?: string;
  from?: ReadItem['ownerFrom'];
}

function directory(inputs: Inputs): Directory {
  return {
    pods: inputs.kube.pods,
    services: inputs.kube.services,
    nodeIps: new Map(
      inputs.kube.nodes.flatMap((n) =>
        [n.internalIP, n.externalIP].filter((x) => x !== undefined).map((ip) => [ip, n.name]),
      ),
    ),
  };
}

/** The owner a piece's content tells, against the pods list. */
function ownerByContent(d: Directory, o: Owned, byId: Map<string, string>): string | undefined {
  const p = o.piece;
  switch (p.kind) {
    case 'cluster-nodes':
    case 'nodes-conf':
      return viewOwner(d, o.parsed.nodes!);
    case 'sockets':
      return socketsOwner(d, parseSocketTable(p.text).sockets);
    case 'tcpdump':
      return captureOwner(d, o.parsed.packets!);
    case 'log': {
      const id = logNodeId(p.text);
      return id ? byId.get(id) : undefined;
    }
    default:
      return undefined;
  }
}

/** Owners from prompts and file names, then content, then elimination for address-less views. */
function assignOwners(inputs: Inputs, owned: Owned[]): void {
  const d = directory(inputs);
  for (const o of owned) {
    const { hint, name } = o.piece;
    const byAddress = hint.address ? podAt(d, hint.address) : undefined;
    const byHost = hint.host && d.pods.some((p) => p.name === hint.host) ? hint.host : undefined;
    const direct = hint.pod ?? byAddress ?? byHost;
    if (direct) {
      [o.owner, o.from] = [direct, 'command'];
    } else if (name.owner) {
      [o.owner, o.from] = [name.owner, 'file name'];
    }
  }
  const byId = new Map<string, string>();
  const idOf = (o: Owned) => o.parsed.nodes?.find((n) => hasFlag(n, 'myself'))?.id;
  for (const pass of [0, 1]) {
    for (const o of owned.filter((x) => !x.owner)) {
      const owner = ownerByContent(d, o, byId);
      if (owner) {
        [o.owner, o.from] = [owner, 'content'];
      }
    }
    for (const o of owned.filter((x) => x.owner && idOf(x))) {
      byId.set(idOf(o)!, o.owner!);
    }
    if (pass === 0) {
      eliminate(inputs, d, owned);
    }
  }
}

/**
 * A view whose myself line has no address, owned by no prompt or name: the one listed member pod
 * that has no view of its own and that no view's entry stands for.
 */
function eliminate(inputs: Inputs, d: Directory, owned: Owned[]): void {
  const views = owned.filter((o) => o.parsed.nodes);
  const unowned = views.filter((o) => !o.owner);
  if (unowned.length !== 1) {
    return;
  }
  const taken = new Set([
    ...views.flatMap((o) => (o.owner ? [o.owner] : [])),
    ...views.flatMap((o) => podsKnownBy(d, o.parsed.nodes!)),
  ]);
  const evidence = new Set(owned.flatMap((o) => (o.owner ? [o.owner] : [])));
  const candidates = memberPods(inputs.kube.pods, evidence).filter((p) => !taken.has(p.name));
  if (candidates.length === 1) {
    [unowned[0]!.owner, unowned[0]!.from] = [candidates[0]!.name, 'content'];
  }
}

/** A made-up name for evidence nothing tied to a pod, or undefined when such evidence is dropped. */
function unnamedOwner(o: Owned): string | undefined {
  const p = o.piece;
  const id = o.parsed.nodes?.find((n) => hasFlag(n, 'myself'))?.id;
  if (id) {
    return `<pod of node ${id.slice(0, 8)}>`;
  }
  if (['info', 'role'].includes(p.kind) || p.kind.startsWith('sentinel')) {
    return `<pod in ${p.label}>`;
  }
  return undefined;
}

// --- the directory -------------------------------------------------------------------------------

function readRest(inputs: Inputs, p: Piece): void {
  switch (p.kind) {
    case 'cluster-info':
      inputs.clusterInfos.push({
        ...(p.hint.pod ? { owner: p.hint.pod } : p.name.owner && p.name.named ? { owner: p.name.owner } : {}),
        file: p.label,
        fields: parseClusterInfo(p.text),
      });
      return;
    case 'cluster-shards':
    case 'cluster-slots':
      inputs.shards.push({
        ...(p.hint.pod ? { owner: p.hint.pod } : {}),
        file: p.label,
        nodes: (p.kind === 'cluster-shards' ? parseShards : parseSlots)(replyValues(p.text)),
      });
      return;
    case 'cluster-tool':
      inputs.clusterTool.push({ ...parseClusterTool(p.text, p.command), file: p.label });
      return;
    case 'redis-conf':
      inputs.configs.push({
        ...(p.hint.pod ? { owner: p.hint.pod } : p.name.owner ? { owner: p.name.owner } : {}),
        file: p.label,
        directives: configDirectives(p.text),
      });
      return;
    default:
      readKube(inputs, p);
  }
}

/** ROLE once per pod: each block is its pod's own, by the name line above it. */
function readRoles(inputs: Inputs, p: Piece, items: ReadItem[]): void {
  for (const r of parseRolesPerPod(p.text)) {
    podFiles(inputs, r.pod).role = { file: `${p.file}:${p.offset + r.line}`, reply: r.role };
    items.push({ file: `${p.file}:${p.offset + r.line}`, as: KINDS.role, owner: r.pod, ownerFrom: 'content' });
  }
}

const readNodeInterfaces = (inputs: Inputs, p: Piece, owner: string) => {
  const parsed = parseInterfaces(p.text);
  addParsed(inputs, p, parsed.warnings);
  if (parsed.interfaces.length === 0) {
    warnPiece(inputs, p, 'no interfaces found; expected `ip addr` or `ifconfig` output');
  }
  inputs.interfaces.set(owner, { interfaces: parsed.interfaces, file: p.label });
};

/** The node an `ip addr` was taken on: its prompt, its file's name, or a node IP on it. */
function interfacesOwner(inputs: Inputs, p: Piece): { owner: string; from: NonNullable<ReadItem['ownerFrom']> } {
  if (p.hint.node) {
    return { owner: p.hint.node, from: 'command' };
  }
  if (p.name.owner) {
    return { owner: p.name.owner, from: 'file name' };
  }
  const ips = parseInterfaces(p.text).interfaces.flatMap((i) => i.ipv4);
  const node = inputs.kube.nodes.find((n) => n.internalIP && ips.includes(n.internalIP));
  return node ? { owner: node.name, from: 'content' } : { owner: `<node of ${p.label}>`, from: 'unnamed' };
}

/** `file` before `file:12` before `file:100`: file order, then line order. */
function compareLabels(a: string, b: string): number {
  const [fa, la = '0'] = a.split(/:(?=\d+$)/);
  const [fb, lb = '0'] = b.split(/:(?=\d+$)/);
  return compareStrings(fa!, fb!) || Number(la) - Number(lb);
}

const PCAP_PROBLEM = 'pcap files are not read; add its text: tcpdump -r FILE -nn -tt -v > <pod>.tcpdump.txt';

/**
 * Why a pcap is not used, or undefined for rcnc collect's own `pcap/<pod>.pcap`, whose text
 * `<pod>.tcpdump.txt` is next to it.
 */
function pcapProblem(path: string, all: string[]): string | undefined {
  const [folder, name] = path.split('/').slice(-2);
  const twin = `${name?.replace(/\.pcap$/, '')}.tcpdump.txt`;
  return folder === 'pcap' && all.some((f) => f.split('/').at(-1) === twin) ? undefined : PCAP_PROBLEM;
}

/** Lists and reads DIR. Throws UsageError only when DIR itself cannot be listed. */
export async function readInputs(dir: string): Promise<Inputs> {
  const inputs: Inputs = {
    files: [],
    pods: new Map(),
    interfaces: new Map(),
    kube: { pods: [], nodes: [], services: [], cidrs: [], podAddresses: [], read: {} },
    clusterInfos: [],
    shards: [],
    clusterTool: [],
    configs: [],
    read: [],
    unnamed: new Set(),
    unread: [],
    warnings: new Warnings(),
  };
  const pieces: Piece[] = [];
  const paths = await listDir(dir);
  for (const path of paths.filter((p) => !isIgnored(p.split('/').at(-1)!))) {
    if (isPcap(path)) {
      const problem = pcapProblem(path, paths);
      if (problem) {
        inputs.warnings.add(path, 0, problem);
      }
      continue;
    }
    const text = await readTranscript(join(dir, path));
    if (typeof text !== 'string') {
      inputs.warnings.add(path, 0, text.problem);
      inputs.unread.push({ file: path, problem: text.problem });
      continue;
    }
    pieces.push(...filePieces(path, text, inputs.warnings));
  }
  inputs.files = [...new Set(pieces.map((p) => p.file))].sort();
  for (const p of pieces.filter(
    (x) => !POD_KINDS.has(x.kind) && x.kind !== 'interfaces' && x.kind !== 'roles-per-pod',
  )) {
    readRest(inputs, p);
    inputs.read.push({ file: p.label, as: KINDS[p.kind] });
  }
  readPodPieces(inputs, pieces);
  for (const p of pieces.filter((x) => x.kind === 'interfaces')) {
    const { owner, from } = interfacesOwner(inputs, p);
    readNodeInterfaces(inputs, p, owner);
    inputs.read.push({ file: p.label, as: KINDS.interfaces, owner, ownerFrom: from });
  }
  inputs.read.sort((a, b) => compareLabels(a.file, b.file));
  return inputs;
}

function readPodPieces(inputs: Inputs, pieces: Piece[]): void {
  const owned: Owned[] = pieces
    .filter((p) => POD_KINDS.has(p.kind))
    .map((piece) => ({ piece, parsed: parseEarly(piece) }));
  assignOwners(inputs, owned);
  for (const o of owned) {
    if (!o.owner) {
      const made = unnamedOwner(o);
      if (!made) {
        warnPiece(
          inputs,
          o.piece,
          `could not tell which pod this ${KINDS[o.piece.kind]} is from: name the file <pod>.<what>.txt, or paste it after its command (kubectl exec POD -- …)`,
        );
        continue;
      }
      [o.owner, o.from] = [made, 'unnamed'];
      inputs.unnamed.add(made);
    }
    if (readPodPiece(inputs, o.piece, o.owner, o.parsed)) {
      inputs.read.push({ file: o.piece.label, as: KINDS[o.piece.kind], owner: o.owner, ownerFrom: o.from });
    }
  }
  const items: ReadItem[] = [];
  for (const p of pieces.filter((x) => x.kind === 'roles-per-pod')) {
    readRoles(inputs, p, items);
  }
  inputs.read.push(...items);
  // By pod name, whatever order the files came in: every later step walks the pods in this order.
  inputs.pods = new Map([...inputs.pods.entries()].sort(([a], [b]) => compareStrings(a, b)));
}

export type { KubeNode, KubePod, KubeService };
