// What the kube provider declares it cannot do, and that a cell meeting it stops before it builds
// anything. The cluster has no DNS server (src/deploy/kube/host.ts writes resolv.conf at
// 127.0.0.1), so a headless-Service name resolves nowhere: the first real run of the Sentinel
// whole-restart cell spent 108 s deploying and restarting before Redis refused the name ("ERR
// Invalid IP address or hostname specified"), and the cell failed instead of skipping. Nor does
// anything give a LoadBalancer Service an ingress address (no cloud provider, no ServiceLB): the
// first loadbalancer cell waited out its 120 s with every Service's EXTERNAL-IP <pending>. Node loss
// is no gap of a cluster the provider starts, only of one it attaches to.
import { expect, test } from 'vitest';
import { recoveryCells } from '../../scenarios/recovery/cells.ts';
import { sentinelCells } from '../../scenarios/sentinel/cells.ts';
import { runSentinel } from '../../scenarios/sentinel/run.ts';
import { KUBE_SHARED_NODE_FAULTS } from '../../src/deploy/kube/access.ts';
import type { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { KUBE_GAPS, KubeProvider } from '../../src/deploy/kube/provider.ts';
import { isCapabilityError, type Provider, type TopologySpec } from '../../src/deploy/provider.ts';
import { neededGap } from '../../src/suite/harness.ts';

const started: string[] = [];
const kubeLike: Provider = {
  name: 'kube',
  gaps: KUBE_GAPS,
  check: () => Promise.resolve([]),
  start: (spec: TopologySpec) => {
    started.push(spec.pods.map((p) => p.name).join(','));
    return Promise.reject(new Error('start() must not be reached'));
  },
  close: () => Promise.resolve(),
} as unknown as Provider;

const cell = (kind: string) => {
  const found = sentinelCells('kube').find((c) => c.options.kind === kind);
  if (!found) {
    throw new Error(`no ${kind} sentinel cell`);
  }
  return found;
};

test('the kube provider declares that nothing resolves headless-Service names', () => {
  expect(KUBE_GAPS['cluster-dns']).toMatch(/no cluster DNS/);
});

// The harness checks a cell's needs against its provider's gaps before it builds anything
// (cellProvider → neededGap): on the real cluster those skips took 0 ms.
test('a Sentinel whole-restart or load-balancer cell skips on the declared gap', () => {
  expect(neededGap(cell('whole-restart'), KUBE_GAPS)).toBe(KUBE_GAPS['cluster-dns']);
  const lb = sentinelCells('kube').filter((c) => c.dims.exposure === 'loadbalancer');
  expect(lb.length).toBeGreaterThan(0);
  lb.forEach((c) => expect(neededGap(c, KUBE_GAPS)).toBe(KUBE_GAPS['load-balancer']));
});

// A run's own cluster stops and starts its nodes (test/kube/cluster.e2e.test.ts does it); a cluster
// attached from another process (npm test's shared one) cannot, and says so before a cell deploys.
test('node-loss cells run on a cluster the provider starts, and skip on a shared one with the reason', () => {
  const nodeLoss = recoveryCells('kube').filter((c) => c.options.kind === 'node-loss');
  expect(nodeLoss.length).toBeGreaterThan(0);
  const redis = { server: 'redis-server', cli: 'redis-cli' };
  const own = new KubeProvider({ profile: 'flannel-vxlan', redis });
  const attached = new KubeProvider({ profile: 'flannel-vxlan', redis, shared: '/nonexistent/shared.sock' });
  for (const c of nodeLoss) {
    expect(neededGap(c, own.gaps), c.id).toBeUndefined();
    expect(neededGap(c, attached.gaps), c.id).toBe(KUBE_SHARED_NODE_FAULTS);
  }
  expect(KUBE_SHARED_NODE_FAULTS).toMatch(/rcnc run --provider kube/);
});

test('the other Sentinel cells need nothing kube lacks, and still deploy', async () => {
  expect(neededGap(cell('views'), KUBE_GAPS)).toBeUndefined();
  started.length = 0;
  const e = await runSentinel(kubeLike, cell('views'), {
    redis: { server: 'redis-server', cli: 'redis-cli' },
  }).catch((x: unknown) => x as Error);
  expect((e as Error).message).toBe('start() must not be reached');
  expect(started).toHaveLength(1);
});

test('a LoadBalancer topology is refused with the declared gap before the cluster is touched', async () => {
  // A cluster that fails the test if the provider reaches for it (a real one would start here).
  const untouchable = new Proxy({} as KubeCluster, {
    get: (_, key) => {
      throw new Error(`the cluster was used (${String(key)})`);
    },
  });
  const provider = new KubeProvider({
    profile: 'flannel-vxlan',
    redis: { server: 'redis-server', cli: 'redis-cli' },
    cluster: untouchable,
  });
  const lb = sentinelCells('kube').find((c) => c.dims.exposure === 'loadbalancer')!;
  const e: unknown = await runSentinel(provider, lb, { redis: { server: 'redis-server', cli: 'redis-cli' } }).catch(
    (x: unknown) => x,
  );
  expect(isCapabilityError(e) && e.capability).toBe('load-balancer');
});

test('a profile the kube provider cannot run says why, before any cell', async () => {
  const redis = { server: 'redis-server', cli: 'redis-cli' };
  const cases = [
    ['calico-vxlan', false, /Calico cannot be built from this machine's Go modules/],
    ['no-nat', false, /no-nat is a control profile of the netns lab/],
    ['flannel-vxlan', true, /flannel v[\d.]+, kube-proxy iptables/],
  ] as const;
  for (const [profile, met, why] of cases) {
    const reqs = await new KubeProvider({ profile, redis }).check();
    const req = reqs.find((r) => r.name === `profile ${profile} on kube`);
    expect(req?.met, profile).toBe(met);
    expect(req?.detail, profile).toMatch(why);
  }
});
