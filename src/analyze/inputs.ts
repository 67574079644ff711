// DIR's files (subfolders too), parsed into evidence per pod and per node, with a warning for
// anything that could not be used (naming the file, and the line when it is one line). Files are
// recognised by content (read-parts.ts); whose evidence each piece is comes from its prompt, its
// file's name, or its content (owners.ts). Nothing here throws on content.
import { join } from 'node:path';
import { hasFlag, parseClusterInfo, type ClusterNode, type ParseWarning } from '../probes/cluster-nodes.ts';
import { parseRedisLog } from '../probes/logs.ts';
import {
  parseInfoReplicas,
  parseMasterAddress,
  parseSentinelEntries,
  type ReplicaLine,
  type SentinelEntry,
} from '../probes/sentinel.ts';
import { parseSocketTable, type SocketEntry } from '../probes/sockets.ts';
import type { Packet } from '../probes/tcpdump-text.ts';
import { compareStrings } from '../util/text.ts';
import { parseShards, parseSlots, type ShardNode } from './cluster-replies.ts';
import { parseClusterTool, type ClusterToolRun } from './cluster-tool.ts';
import { parseInterfaces, type InterfaceInfo } from './ip-addr.ts';
import type { KubeNode, KubePod, KubeService } from './kubectl.ts';
import { assignOwners, parseEarly, unnamedOwner, type Owned, type Parsed } from './piece-owners.ts';
import { isIgnored, isPcap, listDir, readTranscript } from './read-dir.ts';
import { noKube, readKube, type KubeTables } from './read-kube.ts';
import { addParsed as addParsedTo, filePieces, warnPiece as warnPieceTo, type Piece } from './read-parts.ts';
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
  sentinel?: {
    files: string[];
    replicas?: SentinelEntry[];
    sentinels?: SentinelEntry[];
    master?: string;
    /** The master's name, from sentinel.conf, the log, or the command of a SENTINEL reply. */
    masterName?: string;
  };
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
const addParsed = (inputs: Inputs, p: Piece, warnings: ParseWarning[]) => addParsedTo(inputs.warnings, p, warnings);

/** A whole-piece warning: line 0 for a whole file, else the piece's first line. */
const warnPiece = (inputs: Inputs, p: Piece, problem: string) => warnPieceTo(inputs.warnings, p, problem);

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
  const named = /\bsentinel\s+(?:get-master-addr-by-name|replicas|slaves|sentinels)\s+(\S+)/i.exec(p.command ?? '');
  s.masterName ??= state?.masterName ?? named?.[1];
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
    // SENTINEL MASTER(S) replies name the master they describe: the name a fix's commands take.
    s.masterName ??= m?.['name'];
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
      readKube(inputs.kube, p, inputs.warnings);
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

/** DIR's files as pieces of evidence; what cannot be read becomes a warning. */
async function readPieces(dir: string, inputs: Inputs): Promise<Piece[]> {
  const pieces: Piece[] = [];
  const paths = await listDir(dir);
  for (const path of paths.filter((p) => !isIgnored(p.split('/').at(-1)!))) {
    const text = isPcap(path) ? undefined : await readTranscript(join(dir, path));
    if (text === undefined) {
      const problem = pcapProblem(path, paths);
      if (problem) {
        inputs.warnings.add(path, 0, problem);
      }
    } else if (typeof text !== 'string') {
      inputs.warnings.add(path, 0, text.problem);
      inputs.unread.push({ file: path, problem: text.problem });
    } else {
      pieces.push(...filePieces(path, text, inputs.warnings));
    }
  }
  return pieces;
}

/** Lists and reads DIR. Throws UsageError only when DIR itself cannot be listed. */
export async function readInputs(dir: string): Promise<Inputs> {
  const inputs: Inputs = {
    files: [],
    pods: new Map(),
    interfaces: new Map(),
    kube: noKube(),
    clusterInfos: [],
    shards: [],
    clusterTool: [],
    configs: [],
    read: [],
    unnamed: new Set(),
    unread: [],
    warnings: new Warnings(),
  };
  const pieces = await readPieces(dir, inputs);
  inputs.files = [...new Set(pieces.map((p) => p.file))].sort();
  // The kubectl tables first: whose each other piece is is told against them.
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
  assignOwners(inputs.kube, owned);
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

export type { KubeNode, KubePod, KubeService, KubeTables };
