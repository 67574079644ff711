// Socket tables, filtered to what a reader of a Redis Cluster problem looks for: sockets on the
// Redis ports of this cell (client and bus ports, the NodePorts the views name), except the
// probes' own loopback connections to a client port. The rest (mostly 127.0.0.1 TIME-WAIT rows of
// redis-cli) stays behind a count, folded. One table per pod: ss is preferred, netstat and
// /proc/net/tcp are links. Tables without a NATed peer are links with a count.
import { familyModule } from '../../../scenarios/registry.ts';
import type { CellResult } from '../../model/results.ts';
import { splitHostPort } from '../../util/address.ts';
import { cleanText, compareStrings } from '../../util/text.ts';
import { addressPattern } from './addresses.ts';
import type { EvidenceFile } from './evidence.ts';
import { esc, fileLink, fold, markedLine, nonEmptyLines, plainLine } from './markup.ts';

/** Other sockets shown once unfolded; the file has them all. */
const MAX_OTHER_LINES = 10;
/** Tables with a NATed peer shown in full; the rest tell the same story and are links with counts. */
const MAX_NAT_TABLES = 4;
/** The ports of a cell's Redis nodes: client ports, and cluster-bus ports (which loopback rows may use too). */
export interface RedisPorts {
  client: Set<number>;
  bus: Set<number>;
}
const TOOL_PREFERENCE = ['ss', 'sockets', 'netstat', 'proc-net-tcp', 'proc-net-tcp6'];

export function socketsSection(files: EvidenceFile[], ports: RedisPorts, nat: Map<string, string>): string[] {
  const tables = preferredTables(files.filter((file) => file.kind === 'sockets'));
  if (tables.length === 0) {
    return [];
  }
  const lines = ['<h4>Socket tables (Redis ports)</h4>'];
  const plain: string[] = [];
  const more: string[] = [];
  let shown = 0;
  for (const { file, others } of tables) {
    const alternatives = others.map((other) => fileLink(other.path, toolOf(other.path))).join(', ');
    const table = socketTable(file, ports, nat);
    const link = (what: string) =>
      `${fileLink(file.path, file.member ?? file.path)} <span class="meta">(${what}` +
      `${alternatives ? `; also ${alternatives}` : ''})</span>`;
    if (table.natted === 0 && table.error === undefined) {
      plain.push(link(`${table.relevant} on Redis ports`));
      continue;
    }
    if (shown >= MAX_NAT_TABLES && table.error === undefined) {
      more.push(link(`${table.natted} NATed of ${table.relevant} on Redis ports`));
      continue;
    }
    shown += 1;
    lines.push(
      `<h5>${esc(file.member ?? file.path)} · ${esc(toolOf(file.path))} ${fileLink(file.path, 'file')}` +
        `${alternatives ? ` <span class="meta">(also ${alternatives})</span>` : ''}</h5>`,
      ...table.markup,
    );
  }
  if (more.length > 0) {
    lines.push(`<p class="sockets-plain">More tables with a NATed peer: ${more.join(', ')}</p>`);
  }
  if (plain.length > 0) {
    // The bus-peer table above names every peer and its class; a raw table earns its room when it
    // shows a rewritten address.
    const all = plain.length === tables.length;
    lines.push(`<p class="sockets-plain">${all ? 'No' : 'Tables without a'} NATed peer: ${plain.join(', ')}</p>`);
  }
  return lines;
}

interface RenderedTable {
  markup: string[];
  /** Rows on a Redis port, and how many of them have a NATed peer. */
  relevant: number;
  natted: number;
  error?: string;
}

function socketTable(file: EvidenceFile, ports: RedisPorts, nat: Map<string, string>): RenderedTable {
  if (file.error || file.text === undefined) {
    const markup = file.error ? [`<p class="error">${esc(file.path)}: ${esc(file.error)}</p>`] : [];
    return { markup, relevant: 0, natted: 0, error: file.error ?? 'no text' };
  }
  const { header, relevant, other } = splitSockets(cleanText(file.text), ports);
  const patterns = [...nat.entries()].map(([ip, what]) => ({ what, re: addressPattern(ip) }));
  let natted = 0;
  const mark = (line: string, count = false) => {
    const hit = patterns.find((pattern) => pattern.re.test(line));
    natted += hit && count ? 1 : 0;
    return hit ? markedLine(line, 'nat', `NATed peer (${hit.what})`) : plainLine(line);
  };
  const shown = [...header.map((line) => plainLine(line, 'head')), ...relevant.map((line) => mark(line, true))];
  const markup = [`<pre class="sockets">${shown.join('')}</pre>`];
  if (other.length > 0) {
    const more = other.length - MAX_OTHER_LINES;
    const body = [
      `<pre>${other
        .slice(0, MAX_OTHER_LINES)
        .map((line) => mark(line))
        .join('')}</pre>`,
      ...(more > 0 ? [`<p class="omitted">${more} more in ${fileLink(file.path, 'the file')}.</p>`] : []),
    ];
    markup.push(
      ...fold(`${other.length} other socket${other.length === 1 ? '' : 's'} (loopback or other ports)`, body),
    );
  }
  return { markup, relevant: relevant.length, natted };
}

/**
 * Header lines, the rows on a Redis port, and the rest. A row with loopback at both ends is a
 * probe's connection (redis-cli) unless it is on a bus port: a cluster on 127.0.0.x talks over it.
 */
export function splitSockets(
  text: string,
  ports: RedisPorts,
): { header: string[]; relevant: string[]; other: string[] } {
  const header: string[] = [];
  const relevant: string[] = [];
  const other: string[] = [];
  for (const line of nonEmptyLines(text)) {
    if (/Local Address|local_address|^Active |^Proto /.test(line)) {
      header.push(line);
      continue;
    }
    const endpoints = endpointsOf(line);
    const on = (set: Set<number>) =>
      endpoints.some((endpoint) => endpoint.port !== undefined && set.has(endpoint.port));
    const loopback = endpoints.length > 0 && endpoints.every((endpoint) => isLoopback(endpoint.host));
    const keep = on(ports.bus) || (on(ports.client) && !loopback);
    (keep ? relevant : other).push(line);
  }
  return { header, relevant, other };
}

interface Endpoint {
  host: string;
  port?: number;
}

/** `ip:port` columns of ss and netstat, and the hex `0100007F:18EB` of /proc/net/tcp. */
function endpointsOf(line: string): Endpoint[] {
  return line
    .trim()
    .split(/\s+/)
    .flatMap((token): Endpoint[] => {
      const hex = /^([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})$/.exec(token);
      if (hex) {
        return [{ host: hexHost(hex[1] ?? ''), port: parseInt(hex[2] ?? '0', 16) }];
      }
      if (!/^[[\]0-9a-fA-F.:*%\w-]+:(\d+|\*)$/.test(token) || token.startsWith('users:')) {
        return [];
      }
      const { host, port } = splitHostPort(token);
      return [{ host, ...(port !== undefined ? { port } : {}) }];
    });
}

/** /proc/net/tcp prints an IPv4 address as a little-endian hex word: 0100007F is 127.0.0.1. */
function hexHost(hex: string): string {
  if (hex.length !== 8) {
    return hex === '00000000000000000000000001000000' ? '::1' : hex;
  }
  return [6, 4, 2, 0].map((at) => parseInt(hex.slice(at, at + 2), 16)).join('.');
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return /^127\./.test(bare) || bare === '::1' || /^::ffff:127\./i.test(bare);
}

/** The ports of this cell's Redis nodes: 6379 and 16379, the addresses in its views and its observation. */
export function redisPorts(cell: CellResult, files: EvidenceFile[]): RedisPorts {
  const ports: RedisPorts = { client: new Set([6379]), bus: new Set([16379]) };
  // `ip:port`, `ip:port@cport` (a CLUSTER NODES address), `:port@cport` (a node without an address).
  const add = (text: string, to: Set<number> = ports.client) => {
    const m = /:(\d+)(?:@(\d+))?$/.exec(text.split(',')[0] ?? '');
    for (const [port, set] of [
      [m?.[1], to],
      [m?.[2], ports.bus],
    ] as const) {
      if (port !== undefined && Number(port) > 0) {
        set.add(Number(port));
      }
    }
  };
  for (const file of files.filter((candidate) => candidate.kind === 'cluster-nodes')) {
    for (const line of nonEmptyLines(file.text ?? '')) {
      add(line.trim().split(/\s+/)[1] ?? '');
    }
  }
  const endpoints = familyModule(cell.family).report.endpoints;
  if (cell.observation && endpoints) {
    const { client, bus } = endpoints(cell.observation);
    client.forEach((endpoint) => add(endpoint));
    bus.forEach((endpoint) => add(endpoint, ports.bus));
  }
  return ports;
}

function toolOf(path: string): string {
  const name = path.split('/').pop() ?? path;
  return TOOL_PREFERENCE.find((tool) => name.includes(`.${tool}.`) || name.startsWith(`${tool}.`)) ?? 'sockets';
}

/** One table per pod, the preferred tool's; the same sockets through other tools are links. */
function preferredTables(files: EvidenceFile[]): { file: EvidenceFile; others: EvidenceFile[] }[] {
  const byMember = new Map<string, EvidenceFile[]>();
  for (const file of files) {
    const key = file.member ?? file.path;
    byMember.set(key, [...(byMember.get(key) ?? []), file]);
  }
  const rank = (file: EvidenceFile) => TOOL_PREFERENCE.indexOf(toolOf(file.path));
  return [...byMember.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, group]) => {
      const [file, ...others] = [...group].sort((a, b) => rank(a) - rank(b) || compareStrings(a.path, b.path));
      return { file: file as EvidenceFile, others };
    });
}
