// Parsers for `CLUSTER NODES` and `CLUSTER INFO` replies. Pure: text in, data out, never throws.

export interface ClusterNode {
  id: string;
  /** '' when the node has no known address, e.g. ':6379@16379' (fresh myself) or ':0@0' (noaddr) */
  ip: string;
  port: number;
  cport: number;
  hostname?: string;
  /** verbatim, e.g. ['myself','master'], ['handshake'], ['master','noaddr'], ['slave','nofailover'] */
  flags: string[];
  masterId: string | null;
  pingSent: number;
  pongRecv: number;
  configEpoch: number;
  linkState: 'connected' | 'disconnected';
  /** raw slot tokens: '0-5460', '7', '[100->-<id>]' (migrating), '[100-<-<id>]' (importing) */
  slots: string[];
  raw: string;
}

export interface ParseWarning {
  /** 1-based line number in the parsed text */
  line: number;
  text: string;
  problem: string;
}

const SLOTS = 16384;
// Redis < 4 printed no '@cport'; the bus port was always port + 10000 then.
const CPORT_OFFSET = 10000;
const NODE_ID = /^[0-9a-f]{40}$/i;
const OPEN_SLOT = /^\[(\d+)-[<>]-([0-9a-f]{40})\]$/i;
const SLOT_RANGE = /^(\d+)(?:-(\d+))?$/;
const UINT = /^\d+$/;
// IPv4 or IPv6 text as Redis prints it (no brackets); '' when unknown
const IP_TEXT = /^[0-9a-f:.]*(?:%[\w.-]+)?$/i;

export const hasFlag = (n: ClusterNode, flag: string): boolean => n.flags.includes(flag);

function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r+$/, ''));
}

function toPort(s: string): number | undefined {
  if (!UINT.test(s)) {
    return undefined;
  }
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function toUint(s: string | undefined): number | undefined {
  return s !== undefined && UINT.test(s) ? Number(s) : undefined;
}

type Address = Pick<ClusterNode, 'ip' | 'port' | 'cport' | 'hostname'>;

// 'ip:port@cport[,hostname[,aux...]]'. The ip is printed without brackets even for IPv6, so the
// port starts after the last ':'. Redis 7.2 nodes.conf appends key=value aux fields after the
// hostname slot; those are not hostnames.
function parseAddress(token: string): Address | string {
  const [coords = '', hostname] = token.split(',');
  const at = coords.indexOf('@');
  const hostPort = at === -1 ? coords : coords.slice(0, at);
  const colon = hostPort.lastIndexOf(':');
  if (colon === -1) {
    return `address '${token}' has no ':port'`;
  }
  const ip = hostPort.slice(0, colon);
  if (!IP_TEXT.test(ip)) {
    return `address '${token}' has a bad ip`;
  }
  const port = toPort(hostPort.slice(colon + 1));
  if (port === undefined) {
    return `address '${token}' has a bad port`;
  }
  const cport = at === -1 ? port + CPORT_OFFSET : toPort(coords.slice(at + 1));
  if (cport === undefined) {
    return `address '${token}' has a bad bus port`;
  }
  const address: Address = { ip, port, cport };
  if (hostname && !hostname.includes('=')) {
    address.hostname = hostname;
  }
  return address;
}

function isSlotToken(token: string): boolean {
  const open = OPEN_SLOT.exec(token);
  if (open) {
    return Number(open[1]) < SLOTS;
  }
  const range = SLOT_RANGE.exec(token);
  if (!range) {
    return false;
  }
  const start = Number(range[1]);
  const end = range[2] === undefined ? start : Number(range[2]);
  return start <= end && end < SLOTS;
}

function parseNodeLine(raw: string): ClusterNode | string {
  const fields = raw.trim().split(/\s+/);
  if (fields.length < 8) {
    return `expected at least 8 fields, got ${fields.length}`;
  }
  const [id = '', addr = '', flagField = '', master = '', ping, pong, epoch, link = '', ...slots] = fields;
  if (!NODE_ID.test(id)) {
    return `bad node id '${id}'`;
  }
  const address = parseAddress(addr);
  if (typeof address === 'string') {
    return address;
  }
  const flags = flagField.split(',');
  if (flags.some((f) => f === '')) {
    return `bad flags '${flagField}'`;
  }
  if (master !== '-' && !NODE_ID.test(master)) {
    return `bad master id '${master}'`;
  }
  const pingSent = toUint(ping);
  const pongRecv = toUint(pong);
  const configEpoch = toUint(epoch);
  if (pingSent === undefined || pongRecv === undefined || configEpoch === undefined) {
    return `bad ping-sent/pong-recv/config-epoch '${ping} ${pong} ${epoch}'`;
  }
  if (link !== 'connected' && link !== 'disconnected') {
    return `bad link state '${link}'`;
  }
  const badSlot = slots.find((s) => !isSlotToken(s));
  if (badSlot !== undefined) {
    return `bad slot '${badSlot}'`;
  }
  return {
    id,
    ...address,
    flags,
    masterId: master === '-' ? null : master,
    pingSent,
    pongRecv,
    configEpoch,
    linkState: link,
    slots,
    raw,
  };
}

export function parseClusterNodes(text: string): { nodes: ClusterNode[]; warnings: ParseWarning[] } {
  const nodes: ClusterNode[] = [];
  const warnings: ParseWarning[] = [];
  splitLines(text).forEach((line, i) => {
    if (line.trim() === '') {
      return;
    }
    const parsed = parseNodeLine(line);
    if (typeof parsed === 'string') {
      warnings.push({ line: i + 1, text: line, problem: parsed });
    } else {
      nodes.push(parsed);
    }
  });
  return { nodes, warnings };
}

export function parseClusterInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of splitLines(text)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      continue;
    }
    info[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return info;
}

export function slotCount(nodes: ClusterNode[]): number {
  const owned = new Uint8Array(SLOTS);
  for (const node of nodes) {
    if (!hasFlag(node, 'master')) {
      continue;
    }
    for (const token of node.slots) {
      const range = SLOT_RANGE.exec(token);
      if (!range) {
        continue;
      }
      const start = Number(range[1]);
      const end = range[2] === undefined ? start : Number(range[2]);
      owned.fill(1, start, Math.min(end, SLOTS - 1) + 1);
    }
  }
  return owned.reduce((sum, v) => sum + v, 0);
}

export function formatAddress(n: Address): string {
  const coords = `${n.ip}:${n.port}@${n.cport}`;
  return n.hostname ? `${coords},${n.hostname}` : coords;
}
