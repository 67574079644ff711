import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { hasFlag, parseClusterNodes } from './cluster-nodes.ts';
import { findGhosts, meetProblems, type MemberView } from './convergence.ts';

const view = (raw: string): MemberView => ({
  member: 'redis-0',
  id: 'a'.repeat(40),
  nodes: parseClusterNodes(raw).nodes,
  info: {},
  raw,
});

describe('findGhosts', () => {
  const raw = [
    `${'a'.repeat(40)} 172.18.0.2:30000@31000 myself,master - 0 0 0 connected 0-5460`,
    `${'b'.repeat(40)} 172.18.0.2:30001@31001 master - 0 0 1 connected 5461-10922`,
    // A second MEET of redis-1 that has not had its PONG yet, and the joiner recorded at the MASQUERADE source.
    `${'c'.repeat(40)} 172.18.0.2:30001@31001 handshake - 0 0 0 connected`,
    `${'d'.repeat(40)} 172.18.0.2:6379@16379 handshake - 0 0 0 disconnected`,
  ].join('\n');
  const ids = ['a'.repeat(40), 'b'.repeat(40)];

  test('a handshake at a member’s own address is a pending MEET of that member, not a ghost', () => {
    const ghosts = findGhosts([view(raw)], ids, ['172.18.0.2:30000@31000', '172.18.0.2:30001@31001']);
    expect(ghosts.map((g) => g.address)).toEqual(['172.18.0.2:6379@16379']);
  });

  test('without the members’ addresses every handshake counts', () => {
    expect(findGhosts([view(raw)], ids).map((g) => g.address)).toEqual([
      '172.18.0.2:30001@31001',
      '172.18.0.2:6379@16379',
    ]);
  });
});

describe('meetProblems', () => {
  // The four views a lab run of the classic nat-meet cell read when the join was judged: the masters
  // had not all learned each other's slots yet, and the joiner knew only the master it met.
  const RUN = new URL(
    '../../test/fixtures/report/nat-meet-fix/artifacts/netns_flannel-vxlan_nodeport_announce-none/',
    import.meta.url,
  );
  const viewOf = async (member: string): Promise<MemberView> => {
    const raw = await readFile(fileURLToPath(new URL(`${member}.cluster-nodes.txt`, RUN)), 'utf8');
    const nodes = parseClusterNodes(raw).nodes;
    return { member, id: nodes.find((n) => hasFlag(n, 'myself'))!.id, nodes, info: {}, raw };
  };

  test('says what disagrees in words a user reads', async () => {
    const views = await Promise.all(['redis-0', 'redis-1', 'redis-2', 'redis-3'].map(viewOf));
    expect(meetProblems(views, { requireStateOk: false })).toEqual([
      'redis-0 does not know redis-3',
      'redis-1 lists redis-0 with no slots, but redis-0 serves slots 0-5460',
      'redis-1 does not know redis-3',
      'redis-2 lists redis-0 with no slots, but redis-0 serves slots 0-5460',
      'redis-2 lists redis-1 with no slots, but redis-1 serves slots 5461-10921',
      'redis-2 does not know redis-3',
      'redis-3 lists redis-0 with no slots, but redis-0 serves slots 0-5460',
      'redis-3 does not know redis-1',
      'redis-3 does not know redis-2',
    ]);
    // Read alone, redis-0's view names nodes no given view is, and no cluster_state.
    expect(meetProblems(views.slice(0, 1))).toEqual([
      'redis-0 reports cluster_state:?',
      'redis-0 lists a node that is none of the members (c6eba190…)',
      'redis-0 lists a node that is none of the members (37737121…)',
    ]);
  });
});
