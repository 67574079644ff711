// `kubectl get pods|nodes|svc -o wide` tables: parsing what users paste, and writing the same
// format from a topology (so lab examples look like what users have). kubectl prints through
// Go's text/tabwriter with cli-runtime's settings (printers/tabwriter.go: minwidth 6, padding 3,
// padchar ' '): every cell but the last is padded to the column's widest cell + 3. Cells may
// contain single spaces ('1 (5m ago)', 'Ubuntu 22.04.4 LTS', 'NOMINATED NODE'), so columns are
// cut at the header's column offsets, not at whitespace.
import type { ParseWarning } from '../probes/cluster-nodes.ts';

const MIN_WIDTH = 6;
const PADDING = 3;

export interface TableRow {
  cells: Record<string, string>;
  /** 1-based */
  line: number;
  raw: string;
}

interface Column {
  name: string;
  start: number;
}

function headerColumns(line: string): Column[] {
  const cols: Column[] = [];
  // a header cell is separated from the next by 2+ spaces (padding is at least 3)
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    cols.push({ name: m[0], start: m.index });
  }
  return cols;
}

function cutRow(line: string, cols: Column[]): string[] | undefined {
  // Aligned as kubectl printed it: every column starts right after a space.
  const aligned = cols.every((c, i) => i === 0 || (line.length > c.start && line[c.start - 1] === ' '));
  if (aligned) {
    const cells = cols.map((c, i) => line.slice(c.start, cols[i + 1]?.start ?? line.length).trim());
    if (cells.every((c) => c !== '' && !/\s{2,}/.test(c))) {
      return cells;
    }
  }
  // Re-spaced by a terminal or an editor: fall back to 2+ space (or tab) separated cells.
  const loose = line.trim().split(/\s{2,}|\t+/);
  if (loose.length === cols.length) {
    return loose;
  }
  return undefined;
}

/**
 * Reads a kubectl table. A line whose cells include every `required` column (case-sensitive, as
 * kubectl prints them) is a header; several tables in one file are fine.
 */
export function parseKubectlTable(text: string, required: string[]): { rows: TableRow[]; warnings: ParseWarning[] } {
  const rows: TableRow[] = [];
  const warnings: ParseWarning[] = [];
  let cols: Column[] | undefined;
  text.split('\n').forEach((l, i) => {
    const raw = l.replace(/\r+$/, '');
    const line = i + 1;
    if (raw.trim() === '') {
      return;
    }
    const header = headerColumns(raw);
    if (required.every((r) => header.some((c) => c.name === r))) {
      cols = header;
      return;
    }
    if (!cols) {
      warnings.push({ line, text: raw, problem: `no header line with ${required.join(', ')} before this line` });
      return;
    }
    const cells = cutRow(raw, cols);
    if (!cells) {
      warnings.push({ line, text: raw, problem: `does not line up with the ${cols.length} header columns` });
      return;
    }
    rows.push({ cells: Object.fromEntries(cols.map((c, j) => [c.name, cells[j]!])), line, raw });
  });
  return { rows, warnings };
}

const NONE = (v: string | undefined) => (v === undefined || v === '<none>' || v === '<pending>' ? undefined : v);

export interface KubePod {
  name: string;
  namespace?: string;
  status?: string;
  /** Pod IP, undefined while `<none>`. */
  ip?: string;
  node?: string;
  line: number;
}

export function parsePods(text: string): { pods: KubePod[]; warnings: ParseWarning[] } {
  const { rows, warnings } = parseKubectlTable(text, ['NAME', 'IP']);
  const pods = rows.map((r) => {
    const p: KubePod = { name: r.cells.NAME!, line: r.line };
    const set = <K extends keyof KubePod>(k: K, v: KubePod[K] | undefined) => {
      if (v !== undefined) {
        p[k] = v;
      }
    };
    set('namespace', NONE(r.cells.NAMESPACE));
    set('status', NONE(r.cells.STATUS));
    set('ip', NONE(r.cells.IP));
    set('node', NONE(r.cells.NODE));
    return p;
  });
  return { pods, warnings };
}

export interface KubeNode {
  name: string;
  internalIP?: string;
  externalIP?: string;
  /** Only in custom-columns output (`kubectl get nodes -o wide` has no such column). */
  podCIDR?: string;
  line: number;
}

// Header names for `.spec.podCIDR` / `.spec.podCIDRs` in `-o custom-columns=…` output.
const POD_CIDR_COLUMNS = ['PODCIDR', 'POD-CIDR', 'PODCIDRS', 'POD-CIDRS', 'CIDR', 'CIDRS'];

/** The first IPv4 CIDR in a cell: `10.42.0.0/24`, `[10.42.0.0/24 fd00::/64]`, `10.42.0.0/24,fd00::/64`. */
function ipv4Cidr(cell: string | undefined): string | undefined {
  return /(?:^|[\s,[])(\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2})(?=$|[\s,\]])/.exec(cell ?? '')?.[1];
}

const podCidrOf = (cells: Record<string, string>) =>
  ipv4Cidr(POD_CIDR_COLUMNS.map((c) => cells[c]).find((v) => v !== undefined));

export function parseNodes(text: string): { nodes: KubeNode[]; warnings: ParseWarning[] } {
  const { rows, warnings } = parseKubectlTable(text, ['NAME', 'INTERNAL-IP']);
  const nodes = rows.map((r) => {
    const n: KubeNode = { name: r.cells.NAME!, line: r.line };
    const internal = NONE(r.cells['INTERNAL-IP']);
    const external = NONE(r.cells['EXTERNAL-IP']);
    if (internal) {
      n.internalIP = internal;
    }
    if (external) {
      n.externalIP = external;
    }
    const cidr = podCidrOf(r.cells);
    if (cidr) {
      n.podCIDR = cidr;
    }
    return n;
  });
  return { nodes, warnings };
}

/**
 * `kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR` (podcidrs.txt): the
 * pod CIDR of each node. Any of the POD_CIDR_COLUMNS names is accepted for the second column.
 */
export function parsePodCidrs(text: string): { cidrs: { node: string; cidr: string }[]; warnings: ParseWarning[] } {
  let best: ReturnType<typeof parseKubectlTable> | undefined;
  for (const col of POD_CIDR_COLUMNS) {
    const parsed = parseKubectlTable(text, ['NAME', col]);
    if (!best || parsed.rows.length > best.rows.length) {
      best = parsed;
    }
  }
  const cidrs: { node: string; cidr: string }[] = [];
  const warnings = [...best!.warnings];
  for (const r of best!.rows) {
    const cidr = podCidrOf(r.cells);
    if (cidr) {
      cidrs.push({ node: r.cells.NAME!, cidr });
    } else if (!Object.values(r.cells).includes('<none>')) {
      warnings.push({ line: r.line, text: r.raw, problem: 'no IPv4 pod CIDR in this line' });
    }
  }
  return { cidrs, warnings };
}

export interface KubeServicePort {
  port: number;
  nodePort?: number;
  protocol: string;
}

export interface KubeService {
  name: string;
  namespace?: string;
  type: string;
  ports: KubeServicePort[];
  /** `key=value` pairs of the selector (needs `-o wide`). */
  selector: Record<string, string>;
  /** EXTERNAL-IP: a LoadBalancer's ingress addresses (comma-separated in kubectl's column). */
  externalIPs?: string[];
  line: number;
  /** CLUSTER-IP: the Service's virtual address, when it has one. */
  clusterIP?: string;
}

// PORT(S): '6379:30003/TCP,16379:31003/TCP' (NodePort), '6379/TCP' (ClusterIP)
const PORT_SPEC = /^(\d+)(?::(\d+))?\/(\w+)$/;

export function parseServices(text: string): { services: KubeService[]; warnings: ParseWarning[] } {
  const { rows, warnings } = parseKubectlTable(text, ['NAME', 'TYPE', 'PORT(S)']);
  const services: KubeService[] = [];
  for (const r of rows) {
    const ports: KubeServicePort[] = [];
    const spec = NONE(r.cells['PORT(S)']) ?? '';
    let bad = false;
    for (const part of spec ? spec.split(',') : []) {
      const m = PORT_SPEC.exec(part);
      if (!m) {
        bad = true;
        continue;
      }
      ports.push({ port: Number(m[1]), ...(m[2] ? { nodePort: Number(m[2]) } : {}), protocol: m[3]! });
    }
    if (bad) {
      warnings.push({ line: r.line, text: r.raw, problem: `PORT(S) '${spec}' is not port[:nodePort]/proto,…` });
    }
    const selector: Record<string, string> = {};
    for (const kv of (NONE(r.cells.SELECTOR) ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=');
      if (eq > 0) {
        selector[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
    }
    const s: KubeService = { name: r.cells.NAME!, type: r.cells.TYPE!, ports, selector, line: r.line };
    const external = (NONE(r.cells['EXTERNAL-IP']) ?? '').split(',').filter((ip) => /^[\d.]+$/.test(ip));
    if (external.length) {
      s.externalIPs = external;
    }
    if (NONE(r.cells.NAMESPACE)) {
      s.namespace = r.cells.NAMESPACE;
    }
    const vip = NONE(r.cells['CLUSTER-IP']);
    if (vip && /^[\d.]+$/.test(vip)) {
      s.clusterIP = vip;
    }
    services.push(s);
  }
  return { services, warnings };
}

/** Writes rows the way kubectl's tabwriter does. */
export function formatKubectlTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(MIN_WIDTH, ...[h, ...rows.map((r) => r[i] ?? '')].map((c) => c.length + PADDING)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** kubectl's AGE column (k8s.io/apimachinery util/duration.HumanDuration), for 0 s up to two years. */
export function humanAge(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 120) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 10) {
    return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  }
  if (m < 180) {
    return `${m}m`;
  }
  const h = Math.floor(m / 60);
  if (h < 8) {
    return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  }
  if (h < 48) {
    return `${h}h`;
  }
  if (h < 24 * 8) {
    return h % 24 === 0 ? `${h / 24}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  }
  return `${Math.floor(h / 24)}d`;
}
