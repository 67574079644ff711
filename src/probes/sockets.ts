// Parsers for TCP socket tables as printed by `ss`, net-tools `netstat` and /proc/net/tcp{,6}.
// All three describe the same kernel table; they are normalised to one shape so an observation
// can be compared across tools and across hosts that only have one of them.

import type { ParseWarning } from './cluster-nodes.ts';

export type TcpState =
  | 'LISTEN'
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'CLOSING'
  | 'UNKNOWN';

export interface Endpoint {
  ip: string;
  port: number;
}

export interface SocketEntry {
  proto: 'tcp' | 'tcp6';
  state: TcpState;
  local: Endpoint;
  /** null for an unconnected peer ('*:*', '0.0.0.0:*', '[::]:*', /proc zeros) */
  peer: Endpoint | null;
  recvQ: number;
  sendQ: number;
  process?: { name: string; pid: number };
  raw: string;
}

interface SocketTable {
  sockets: SocketEntry[];
  warnings: ParseWarning[];
}

type LineResult = SocketEntry | string | 'skip';
const SKIP = 'skip';

const TCP_STATES: ReadonlySet<string> = new Set<TcpState>([
  'LISTEN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'CLOSING',
  'UNKNOWN',
]);

// ss spells states its own way (ESTAB, FIN-WAIT-1, UNCONN for TCP_CLOSE); netstat and the
// kernel use the names above.
const STATE_ALIASES: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  UNCONN: 'CLOSE',
  CLOSED: 'CLOSE',
};

// include/net/tcp_states.h
const PROC_STATES: Record<string, TcpState> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

const UINT = /^\d+$/;
const IP_TEXT = /^[0-9a-f:.]+$/;
const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;

function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r+$/, ''));
}

function normaliseState(token: string): TcpState | undefined {
  const upper = token.toUpperCase().replace(/-/g, '_');
  const state = STATE_ALIASES[upper] ?? upper;
  return TCP_STATES.has(state) ? (state as TcpState) : undefined;
}

// ss prints '*' for the any-address of a listener; a dual-stack '::' listener shows up the same
// way, and 0.0.0.0 is what it accepts for IPv4 peers, so both read as 0.0.0.0.
function normaliseIp(ip: string): string {
  const lower = ip.toLowerCase();
  if (lower === '*') {
    return '0.0.0.0';
  }
  return MAPPED_V4.exec(lower)?.[1] ?? lower;
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

interface ParsedEndpoint {
  endpoint: Endpoint | null;
  /** the address was written in IPv6 notation (so the socket is AF_INET6) */
  v6: boolean;
}

// Text forms seen: '127.0.0.1:7000', '[::1]:17000', '[::ffff:127.0.0.1]:9999', '*:9999',
// '0.0.0.0:*', '[::]:*', '*:*' (ss); '::1:17000', ':::*' (netstat, no brackets); an optional
// '%iface' scope after the address. A '*' port means no peer.
function parseEndpoint(text: string): ParsedEndpoint | undefined {
  let host: string;
  let port: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) {
      return undefined;
    }
    host = text.slice(1, close);
    const rest = text.slice(close + 1).replace(/^%[^:]*/, '');
    if (!rest.startsWith(':')) {
      return undefined;
    }
    port = rest.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1) {
      return undefined;
    }
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
  }
  host = host.replace(/%.*$/, '');
  const v6 = host.includes(':');
  const ip = normaliseIp(host);
  if (ip !== '0.0.0.0' && !IP_TEXT.test(ip)) {
    return undefined;
  }
  if (port === '*') {
    return { endpoint: null, v6 };
  }
  if (!UINT.test(port) || Number(port) > 65535) {
    return undefined;
  }
  return { endpoint: { ip, port: Number(port) }, v6 };
}

function toPeer(parsed: ParsedEndpoint): Endpoint | null {
  const { endpoint } = parsed;
  if (endpoint && endpoint.port === 0 && isWildcard(endpoint.ip)) {
    return null;
  }
  return endpoint;
}

function collect(text: string, parseLine: (line: string) => LineResult): SocketTable {
  const sockets: SocketEntry[] = [];
  const warnings: ParseWarning[] = [];
  splitLines(text).forEach((line, i) => {
    if (line.trim() === '') {
      return;
    }
    const result = parseLine(line);
    if (result === SKIP) {
      return;
    }
    if (typeof result === 'string') {
      warnings.push({ line: i + 1, text: line, problem: result });
    } else {
      sockets.push(result);
    }
  });
  return { sockets, warnings };
}

// --- ss ---------------------------------------------------------------------------------------

// users:(("redis-server",pid=12,fd=7),("redis-server",pid=13,fd=7)): the first owner is enough
// to name the process; names may contain spaces, so this is cut out before splitting columns.
const SS_USERS = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)[^)]*\)(?:,\([^)]*\))*\)/;
const SS_HEADER = /^(?:Netid|State|Recv-Q)\s/;
// Netid values of `ss -a`; anything else in that column is not ss output
const SS_NETIDS: ReadonlySet<string> = new Set([
  'tcp',
  'mptcp',
  'udp',
  'raw',
  'u_str',
  'u_dgr',
  'u_seq',
  'p_raw',
  'p_dgr',
  'nl',
  'dccp',
  'sctp',
  'tipc',
  'v_str',
  'v_dgr',
  'xdp',
]);

function parseSsLine(raw: string): LineResult {
  if (SS_HEADER.test(raw.trim())) {
    return SKIP;
  }
  const users = SS_USERS.exec(raw);
  const tokens = raw.replace(SS_USERS, ' ').trim().split(/\s+/);
  let i = 0;
  // `ss -a` without -t prints a Netid column and sockets of every family
  if (SS_NETIDS.has(tokens[0] ?? '')) {
    if (tokens[0] !== 'tcp') {
      return SKIP;
    }
    i++;
  }
  // with a state filter (`ss -tn state established`) ss drops the State column
  let state: TcpState | undefined = 'UNKNOWN';
  if (!UINT.test(tokens[i] ?? '')) {
    state = normaliseState(tokens[i] ?? '');
    if (!state) {
      return `unknown ss state '${tokens[i] ?? ''}'`;
    }
    i++;
  }
  const [recvQ = '', sendQ = '', localText = '', peerText = ''] = tokens.slice(i, i + 4);
  if (!UINT.test(recvQ) || !UINT.test(sendQ)) {
    return `bad Recv-Q/Send-Q '${recvQ} ${sendQ}'`;
  }
  const local = parseEndpoint(localText);
  const peer = parseEndpoint(peerText);
  if (!local?.endpoint) {
    return `bad local address '${localText}'`;
  }
  if (!peer) {
    return `bad peer address '${peerText}'`;
  }
  const entry: SocketEntry = {
    proto: local.v6 ? 'tcp6' : 'tcp',
    state,
    local: local.endpoint,
    peer: toPeer(peer),
    recvQ: Number(recvQ),
    sendQ: Number(sendQ),
    raw,
  };
  if (users) {
    entry.process = { name: (users[1] ?? '').replace(/\\(.)/g, '$1'), pid: Number(users[2]) };
  }
  return entry;
}

export function parseSs(text: string): SocketTable {
  return collect(text, parseSsLine);
}

// --- netstat ----------------------------------------------------------------------------------

const NETSTAT_TCP = /^(tcp6?)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(.*)$/;
// -o adds a Timer column: 'off (0.00/0/0)', 'keepalive (34.83/0/0)', 'on (0.97/1/0)', ...
const NETSTAT_TIMER = /(?:^|\s+)(?:off|on|keepalive|timewait|probe|unkn-\d+)\s*\([^)]*\)\s*$/;
// -p adds 'PID/Program name', truncated by netstat to 19 characters, so a name may be cut mid-word
// ('5219/redis-server 1' for the proctitle 'redis-server 127.0.0.1:7000'); '-' when unknown.
const NETSTAT_PROGRAM = /(?:^|\s)(\d+)\/(.*)$/;

function parseNetstatLine(raw: string): LineResult {
  const m = NETSTAT_TCP.exec(raw.trim());
  if (!m) {
    return /^tcp6?(\s|$)/.test(raw.trim()) ? 'truncated tcp line' : SKIP;
  }
  const [, proto, recvQ = '', sendQ = '', localText = '', peerText = '', stateText = '', rest = ''] = m;
  if (!UINT.test(recvQ) || !UINT.test(sendQ)) {
    return `bad Recv-Q/Send-Q '${recvQ} ${sendQ}'`;
  }
  const state = normaliseState(stateText);
  if (!state) {
    return `unknown netstat state '${stateText}'`;
  }
  const local = parseEndpoint(localText);
  const peer = parseEndpoint(peerText);
  if (!local?.endpoint) {
    return `bad local address '${localText}'`;
  }
  if (!peer) {
    return `bad foreign address '${peerText}'`;
  }
  const entry: SocketEntry = {
    proto: proto === 'tcp6' ? 'tcp6' : 'tcp',
    state,
    local: local.endpoint,
    peer: toPeer(peer),
    recvQ: Number(recvQ),
    sendQ: Number(sendQ),
    raw,
  };
  const program = NETSTAT_PROGRAM.exec(rest.replace(NETSTAT_TIMER, '').trim());
  if (program) {
    entry.process = { name: (program[2] ?? '').trim(), pid: Number(program[1]) };
  }
  return entry;
}

export function parseNetstat(text: string): SocketTable {
  return collect(text, parseNetstatLine);
}

// --- /proc/net/tcp{,6} ------------------------------------------------------------------------

const PROC_LINE =
  /^\s*\d+:\s+([0-9A-F]+):([0-9A-F]{4})\s+([0-9A-F]+):([0-9A-F]{4})\s+([0-9A-F]{2})\s+([0-9A-F]{8}):([0-9A-F]{8})(?:\s|$)/i;
const PROC_HEADER = /^\s*sl\s+local_address/;

// The kernel prints each 32-bit word of the address with %08X in host byte order; this assumes a
// little-endian host (x86, arm64), which is every host the lab runs on.
function procHexToBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) {
      bytes.push(parseInt(word.slice(b, b + 2), 16));
    }
  }
  return bytes;
}

// RFC 5952 text, the form ss and netstat print (inet_ntop)
function formatIpv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) {
      j++;
    }
    if (j - i > best.len) {
      best = { start: i, len: j - i };
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) {
    return hex.join(':');
  }
  const head = hex.slice(0, best.start).join(':');
  const tail = hex.slice(best.start + best.len).join(':');
  return `${head}::${tail}`;
}

function procEndpoint(hex: string, portHex: string): Endpoint {
  const bytes = procHexToBytes(hex);
  const ip = hex.length === 8 ? bytes.join('.') : formatIpv6(bytes);
  return { ip: normaliseIp(ip), port: parseInt(portHex, 16) };
}

function parseProcLine(raw: string, proto?: 'tcp' | 'tcp6'): LineResult {
  if (PROC_HEADER.test(raw)) {
    return SKIP;
  }
  const m = PROC_LINE.exec(raw);
  if (!m) {
    return 'not a /proc/net/tcp entry';
  }
  const [, localHex = '', localPort = '', remHex = '', remPort = '', st = '', txQ = '', rxQ = ''] = m;
  if (localHex.length !== remHex.length || (localHex.length !== 8 && localHex.length !== 32)) {
    return `bad address width ${localHex.length}`;
  }
  const family = localHex.length === 8 ? 'tcp' : 'tcp6';
  if (proto && proto !== family) {
    return `${family} address in a ${proto} table`;
  }
  return {
    proto: family,
    state: PROC_STATES[st.toUpperCase()] ?? 'UNKNOWN',
    local: procEndpoint(localHex, localPort),
    peer: toPeer({ endpoint: procEndpoint(remHex, remPort), v6: family === 'tcp6' }),
    recvQ: parseInt(rxQ, 16),
    sendQ: parseInt(txQ, 16),
    raw,
  };
}

/** `proto`, when given, is the file the text came from; lines of the other family are rejected. */
export function parseProcNetTcp(text: string, proto?: 'tcp' | 'tcp6'): SocketTable {
  return collect(text, (line) => parseProcLine(line, proto));
}

// --- detection --------------------------------------------------------------------------------

type Format = 'ss' | 'netstat' | 'proc';

const SIGNATURES: [Format, RegExp][] = [
  ['proc', /^\s*(?:sl\s+local_address|\d+:\s+[0-9A-F]{8,32}:[0-9A-F]{4}\s)/i],
  ['netstat', /^(?:Active (?:Internet|UNIX)|Proto\s+Recv-Q|(?:tcp|udp|raw)6?\s+\d+\s+\d+\s|unix\s+\d+\s)/],
  ['ss', /^(?:(?:Netid\s+)?State\s+Recv-Q|Recv-Q\s+Send-Q|(?:[a-z][a-z0-9_]*\s+)?[A-Z][A-Z0-9-]*\s+\d+\s+\d+\s)/],
];

function detect(text: string): Format | 'unknown' {
  const votes: Record<Format, number> = { ss: 0, netstat: 0, proc: 0 };
  for (const line of splitLines(text)) {
    const hit = SIGNATURES.find(([, re]) => re.test(line));
    if (hit) {
      votes[hit[0]]++;
    }
  }
  const [format, count] = (Object.entries(votes) as [Format, number][]).reduce((a, b) => (b[1] > a[1] ? b : a));
  return count > 0 ? format : 'unknown';
}

const PARSERS: Record<Format, (text: string) => SocketTable> = {
  ss: parseSs,
  netstat: parseNetstat,
  proc: (text) => parseProcNetTcp(text),
};

export function parseSocketTable(text: string): SocketTable & { format: Format | 'unknown' } {
  const format = detect(text);
  if (format !== 'unknown') {
    return { ...PARSERS[format](text), format };
  }
  const warnings = splitLines(text).flatMap((line, i) =>
    line.trim() === '' ? [] : [{ line: i + 1, text: line, problem: 'not a line of ss, netstat or /proc/net/tcp' }],
  );
  return { sockets: [], warnings, format };
}

/** Connections others opened to `listenPort` here: the side that accepted them. */
export function inbound(sockets: SocketEntry[], listenPort: number): SocketEntry[] {
  return sockets.filter((s) => s.state === 'ESTABLISHED' && s.local.port === listenPort);
}
