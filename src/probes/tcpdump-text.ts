// Parser for tcpdump's text output: text in, packets out, never throws on input. Handles what people actually paste:
//   - `tcpdump -nn -tt -v` (what Capture.stop() returns): an IP header line, then the TCP line;
//   - `tcpdump -nn -tt` one-line output, and the default `HH:MM:SS.frac` / `-tttt` timestamps;
//   - `-i any` captures, which print `<iface> <In|Out|B|M|P>` before `IP` (kept on the packet);
//   - resolved host names (tcpdump run without -n): `redis-1.redis.default.svc.cluster.local.58412`
//     — the port is the last dot-component, the rest is kept as `ip` with `host: true`, and port
//     names (`.redis`) are mapped back to numbers for the common ones;
//   - VXLAN/OTV-encapsulated packets on a node's eth0: the inner packet is printed on the next,
//     unstamped line; it is kept with the outer packet's time and `tunnel` = the outer flow.
// Only TCP packets are returned; other protocols (ARP, UDP, ICMP) are skipped without warnings,
// since they are valid output, not malformed lines.
import type { ParseWarning } from './cluster-nodes.ts';

export interface PacketEndpoint {
  /** An IPv4/IPv6 address, or a host name when tcpdump printed names (see `host`). */
  ip: string;
  port: number;
  /** Present when `ip` is a resolved host name, not an address (the capture was read without -n). */
  host?: true;
}

export type Direction = 'In' | 'Out' | 'B' | 'M' | 'P';

export interface Packet {
  /**
   * Seconds. Epoch for `-tt`; seconds since midnight for the default `HH:MM:SS.frac`; `-tttt`
   * dates are read as UTC (tcpdump prints local time, without a zone); 0 when the text carries no
   * timestamps (`-t`). Only used to order packets of one capture.
   */
  time: number;
  src: PacketEndpoint;
  dst: PacketEndpoint;
  /** TCP flags as printed: 'S', 'S.', '.', 'P.', 'F.', 'R', 'R.', 'SEW', … */
  flags: string;
  /** `seq 1:15` → [1, 15]; `seq 3697415848` → 3697415848 (absolute on SYNs, relative after). */
  seq?: [number, number] | number;
  ack?: number;
  /** TCP timestamp option (RFC 7323); NAT leaves it alone, which is what nat-map matches on. */
  tsval?: number;
  tsecr?: number;
  /** TCP payload length. */
  length: number;
  ttl?: number;
  ipId?: number;
  /** Interface name printed by `-i any` captures ('?' when tcpdump could not name it). */
  iface?: string;
  direction?: Direction;
  /** For a packet printed inside a VXLAN/OTV packet: the outer flow, e.g. `172.18.0.3:54002 > 172.18.0.2:8472`. */
  tunnel?: string;
  /** 1-based line of the packet's first line in the parsed text. */
  line: number;
  /** The packet's line(s) as printed. */
  raw: string;
}

// Ports tcpdump names when run without -nn (from /etc/services); enough for the traffic rcnc cares
// about. An unknown name becomes a warning that asks for -nn.
const PORT_NAMES: Record<string, number> = {
  redis: 6379,
  http: 80,
  https: 443,
  ssh: 22,
  domain: 53,
  'sun-sr-https': 6443,
  'kubernetes-api': 6443,
  otv: 8472,
  vxlan: 4789,
  'http-alt': 8080,
  bgp: 179,
};

const EPOCH = /^(\d{9,}\.\d+)\s+/;
const CLOCK = /^(\d{2}):(\d{2}):(\d{2}\.\d+)\s+/;
const DATED = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}\.\d+)\s+/;
// `-i any` (DLT_LINUX_SLL2) prints `<iface> <dir> ` before the protocol; old SLL only `<dir> `.
const IFACE_DIR = /^(?:(\S+)\s+)?(In|Out|B|M|P)\s+(?=IP6?\s)/;
// `-e` inserts link-layer fields that end in `ethertype IPv4 (0x0800), length N: ` and drops the
// `IP` label that would otherwise follow.
const ETHERTYPE = /^(.*?)ethertype IPv([46]) \(0x[0-9a-f]{4}\), length \d+: /;
const LINK_IFACE_DIR = /^(\S+)\s+(In|Out|B|M|P)\s/;
const LINK_ONLY = /^\S+\s+(?:In|Out|B|M|P)\s+\S/;
const NOISE =
  /^(?:reading from file |tcpdump: |listening on |Warning: |dropped privs |\d+ packets? (?:captured|received by filter|dropped by kernel))/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const FLOW = /^(\S+) > (\S+?):(?:\s(.*))?$/;
const TUNNEL_PORTS = new Set([8472, 4789]);

type Parsed<T> = T | { problem: string };
const isProblem = <T extends object>(x: Parsed<T>): x is { problem: string } => 'problem' in x;

interface Stamp {
  time: number;
  iface?: string;
  direction?: Direction;
}

interface IpHeader {
  v6: boolean;
  proto?: string;
  ttl?: number;
  ipId?: number;
}

/**
 * Splits what precedes `IP`: the `-i any` interface and direction, `-e` link-layer fields. Returns
 * the text from `IP`/`IP6` on, or no body when the line is not an IP packet.
 */
function linkPrefix(text: string): { stamp: Omit<Stamp, 'time'>; body?: string } {
  const stamp: Omit<Stamp, 'time'> = {};
  const link = ETHERTYPE.exec(text);
  const dir = link ? LINK_IFACE_DIR.exec(link[1] ?? '') : IFACE_DIR.exec(text);
  if (dir) {
    if (dir[1] !== undefined) {
      stamp.iface = dir[1];
    }
    stamp.direction = dir[2] as Direction;
  }
  let body = text;
  if (link) {
    const after = text.slice(link[0].length);
    body = /^IP6?\s/.test(after) ? after : `${link[2] === '6' ? 'IP6' : 'IP'} ${after}`;
  } else if (dir) {
    body = text.slice(dir[0].length);
  }
  return /^IP6?\s/.test(body) ? { stamp, body } : { stamp };
}

function parseTime(line: string): { time: number; rest: string } | undefined {
  let m = EPOCH.exec(line);
  if (m) {
    return { time: Number(m[1]), rest: line.slice(m[0].length) };
  }
  m = DATED.exec(line);
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)) / 1000;
    return { time: whole + Number(s), rest: line.slice(m[0].length) };
  }
  m = CLOCK.exec(line);
  if (m) {
    const [, h, mi, s] = m;
    return { time: Number(h) * 3600 + Number(mi) * 60 + Number(s), rest: line.slice(m[0].length) };
  }
  return undefined;
}

/** `10.42.0.1.16379`, `::1.6379`, `redis-1.redis.svc.cluster.local.58412`, `10.42.0.5.redis`. */
export function parseEndpoint(text: string): Parsed<PacketEndpoint> {
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || dot === text.length - 1) {
    return { problem: `'${text}' has no .port` };
  }
  const host = text.slice(0, dot);
  const portText = text.slice(dot + 1);
  let port: number;
  if (/^\d+$/.test(portText)) {
    port = Number(portText);
    if (port > 65535) {
      return { problem: `'${text}' has a bad port` };
    }
  } else if (PORT_NAMES[portText] !== undefined) {
    port = PORT_NAMES[portText];
  } else {
    return { problem: `'${text}': port name '${portText}' is unknown; print the capture with -nn` };
  }
  if (IPV4.test(host) && host.split('.').every((o) => Number(o) <= 255)) {
    return { ip: host, port };
  }
  if (host.includes(':') && /^[0-9a-f:.]+(?:%[\w.-]+)?$/i.test(host)) {
    return { ip: host.toLowerCase(), port };
  }
  if (HOSTNAME.test(host) && /[A-Za-z_-]/.test(host)) {
    return { ip: host, port, host: true };
  }
  return { problem: `'${text}' is neither an address nor a host name` };
}

/** `ip:port`, with brackets for IPv6 addresses so the port stays unambiguous. */
export const endpointText = (e: PacketEndpoint): string =>
  !e.host && e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;

/** `ip:port > ip:port`, the flow notation used across probes and reports. */
export const flowText = (src: PacketEndpoint, dst: PacketEndpoint): string =>
  `${endpointText(src)} > ${endpointText(dst)}`;

// The -v IP header is a parenthesised list that itself contains parentheses ('proto TCP (6)').
function splitParenGroup(text: string): { group: string; rest: string } | undefined {
  if (!text.startsWith('(')) {
    return undefined;
  }
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') {
      depth++;
    } else if (text[i] === ')') {
      depth--;
      if (depth === 0) {
        return { group: text.slice(1, i), rest: text.slice(i + 1).trim() };
      }
    }
  }
  return undefined;
}

function parseIpHeader(v6: boolean, group: string): IpHeader {
  const num = (re: RegExp) => {
    const m = re.exec(group);
    return m ? Number(m[1]) : undefined;
  };
  const proto = /(?:proto|next-header) (\w+)/.exec(group)?.[1];
  return { v6, proto, ttl: num(v6 ? /hlim (\d+)/ : /ttl (\d+)/), ipId: num(/\bid (\d+)/) };
}

interface TcpFields {
  flags: string;
  seq?: [number, number] | number;
  ack?: number;
  tsval?: number;
  tsecr?: number;
  length: number;
}

// `Flags [P.], cksum 0x…, seq 1:15, ack 1, win 64, options [nop,nop,TS val 1 ecr 2], length 14: RESP "ping"`
// Anything after `length N` is a payload decoder's text and may contain anything, so fields are
// read only before it.
function parseTcpDetails(details: string): Parsed<TcpFields> {
  const flags = /^Flags \[([^\]]*)\]/.exec(details);
  if (!flags) {
    return { problem: 'no TCP Flags' };
  }
  const len = /(?:^|, )length (\d+)/.exec(details);
  if (!len) {
    return { problem: 'TCP line without a length (truncated?)' };
  }
  const head = details.slice(0, len.index);
  const fields: TcpFields = { flags: flags[1] ?? '', length: Number(len[1]) };
  const seq = /, seq (\d+)(?::(\d+))?/.exec(head);
  if (seq) {
    fields.seq = seq[2] === undefined ? Number(seq[1]) : [Number(seq[1]), Number(seq[2])];
  }
  const ack = /, ack (\d+)/.exec(head);
  if (ack) {
    fields.ack = Number(ack[1]);
  }
  const ts = /TS val (\d+) ecr (\d+)/.exec(head);
  if (ts) {
    fields.tsval = Number(ts[1]);
    fields.tsecr = Number(ts[2]);
  }
  return fields;
}

type FlowLine =
  | { kind: 'tcp'; src: PacketEndpoint; dst: PacketEndpoint; tcp: TcpFields }
  | { kind: 'other'; flow?: string; tunnel: boolean };

// The part after the IP header: `SRC > DST: details`. Non-TCP protocols come back as 'other'
// (with their flow when it has ports, so an encapsulating UDP packet can name the tunnel).
function parseFlowLine(text: string, proto: string | undefined): Parsed<FlowLine> {
  const m = FLOW.exec(text.trim());
  const isTcp = proto === undefined ? /^Flags \[/.test(m?.[3] ?? '') : proto === 'TCP';
  if (!m) {
    return isTcp || proto === undefined ? { problem: 'expected "SRC > DST: …"' } : { kind: 'other', tunnel: false };
  }
  const [, srcText = '', dstText = '', details = ''] = m;
  if (!isTcp) {
    const src = parseEndpoint(srcText);
    const dst = parseEndpoint(dstText);
    if (isProblem(src) || isProblem(dst)) {
      return { kind: 'other', tunnel: false };
    }
    return {
      kind: 'other',
      flow: flowText(src, dst),
      tunnel: TUNNEL_PORTS.has(dst.port) || /^OTV|^VXLAN/.test(details),
    };
  }
  const src = parseEndpoint(srcText);
  if (isProblem(src)) {
    return src;
  }
  const dst = parseEndpoint(dstText);
  if (isProblem(dst)) {
    return dst;
  }
  const tcp = parseTcpDetails(details);
  if (isProblem(tcp)) {
    return tcp;
  }
  return { kind: 'tcp', src, dst, tcp };
}

/** Where a packet's first line was and what it said: a -v header waits here for its TCP line. */
interface Head {
  stamp: Stamp;
  header: IpHeader;
  line: number;
  raw: string;
  /** The outer flow, for a packet printed inside a tunnel packet. */
  tunnel?: string;
}

/**
 * Reads tcpdump text one line at a time. What one line means depends on the lines before it (a -v
 * header waiting for its TCP line, the tunnel packet an unstamped line is inside, whether indented
 * lines are a packet's detail), and that state is the reader's.
 */
class TcpdumpReader {
  readonly packets: Packet[] = [];
  readonly warnings: ParseWarning[] = [];
  /** An IP header line (-v) waiting for its address line. */
  private pending: Head | undefined;
  /** The last stamped packet: unstamped IP lines after a tunnel packet are its inner packets. */
  private outer: { stamp: Stamp; tunnel?: string } | undefined;
  /** Whether indented lines now belong to a packet already complete (-vv detail, -X hex dump). */
  private inPacket = false;
  private sawStamp = false;

  read(raw: string, line: number): void {
    if (raw.trim() === '') {
      return;
    }
    if (/^\s/.test(raw)) {
      this.indented(raw, line);
      return;
    }
    if (NOISE.test(raw)) {
      return;
    }
    const stamped = parseTime(raw);
    const { stamp: link, body } = linkPrefix(stamped ? stamped.rest : raw);
    if (stamped) {
      this.stamped({ time: stamped.time, ...link }, body, line, raw);
    } else if (body !== undefined) {
      this.unstamped(link, body, line, raw);
    } else {
      this.other(raw, line);
    }
  }

  /** What is left once the text ends: a -v header still waiting is cut off. */
  finish(): { packets: Packet[]; warnings: ParseWarning[] } {
    this.flushPending();
    return { packets: this.packets, warnings: this.warnings };
  }

  // The TCP line of a waiting -v header, or a packet's detail (-vv, -X).
  private indented(raw: string, line: number): void {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      this.take(parseFlowLine(raw, p.header.proto), { ...p, raw: `${p.raw}\n${raw}` }, line, raw);
    } else if (!this.inPacket) {
      this.warn(line, raw, 'indented line outside a packet');
    }
  }

  private stamped(stamp: Stamp, body: string | undefined, line: number, raw: string): void {
    this.flushPending();
    this.sawStamp = true;
    this.outer = { stamp };
    // Not IP (ARP, …): valid output of another protocol, nothing to keep.
    this.inPacket = true;
    if (body !== undefined) {
      this.startIp(body, stamp, line, raw);
    }
  }

  // No stamp: an encapsulated packet (follows its tunnel packet), or `tcpdump -t` output.
  private unstamped(link: Omit<Stamp, 'time'>, body: string, line: number, raw: string): void {
    this.flushPending();
    if (this.outer?.tunnel !== undefined && link.iface === undefined && link.direction === undefined) {
      this.startIp(body, this.outer.stamp, line, raw, this.outer.tunnel);
    } else if (!this.sawStamp) {
      this.outer = { stamp: { time: 0, ...link } };
      this.inPacket = true;
      this.startIp(body, this.outer.stamp, line, raw);
    } else {
      this.warn(line, raw, 'IP line without a timestamp outside a tunnel packet');
    }
  }

  private other(raw: string, line: number): void {
    if (!this.sawStamp && LINK_ONLY.test(raw)) {
      // `tcpdump -t -i any`: a packet of another protocol (ARP, …).
      this.inPacket = true;
      return;
    }
    // Garbage between a -v header and its TCP line is reported but does not lose the packet.
    this.warn(line, raw, 'not a tcpdump packet line');
    if (!this.pending) {
      this.inPacket = false;
    }
  }

  // `IP …` / `IP6 …` after the stamp: either the one-line form, or a -v header (v4: addresses on
  // the next line; v6: addresses follow the header on the same line).
  private startIp(body: string, stamp: Stamp, line: number, raw: string, tunnel?: string): void {
    const m = /^(IP6?)\s+(.*)$/.exec(body);
    if (!m) {
      return;
    }
    const v6 = m[1] === 'IP6';
    let rest = m[2] ?? '';
    let header: IpHeader = { v6 };
    if (rest.startsWith('(')) {
      const group = splitParenGroup(rest);
      if (!group) {
        this.warn(line, raw, 'unbalanced IP header (cut off?)');
        return;
      }
      header = parseIpHeader(v6, group.group);
      rest = group.rest;
      if (rest === '') {
        this.pending = { stamp, header, line, raw, tunnel };
        return;
      }
    }
    this.take(parseFlowLine(rest, header.proto), { stamp, header, line, raw, tunnel }, line, raw);
  }

  /** A packet's flow line read: warned about at the line it is on, or kept as a packet of `head`. */
  private take(fl: Parsed<FlowLine>, head: Head, line: number, raw: string): void {
    if (isProblem(fl)) {
      this.warn(line, raw, fl.problem);
      return;
    }
    this.inPacket = true;
    if (fl.kind !== 'tcp') {
      this.outer = { stamp: head.stamp, tunnel: fl.tunnel ? fl.flow : undefined };
      return;
    }
    this.packets.push(packetOf(fl, head));
  }

  private flushPending(): void {
    if (this.pending) {
      this.warn(this.pending.line, this.pending.raw, 'IP header line without its TCP line (cut off?)');
      this.pending = undefined;
    }
  }

  private warn(line: number, text: string, problem: string): void {
    this.warnings.push({ line, text, problem });
  }
}

function packetOf(fl: Extract<FlowLine, { kind: 'tcp' }>, { stamp, header, line, raw, tunnel }: Head): Packet {
  const p: Packet = { time: stamp.time, src: fl.src, dst: fl.dst, ...fl.tcp, line, raw };
  if (header.ttl !== undefined) {
    p.ttl = header.ttl;
  }
  if (header.ipId !== undefined) {
    p.ipId = header.ipId;
  }
  if (stamp.iface !== undefined) {
    p.iface = stamp.iface;
  }
  if (stamp.direction !== undefined) {
    p.direction = stamp.direction;
  }
  if (tunnel !== undefined) {
    p.tunnel = tunnel;
  }
  return p;
}

/**
 * Parses tcpdump text into TCP packets. Never throws: lines it cannot read become warnings with
 * their 1-based line number.
 */
export function parseTcpdump(text: string): { packets: Packet[]; warnings: ParseWarning[] } {
  const reader = new TcpdumpReader();
  text.split('\n').forEach((raw, i) => reader.read(raw.replace(/\r+$/, ''), i + 1));
  return reader.finish();
}

export interface FlowSummary {
  /** `ip:port > ip:port` (directed). */
  flow: string;
  src: PacketEndpoint;
  dst: PacketEndpoint;
  packets: number;
  /** Sum of TCP payload lengths. */
  bytes: number;
  first: number;
  last: number;
  /** Distinct flag strings in the order first seen, e.g. ['S', '.', 'P.', 'F.']. */
  flags: string[];
  /** Distinct interfaces the flow was seen on (`-i any` captures). */
  ifaces: string[];
}

/** Distinct directed 4-tuples, in order of first appearance. */
export function summarizeFlows(packets: readonly Packet[]): FlowSummary[] {
  const flows = new Map<string, FlowSummary>();
  for (const p of packets) {
    const key = flowText(p.src, p.dst);
    let f = flows.get(key);
    if (!f) {
      f = {
        flow: key,
        src: p.src,
        dst: p.dst,
        packets: 0,
        bytes: 0,
        first: p.time,
        last: p.time,
        flags: [],
        ifaces: [],
      };
      flows.set(key, f);
    }
    f.packets++;
    f.bytes += p.length;
    f.first = Math.min(f.first, p.time);
    f.last = Math.max(f.last, p.time);
    if (!f.flags.includes(p.flags)) {
      f.flags.push(p.flags);
    }
    if (p.iface !== undefined && !f.ifaces.includes(p.iface)) {
      f.ifaces.push(p.iface);
    }
  }
  return [...flows.values()];
}
