// rcnc analyze on Sentinel transcripts captured from lab cells (test/fixtures/sentinel/, the files
// the sentinel scenario saves for the deployed state of each cell; see the fixtures README).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeCommand, analyzeDir } from './analyze.ts';

const fixture = (name: string) => join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sentinel', name);
const addresses = (xs: { address: string }[]) => [...new Set(xs.map((x) => x.address))].sort();

describe('analyze: Sentinel transcripts', () => {
  test('flannel NodePort: both replicas listed at cni0:6379, one record, s_down; announce node IP + NodePort', async () => {
    const r = await analyzeDir(fixture('flannel-vxlan-nodeport'));
    expect(r.warnings).toEqual([]);
    expect(r.unchecked).toEqual([]);
    expect(r.sentinel.listedAt.map((x) => [x.address, x.class, x.owner])).toEqual([
      ['10.42.0.1:6379', 'bridge-gateway', 'cni0@node-0'],
      ['10.42.0.1:6379', 'bridge-gateway', 'cni0@node-0'],
    ]);
    expect(r.sentinel.collapsed).toEqual(['redis-0 lists 2 replicas at 10.42.0.1:6379']);
    expect(r.sentinel.rewrittenReplicas.map((x) => `${x.seenBy} ${x.address}`)).toEqual([
      'sentinel-0 10.42.0.1:6379',
      'sentinel-1 10.42.0.1:6379',
      'sentinel-2 10.42.0.1:6379',
    ]);
    expect(r.sentinel.rewrittenReplicas.every((x) => x.flags.includes('s_down'))).toBe(true);
    // Sentinels at their own pod IPs reach each other: nothing to fix there.
    expect(r.sentinel.rewrittenSentinels).toEqual([]);
    expect(r.recommendations.map((x) => [x.pod, x.settings, x.exact])).toEqual([
      ['redis-1', ['replica-announce-ip 172.18.0.3', 'replica-announce-port 30001'], true],
      ['redis-2', ['replica-announce-ip 172.18.0.2', 'replica-announce-port 30002'], true],
    ]);
    expect(r.recommendations[0]!.commands).toContain('kubectl exec redis-1 -- redis-cli CLIENT KILL TYPE master');
    expect(r.problems).toContainEqual(expect.stringMatching(/Sentinel keeps one record for them$/));
    const cmd = await analyzeCommand(fixture('flannel-vxlan-nodeport'), false);
    expect(cmd.exitCode).toBe(1);
    expect(cmd.output).toMatch(/Sentinel: replicas and sentinels at rewritten addresses/);
  });

  test('flannel LoadBalancer: each replica at an address of its own node (cni0, flannel.1); announce node IP + LB port', async () => {
    const r = await analyzeDir(fixture('flannel-vxlan-loadbalancer'));
    expect(r.sentinel.listedAt.map((x) => `${x.address} ${x.class} ${x.owner}`).sort()).toEqual([
      '10.42.0.1:6379 bridge-gateway cni0@node-0',
      '10.42.1.0:6379 tunnel flannel.1@node-1',
    ]);
    expect(addresses(r.sentinel.rewrittenReplicas)).toEqual(['10.42.0.1:6379', '10.42.1.0:6379']);
    expect(r.sentinel.collapsed).toEqual([]);
    // ServiceLB's ingress is every node IP: each replica announces its own node's, with its load-balancer port.
    expect(r.recommendations.map((x) => [x.pod, x.settings])).toEqual([
      ['redis-1', ['replica-announce-ip 172.18.0.3', 'replica-announce-port 6380']],
      ['redis-2', ['replica-announce-ip 172.18.0.2', 'replica-announce-port 6381']],
    ]);
  });

  test('Calico LoadBalancer: a replica recorded at the very address sentinels hand out as the master', async () => {
    const r = await analyzeDir(fixture('calico-vxlan-loadbalancer'));
    // 172.18.0.2:6379 is the master's own load-balancer address: listed and recorded as a replica.
    expect(r.sentinel.listedAt.map((x) => `${x.address} ${x.owner}`).sort()).toEqual([
      '172.18.0.2:6379 eth0@node-0',
      '192.168.1.0:6379 vxlan.calico@node-1',
    ]);
    const atMaster = r.sentinel.rewrittenReplicas.filter((x) => x.address === '172.18.0.2:6379');
    expect(atMaster.map((x) => x.seenBy)).toEqual(['sentinel-0', 'sentinel-1', 'sentinel-2']);
    expect(atMaster[0]!.why).toBe('the address sentinel-0 hands out as the master');
    expect(r.recommendations.map((x) => x.pod)).toEqual(['redis-1', 'redis-2']);
  });

  test('Calico CrossSubnet LoadBalancer: both replicas listed at load-balancer addresses of the master itself', async () => {
    const r = await analyzeDir(fixture('calico-crosssubnet-loadbalancer'));
    expect(r.sentinel.listedAt.map((x) => `${x.address}: ${x.why}`).sort()).toEqual([
      '172.18.0.2:6379: an address of redis-0 itself',
      '172.18.0.3:6379: an address of redis-0 itself',
    ]);
    expect(addresses(r.sentinel.rewrittenReplicas)).toEqual(['172.18.0.2:6379', '172.18.0.3:6379']);
    expect(r.sentinel.rewrittenReplicas.find((x) => x.address === '172.18.0.3:6379')?.why).toBe(
      'an address of redis-0, the master',
    );
    expect(r.recommendations.map((x) => x.pod)).toEqual(['redis-1', 'redis-2']);
  });

  test('flannel pod IPs: every replica and sentinel at its own address, nothing to fix', async () => {
    const r = await analyzeDir(fixture('flannel-vxlan-pod-ip'));
    expect(r.sentinel).toEqual({
      rewrittenReplicas: [],
      listedAt: [],
      rewrittenSentinels: [],
      collapsed: [],
      recommendations: [],
      problems: [],
    });
    expect(r.problems).toEqual([]);
    expect(r.checked.sentinel).toHaveLength(6);
    const cmd = await analyzeCommand(fixture('flannel-vxlan-pod-ip'), false);
    expect(cmd.exitCode).toBe(0);
  });

  test('a Redis Cluster master listing a NATed replica in INFO replication is not a Sentinel problem', async () => {
    // The same master transcript, now also holding a CLUSTER NODES view: a cluster member finds its
    // peers on the cluster bus, and only Sentinel reads the replica addresses INFO lists.
    const dir = await mkdtemp(join(tmpdir(), 'rcnc-analyze-cluster-'));
    try {
      const from = fixture('flannel-vxlan-nodeport');
      await cp(join(from, 'redis-0.info-replication.txt'), join(dir, 'redis-0.info-replication.txt'));
      await cp(join(from, 'pods.txt'), join(dir, 'pods.txt'));
      const nodes = await readFile(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'cluster-nodes.7001.txt'));
      await writeFile(join(dir, 'redis-0.cluster-nodes.txt'), nodes);
      const alone = await analyzeDir(fixture('flannel-vxlan-nodeport'));
      expect(alone.sentinel.listedAt.length).toBeGreaterThan(0);
      const r = await analyzeDir(dir);
      expect(r.sentinel.listedAt).toEqual([]);
      expect(r.problems.filter((p) => p.includes('lists a replica at'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
