// Every member's view of the cluster, and the wait for those views to agree. A timeout reports the
// last views it saw, because "timed out" alone tells an engineer nothing.
import type { RedisCluster, RedisMember } from '../deploy/redis-cluster.ts';
import type { Ghost } from '../model/results.ts';
import { waitFor } from '../util/wait.ts';
import { hasFlag, parseClusterInfo, parseClusterNodes, slotCount, type ClusterNode } from './cluster-nodes.ts';

export interface MemberView {
  member: string;
  id: string;
  nodes: ClusterNode[];
  info: Record<string, string>;
  raw: string;
}

const BAD_FLAGS = ['handshake', 'noaddr', 'fail', 'fail?'];

export async function readView(cluster: RedisCluster, m: RedisMember): Promise<MemberView> {
  const [raw, info] = await Promise.all([cluster.cli(m, ['cluster', 'nodes']), cluster.cli(m, ['cluster', 'info'])]);
  const nodes = parseClusterNodes(raw).nodes;
  const self = nodes.find((n) => hasFlag(n, 'myself'));
  return { member: m.name, id: self?.id ?? '', nodes, info: parseClusterInfo(info), raw };
}

export const readViews = (cluster: RedisCluster, members: RedisMember[] = cluster.plan.members) =>
  Promise.all(members.map((m) => readView(cluster, m)));

/**
 * What still keeps `views` from being one healthy cluster, one line per problem, in words a user
 * reads in a report's notes: `redis-1 lists redis-0 with no slots, but redis-0 serves slots 0-5460`.
 */
export function meetProblems(
  views: MemberView[],
  opts: { requireStateOk?: boolean; addresses?: Record<string, string> } = {},
): string[] {
  const problems: string[] = [];
  const byId = new Map(views.map((v) => [v.id, v.member]));
  // What each member says it owns; every other view must agree (redis-cli refuses to add nodes
  // while "Nodes don't agree about configuration").
  const ownSlots = new Map(views.map((v) => [v.id, slotsOf(v.nodes.find((n) => n.id === v.id))]));
  for (const v of views) {
    for (const other of views) {
      if (other === v) {
        continue;
      }
      const entry = v.nodes.find((n) => n.id === other.id);
      if (!entry) {
        problems.push(`${v.member} does not know ${other.member}`);
      } else if (entry.linkState !== 'connected' || entry.flags.some((f) => BAD_FLAGS.includes(f))) {
        problems.push(`${v.member} lists ${other.member} as ${entry.flags.join(',')}, link ${entry.linkState}`);
      } else if (
        opts.addresses?.[other.member] &&
        `${entry.ip}:${entry.port}@${entry.cport}` !== opts.addresses[other.member]
      ) {
        problems.push(
          `${v.member} knows ${other.member} at ${entry.ip}:${entry.port}@${entry.cport}, not ${opts.addresses[other.member]}`,
        );
      } else if (slotsOf(entry) !== ownSlots.get(other.id)) {
        problems.push(
          `${v.member} lists ${other.member} with ${slotWords(slotsOf(entry))}, but ${other.member} serves ${slotWords(ownSlots.get(other.id) ?? '')}`,
        );
      }
    }
    if (opts.requireStateOk !== false && v.info.cluster_state !== 'ok') {
      problems.push(`${v.member} reports cluster_state:${v.info.cluster_state ?? '?'}`);
    }
    for (const n of v.nodes) {
      if (!byId.has(n.id) && !hasFlag(n, 'handshake')) {
        problems.push(`${v.member} lists a node that is none of the members (${n.id.slice(0, 8)}…)`);
      }
    }
  }
  return problems;
}

/**
 * Entries that stand for no live member: handshakes, noaddr entries and unknown ids. `memberIds`
 * are the ids of every member; without them, the ids of the given views are all that is known.
 * A handshake at a member's own address (`memberAddresses`, `ip:port@cport`) is not one: it is a
 * second MEET of a known member (a full mesh of MEETs makes them), which ends in that member as
 * soon as its PONG arrives.
 */
export function findGhosts(
  views: MemberView[],
  memberIds?: Iterable<string>,
  memberAddresses: Iterable<string> = [],
): Ghost[] {
  const ids = new Set(memberIds ?? views.map((v) => v.id));
  const addresses = new Set(memberAddresses);
  const ghosts: Ghost[] = [];
  for (const v of views) {
    for (const n of v.nodes) {
      const address = `${n.ip}:${n.port}@${n.cport}`;
      if (hasFlag(n, 'myself') || (hasFlag(n, 'handshake') && addresses.has(address))) {
        continue;
      }
      if (!ids.has(n.id) || hasFlag(n, 'handshake') || hasFlag(n, 'noaddr')) {
        ghosts.push({ seenBy: v.member, nodeId: n.id, address, flags: n.flags });
      }
    }
  }
  return ghosts;
}

const slotsOf = (n: ClusterNode | undefined) => (n ? n.slots.filter((t) => !t.startsWith('[')).join(' ') : '');

/** `slots 0-5460`, `no slots`. */
const slotWords = (slots: string) => (slots === '' ? 'no slots' : `slots ${slots}`);

export const summarize = (views: MemberView[]): string =>
  views
    .map((v) => `${v.member}: state=${v.info.cluster_state ?? '?'} knows=${v.nodes.length} slots=${slotCount(v.nodes)}`)
    .join('; ');

/** Waits until every member knows every other, connected, and (by default) cluster_state is ok. */
export async function waitForMeet(
  cluster: RedisCluster,
  opts: {
    members?: RedisMember[];
    timeoutMs?: number;
    intervalMs?: number;
    requireStateOk?: boolean;
    addresses?: Record<string, string>;
  } = {},
): Promise<MemberView[]> {
  const members = opts.members ?? cluster.plan.members;
  const { value } = await waitFor({
    target: `${members.map((m) => m.name).join(', ')} to meet`,
    timeoutMs: opts.timeoutMs ?? 15_000,
    intervalMs: opts.intervalMs ?? 50,
    check: async () => {
      const views = await readViews(cluster, members);
      const problems = meetProblems(views, opts);
      return {
        done: problems.length === 0,
        state: `${problems.slice(0, 4).join('; ')} | ${summarize(views)}`,
        value: views,
      };
    },
  });
  return value!;
}
