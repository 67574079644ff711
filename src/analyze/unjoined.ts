// Pods that never joined, told even when the rest of the evidence is missing: a node whose own view
// has no address for itself (`:6379@16379 myself`: no peer has ever reached its cluster bus, since
// a node learns its address from the first MEET or PING it receives, cluster.c
// clusterProcessPacket), and a listed Redis pod that no view knows at all.
import { hasFlag, type ClusterNode } from '../probes/cluster-nodes.ts';
import { podAt, type Directory } from './owners.ts';
import type { Cluster } from './who-is-who.ts';

export interface Unjoined {
  /** Pods whose own view's myself line has no address, with how many peers the view holds. */
  selfless: { pod: string; self: string; peers: number; file: string }[];
  /** Listed Redis pods with no view of their own that no view's entry stands for. */
  absent: string[];
}

export function directoryOf(c: Cluster): Directory {
  return {
    pods: [...c.pods.values()].map((p) => ({ name: p.name, ...(p.ip ? { ip: p.ip } : {}), line: 0 })),
    services: c.services,
    nodeIps: new Map([...c.nodes.values()].flatMap((n) => (n.internalIP ? [[n.internalIP, n.name] as const] : []))),
  };
}

/** The usable entries of every view but the viewers' own lines. */
const entries = (c: Cluster): ClusterNode[] =>
  c.views.flatMap((v) =>
    v.nodes.filter((n) => !hasFlag(n, 'myself') && !hasFlag(n, 'handshake') && !hasFlag(n, 'noaddr') && n.ip !== ''),
  );

export function findUnjoined(c: Cluster): Unjoined {
  const selfless: Unjoined['selfless'] = [];
  for (const [pod, f] of c.inputs.pods) {
    const me = f.view?.nodes.find((n) => hasFlag(n, 'myself'));
    if (me && me.ip === '') {
      selfless.push({ pod, self: `:${me.port}@${me.cport}`, peers: f.view!.nodes.length - 1, file: f.view!.file });
    }
  }
  if (!c.views.length) {
    return { selfless, absent: [] };
  }
  const d = directoryOf(c);
  const mapped = new Set<string>();
  const unmapped = new Set<string>();
  for (const n of entries(c)) {
    const pod = c.podById.get(n.id)?.name ?? podAt(d, n.ip, n.port);
    if (pod) {
      mapped.add(pod);
    } else {
      unmapped.add(n.id);
    }
  }
  // An entry no list ties to a pod (a NodePort without services.txt) may be any of them: then
  // none is said to be absent.
  const candidates = c.members.filter((m) => !c.inputs.pods.get(m)?.view && !mapped.has(m));
  return { selfless, absent: unmapped.size ? [] : candidates };
}

/** The problem sentences, and what to collect next to see more. */
export function unjoinedProblems(c: Cluster, u: Unjoined): { problems: string[]; next: string[] } {
  const problems: string[] = [];
  const next: string[] = [];
  for (const s of u.selfless) {
    problems.push(
      s.peers
        ? `${s.pod}'s own view has no address for itself (${s.self} myself, in ${s.file}): no peer has ever reached its cluster bus, so none of the ${s.peers} node(s) it lists knows it`
        : `${s.pod}'s own view has no address for itself (${s.self} myself, in ${s.file}) and no other node: it has not joined any cluster`,
    );
    // The peers it lists whose own views were not read (by node id), by pod name where the lists tell.
    const d = directoryOf(c);
    const read = new Set(c.views.map((v) => v.nodes.find((n) => hasFlag(n, 'myself'))?.id));
    const peers = c.inputs.pods
      .get(s.pod)!
      .view!.nodes.filter((n) => !hasFlag(n, 'myself') && n.ip && !read.has(n.id))
      .map((n) => podAt(d, n.ip, n.port) ?? `${n.ip}:${n.port}`);
    const who = peers.length ? [...new Set(peers)].join(', ') : '';
    if (who) {
      next.push(
        `the CLUSTER NODES views and logs of ${who} (kubectl exec POD -- redis-cli cluster nodes; kubectl logs POD): at which address they recorded ${s.pod}, and why they could not reach it`,
      );
    }
  }
  for (const pod of u.absent) {
    problems.push(
      `${pod} is in the pods list but in no CLUSTER NODES view: it has not joined, or the others know it only at an address that is none of its own`,
    );
    next.push(
      `${pod}'s own CLUSTER NODES view and log (kubectl exec ${pod} -- redis-cli cluster nodes; kubectl logs ${pod})`,
    );
  }
  return { problems, next };
}
