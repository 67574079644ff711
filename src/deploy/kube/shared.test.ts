// The shared cluster's ask/serve protocol, with a start that records its calls in place of a real
// cluster start (the kube tier of npm test runs the real one: src/suite/kube-shared-setup.ts).
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import { TopologyError } from '../../util/errors.ts';
import type { ProxyMode } from './config.ts';
import { askSharedCluster, serveSharedClusters, sharedClusterSocket, type SharedKubeCluster } from './shared.ts';

const cluster = (id: string, proxyMode: ProxyMode): SharedKubeCluster => ({
  id,
  nodes: 3,
  proxyMode,
  bin: '/opt/kube/bin',
  images: { pause: { ref: 'pause', file: '/p.tar' }, redis: { ref: 'redis', file: '/r.tar' } },
  relayPort: 40000,
  cgroupBase: '/rcnc-kube-' + id,
});

const servers: { close(cb: () => void): unknown }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

describe('the run-shared kube cluster', () => {
  test('every ask in one mode gets the one cluster started at the first; another mode gets its own', async () => {
    const socket = sharedClusterSocket(`t-${process.pid}-a`);
    const starts: ProxyMode[] = [];
    servers.push(
      serveSharedClusters(socket, async (mode) => {
        const n = starts.push(mode);
        await new Promise((r) => setTimeout(r, 50));
        return cluster(`c${n}`, mode);
      }),
    );
    const asked = await Promise.all([
      askSharedCluster(socket, 'iptables'),
      askSharedCluster(socket, 'iptables'),
      askSharedCluster(socket, 'nftables'),
    ]);
    expect(starts).toEqual(['iptables', 'nftables']);
    expect(asked.map((c) => `${c.id} ${c.proxyMode}`)).toEqual(['c1 iptables', 'c1 iptables', 'c2 nftables']);
    expect(await askSharedCluster(socket, 'iptables')).toEqual(asked[0]);
    expect(starts).toHaveLength(2);
  });

  test("a failed start is every asker's error, with its message", async () => {
    const socket = sharedClusterSocket(`t-${process.pid}-b`);
    servers.push(serveSharedClusters(socket, () => Promise.reject(new Error('etcd did not answer within 60 s'))));
    for (let i = 0; i < 2; i++) {
      const e = await askSharedCluster(socket, 'iptables').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TopologyError);
      expect((e as Error).message).toBe("the run's shared kube cluster did not start: etcd did not answer within 60 s");
    }
  });

  test('with no owner serving, the ask fails at once and says who should have served', async () => {
    const e = await askSharedCluster(sharedClusterSocket(`t-${process.pid}-none`), 'iptables').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TopologyError);
    expect((e as Error).message).toMatch(/its owner, vitest's main process, is gone or never served it/);
  });

  test('the socket is abstract: serving it makes no file', () => {
    const socket = sharedClusterSocket(`t-${process.pid}-c`);
    expect(socket.startsWith('\0')).toBe(true);
    const before = readdirSync(tmpdir());
    servers.push(serveSharedClusters(socket, async (mode) => cluster('c', mode)));
    expect(readdirSync(tmpdir())).toEqual(before);
  });
});
