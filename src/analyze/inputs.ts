// DIR's files, parsed into evidence per pod and per node, with a warning for anything that could
// not be used (naming the file, and the line when it is one line). Nothing here throws on content.
import { join } from 'node:path';
import { hasFlag, parseClusterNodes, type ClusterNode } from '../probes/cluster-nodes.ts';
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
import { parseInterfaces, type InterfaceInfo } from './ip-addr.ts';
import { fileRole, listDir, readTranscript, type PodFileKind, type TableName } from './read-dir.ts';
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
  /** A sentinel's SENTINEL replicas / sentinels / get-master-addr-by-name replies. */
  sentinel?: { files: string[]; replicas?: SentinelEntry[]; sentinels?: SentinelEntry[]; master?: string };
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

export interface Inputs {
  /** Files read as text, sorted. */
  files: string[];
  pods: Map<string, PodFiles>;
  interfaces: Map<string, { interfaces: InterfaceInfo[]; file: string }>;
  tables: Partial<Record<TableName, string>>;
  /** Files with a name analyze reads that could not be read as text, and why. */
  unread: { file: string; problem: string }[];
  warnings: Warnings;
}

function readPodFile(kind: PodFileKind, name: string, text: string, pod: PodFiles, warn: Warnings): void {
  switch (kind) {
    case 'cluster-nodes': {
      const parsed = parseClusterNodes(text);
      warn.addParsed(name, parsed.warnings);
      if (parsed.nodes.length === 0 && text.trim() !== '') {
        warn.add(name, 0, 'no CLUSTER NODES lines in it');
      } else if (parsed.nodes.length && !parsed.nodes.some((n) => hasFlag(n, 'myself'))) {
        warn.add(name, 0, 'no myself line: is this the whole CLUSTER NODES reply?');
      }
      pod.view = { nodes: parsed.nodes, file: name };
      return;
    }
    case 'ss':
    case 'netstat':
    case 'proc-net-tcp': {
      const parsed = parseSocketTable(text);
      warn.addParsed(name, parsed.warnings);
      const expected = kind === 'proc-net-tcp' ? 'proc' : kind;
      if (parsed.format !== 'unknown' && parsed.format !== expected) {
        warn.add(name, 0, `looks like ${parsed.format} output, not ${kind}; read it anyway`);
      }
      pod.sockets.push({ entries: parsed.sockets, file: name });
      return;
    }
    case 'tcpdump': {
      const parsed = parseTcpdump(text);
      warn.addParsed(name, parsed.warnings);
      if (parsed.packets.length === 0) {
        warn.add(name, 0, 'no TCP packets in it');
      }
      pod.packets = parsed.packets;
      return;
    }
    case 'info-replication':
      readReplicationFile(name, text, pod, warn);
      return;
    case 'sentinel-replicas':
    case 'sentinel-sentinels':
    case 'sentinel-master':
      readSentinelFile(kind, name, text, pod, warn);
      return;
    case 'log': {
      const lines = parseRedisLog(text);
      const redisLines = lines.filter((l) => l.pid !== undefined).length;
      if (lines.length > 0 && redisLines === 0) {
        warn.add(name, 0, 'no redis-server log lines in it');
      }
      pod.log = { text, file: name, redisLines };
      return;
    }
  }
}

function readReplicationFile(name: string, text: string, pod: PodFiles, warn: Warnings): void {
  const fields = parseInfo(text);
  if (!fields['role']) {
    warn.add(name, 0, 'no role: line; expected the output of redis-cli info replication');
  }
  pod.replication = {
    file: name,
    fields,
    role: fields['role'],
    ...(fields['master_host'] ? { master: `${fields['master_host']}:${fields['master_port']}` } : {}),
    replicas: parseInfoReplicas(text),
  };
}

function readSentinelFile(
  kind: 'sentinel-replicas' | 'sentinel-sentinels' | 'sentinel-master',
  name: string,
  text: string,
  pod: PodFiles,
  warn: Warnings,
): void {
  const s = (pod.sentinel ??= { files: [] });
  s.files.push(name);
  if (kind === 'sentinel-master') {
    const a = parseMasterAddress(text);
    if (!a) {
      warn.add(name, 0, 'no address in it; expected redis-cli -p 26379 sentinel get-master-addr-by-name <master>');
    }
    s.master = a ? `${a.ip}:${a.port}` : undefined;
    return;
  }
  const entries = parseSentinelEntries(text);
  if (entries.length === 0 && text.trim() !== '') {
    warn.add(name, 0, 'no entries with ip and port; expected redis-cli -p 26379 sentinel replicas|sentinels <master>');
  }
  if (kind === 'sentinel-replicas') {
    s.replicas = entries;
  } else {
    s.sentinels = entries;
  }
}

function readNodeFile(name: string, text: string, node: string, inputs: Inputs): void {
  const parsed = parseInterfaces(text);
  inputs.warnings.addParsed(name, parsed.warnings);
  if (parsed.interfaces.length === 0) {
    inputs.warnings.add(name, 0, 'no interfaces found; expected `ip addr` or `ifconfig` output');
  }
  inputs.interfaces.set(node, { interfaces: parsed.interfaces, file: name });
}

/** Lists and reads DIR. Throws UsageError only when DIR itself cannot be listed. */
export async function readInputs(dir: string): Promise<Inputs> {
  const inputs: Inputs = {
    files: [],
    pods: new Map(),
    interfaces: new Map(),
    tables: {},
    unread: [],
    warnings: new Warnings(),
  };
  const warn = inputs.warnings;
  for (const name of await listDir(dir)) {
    const role = fileRole(name);
    if (role.role === 'ignored') {
      continue;
    }
    if (role.role === 'unknown') {
      warn.add(name, 0, role.problem);
      continue;
    }
    const text = await readTranscript(join(dir, name));
    if (typeof text !== 'string') {
      warn.add(name, 0, text.problem);
      inputs.unread.push({ file: name, problem: text.problem });
      continue;
    }
    inputs.files.push(name);
    if (role.role === 'table') {
      inputs.tables[role.table] = text;
    } else if (role.role === 'node') {
      readNodeFile(name, text, role.node, inputs);
    } else {
      let pod = inputs.pods.get(role.pod);
      if (!pod) {
        inputs.pods.set(role.pod, (pod = { sockets: [] }));
      }
      readPodFile(role.kind, name, text, pod, warn);
    }
  }
  return inputs;
}
