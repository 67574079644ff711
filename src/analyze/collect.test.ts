// Collecting from a topology whose pods run the official redis image (no ss, no netstat) and whose
// nodes are out of reach, as on a kubeconfig cluster: the socket table comes from /proc/net/tcp,
// node addresses are left out, the tables carry what the kubelet reports, and analyze reads every
// file written. The topology is a stand-in answering from fixtures captured on real machines.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { ExecResult, ExecTarget, NodeInfo, StartedTopology } from '../deploy/provider.ts';
import { CapabilityError } from '../deploy/provider.ts';
import { analyzeDir } from './analyze.ts';
import { collectArtifacts, redisPorts } from './collect.ts';

const proc = await readFile(new URL('../../test/fixtures/proc-net-tcp.txt', import.meta.url), 'utf8');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const node: NodeInfo = {
  name: 'k3d-demo-agent-0',
  index: 0,
  ip: '172.18.0.3',
  podCidr: '10.42.1.0/24',
  cniAddresses: {},
  kubelet: {
    version: 'v1.31.5+k3s1',
    roles: '<none>',
    osImage: 'K3s v1.31.5+k3s1',
    kernelVersion: '6.1.0-28-amd64',
    containerRuntime: 'containerd://1.7.23-k3s2',
  },
};

function redisImageTopology(execs: string[]): StartedTopology {
  const result = (exitCode: number, stdout = '', stderr = ''): ExecResult => ({
    exitCode,
    stdout,
    stderr,
    durationMs: 1,
  });
  return {
    id: 'shop',
    provider: 'kubeconfig',
    profile: 'as-found',
    nodes: [node],
    services: [],
    pods: () => [
      { name: 'redis-0', node: 0, ip: '10.42.1.5', hostIP: '172.18.0.3', hostNetwork: false, generation: 1 },
    ],
    exec: async (t: ExecTarget, argv: string[]) => {
      if ('node' in t) {
        throw new CapabilityError('node-exec', 'no node access');
      }
      execs.push(argv.join(' '));
      if (argv[0] === 'ss' || argv[0] === 'netstat') {
        return result(127, '', `exec: "${argv[0]}": executable file not found in $PATH`);
      }
      if (argv[0] === 'cat') {
        return result(0, proc);
      }
      return result(0, argv.includes('replication') ? '# Replication\nrole:master\nconnected_slaves:0\n' : '');
    },
    logs: async () => '1:M 01 Jan 2025 00:00:00.000 * Ready to accept connections tcp\n',
  } as unknown as StartedTopology;
}

test('Redis Cluster ports: a listening port whose bus port (+10000) listens too', async () => {
  expect(await redisPorts(redisImageTopology([]), 'redis-0')).toEqual([7000, 7001, 7002, 7003, 7004]);
});

test('an image without ss or netstat: /proc/net/tcp, no node files, kubelet facts in nodes.txt; analyze reads it all', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rcnc-collect-'));
  dirs.push(dir);
  const execs: string[] = [];
  const files = await collectArtifacts(redisImageTopology(execs), {
    dir,
    pods: [{ name: 'redis-0', port: 7000 }],
    startedAt: new Date(Date.now() - 90_000),
  });
  expect(files).toEqual([
    'redis-0.cluster-nodes.txt',
    'redis-0.info-replication.txt',
    'redis-0.proc-net-tcp.txt',
    'redis-0.log.txt',
    'pods.txt',
    'nodes.txt',
    'podcidrs.txt',
  ]);
  expect(execs).toEqual([
    'redis-cli -p 7000 cluster nodes',
    'redis-cli -p 7000 info replication',
    'ss -tanp',
    'netstat -anop',
    // Neither exists (exit 127): the fallback does not ask for them again.
    'cat /proc/net/tcp /proc/net/tcp6',
  ]);
  expect(await readFile(join(dir, 'nodes.txt'), 'utf8')).toMatch(
    /^k3d-demo-agent-0 +Ready +<none> +\S+ +v1\.31\.5\+k3s1 +172\.18\.0\.3 +<none> +K3s v1\.31\.5\+k3s1 +6\.1\.0-28-amd64 +containerd:\/\/1\.7\.23-k3s2$/m,
  );
  expect(await readFile(join(dir, 'podcidrs.txt'), 'utf8')).toMatch(/^k3d-demo-agent-0 +10\.42\.1\.0\/24$/m);
  const analysis = await analyzeDir(dir);
  expect(analysis.files.sort()).toEqual((await readdir(dir)).sort());
  expect(analysis.warnings.filter((w) => /not a file rcnc analyze reads/.test(w.problem))).toEqual([]);
  expect(analysis.checked.sockets).toEqual(['redis-0']);
});
