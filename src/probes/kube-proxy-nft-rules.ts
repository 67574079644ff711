// kube-proxy's nftables-mode table on a real node beside the one the lab renders for the same
// Services (docs/kubernetes.md#kube-proxy-nftables-mode): the nftables sibling of
// kube-proxy-rules.ts, whose scope, ruleset shape and comparison it shares. Either side is `nft
// list` text (or the lab's `nft -f` document, written in the same syntax); only `table ip
// kube-proxy` is read. Normalised away: the hash in a chain's name (the name is the Service port it
// hashes), counters and handles, addresses (a role each), other namespaces' Services (chains, map
// elements, their ClusterIPs), and the order of set and map elements (kube-proxy adds them while it
// walks a Go map, and the kernel lists them in its own order). The order of chains in the table
// means nothing to nftables; the order of rules inside a chain is kept.
import { hash16 } from '../deploy/netns/kube-proxy.ts';
import { namespaceOf, rolesIn, type RuleScope, type Ruleset } from './kube-proxy-rules.ts';

/** The table compared, as the differences name it. */
export const NFT_TABLE_NAME = 'ip kube-proxy';

interface Block {
  /** `set cluster-ips`, `map service-ips`, `chain services`, or `table` for the table's own lines. */
  kind: 'table' | 'set' | 'map' | 'chain';
  name: string;
  /** A chain's rules; a set's or map's `type`/`flags`/`comment` lines. */
  lines: string[];
  /** A set's or map's elements. */
  elements: string[];
}

/** The blocks of `table ip kube-proxy { … }` in `text`; none when the table is not there. */
function parseTable(text: string): Block[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `table ${NFT_TABLE_NAME} {`);
  if (start < 0) {
    return [];
  }
  const table: Block = { kind: 'table', name: '', lines: [], elements: [] };
  const blocks = [table];
  let block: Block | undefined;
  let elements: string | undefined;
  for (const raw of lines.slice(start + 1)) {
    const line = raw
      .replace(/\s*# handle \d+$/, '')
      .replace(/\s*counter packets \d+ bytes \d+/g, '')
      .trim();
    if (elements !== undefined) {
      // `elements = { a, b,` … `y, z }` spans lines until its closing brace.
      elements += ` ${line}`;
      if (line.endsWith('}')) {
        block!.elements.push(...splitElements(elements));
        elements = undefined;
      }
      continue;
    }
    if (line === '}') {
      if (!block) {
        break;
      }
      block = undefined;
      continue;
    }
    const head = /^(set|map|chain) (\S+) \{$/.exec(line);
    if (head) {
      block = { kind: head[1] as Block['kind'], name: head[2]!, lines: [], elements: [] };
      blocks.push(block);
    } else if (line.startsWith('elements = {') && block) {
      elements = line;
      if (line.endsWith('}')) {
        block.elements.push(...splitElements(line));
        elements = undefined;
      }
    } else if (line !== '') {
      (block ?? table).lines.push(line);
    }
  }
  return blocks;
}

/** `elements = { a, b comment "x, y" : goto c }` → its elements (commas inside quotes are no separators). */
function splitElements(text: string): string[] {
  const body = text.replace(/^elements = \{/, '').replace(/\}$/, '');
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of body) {
    if (ch === '"') {
      quoted = !quoted;
    }
    if (ch === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current.trim());
  return out.filter(Boolean);
}

/** ServicePortName.String(): `namespace/name:port`. */
const SERVICE_PORT_NAME = /^[a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*(?::[-a-z0-9]+)?$/;

/** kube-proxy's per-Service chain prefixes (proxier.go servicePortPolicyClusterChainNamePrefix …). */
const SERVICE_CHAIN = /^(service|local|external|endpoint|firewall)-([A-Z2-7]{8})-(\S+)$/;

/**
 * A hashed chain's name as the Service port (and endpoint) it stands for —
 * `service-ADT3U5IR-ns/redis-0-np/tcp/client` → `service(NS/redis-0-np/tcp/client)`,
 * `endpoint-…__10.42.0.2/6379` → `endpoint(NS/redis-0-np/tcp/client <pod:redis-0>:6379)` — when the
 * hash is kube-proxy's hash of the rest; any other name stays as it is, so a wrong hash shows.
 */
function chainName(name: string, scope: RuleScope, address: (s: string) => string) {
  const m = SERVICE_CHAIN.exec(name);
  if (!m || hash16(m[3]!).slice(0, 8) !== m[2]) {
    return { name, inScope: true };
  }
  const [servicePort, endpoint] = m[3]!.split('__');
  const label = servicePort!.replace(/^[^/]+/, (ns) => (ns === scope.namespace ? 'NS' : ns));
  const at = endpoint ? ` ${address(endpoint.replace(/\/(\d+)$/, ':$1'))}` : '';
  return { name: `${m[1]}(${label}${at})`, inScope: namespaceOf(servicePort!) === scope.namespace };
}

/** kube-proxy's `table ip kube-proxy` in `nft list` text, normalised (see the file comment). */
export function normaliseNftRuleset(text: string, scope: RuleScope): Ruleset {
  const address = rolesIn(scope);
  const blocks = parseTable(text);
  const names = new Map<string, string>();
  const outOfScope = new Set<string>();
  for (const b of blocks.filter((b) => b.kind === 'chain')) {
    const n = chainName(b.name, scope, address);
    names.set(b.name, n.name);
    if (!n.inScope) {
      outOfScope.add(b.name);
    }
  }
  // An element names its Service port in its comment (`ns/name:port`) or its chain in its verdict.
  const otherNamespace = (s: string) =>
    [...s.matchAll(/comment "([^"]*)"/g)].some(
      (c) => SERVICE_PORT_NAME.test(c[1]!) && namespaceOf(c[1]!) !== scope.namespace,
    ) || s.split(/\s+/).some((token) => outOfScope.has(token));
  // A map element of another namespace's Service leaves its address out of the sets too (the
  // `default/kubernetes` ClusterIP in cluster-ips).
  const foreignAddresses = new Set(
    blocks
      .filter((b) => b.kind === 'map')
      .flatMap((b) => b.elements.filter(otherNamespace).map((e) => e.split(' ')[0]!)),
  );
  const normal = (s: string) =>
    address(
      s
        .split(/\s+/)
        .map((token) => names.get(token) ?? token)
        .join(' ')
        .replaceAll(`"${scope.namespace}/`, '"NS/'),
    );
  const out: Ruleset = new Map();
  for (const b of blocks) {
    if (b.kind === 'chain' && outOfScope.has(b.name)) {
      continue;
    }
    const chain = b.kind === 'table' ? 'table' : `${b.kind} ${names.get(b.name) ?? b.name}`;
    const elements = b.elements
      .filter((e) => !otherNamespace(e) && !(b.kind === 'set' && foreignAddresses.has(e)))
      .map((e) => `element ${normal(e)}`)
      .sort();
    out.set(`${NFT_TABLE_NAME} ${chain}`, {
      table: NFT_TABLE_NAME,
      chain,
      rules: [...b.lines.map(normal), ...elements],
    });
  }
  return out;
}
