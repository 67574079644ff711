// Whose evidence a piece is, when neither a prompt (`kubectl exec POD`, `redis-cli -h HOST`) nor the
// file's name says: told from the content against the pods list. A CLUSTER NODES view belongs to
// the pod at its myself line's address (a pod IP, or a node IP and that pod's NodePort); a socket
// table to the pod whose address its connections are bound to; a capture to the pod in nearly every
// packet; a cluster log to the view whose node id it names (`I'm <id>`). A view whose myself line
// has no address (`:6379@16379 myself`) belongs to the one listed pod no view knows.
import type { ClusterNode } from '../probes/cluster-nodes.ts';
import { hasFlag } from '../probes/cluster-nodes.ts';
import type { SocketEntry } from '../probes/sockets.ts';
import type { Packet } from '../probes/tcpdump-text.ts';
import type { KubePod, KubeService } from './kubectl.ts';

export interface Directory {
  pods: KubePod[];
  services: KubeService[];
  nodeIps: Map<string, string>;
}

/** The pod that answers at `ip:port`: its pod IP, or a node IP with the NodePort of its Service. */
export function podAt(d: Directory, ip: string, port?: number): string | undefined {
  const byIp = d.pods.filter((p) => p.ip === ip && !d.nodeIps.has(ip));
  if (byIp.length === 1) {
    return byIp[0]!.name;
  }
  if (port === undefined || !d.nodeIps.has(ip)) {
    return undefined;
  }
  const svc = d.services.find((s) => s.ports.some((p) => p.nodePort === port));
  return svc ? Object.entries(svc.selector).find(([k]) => k.endsWith('pod-name'))?.[1] : undefined;
}

/** The pods a view's entries (other than its own) stand for. */
export const podsKnownBy = (d: Directory, nodes: ClusterNode[]): string[] =>
  nodes
    .filter((n) => !hasFlag(n, 'myself') && n.ip && !hasFlag(n, 'handshake') && !hasFlag(n, 'noaddr'))
    .flatMap((n) => podAt(d, n.ip, n.port) ?? []);

/** The view's own pod by its myself line, when it has an address. */
export function viewOwner(d: Directory, nodes: ClusterNode[]): string | undefined {
  const me = nodes.find((n) => hasFlag(n, 'myself'));
  return me?.ip ? podAt(d, me.ip, me.port) : undefined;
}

const isLocal = (ip: string) =>
  ip === '' || ip === '*' || ip === '0.0.0.0' || ip === '::' || ip.startsWith('127.') || ip === '::1';

/** The pod a socket table was taken in: the one pod address its sockets are bound to. */
export function socketsOwner(d: Directory, sockets: SocketEntry[]): string | undefined {
  const ips = new Set(sockets.map((s) => s.local.ip.replace(/^::ffff:/, '')).filter((ip) => !isLocal(ip)));
  const pods = new Set([...ips].flatMap((ip) => podAt(d, ip) ?? []));
  return pods.size === 1 ? [...pods][0] : undefined;
}

/** The pod a capture was taken in: a pod address in at least 90% of its packets. */
export function captureOwner(d: Directory, packets: Packet[]): string | undefined {
  const counts = new Map<string, number>();
  for (const p of packets) {
    for (const ip of new Set([p.src.ip, p.dst.ip])) {
      counts.set(ip, (counts.get(ip) ?? 0) + 1);
    }
  }
  const pods = [...counts.entries()].filter(([, n]) => n >= packets.length * 0.9).flatMap(([ip]) => podAt(d, ip) ?? []);
  return pods.length === 1 ? pods[0] : undefined;
}

/** The node id a cluster log says is its own (`Node configuration loaded, I'm <id>`). */
export const logNodeId = (text: string): string | undefined =>
  /(?:configuration loaded|configuration found), I'm ([0-9a-f]{40})/.exec(text)?.[1];

// Namespaces whose pods are the cluster's own, never the Redis deployment.
const SYSTEM_NAMESPACES =
  /^(?:kube-system|kube-public|kube-node-lease|local-path-storage|ingress-nginx|cert-manager|kube-flannel|calico-system|tigera-operator)$/;

/**
 * The listed pods that are Redis members: not in a system namespace, and named like Redis, or like
 * a pod with evidence (the same StatefulSet: `redis-cluster-3` next to `redis-cluster-0`).
 */
export function memberPods(pods: KubePod[], withEvidence: Set<string>): KubePod[] {
  const stem = (name: string) => name.replace(/-\d+$/, '');
  const stems = new Set([...withEvidence].map(stem));
  return pods.filter(
    (p) =>
      !SYSTEM_NAMESPACES.test(p.namespace ?? '') &&
      (withEvidence.has(p.name) || stems.has(stem(p.name)) || /redis|valkey|keydb/i.test(p.name)),
  );
}
