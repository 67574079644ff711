// kube-proxy's iptables rules on a real node beside the ones the lab renders for the same Services
// (docs/kubernetes.md#kube-proxy-rules-beside-the-labs). Both sides are `iptables-save` text; each is
// normalised so that only what legitimately differs is gone: chain hashes (named after the Service
// port they hash), counters, where the comment sits in a rule, addresses (a role each: a pod, a
// ClusterIP, a node), other components' chains and other namespaces' Services, and the order of
// rules where kube-proxy itself leaves it to a Go map. Whatever is left that differs is a named
// difference: table, chain, which side has it, and the rule.
import { hash16 } from '../deploy/netns/kube-proxy.ts';

/** Which Services are compared, and what each address stands for on this side. */
export interface RuleScope {
  /** The Services' namespace: it reads `NS` after normalising; every other namespace is left out. */
  namespace: string;
  /** Address → role (`pod:redis-0`, `clusterIP:redis-0-np`, `node-0`), the same roles on both sides. */
  roles: Record<string, string>;
}

export interface ChainRules {
  table: string;
  chain: string;
  rules: string[];
}

/** Normalised rules by `<table> <chain>`. */
export type Ruleset = Map<string, ChainRules>;

export type Side = 'kube-proxy' | 'lab';

export type RuleDifference =
  | { kind: 'chain'; table: string; chain: string; only: Side; rules: string[] }
  | { kind: 'rule'; table: string; chain: string; only: Side; rule: string }
  | { kind: 'order'; table: string; chain: string; kubeProxy: string[]; lab: string[] };

/** Chains kube-proxy's service chains are named for (pkg/proxy/iptables/proxier.go, isServiceChainName). */
const SERVICE_CHAIN_PREFIXES = ['SVC', 'SVL', 'EXT', 'FW'] as const;
/** The kubelet's own chains (pkg/kubelet/kubelet_network_linux.go): not kube-proxy's to compare. */
const KUBELET_CHAINS = new Set(['KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT']);
/**
 * Dispatch chains whose rules kube-proxy writes while it walks a Go map of Services, so their order
 * changes from one sync to the next and means nothing: each rule matches its own Service. The one
 * rule that must stay last (the NodePort jump) keeps its place.
 */
const UNORDERED = new Set([
  'nat KUBE-SERVICES',
  'nat KUBE-NODEPORTS',
  'filter KUBE-SERVICES',
  'filter KUBE-EXTERNAL-SERVICES',
  'filter KUBE-NODEPORTS',
  'filter KUBE-PROXY-FIREWALL',
]);
const MUST_BE_LAST = /must be the last rule/;

const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const ADDRESS = new RegExp(String.raw`\b(${IPV4})(?=[/:\s]|$)`, 'g');
const COMMENT = /\s-m comment --comment ("(?:[^"\\]|\\.)*"|\S+)/;
/** `namespace/name:port` (ServicePortName.String()) inside a comment. */
const SERVICE_PORT_NAME = /\b([a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*(?::[-a-z0-9]+)?)/g;

interface RawRule {
  chain: string;
  spec: string;
  comment?: string;
}

interface RawTable {
  name: string;
  /** Chain → built-in (has a policy). */
  chains: Map<string, boolean>;
  rules: RawRule[];
}

function parseSave(text: string): RawTable[] {
  const tables: RawTable[] = [];
  let table: RawTable | undefined;
  for (const raw of text.split('\n')) {
    // `iptables-save -c` puts each rule's counters first.
    const line = raw.trim().replace(/^\[\d+:\d+\]\s+/, '');
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: new Map(), rules: [] };
      tables.push(table);
    } else if (!table || line === '' || line.startsWith('#') || line === 'COMMIT') {
      continue;
    } else if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      table.chains.set(name!, policy !== '-');
    } else if (line.startsWith('-A ')) {
      const m = /^-A (\S+)\s*(.*)$/.exec(line)!;
      const c = COMMENT.exec(` ${m[2]!}`);
      const spec = c ? ` ${m[2]!}`.replace(c[0], '').trim() : m[2]!;
      const comment = c ? c[1]!.replace(/^"(.*)"$/, '$1').replace(/\\"/g, '"') : undefined;
      table.rules.push({ chain: m[1]!, spec, comment });
    }
  }
  return tables;
}

export const namespaceOf = (spn: string) => spn.slice(0, spn.indexOf('/'));

/** Each address in `text` that has a role in the scope, as `<role>` (`10.42.0.2` → `<pod:redis-0>`). */
export const rolesIn =
  (scope: RuleScope) =>
  (text: string): string =>
    text.replace(ADDRESS, (ip: string) => (scope.roles[ip] ? `<${scope.roles[ip]}>` : ip));

/**
 * Names for kube-proxy's hashed chains, from the Service port names and endpoints the text itself
 * mentions: `KUBE-SVC-<hash>` → `KUBE-SVC(NS/redis-0-np:client)`, `KUBE-SEP-<hash>` →
 * `KUBE-SEP(NS/redis-0-np:client <pod:redis-0>:6379)`. A hash that matches none stays as it is.
 */
function chainNames(tables: RawTable[], scope: RuleScope, address: (text: string) => string) {
  const spns = new Set<string>();
  const endpoints = new Set<string>();
  for (const r of tables.flatMap((t) => t.rules)) {
    for (const m of (r.comment ?? '').matchAll(SERVICE_PORT_NAME)) {
      spns.add(m[1]!);
    }
    const dnat = /--to-destination (\S+)/.exec(r.spec)?.[1];
    if (dnat) {
      endpoints.add(dnat);
    }
  }
  const names = new Map<string, string>();
  const outOfScope = new Set<string>();
  for (const spn of spns) {
    const label = spn.replace(/^[^/]+/, (ns) => (ns === scope.namespace ? 'NS' : ns));
    const chains = [
      ...SERVICE_CHAIN_PREFIXES.map((p) => [`KUBE-${p}-${hash16(spn + 'tcp')}`, `KUBE-${p}(${label})`]),
      ...[...endpoints].map((ep) => [`KUBE-SEP-${hash16(spn + 'tcp' + ep)}`, `KUBE-SEP(${label} ${address(ep)})`]),
    ];
    for (const [hashed, named] of chains) {
      names.set(hashed!, named!);
      if (namespaceOf(spn) !== scope.namespace) {
        outOfScope.add(hashed!);
      }
    }
  }
  return { names, outOfScope, spns };
}

/** kube-proxy's part of one node's `iptables-save`, normalised (see the file comment). */
export function normaliseIptablesSave(text: string, scope: RuleScope): Ruleset {
  const address = rolesIn(scope);
  const tables = parseSave(text);
  const { names, outOfScope, spns } = chainNames(tables, scope, address);
  const otherNamespaces = [...spns].filter((s) => namespaceOf(s) !== scope.namespace);
  const kept = (table: RawTable, chain: string) =>
    chain.startsWith('KUBE-') && !table.chains.get(chain) && !KUBELET_CHAINS.has(chain) && !outOfScope.has(chain);
  const out: Ruleset = new Map();
  for (const table of tables) {
    // kube-proxy's own chains, declared even when empty; a built-in chain only for its jumps to them.
    const chains = new Map<string, string[]>();
    for (const chain of table.chains.keys()) {
      if (kept(table, chain)) {
        chains.set(chain, []);
      }
    }
    const own = new Set(chains.keys());
    for (const r of table.rules) {
      const target = /(?:^|\s)-[jg] (\S+)/.exec(r.spec)?.[1] ?? '';
      const builtinHook = table.chains.get(r.chain) === true && kept(table, target);
      if (!(own.has(r.chain) || builtinHook) || outOfScope.has(target)) {
        continue;
      }
      if (otherNamespaces.some((spn) => r.comment?.includes(spn))) {
        continue;
      }
      const spec = address(r.spec.replace(/\S+/g, (token) => names.get(token) ?? token).replace(/\s+/g, ' '));
      const comment =
        r.comment === undefined ? '' : ` /* ${address(r.comment.replaceAll(`${scope.namespace}/`, 'NS/'))} */`;
      const list = chains.get(r.chain) ?? [];
      chains.set(r.chain, list);
      list.push(spec + comment);
    }
    for (const [chain, rules] of chains) {
      const key = `${table.name} ${names.get(chain) ?? chain}`;
      out.set(key, { table: table.name, chain: names.get(chain) ?? chain, rules: inOrder(key, rules) });
    }
  }
  return out;
}

function inOrder(key: string, rules: string[]): string[] {
  if (!UNORDERED.has(key)) {
    return rules;
  }
  // Sorted between the rules that must stay where they are, so that one moved shows as an order change.
  const out: string[] = [];
  let run: string[] = [];
  for (const r of rules) {
    if (MUST_BE_LAST.test(r)) {
      out.push(...run.sort(), r);
      run = [];
    } else {
      run.push(r);
    }
  }
  return [...out, ...run.sort()];
}

/** Each rule of `a` that `b` lacks, counting repeats. */
function missingFrom(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const r of b) {
    left.set(r, (left.get(r) ?? 0) + 1);
  }
  return a.filter((r) => {
    const n = left.get(r) ?? 0;
    left.set(r, n - 1);
    return n <= 0;
  });
}

/** What differs between real kube-proxy's rules and the lab's, chain by chain, in a stable order. */
export function compareRulesets(kubeProxy: Ruleset, lab: Ruleset): RuleDifference[] {
  const out: RuleDifference[] = [];
  const keys = [...new Set([...kubeProxy.keys(), ...lab.keys()])].sort();
  for (const key of keys) {
    const k = kubeProxy.get(key);
    const l = lab.get(key);
    if (!k || !l) {
      const only = (k ?? l)!;
      out.push({
        kind: 'chain',
        table: only.table,
        chain: only.chain,
        only: k ? 'kube-proxy' : 'lab',
        rules: only.rules,
      });
      continue;
    }
    const kOnly = missingFrom(k.rules, l.rules);
    const lOnly = missingFrom(l.rules, k.rules);
    const { table, chain } = k;
    out.push(...kOnly.map((rule) => ({ kind: 'rule' as const, table, chain, only: 'kube-proxy' as const, rule })));
    out.push(...lOnly.map((rule) => ({ kind: 'rule' as const, table, chain, only: 'lab' as const, rule })));
    // The rules both have, in each side's order: a jump list or a probability chain out of order.
    const kShared = k.rules.filter((r) => !kOnly.includes(r));
    const lShared = l.rules.filter((r) => !lOnly.includes(r));
    if (kShared.join('\n') !== lShared.join('\n')) {
      out.push({ kind: 'order', table, chain, kubeProxy: kShared, lab: lShared });
    }
  }
  return out;
}

export function formatDifference(d: RuleDifference): string {
  const where = `${d.table} ${d.chain}`;
  switch (d.kind) {
    case 'chain':
      return `${where}: chain only in ${d.only} (${d.rules.length} rule${d.rules.length === 1 ? '' : 's'})`;
    case 'rule':
      return `${where}: rule only in ${d.only}: ${d.rule}`;
    case 'order':
      return `${where}: rules in another order: kube-proxy [${d.kubeProxy.join(' | ')}] lab [${d.lab.join(' | ')}]`;
  }
}

/** A difference the lab keeps on purpose, with where docs/kubernetes.md explains it. */
export interface KnownDifference {
  id: 'proxy-canary' | 'nfacct-counter' | 'localhost-nodeport-counter';
  doc: string;
  differences: RuleDifference[];
}

const NFACCT = / -m nfacct --nfacct-name \S+/;
const LOCALHOST_NODEPORT = /^-d 127\.0\.0\.0\/8 (.*) -m nfacct --nfacct-name localhost_nps_accepted_pkts( .*)$/;

/**
 * Sorts differences into the ones docs/kubernetes.md explains (each a known kind, all of them rules
 * that only count packets or chains nothing jumps to) and the rest. A known kind matches narrowly: a
 * counting rule is explained only when, without its counter, it is a rule the lab has.
 */
export function explainDifferences(
  diffs: RuleDifference[],
  lab: Ruleset,
): { known: KnownDifference[]; unexplained: RuleDifference[] } {
  const known = new Map<KnownDifference['id'], KnownDifference>();
  const add = (id: KnownDifference['id'], doc: string, ...ds: RuleDifference[]) => {
    const k = known.get(id) ?? { id, doc, differences: [] };
    known.set(id, k);
    k.differences.push(...ds);
  };
  const rest = new Set(diffs);
  const labOnly = (d: RuleDifference, rule: string) =>
    [...rest].find(
      (x) => x.kind === 'rule' && x.only === 'lab' && x.table === d.table && x.chain === d.chain && x.rule === rule,
    );
  for (const d of diffs) {
    if (!rest.has(d)) {
      continue;
    }
    if (d.kind === 'chain' && d.only === 'kube-proxy' && d.chain === 'KUBE-PROXY-CANARY' && d.rules.length === 0) {
      rest.delete(d);
      add('proxy-canary', 'docs/kubernetes.md#kube-proxy-canary-chains', d);
    } else if (d.kind === 'rule' && d.only === 'kube-proxy' && NFACCT.test(d.rule)) {
      const local = LOCALHOST_NODEPORT.exec(d.rule);
      const plain = local ? `${local[1]!}${local[2]!}` : d.rule.replace(NFACCT, '');
      const twin = labOnly(d, plain);
      if (local && d.chain === 'KUBE-NODEPORTS' && lab.get(`${d.table} ${d.chain}`)?.rules.includes(plain)) {
        rest.delete(d);
        add('localhost-nodeport-counter', 'docs/kubernetes.md#localhost-nodeport-counter', d);
      } else if (!local && twin) {
        rest.delete(d);
        rest.delete(twin);
        add('nfacct-counter', 'docs/kubernetes.md#invalid-packet-counter', d, twin);
      }
    }
  }
  return { known: [...known.values()], unexplained: diffs.filter((d) => rest.has(d)) };
}
