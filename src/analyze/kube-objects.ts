// kubectl's other outputs for pods, nodes and services, read into the rows of kubectl.ts: `-o json`,
// `-o yaml`, a table whose header was cut off by `grep`, and the lists people print with
// `-o jsonpath` or `-o name` (a line of pod IPs, `name ip` pairs, `pod/NAME` lines).
import type { ParseWarning } from '../probes/cluster-nodes.ts';
import type { KubeNode, KubePod, KubeService } from './kubectl.ts';
import { parseYaml, type Yaml } from './mini-yaml.ts';

export interface KubeObjects {
  pods: KubePod[];
  nodes: KubeNode[];
  services: KubeService[];
}

type Obj = { [key: string]: Yaml };
const isObj = (y: Yaml | undefined): y is Obj => typeof y === 'object' && y !== null && !Array.isArray(y);
const get = (y: Yaml | undefined, ...path: string[]): Yaml | undefined =>
  path.reduce<Yaml | undefined>((at, k) => (isObj(at) ? at[k] : undefined), y);
const str = (y: Yaml | undefined): string | undefined =>
  typeof y === 'string' && y !== '' ? y : typeof y === 'number' ? String(y) : undefined;
const list = (y: Yaml | undefined): Yaml[] => (Array.isArray(y) ? y : []);

/** JSON values as the YAML reader gives them: numbers and booleans as strings. */
function fromJson(v: unknown): Yaml {
  if (Array.isArray(v)) {
    return v.map(fromJson);
  }
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  }
  return v === null || v === undefined ? null : String(v);
}

function pod(o: Obj): KubePod {
  const p: KubePod = { name: str(get(o, 'metadata', 'name')) ?? '', line: 0 };
  const set = (k: 'namespace' | 'status' | 'ip' | 'node', v: string | undefined) => v !== undefined && (p[k] = v);
  set('namespace', str(get(o, 'metadata', 'namespace')));
  set('status', str(get(o, 'status', 'phase')));
  set('ip', str(get(o, 'status', 'podIP')));
  set('node', str(get(o, 'spec', 'nodeName')));
  return p;
}

function node(o: Obj): KubeNode {
  const n: KubeNode = { name: str(get(o, 'metadata', 'name')) ?? '', line: 0 };
  for (const a of list(get(o, 'status', 'addresses'))) {
    const address = str(get(a, 'address'));
    if (get(a, 'type') === 'InternalIP' && address && !address.includes(':')) {
      n.internalIP ??= address;
    } else if (get(a, 'type') === 'ExternalIP' && address && !address.includes(':')) {
      n.externalIP ??= address;
    }
  }
  const cidr = str(get(o, 'spec', 'podCIDR'));
  if (cidr) {
    n.podCIDR = cidr;
  }
  return n;
}

function service(o: Obj): KubeService {
  const selector = get(o, 'spec', 'selector');
  const s: KubeService = {
    name: str(get(o, 'metadata', 'name')) ?? '',
    type: str(get(o, 'spec', 'type')) ?? 'ClusterIP',
    ports: list(get(o, 'spec', 'ports')).map((p) => ({
      port: Number(str(get(p, 'port'))),
      ...(str(get(p, 'nodePort')) ? { nodePort: Number(str(get(p, 'nodePort'))) } : {}),
      protocol: str(get(p, 'protocol')) ?? 'TCP',
    })),
    selector: isObj(selector)
      ? Object.fromEntries(Object.entries(selector).flatMap(([k, v]) => (str(v) ? [[k, str(v)!]] : [])))
      : {},
    line: 0,
  };
  const external = [
    ...list(get(o, 'status', 'loadBalancer', 'ingress')).map((i) => str(get(i, 'ip'))),
    ...list(get(o, 'spec', 'externalIPs')).map(str),
  ].filter((ip): ip is string => ip !== undefined);
  if (external.length) {
    s.externalIPs = external;
  }
  const ns = str(get(o, 'metadata', 'namespace'));
  if (ns) {
    s.namespace = ns;
  }
  return s;
}

/** Pods, nodes and services among Kubernetes objects (a List's items, or one object). */
export function kubeObjects(docs: Yaml[]): KubeObjects {
  const out: KubeObjects = { pods: [], nodes: [], services: [] };
  const items = docs.flatMap((d) => (isObj(d) && Array.isArray(d['items']) ? d['items'] : [d])).filter(isObj);
  for (const o of items) {
    const kind = str(o['kind']);
    if (kind === 'Pod') {
      out.pods.push(pod(o));
    } else if (kind === 'Node') {
      out.nodes.push(node(o));
    } else if (kind === 'Service') {
      out.services.push(service(o));
    }
  }
  return out;
}

/** `kubectl get … -o json`; undefined when the text is not JSON. */
export function parseKubeJson(text: string): KubeObjects | undefined {
  try {
    return kubeObjects([fromJson(JSON.parse(text))]);
  } catch {
    return undefined;
  }
}

/** `kubectl get … -o yaml`. */
export const parseKubeYaml = (text: string): KubeObjects => kubeObjects(parseYaml(text));

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const READY = /^\d+\/\d+$/;

/**
 * `kubectl get pods [-o wide] [-A]` rows without their header (cut by `grep`): NAME READY STATUS
 * RESTARTS AGE [IP NODE …], with NAMESPACE first under -A. RESTARTS may read `1 (5m ago)`.
 */
export function parseHeaderlessPods(text: string): { pods: KubePod[]; warnings: ParseWarning[] } {
  const pods: KubePod[] = [];
  const warnings: ParseWarning[] = [];
  text.split('\n').forEach((raw, i) => {
    const words = raw.trim().split(/\s+/);
    if (raw.trim() === '') {
      return;
    }
    const r = words.findIndex((w) => READY.test(w));
    if (r !== 1 && r !== 2) {
      warnings.push({ line: i + 1, text: raw, problem: 'not a row of kubectl get pods' });
      return;
    }
    let at = r + 3;
    if (words[at]?.startsWith('(')) {
      while (at < words.length && !words[at]!.endsWith(')')) {
        at++;
      }
      at++;
    }
    const [ip, nodeName] = [words[at + 1], words[at + 2]];
    pods.push({
      name: words[r - 1]!,
      ...(r === 2 ? { namespace: words[0]! } : {}),
      status: words[r + 1]!,
      ...(ip && IPV4.test(ip) ? { ip } : {}),
      ...(nodeName && nodeName !== '<none>' && ip && IPV4.test(ip) ? { node: nodeName } : {}),
      line: i + 1,
    });
  });
  return { pods, warnings };
}

/** Whether a line is a headerless `kubectl get pods` row. */
export const isHeaderlessPodRow = (line: string): boolean => {
  const w = line.trim().split(/\s+/);
  return (READY.test(w[1] ?? '') || READY.test(w[2] ?? '')) && w.length >= 5;
};

/**
 * A list printed with `-o jsonpath` or `-o name`: addresses (`10.1.207.197:6379 10.1.207.194:6379`),
 * `name ip` pairs one per line, or `pod/NAME` lines. Undefined when the text is none of these.
 */
export function parsePodList(text: string): { pods: KubePod[]; addresses: string[] } | undefined {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (!words.length) {
    return undefined;
  }
  const ipOf = (w: string) => w.replace(/:\d+$/, '');
  if (words.every((w) => IPV4.test(ipOf(w)))) {
    return { pods: [], addresses: words.map(ipOf) };
  }
  if (words.every((w) => /^pods?\/[a-z0-9][-a-z0-9.]*$/.test(w))) {
    return { pods: words.map((w, i) => ({ name: w.split('/')[1]!, line: i + 1 })), addresses: [] };
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((l) => l[0] !== '');
  if (lines.every((l) => l.length === 2 && /^[a-z0-9][-a-z0-9.]*$/.test(l[0]!) && IPV4.test(ipOf(l[1]!)))) {
    return { pods: lines.map(([name, ip], i) => ({ name: name!, ip: ipOf(ip!), line: i + 1 })), addresses: [] };
  }
  return undefined;
}
