// Who is who: the pods and nodes the files describe, their addresses and ports, and the questions
// every later step asks of them (who owns an address, who knows whom, which addresses are real).
import { isCniDevice } from '../model/profiles.ts';
import { hasFlag, type ClusterNode } from '../probes/cluster-nodes.ts';
import { inbound, type SocketEntry } from '../probes/sockets.ts';
import { hostOf } from '../util/address.ts';
import { addressOwners } from './address-owners.ts';
import type { Inputs } from './inputs.ts';
import type { KubePod, KubeService } from './kubectl.ts';
import { memberPods } from './owners.ts';
import type { AddressOwner, AnalyzedNode, AnalyzedPod, Inference } from './report-types.ts';

const DEFAULT_PORT = 6379;
const BUS_PORT_INCR = 10000; // CLUSTER_PORT_INCR in cluster.c
const NODEPORT_RANGE = [30000, 32767] as const;

export const isNodePort = (port: number) => port >= NODEPORT_RANGE[0] && port <= NODEPORT_RANGE[1];
export const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

export interface View {
  pod: string;
  nodes: ClusterNode[];
}

export interface Cluster {
  inputs: Inputs;
  pods: Map<string, AnalyzedPod>;
  nodes: Map<string, AnalyzedNode>;
  services: KubeService[];
  /** Namespace of each pod, when pods.txt has kubectl -A's NAMESPACE column. */
  namespaces: Map<string, string>;
  views: View[];
  nodeIps: Set<string>;
  /** Addresses that are a pod's own (not hostNetwork pods', which are their node's). */
  podIps: Set<string>;
  podById: Map<string, AnalyzedPod>;
  /** Who owns an address; inferred owners say so and are added to `inferences` once. */
  owner: (ip: string) => AddressOwner;
  inferences: Inference[];
  /** The Redis pods: those with evidence, and the listed ones named like them (owners.ts memberPods). */
  members: string[];
  /** Whether the pods' addresses are all known: only then can an address be said to be no pod's. */
  podsListed: boolean;
}

/** Whether `viewer`'s view knows node `id` by a usable entry (not a handshake or noaddr one). */
export const knows = (c: Cluster, viewer: string, id: string): boolean =>
  c.views
    .find((v) => v.pod === viewer)
    ?.nodes.some((n) => n.id === id && !hasFlag(n, 'handshake') && !hasFlag(n, 'noaddr')) ?? false;

/** A pod IP, a node IP with a NodePort, or a hostNetwork pod's node IP: an address that reaches a pod. */
export const legit = (c: Cluster, n: ClusterNode): boolean =>
  c.podIps.has(n.ip) ||
  (c.nodeIps.has(n.ip) && (isNodePort(n.port) || [...c.pods.values()].some((p) => p.hostNetwork && p.ip === n.ip)));

/** Whether the pod's own view shows an address it announces (not none, not its pod IP). */
export const announces = (p: AnalyzedPod): boolean =>
  p.self !== undefined && !p.self.startsWith(':') && hostOf(p.self) !== p.ip;

function readTables(inputs: Inputs) {
  const k = inputs.kube;
  return { podRows: k.pods, nodeRows: k.nodes, services: k.services, cidrs: k.cidrs };
}

function buildNodes(inputs: Inputs, tables: ReturnType<typeof readTables>, podNames: Set<string>) {
  const nodes = new Map<string, AnalyzedNode>();
  const nodeOf = (name: string) => {
    let n = nodes.get(name);
    if (!n) {
      nodes.set(name, (n = { name, interfaces: {} }));
    }
    return n;
  };
  for (const r of tables.nodeRows) {
    nodes.set(r.name, {
      name: r.name,
      ...(r.internalIP ? { internalIP: r.internalIP } : {}),
      ...(r.externalIP ? { externalIP: r.externalIP } : {}),
      interfaces: {},
      ...(r.podCIDR ? { podCIDR: r.podCIDR } : {}),
    });
  }
  for (const { node, cidr } of tables.cidrs) {
    nodeOf(node).podCIDR = cidr;
  }
  for (const [owner, { interfaces, file }] of inputs.interfaces) {
    if (podNames.has(owner) && !nodes.has(owner)) {
      inputs.warnings.add(file, 0, `${owner} is a pod; node interface files are named after nodes`);
      continue;
    }
    const n = nodeOf(owner);
    for (const i of interfaces) {
      if (i.ipv4.length) {
        n.interfaces[i.name] = i.ipv4;
      }
    }
    if (!n.internalIP) {
      // Without nodes.txt: the first address on an interface that is neither loopback nor CNI.
      const uplink = interfaces.find((i) => i.name !== 'lo' && !isCniDevice(i.name) && i.ipv4.length);
      if (uplink) {
        n.internalIP = uplink.ipv4[0]!;
      }
    }
  }
  return nodes;
}

/**
 * The pod's own port among candidates (from its myself line, then the defaults): the first with a
 * listener in its socket table; else the one most inbound connections use; else the first that is
 * not a NodePort (an announced port is not the one the pod listens on).
 */
function pickPort(sockets: SocketEntry[], candidates: (number | undefined)[]): number {
  const list = [...new Set(candidates.filter((c): c is number => c !== undefined && c > 0 && c <= 65535))];
  const listening = list.find((c) => sockets.some((s) => s.state === 'LISTEN' && s.local.port === c));
  if (listening !== undefined) {
    return listening;
  }
  const used = list
    .map((c) => ({ c, n: inbound(sockets, c).length }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n)[0];
  return used?.c ?? list.find((c) => !isNodePort(c)) ?? list.at(-1)!;
}

/** The one address a pod's established connections are bound to, when there is exactly one. */
function socketAddress(sockets: SocketEntry[]): string | undefined {
  const ips = new Set(
    sockets
      .filter((s) => s.state === 'ESTABLISHED')
      .map((s) => s.local.ip.replace(/^::ffff:/, ''))
      .filter((ip) => ip !== '' && ip !== '*' && ip !== '0.0.0.0' && ip !== '::' && !isLoopback(ip)),
  );
  return ips.size === 1 ? [...ips][0] : undefined;
}

interface PodContext {
  inputs: Inputs;
  rows: KubePod[];
  nodes: Map<string, AnalyzedNode>;
  nodeIps: Set<string>;
  inferences: Inference[];
}

/** Where a pod's IP comes from: its pods.txt row, else its myself line, else its socket table. */
function podAddress(name: string, row: KubePod | undefined, myself: ClusterNode | undefined, ctx: PodContext) {
  if (row?.ip) {
    return row.ip;
  }
  const files = ctx.inputs.pods.get(name);
  if (myself?.ip && !ctx.nodeIps.has(myself.ip)) {
    ctx.inferences.push({
      address: myself.ip,
      owner: name,
      basis: `its own myself line in ${files!.view!.file} (pods.txt has no row for it)`,
    });
    return myself.ip;
  }
  const fromSockets = socketAddress(files?.sockets.flatMap((s) => s.entries) ?? []);
  if (fromSockets) {
    const file = files!.sockets.map((s) => s.file).join(', ');
    ctx.inferences.push({
      address: fromSockets,
      owner: name,
      basis: `the local address of its connections in ${file} (pods.txt has no row for it)`,
    });
  }
  return fromSockets;
}

function buildPod(name: string, ctx: PodContext): AnalyzedPod {
  const rows = ctx.rows.filter((r) => r.name === name);
  // The same pod in two listings (a table and its JSON) is one; different IPs are two moments.
  const row = rows.find((r) => r.ip) ?? rows[0];
  if (new Set(rows.flatMap((r) => (r.ip ? [r.ip] : []))).size > 1) {
    ctx.inputs.warnings.add(
      ctx.inputs.kube.read.pods ?? 'pods.txt',
      0,
      `pod ${name} is listed with different IPs; ${row!.ip} is used`,
    );
  }
  const files = ctx.inputs.pods.get(name);
  const myself = files?.view?.nodes.find((n) => hasFlag(n, 'myself'));
  const node = row?.node;
  const nodeIP = node ? ctx.nodes.get(node)?.internalIP : undefined;
  const ip = podAddress(name, row, myself, ctx);
  const sockets = files?.sockets.flatMap((s) => s.entries) ?? [];
  const busPort = pickPort(sockets, [
    myself?.cport,
    myself ? myself.port + BUS_PORT_INCR : undefined,
    DEFAULT_PORT + BUS_PORT_INCR,
  ]);
  const port = pickPort(sockets, [myself?.port, busPort - BUS_PORT_INCR, DEFAULT_PORT]);
  const p: AnalyzedPod = { name, hostNetwork: ip !== undefined && ctx.nodeIps.has(ip), port, busPort };
  if (ip) {
    p.ip = ip;
  }
  if (node) {
    p.node = node;
  }
  if (nodeIP) {
    p.nodeIP = nodeIP;
  }
  if (myself) {
    p.nodeId = myself.id;
    p.self = `${myself.ip}:${myself.port}@${myself.cport}`;
  }
  return p;
}

/** Everything the later steps need to know about the pods and nodes, from tables and pod files. */
export function whoIsWho(inputs: Inputs): Cluster {
  const tables = readTables(inputs);
  const podNames = new Set([...tables.podRows.map((p) => p.name), ...inputs.pods.keys()]);
  const nodes = buildNodes(inputs, tables, podNames);
  const nodeIps = new Set(
    [...nodes.values()].flatMap((n) => [n.internalIP, n.externalIP].filter((x) => x !== undefined)),
  );
  const inferences: Inference[] = [];
  const ctx: PodContext = { inputs, rows: tables.podRows, nodes, nodeIps, inferences };
  const pods = new Map([...podNames].sort().map((name) => [name, buildPod(name, ctx)] as const));
  if (inputs.pods.size && !inputs.kube.read.pods) {
    inputs.warnings.add(
      'pods.txt',
      0,
      'missing: pod IPs come from the myself lines and socket tables only, so NATed peers may be missed',
    );
  }
  // A hostNetwork pod's IP is its node's: only the analyzed pods' count as pod addresses, or a
  // kube-proxy pod in pods.txt would hide every NATed node-IP peer.
  const podIps = new Set([
    ...[...pods.values()].filter((p) => p.ip && (!p.hostNetwork || inputs.pods.has(p.name))).map((p) => p.ip!),
    ...inputs.kube.podAddresses,
  ]);
  const evidence = new Set(inputs.pods.keys());
  const listed = memberPods(tables.podRows, evidence);
  const members = [...new Set([...evidence, ...listed.map((p) => p.name)])].sort();
  const views = [...inputs.pods.entries()].filter(([, f]) => f.view).map(([pod, f]) => ({ pod, nodes: f.view!.nodes }));
  return {
    inputs,
    pods,
    nodes,
    services: tables.services,
    namespaces: new Map(tables.podRows.filter((r) => r.namespace).map((r) => [r.name, r.namespace!])),
    views,
    nodeIps,
    podIps,
    podById: new Map([...pods.values()].filter((p) => p.nodeId).map((p) => [p.nodeId!, p])),
    owner: addressOwners(pods, nodes, inferences),
    inferences,
    members,
    // A list of pod IPs, or a pods table with the address of every Redis pod it lists.
    podsListed: inputs.kube.podAddresses.length > 0 || (listed.length > 0 && listed.every((p) => pods.get(p.name)?.ip)),
  };
}

/**
 * Whether an entry's address is known not to reach a pod: not a pod's, not a node's NodePort or
 * host-network address, and either owned by a device (a rewrite) or checked against a pods list.
 * Without the lists nothing is known: a node IP with a NodePort looks like any other address.
 */
export function unexplained(c: Cluster, n: ClusterNode): boolean {
  if (!n.ip || legit(c, n)) {
    return false;
  }
  if (c.owner(n.ip).class !== 'unknown') {
    return true;
  }
  return c.podsListed && (!isNodePort(n.port) || !!c.inputs.kube.read.nodes);
}
