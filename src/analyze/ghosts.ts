// Ghosts: CLUSTER NODES entries that do not reach a pod (a `handshake` or `noaddr` entry, or a node
// at an address that is neither a pod's nor a node's NodePort), and which pod each one stands for.
// A MEET that arrives from a rewritten source leaves such an entry behind
// (docs/datapath.md#redis-meet-and-handshake); the same attribution serves a failed dial-back whose
// entry has already timed out (docs/datapath.md#redis-handshake-timeout).
import { hasFlag } from '../probes/cluster-nodes.ts';
import { hostOf } from '../util/address.ts';
import type { AnalyzeGhost, NatMapping } from './report-types.ts';
import { findUnjoined } from './unjoined.ts';
import { knows, unexplained, type Cluster } from './who-is-who.ts';

export interface Attribution {
  pod: string;
  /** How the files tell, for the problem sentence. */
  why: string;
}

const ends = (flow: string) => flow.split(' > ').map(hostOf) as [string, string];

/**
 * Which pod the node id `nodeId`, recorded by `viewer` at `ip`, stands for: the pod with that id;
 * else the pod whose capture shows the connection that reached the viewer from `ip`; else the one
 * pod the viewer does not know that knows the viewer (it joined, nobody could dial it back), or
 * whose own view shows it never learned its address (`:port@cport myself`); else the one listed
 * Redis pod that no view knows.
 */
export function attribute(
  c: Cluster,
  mappings: NatMapping[],
  viewer: string,
  nodeId: string,
  ip: string,
): Attribution | undefined {
  const same = c.podById.get(nodeId);
  if (same && same.name !== viewer) {
    return { pod: same.name, why: 'the same node id' };
  }
  const v = c.pods.get(viewer);
  const stranger = (name: string) => name !== viewer && !knows(c, viewer, c.pods.get(name)?.nodeId ?? '');
  const fromCapture = new Set(
    mappings
      .filter((m) => m.seenAt === viewer && ends(m.as)[0] === ip && ends(m.as)[1] === v?.ip)
      .map((m) => m.capturedAt)
      .filter(stranger),
  );
  if (fromCapture.size === 1) {
    return { pod: [...fromCapture][0]!, why: `its capture shows the connection that reached ${viewer} from ${ip}` };
  }
  const candidates = [...c.pods.values()].filter((p) => p.nodeId && stranger(p.name));
  const knowing = candidates.filter((p) => knows(c, p.name, v?.nodeId ?? ''));
  const unlearned = candidates.filter((p) => p.self?.startsWith(':'));
  // Among several that know the viewer, the one that never learned its address; none knowing it
  // (the joiner's view is missing or was taken before it joined), the one that never learned it.
  const pick =
    knowing.length === 1 ? knowing : knowing.length > 1 ? knowing.filter((p) => unlearned.includes(p)) : unlearned;
  if (pick.length === 0) {
    // No view of it at all: the one listed Redis pod that no view knows (its files were not collected).
    const absent = findUnjoined(c).absent.filter((name) => name !== viewer);
    return absent.length === 1
      ? { pod: absent[0]!, why: 'the one pod in the pods list that no CLUSTER NODES view knows' }
      : undefined;
  }
  if (pick.length !== 1) {
    return undefined;
  }
  const one = pick[0]!;
  return knowing.includes(one)
    ? { pod: one.name, why: `the one pod that knows ${viewer} while ${viewer} does not know it` }
    : { pod: one.name, why: `the one pod ${viewer} does not know that never learned its own address (${one.self})` };
}

export function findGhosts(c: Cluster, mappings: NatMapping[]): AnalyzeGhost[] {
  const ghosts: AnalyzeGhost[] = [];
  for (const v of c.views) {
    for (const n of v.nodes) {
      if (hasFlag(n, 'myself') || !(hasFlag(n, 'handshake') || hasFlag(n, 'noaddr') || unexplained(c, n))) {
        continue;
      }
      const o = c.owner(n.ip);
      const g: AnalyzeGhost = {
        seenBy: v.pod,
        nodeId: n.id,
        address: `${n.ip}:${n.port}@${n.cport}`,
        flags: n.flags,
        class: o.class,
        owner: o.owner,
      };
      const who = attribute(c, mappings, v.pod, n.id, n.ip);
      if (who) {
        g.pod = who.pod;
      }
      ghosts.push(g);
    }
  }
  return ghosts;
}
