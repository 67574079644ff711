import { describe, expect, test } from 'vitest';
import type { CellResult } from '../model/results.ts';
import { answerGroups, answerOf, generaliseAnswer } from './fixes.ts';

const SNAT_FIX = (ip: string, owner: string) =>
  `Redis nodes reached over this path record ${ip} (${owner}): set cluster-announce-ip/port/bus-port on every node`;
const NAT_MEET_FIX = (ip: string) =>
  'on every node reached over NodePort: cluster-announce-ip <node IP (status.hostIP)>, cluster-announce-port ' +
  `<client NodePort>, cluster-announce-bus-port <bus NodePort>; then CLUSTER MEET again (here: cluster-announce-ip ${ip}, ` +
  'cluster-announce-port 30003, cluster-announce-bus-port 31003)';

function snatCell(id: string, seen: string, owner: string, rewrite = 'node-ip'): CellResult {
  return {
    id,
    title: id,
    family: 'snat',
    dims: {
      provider: 'netns',
      profile: 'flannel-vxlan',
      exposure: 'nodeport',
      announce: 'none',
      policy: 'Cluster',
      nodes: 2,
    },
    expectation: { rewrite, summary: 's', source: 'docs/datapath.md', knownFix: 'dial a node with an endpoint' },
    observation: {
      path: 'p',
      from: 'external',
      source: '172.18.0.1',
      target: '172.18.0.2:30000',
      seen,
      rewrite,
      owner,
      evidence: '',
      notes: [],
    },
    ...(rewrite === 'unreachable' || rewrite === 'none' ? {} : { fix: SNAT_FIX(seen.split(':')[0] ?? '', owner) }),
    timings: {},
    artifacts: [],
    verdict: { status: 'pass' },
    durationMs: 1,
  } as CellResult;
}

function natMeetCell(id: string, ip: string): CellResult {
  return {
    id,
    title: id,
    family: 'nat-meet',
    dims: {
      provider: 'netns',
      profile: 'calico-vxlan',
      exposure: 'nodeport',
      announce: 'none',
      policy: 'Cluster',
      nodes: 1,
    },
    expectation: { meet: 'fails', summary: 's', source: 'docs/datapath.md' },
    observation: {
      meet: 'fails',
      ghosts: [{ seenBy: 'redis-0', nodeId: 'x', address: `${ip}:6379@16379`, flags: ['handshake'] }],
      ghostClass: 'node-ip',
      failedDialBacks: [],
      busPeers: [],
      fix: { settings: [], meet: 'ok', clusterState: 'ok' },
      notes: [],
    },
    fix: NAT_MEET_FIX(ip),
    timings: {},
    artifacts: [],
    verdict: { status: 'pass' },
    durationMs: 1,
  } as CellResult;
}

describe('generaliseAnswer', () => {
  test('names the address by what it is and keeps the values as the detail', () => {
    expect(
      generaliseAnswer(
        snatCell('a', '10.42.1.0:5123', 'flannel.1@node-1', 'tunnel'),
        SNAT_FIX('10.42.1.0', 'flannel.1@node-1'),
      ),
    ).toEqual({
      text: SNAT_FIX('<tunnel device IP>', 'flannel.1@<node>'),
      detail: '10.42.1.0, flannel.1@node-1',
    });
    expect(generaliseAnswer(natMeetCell('b', '172.18.0.4'), NAT_MEET_FIX('172.18.0.4'))).toEqual({
      text:
        'on every node reached over NodePort: cluster-announce-ip <node IP (status.hostIP)>, cluster-announce-port ' +
        '<client NodePort>, cluster-announce-bus-port <bus NodePort>; then CLUSTER MEET again',
      detail: 'cluster-announce-ip 172.18.0.4, cluster-announce-port 30003, cluster-announce-bus-port 31003',
    });
  });

  test('leaves an answer without addresses as it is', () => {
    expect(
      generaliseAnswer(natMeetCell('c', '10.0.0.1'), 'cluster-announce-ip <node IP>\ncluster-announce-port <port>'),
    ).toEqual({
      text: 'cluster-announce-ip <node IP>\ncluster-announce-port <port>',
    });
  });
});

describe('answerGroups', () => {
  test('writes each answer once with the cells it applies to', () => {
    const cells = [
      snatCell('s1', '172.18.0.2:1', 'eth0@node-0'),
      snatCell('s2', '172.18.0.3:2', 'eth0@node-1'),
      snatCell('s3', '10.42.1.0:3', 'flannel.1@node-1', 'tunnel'),
      snatCell('s4', '172.18.0.3:4', 'eth0@node-1', 'none'),
      natMeetCell('n1', '172.18.0.2'),
      natMeetCell('n2', '172.18.0.4'),
    ];
    const groups = answerGroups(cells);
    expect(
      groups.map((group) => [group.family, group.text, group.cells.map(({ cell, detail }) => `${cell.id} ${detail}`)]),
    ).toEqual([
      [
        'nat-meet',
        'on every node reached over NodePort: cluster-announce-ip <node IP (status.hostIP)>, cluster-announce-port ' +
          '<client NodePort>, cluster-announce-bus-port <bus NodePort>; then CLUSTER MEET again',
        [
          'n1 cluster-announce-ip 172.18.0.2, cluster-announce-port 30003, cluster-announce-bus-port 31003',
          'n2 cluster-announce-ip 172.18.0.4, cluster-announce-port 30003, cluster-announce-bus-port 31003',
        ],
      ],
      ['snat', SNAT_FIX('<node IP>', 'eth0@<node>'), ['s1 172.18.0.2, eth0@node-0', 's2 172.18.0.3, eth0@node-1']],
      ['snat', SNAT_FIX('<tunnel device IP>', 'flannel.1@<node>'), ['s3 10.42.1.0, flannel.1@node-1']],
    ]);
  });

  test('gives a dropped path its known answer, and lists bad cells that have none', () => {
    const dropped = snatCell('d', '', '', 'unreachable');
    delete (dropped.observation as { seen?: string }).seen;
    expect(answerOf(dropped)).toBe('dial a node with an endpoint');
    const broken = natMeetCell('b', '10.0.0.1');
    delete broken.fix;
    delete (broken.observation as { fix?: unknown }).fix;
    const groups = answerGroups([dropped, broken]);
    expect(groups.map((group) => [group.family, group.text, group.cells.map(({ cell }) => cell.id)])).toEqual([
      ['nat-meet', undefined, ['b']],
      ['snat', 'dial a node with an endpoint', ['d']],
    ]);
  });
});
