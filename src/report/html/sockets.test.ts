import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { CellResult } from '../../model/results.ts';
import type { EvidenceFile } from './evidence.ts';
import { redisPorts, splitSockets } from './sockets.ts';

const fixture = (name: string) =>
  readFile(fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url)), 'utf8');

describe('splitSockets', () => {
  test('keeps the header and the rows on a Redis port, and leaves out loopback and other ports', () => {
    const text = [
      'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
      'LISTEN 0      511          0.0.0.0:6379       0.0.0.0:*',
      'ESTAB  0      0          10.42.0.5:16379    10.42.0.1:40122',
      'TIME-WAIT 0   0          127.0.0.1:37634    127.0.0.1:6379',
      'ESTAB  0      0          10.42.0.5:22       10.42.0.1:50022',
      'ESTAB  0      0    [::ffff:10.42.0.5]:6379  [::ffff:10.42.0.9]:5123',
    ].join('\n');
    const { header, relevant, other } = splitSockets(text, { client: new Set([6379]), bus: new Set([16379]) });
    expect(header).toHaveLength(1);
    expect(relevant.map((line) => line.split(/\s+/)[3])).toEqual([
      '0.0.0.0:6379',
      '10.42.0.5:16379',
      '[::ffff:10.42.0.5]:6379',
    ]);
    expect(other.map((line) => line.split(/\s+/)[3])).toEqual(['127.0.0.1:37634', '10.42.0.5:22']);
  });

  test('reads the captured ss, netstat and /proc/net/tcp tables alike', async () => {
    // That lab runs every node on 127.0.0.x: its bus connections are loopback and must stay.
    const ports = {
      client: new Set([7000, 7001, 7002, 7003, 7004]),
      bus: new Set([17000, 17001, 17002, 17003, 17004]),
    };
    for (const name of ['ss-tan.txt', 'netstat-tn.txt', 'proc-net-tcp.txt']) {
      const { header, relevant, other } = splitSockets(await fixture(name), ports);
      expect(header.length, name).toBeGreaterThanOrEqual(1);
      expect(relevant.length, name).toBeGreaterThan(0);
      // Each kept row names a Redis port (in hex in /proc/net/tcp).
      for (const line of relevant) {
        expect(line, name).toMatch(/:1?700\d\b|:(1B5[89ABC]|426[89ABC])\b/);
      }
      expect(header.length + relevant.length + other.length, name).toBe(
        (await fixture(name)).trim().split('\n').length,
      );
    }
  });
});

describe('redisPorts', () => {
  test('collects the ports of the views and of the observation, besides 6379 and 16379', () => {
    const view: EvidenceFile = {
      path: 'artifacts/c/redis-0.cluster-nodes.txt',
      kind: 'cluster-nodes',
      text: 'aaa 172.18.0.3:30001@31001 master - 0 0 1 connected\nbbb :7000@17000 myself,master - 0 0 0 connected\n',
    };
    const cell = {
      family: 'snat',
      observation: { target: '172.18.0.2:30100' },
    } as unknown as CellResult;
    const ports = redisPorts(cell, [view]);
    expect([...ports.client].sort((a, b) => a - b)).toEqual([6379, 7000, 30001, 30100]);
    expect([...ports.bus].sort((a, b) => a - b)).toEqual([16379, 17000, 31001]);
  });
});
