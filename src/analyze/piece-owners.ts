// Whose each piece of evidence is: its prompt (`kubectl exec POD`, `redis-cli -h HOST`, a
// `root@POD` prompt), its file's name, or its content against the pods list (owners.ts); a view
// whose myself line has no address by elimination; a made-up name when nothing tells.
import { hasFlag, parseClusterNodes, type ClusterNode } from '../probes/cluster-nodes.ts';
import { parseSocketTable } from '../probes/sockets.ts';
import { parseTcpdump, type Packet } from '../probes/tcpdump-text.ts';
import {
  captureOwner,
  logNodeId,
  memberPods,
  podAt,
  podsKnownBy,
  socketsOwner,
  viewOwner,
  type Directory,
} from './owners.ts';
import type { KubeTables } from './read-kube.ts';
import type { Piece } from './read-parts.ts';
import type { ReadItem } from './report-types.ts';

/** What parsing a piece early gives, for telling its owner by content. */
export interface Parsed {
  nodes?: ClusterNode[];
  warnings?: { line: number; text: string; problem: string }[];
  packets?: Packet[];
}

export function parseEarly(p: Piece): Parsed {
  if (p.kind === 'cluster-nodes' || p.kind === 'nodes-conf') {
    const r = parseClusterNodes(p.kind === 'nodes-conf' ? p.text.replace(/^vars .*$/gm, '') : p.text);
    return { nodes: r.nodes, warnings: r.warnings };
  }
  if (p.kind === 'tcpdump') {
    const r = parseTcpdump(p.text);
    return { packets: r.packets, warnings: r.warnings };
  }
  return {};
}

export interface Owned {
  piece: Piece;
  parsed: Parsed;
  owner?: string;
  from?: ReadItem['ownerFrom'];
}

function directory(kube: KubeTables): Directory {
  return {
    pods: kube.pods,
    services: kube.services,
    nodeIps: new Map(
      kube.nodes.flatMap((n) => [n.internalIP, n.externalIP].filter((x) => x !== undefined).map((ip) => [ip, n.name])),
    ),
  };
}

/** The owner a piece's content tells, against the pods list. */
function ownerByContent(d: Directory, o: Owned, byId: Map<string, string>): string | undefined {
  const p = o.piece;
  switch (p.kind) {
    case 'cluster-nodes':
    case 'nodes-conf':
      return viewOwner(d, o.parsed.nodes!);
    case 'sockets':
      return socketsOwner(d, parseSocketTable(p.text).sockets);
    case 'tcpdump':
      return captureOwner(d, o.parsed.packets!);
    case 'log': {
      const id = logNodeId(p.text);
      return id ? byId.get(id) : undefined;
    }
    default:
      return undefined;
  }
}

/** Owners from prompts and file names, then content, then elimination for address-less views. */
export function assignOwners(kube: KubeTables, owned: Owned[]): void {
  const d = directory(kube);
  for (const o of owned) {
    const { hint, name } = o.piece;
    const byAddress = hint.address ? podAt(d, hint.address) : undefined;
    const byHost = hint.host && d.pods.some((p) => p.name === hint.host) ? hint.host : undefined;
    const direct = hint.pod ?? byAddress ?? byHost;
    if (direct) {
      [o.owner, o.from] = [direct, 'command'];
    } else if (name.owner) {
      [o.owner, o.from] = [name.owner, 'file name'];
    }
  }
  const byId = new Map<string, string>();
  const idOf = (o: Owned) => o.parsed.nodes?.find((n) => hasFlag(n, 'myself'))?.id;
  for (const pass of [0, 1]) {
    for (const o of owned.filter((x) => !x.owner)) {
      const owner = ownerByContent(d, o, byId);
      if (owner) {
        [o.owner, o.from] = [owner, 'content'];
      }
    }
    for (const o of owned.filter((x) => x.owner && idOf(x))) {
      byId.set(idOf(o)!, o.owner!);
    }
    if (pass === 0) {
      eliminate(kube, d, owned);
    }
  }
}

/**
 * A view whose myself line has no address, owned by no prompt or name: the one listed member pod
 * that has no view of its own and that no view's entry stands for.
 */
function eliminate(kube: KubeTables, d: Directory, owned: Owned[]): void {
  const views = owned.filter((o) => o.parsed.nodes);
  const unowned = views.filter((o) => !o.owner);
  if (unowned.length !== 1) {
    return;
  }
  const taken = new Set([
    ...views.flatMap((o) => (o.owner ? [o.owner] : [])),
    ...views.flatMap((o) => podsKnownBy(d, o.parsed.nodes!)),
  ]);
  const evidence = new Set(owned.flatMap((o) => (o.owner ? [o.owner] : [])));
  const candidates = memberPods(kube.pods, evidence).filter((p) => !taken.has(p.name));
  if (candidates.length === 1) {
    [unowned[0]!.owner, unowned[0]!.from] = [candidates[0]!.name, 'content'];
  }
}

/** A made-up name for evidence nothing tied to a pod, or undefined when such evidence is dropped. */
export function unnamedOwner(o: Owned): string | undefined {
  const p = o.piece;
  const id = o.parsed.nodes?.find((n) => hasFlag(n, 'myself'))?.id;
  if (id) {
    return `<pod of node ${id.slice(0, 8)}>`;
  }
  if (['info', 'role'].includes(p.kind) || p.kind.startsWith('sentinel')) {
    return `<pod in ${p.label}>`;
  }
  return undefined;
}
