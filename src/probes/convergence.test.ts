import { describe, expect, test } from 'vitest';
import { parseClusterNodes } from './cluster-nodes.ts';
import { findGhosts, type MemberView } from './convergence.ts';

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
