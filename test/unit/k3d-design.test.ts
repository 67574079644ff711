// The k3d provider's design decisions, each checked without Docker: the k3d CLI, the docker CLI
// and the API server are fakes (test/support/fake-k3d.ts) that record what the provider asked of
// them; everything above them (the provider, the cluster pool, K8sTopology, the node access) is
// the real code. test/k3d/k3d.e2e.test.ts runs the same paths against real k3d where Docker is.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { K3D_START_BUDGET_MS, K8S_CELL_BUDGET_MS } from '../../src/deploy/k3d/budgets.ts';
import { k3dGaps, K3dProvider } from '../../src/deploy/k3d/k3d.ts';
import { k3dModule } from '../../src/deploy/k3d/module.ts';
import type { HostFacts } from '../../src/deploy/k8s/capture.ts';
import type { K8sTopology } from '../../src/deploy/k8s/topology.ts';
import { CapabilityError, unmet, type PodSpec, type TopologySpec } from '../../src/deploy/provider.ts';
import { classifyAddress, currentAddressBook } from '../../src/probes/address-class.ts';
import { budgetsFor, LAB_CELL_BUDGET_MS } from '../../src/suite/vitest-projects.ts';
import { ProbeError } from '../../src/util/errors.ts';
import { FakeK3d } from '../support/fake-k3d.ts';

const stateRoot = mkdtempSync(join(tmpdir(), 'rcnc-k3d-design-'));
afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

const asRoot: HostFacts = {
  platform: 'linux',
  uid: 0,
  tools: new Set(['nsenter', 'tcpdump']),
  localDaemon: true,
  daemon: 'Docker 27 on Debian',
};
const notRoot: HostFacts = { ...asRoot, uid: 1000 };

const open: K8sTopology[] = [];
const providers: K3dProvider[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((t) => t.stop()));
  await Promise.allSettled(providers.splice(0).map((p) => p.close()));
});

function setup(opts: { facts?: HostFacts; fake?: FakeK3d; bounds?: Record<string, number> } = {}) {
  const fake = opts.fake ?? new FakeK3d();
  const provider = new K3dProvider({
    backend: fake,
    host: async () => opts.facts ?? asRoot,
    stateRoot,
    runId: 'run-design',
    phaseBounds: opts.bounds,
  });
  providers.push(provider);
  return { fake, provider };
}

const redis = (name: string, node: number): PodSpec => ({
  name,
  node,
  command: ['redis-server', '--port', '6379'],
  readiness: ['redis-cli', 'ping'],
});

function spec(nodes: number, pods: PodSpec[]): TopologySpec {
  return { profile: 'flannel-vxlan', nodes, pods };
}

async function start(provider: K3dProvider, s: TopologySpec): Promise<K8sTopology> {
  const topo = await provider.start(s);
  open.push(topo);
  return topo;
}

const creates = (f: FakeK3d) => f.calls.filter((c) => c[1] === 'create');
const deletes = (f: FakeK3d) => f.calls.filter((c) => c[1] === 'delete');
const records = () => readdirSync(join(stateRoot, 'k3d-clusters')).filter((f) => f.endsWith('.json'));

describe('cluster lifetime: one cluster per profile, shared by the topologies that follow one another', () => {
  test('two topologies in turn use one cluster, each in its own namespace; close() deletes it and its record', async () => {
    const { fake, provider } = setup();
    const first = await start(provider, spec(1, [redis('redis-0', 0)]));
    await first.stop();
    const second = await start(provider, spec(2, [redis('redis-0', 0), redis('redis-1', 1)]));
    expect(creates(fake)).toHaveLength(1);
    expect(second.namespace).not.toBe(first.namespace);
    // The first topology's namespace went with it: the second's NodePorts cannot collide with it.
    expect([...fake.api().namespaces.keys()]).toEqual([second.namespace]);
    expect(records()).toHaveLength(1);
    await second.stop();
    await provider.close();
    expect(deletes(fake)).toHaveLength(1);
    expect(records()).toEqual([]);
  });

  test('topologies alive at the same time never share a cluster', async () => {
    const { fake, provider } = setup();
    await start(provider, spec(1, [redis('redis-0', 0)]));
    await start(provider, spec(1, [redis('redis-0', 0)]));
    expect(creates(fake)).toHaveLength(2);
  });

  test('test and hook budgets fit a cluster start on k3d, and the lab keeps its own', () => {
    expect(K3D_START_BUDGET_MS).toBe(360_000 + 30_000 + 180_000 + 420_000 + 300_000);
    expect(budgetsFor({ filter: { provider: ['k3d'] } })).toEqual({
      testTimeout: K3D_START_BUDGET_MS + K8S_CELL_BUDGET_MS,
      hookTimeout: 900_000,
    });
    expect(budgetsFor({ filter: {} }).testTimeout).toBe(LAB_CELL_BUDGET_MS);
  });
});

describe('a start that fails or runs out of time removes what it made and says what failed', () => {
  test('a failed phase: named, the cluster deleted, the record gone; later starts fail at once', async () => {
    const fake = new FakeK3d();
    fake.failPhase = 'nodesReady';
    const { provider } = setup({ fake });
    await expect(provider.start(spec(1, [redis('redis-0', 0)]))).rejects.toThrow(
      /^k3d flannel cluster rcnc-[0-9a-f]{6}: nodes Ready failed after \d+\.\ds: nodesReady broke; what it made was removed$/,
    );
    expect(deletes(fake)).toHaveLength(1);
    expect(records()).toEqual([]);
    await expect(provider.start(spec(1, [redis('redis-0', 0)]))).rejects.toThrow(/an earlier start failed/);
    expect(creates(fake)).toHaveLength(1);
  });

  test('a phase that overruns its bound is cut off, and the message says so', async () => {
    const fake = new FakeK3d();
    fake.hangPhase = 'nodesReady';
    const { provider } = setup({ fake, bounds: { nodesReady: 50 } });
    await expect(provider.start(spec(1, [redis('redis-0', 0)]))).rejects.toThrow(
      /nodes Ready failed after 0\.\ds: no result within its bound of 0\.05s; what it made was removed/,
    );
    expect(deletes(fake)).toHaveLength(1);
  });

  test('when removing the half-made cluster fails too, both are reported', async () => {
    const fake = new FakeK3d();
    fake.failPhase = 'create';
    fake.failDelete = new Error('k3d cluster delete: daemon gone');
    const { provider } = setup({ fake });
    await expect(provider.start(spec(1, [redis('redis-0', 0)]))).rejects.toThrow(
      /k3d cluster create failed after .*Failed Cluster Start; removing what it made also failed: .*daemon gone/,
    );
  });

  test('a topology whose teardown fails reports it, and its cluster is deleted rather than reused', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, spec(1, [redis('redis-0', 0)]));
    fake.api().failNamespaceDelete = new Error('namespace stuck in Terminating');
    await expect(topo.stop()).rejects.toThrow(/namespace stuck in Terminating/);
    expect(deletes(fake)).toHaveLength(1);
    await start(provider, spec(1, [redis('redis-0', 0)]));
    expect(creates(fake)).toHaveLength(2);
  });
});

describe('faults act on agents; the server that runs the API is never touched', () => {
  const three = () => spec(3, [redis('redis-0', 0), redis('redis-1', 1), redis('redis-2', 2)]);
  const faultCalls = (f: FakeK3d) =>
    f.docker_.filter((a) => a[0] === 'stop' || a[0] === 'start' || (a[0] === 'exec' && a.includes('iptables')));

  test('topology nodes are the agents, in order', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, three());
    const name = [...fake.clusters][0]!;
    expect(topo.nodes.map((n) => n.name)).toEqual([0, 1, 2].map((i) => `k3d-${name}-agent-${i}`));
    expect(topo.pods().every((p) => p.hostIP !== fake.api().nodeIp(`k3d-${name}-server-0`))).toBe(true);
  });

  test('node loss stops agent-0; a pod there is force-deleted and rescheduled; reads go through the API', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, three());
    const name = [...fake.clusters][0]!;
    await topo.stopNode(0);
    fake.api().down.add(`k3d-${name}-agent-0`);
    expect(fake.docker_).toContainEqual(['stop', '-t', '5', `k3d-${name}-agent-0`]);
    const moved = await topo.deletePod('redis-0', { node: 1 });
    expect(fake.api().deletes).toContainEqual({ name: 'redis-0', gracePeriodSeconds: 0 });
    expect(moved.node).toBe(1);
    // Classifying while the agent is down: the others are read again, the stopped one keeps what it had.
    const cniBefore = topo.nodes[0]!.cniAddresses;
    await currentAddressBook(topo);
    expect(topo.nodes[0]!.cniAddresses).toEqual(cniBefore);
    // What the scenario reads during the fault goes through the API server to pods on live nodes.
    await topo.exec({ pod: 'redis-1' }, ['redis-cli', 'cluster', 'nodes']);
    expect(fake.api().execs.at(-1)).toMatchObject({ pod: 'redis-1', argv: ['redis-cli', 'cluster', 'nodes'] });
    await topo.startNode(0);
    expect(faultCalls(fake).flat().join(' ')).not.toContain('server');
  });

  test('a partition drops frames between agents by MAC; the server is never a partner', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, three());
    const name = [...fake.clusters][0]!;
    await topo.partition(0, 1);
    await topo.partition(0, 2);
    const rules = faultCalls(fake).filter((a) => a.includes('-A'));
    expect(rules.map((a) => a[1])).toEqual([
      `k3d-${name}-agent-0`,
      `k3d-${name}-agent-1`,
      `k3d-${name}-agent-0`,
      `k3d-${name}-agent-0`,
      `k3d-${name}-agent-2`,
    ]);
    expect(rules.every((a) => a.includes('--mac-source') && a.at(-1) === 'DROP')).toBe(true);
    expect(faultCalls(fake).flat().join(' ')).not.toContain('server');
  });

  test('faults a failed cell left are undone before the cluster goes to the next topology', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, three());
    const name = [...fake.clusters][0]!;
    await topo.partition(0, 1);
    await topo.stopNode(2);
    const before = fake.docker_.length;
    await topo.stop();
    const undo = fake.docker_.slice(before);
    // Partition chains flushed with no DROP rule left, the stopped agent started again.
    expect(undo.filter((a) => a.includes('-F')).map((a) => a[1])).toEqual([
      `k3d-${name}-agent-0`,
      `k3d-${name}-agent-1`,
    ]);
    expect(undo.some((a) => a.includes('-A'))).toBe(false);
    expect(undo).toContainEqual(['start', `k3d-${name}-agent-2`]);
    await start(provider, three());
    expect(creates(fake)).toHaveLength(1);
  });
});

describe('the load client runs on this machine, in the client pod’s network namespace', () => {
  const withClient = () => spec(2, [redis('redis-0', 0), { name: 'client', node: 1, command: ['sleep', '3600'] }]);

  test('as root next to the daemon: nsenter into the pod’s namespace, then this machine’s node', async () => {
    const { provider } = setup();
    const topo = await start(provider, withClient());
    const worker = [process.execPath, '--import', 'tsx', '/repo/src/probes/client-worker.ts'];
    expect(topo.spawnArgv({ pod: 'client' }, worker)).toEqual([
      'nsenter',
      `--net=/proc/${process.pid}/root/proc/self/ns/net`,
      '--',
      ...worker,
    ]);
    // A NodePort client runs on this machine as it is (the external client).
    expect(topo.spawnArgv({ external: true }, worker)).toEqual(worker);
  });

  test('where this machine cannot enter namespaces, the declared gap is the error', async () => {
    const { provider } = setup({ facts: notRoot });
    await provider.check();
    const declared = k3dGaps(notRoot)['host-netns'];
    expect(declared).toMatch(/needs root/);
    expect(provider.gaps['host-netns']).toBe(declared);
    const topo = await start(provider, withClient());
    let err: unknown;
    try {
      topo.spawnArgv({ pod: 'client' }, ['node']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CapabilityError);
    expect(err).toMatchObject({ capability: 'host-netns', message: declared });
    expect(k3dModule.traits.topologiesAtOnce).toBe(1);
  });
});

describe('node-side probes: Redis tools in a host-network probe pod on the node, the rest in the node container', () => {
  test('redis-cli on node 1 runs in a hostNetwork pod with the Redis image pinned to agent-1', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, spec(2, [redis('redis-0', 0)]));
    const name = [...fake.clusters][0]!;
    await topo.exec({ node: 1 }, ['/usr/bin/redis-cli', '-h', '172.18.0.3', '-p', '30000', 'client', 'info']);
    const probe = [...fake.api().pods.values()].find((p) => p.metadata?.name === 'rcnc-probe-1')!;
    expect(probe.spec).toMatchObject({
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/hostname': `k3d-${name}-agent-1` },
      containers: [{ name: 'probe', image: 'redis:7.0.15' }],
    });
    // The image's redis-cli, by name: a path of this machine means nothing in the pod.
    expect(fake.api().execs.at(-1)).toEqual({
      namespace: topo.namespace,
      pod: 'rcnc-probe-1',
      container: 'probe',
      argv: ['redis-cli', '-h', '172.18.0.3', '-p', '30000', 'client', 'info'],
    });
    expect(fake.docker_.some((a) => a.includes('redis-cli'))).toBe(false);
  });

  test('ip route get runs in the node container (the same network namespace)', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, spec(2, [redis('redis-0', 0)]));
    const name = [...fake.clusters][0]!;
    await topo.exec({ node: 1 }, ['ip', '-o', 'route', 'get', '10.42.0.11']);
    expect(fake.docker_.at(-1)).toEqual(['exec', `k3d-${name}-agent-1`, 'ip', '-o', 'route', 'get', '10.42.0.11']);
  });
});

describe('CNI device addresses are read once pods run, and again when a classification needs them', () => {
  test('cni0 of a node with pods is known after start; a node’s cni0 that appears later is found on refresh', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, spec(2, [redis('redis-0', 0)]));
    const name = [...fake.clusters][0]!;
    // The node's pod CIDR 10.42.N.0/24: flannel.1 is N.0, cni0 (made with the node's first pod) N.1.
    const net = (i: number) => topo.nodes[i]!.podCidr.replace(/\.0\/24$/, '');
    // Read after the pods were placed: flannel made cni0 on agent-0 with redis-0 (not before).
    expect(topo.nodes[0]!.cniAddresses).toEqual({ 'flannel.1': `${net(0)}.0`, cni0: `${net(0)}.1` });
    expect(topo.nodes[1]!.cniAddresses).toEqual({ 'flannel.1': `${net(1)}.0` });
    await topo.addPods([redis('late', 1)]);
    // The book built at start would class agent-1's new bridge as unknown; a current one knows it.
    expect(classifyAddress(`${net(1)}.1`, { pods: [], nodes: [{ ...topo.nodes[1]!, cniAddresses: {} }] }).class).toBe(
      'unknown',
    );
    const book = await currentAddressBook(topo);
    expect(classifyAddress(`${net(1)}.1`, book)).toEqual({
      class: 'bridge-gateway',
      owner: `cni0@k3d-${name}-agent-1`,
    });
  });
});

test('logs of every start the kubelet kept, and the cluster as detected for the report', async () => {
  const { provider } = setup();
  const topo = await start(provider, spec(1, [redis('redis-0', 0)]));
  expect(await topo.logs('redis-0')).toBe('1:M 01 Jan 2025 00:00:00.000 * log of redis-0\n');
  expect(await topo.logs('redis-0', { allRestarts: true })).toBe(
    '1:M 01 Jan 2025 00:00:00.000 * earlier start of redis-0\n1:M 01 Jan 2025 00:00:00.000 * log of redis-0\n',
  );
  expect(topo.provenance()).toMatchObject({ provider: 'k3d', emulation: false });
});

describe('which errors skip (declared in check()) and which fail', () => {
  test('k3d declares what this machine lacks (its `gaps`), and still runs', async () => {
    expect(k3dGaps(asRoot)).toEqual({});
    expect(Object.keys(k3dGaps(notRoot)).sort()).toEqual(['capture', 'host-netns']);
    const remote = k3dGaps({ ...asRoot, localDaemon: false, daemon: 'Docker Desktop' });
    expect(remote['host-netns']).toMatch(/not on this machine's kernel \(Docker Desktop\)/);
    expect(k3dGaps({ ...asRoot, tools: new Set(['nsenter']) }).capture).toMatch(/no tcpdump/);
    const { provider } = setup({ facts: notRoot });
    const reqs = await provider.check();
    // A declared gap is not an unmet requirement: the provider's cells run, only parts skip.
    const declared = Object.values(k3dGaps(notRoot));
    expect(unmet(reqs).filter((r) => declared.includes(r.detail ?? ''))).toEqual([]);
    expect(provider.gaps).toEqual(k3dGaps(notRoot));
  });

  test('a capture the provider declared impossible is a CapabilityError with that reason', async () => {
    const { provider } = setup({ facts: notRoot });
    const topo = await start(provider, spec(1, [redis('redis-0', 0)]));
    const err = await topo.capture({ pod: 'redis-0' }, { name: 'c', filter: 'tcp', maxSeconds: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(CapabilityError);
    expect((err as CapabilityError).capability).toBe('capture');
  });

  test('a capture route that was declared available but fails at run time is an error of the cell', async () => {
    const fake = new FakeK3d();
    fake.crictlFails = true;
    const { provider } = setup({ fake });
    const topo = await start(provider, spec(1, [redis('redis-0', 0)]));
    const err = await topo.capture({ pod: 'redis-0' }, { name: 'c', filter: 'tcp', maxSeconds: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).not.toBeInstanceOf(CapabilityError);
    expect((err as Error).message).toMatch(/cannot enter the network namespace of pod redis-0: crictl inspect/);
  });

  test('a master kept down for a delay: frozen (SIGSTOP) from its node, then killed (SIGKILL)', async () => {
    const { fake, provider } = setup();
    const topo = await start(provider, spec(1, [redis('redis-0', 0)]));
    const name = [...fake.clusters][0]!;
    await topo.killContainer('redis-0', { restartDelayMs: 20 });
    const signals = () => fake.docker_.filter((a) => a.includes('kill')).map((a) => [a[1], a.at(-2)]);
    expect(signals()).toEqual([[`k3d-${name}-agent-0`, 'STOP']]);
    await topo.stop();
    expect(signals()).toEqual([
      [`k3d-${name}-agent-0`, 'STOP'],
      [`k3d-${name}-agent-0`, 'KILL'],
    ]);
  });
});
