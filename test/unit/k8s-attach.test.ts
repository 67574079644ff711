// Attaching to a Redis deployment someone else runs (rcnc collect on a real cluster): pods found by
// namespace and selector through the API server (a fake here), the Redis container picked, the
// per-pod NodePort Services mapped to their pods; nothing changed without --debug, and with it only
// what rcnc adds (probe pods) is removed again.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { AttachedK8sTopology, redisContainerOf, servicesOf } from '../../src/deploy/k8s/attached.ts';
import { CapabilityError } from '../../src/deploy/provider.ts';
import { UsageError } from '../../src/util/errors.ts';
import { FakeApi } from '../support/fake-k3d.ts';

const NS = 'shop';
const nodes = ['k3d-demo-agent-0', 'k3d-demo-server-0'];

/** A Bitnami-style redis-cluster pod: the Redis container declares 6379, a metrics sidecar runs next to it. */
function pod(i: number, node: string): V1Pod {
  const name = `redis-cluster-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: { 'app.kubernetes.io/name': 'redis-cluster', 'statefulset.kubernetes.io/pod-name': name },
    },
    spec: {
      nodeName: node,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [
        { name: 'metrics', image: 'redis-exporter', ports: [{ containerPort: 9121 }] },
        {
          name: 'redis-cluster',
          image: 'bitnami/redis-cluster',
          ports: [
            { name: 'tcp-redis', containerPort: 6379 },
            { name: 'tcp-redis-bus', containerPort: 16379 },
          ],
        },
      ],
    },
  };
}

function service(i: number): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `redis-cluster-${i}-svc`, namespace: NS },
    spec: {
      type: 'NodePort',
      selector: { 'statefulset.kubernetes.io/pod-name': `redis-cluster-${i}` },
      ports: [
        { name: 'tcp-redis', port: 6379, targetPort: 'tcp-redis' as unknown as never, nodePort: 30100 + i },
        { name: 'tcp-redis-bus', port: 16379, targetPort: 16379 as never, nodePort: 31100 + i },
      ],
    },
  };
}

function cluster(): FakeApi {
  const api = new FakeApi(nodes);
  api.apply(pod(0, nodes[0]!));
  api.apply(pod(1, nodes[1]!));
  api.apply({ ...pod(9, nodes[0]!), metadata: { name: 'web-0', namespace: NS, labels: { app: 'web' } } } as V1Pod);
  api.apply(service(0));
  api.apply(service(1));
  return api;
}

const attach = (api: FakeApi, allowDebug = false) =>
  AttachedK8sTopology.attach({
    kube: api.client(),
    namespace: NS,
    selector: 'app.kubernetes.io/name=redis-cluster',
    allowDebug,
    runId: '20250301-101500-abcd',
  });

describe('attach', () => {
  test('finds the selected pods on their nodes, the Redis container and the per-pod NodePorts', async () => {
    const api = cluster();
    await using topo = await attach(api);
    expect(topo.pods().map((p) => [p.name, topo.nodes[p.node]!.name])).toEqual([
      ['redis-cluster-0', 'k3d-demo-agent-0'],
      ['redis-cluster-1', 'k3d-demo-server-0'],
    ]);
    expect(topo.nodes.map((n) => [n.name, n.ip, n.podCidr, n.kubelet?.roles])).toEqual([
      ['k3d-demo-agent-0', '172.18.0.2', '10.42.0.0/24', '<none>'],
      ['k3d-demo-server-0', '172.18.0.3', '10.42.1.0/24', 'control-plane'],
    ]);
    expect(topo.services).toEqual([
      {
        name: 'redis-cluster-0-svc',
        pod: 'redis-cluster-0',
        externalTrafficPolicy: 'Cluster',
        clusterIP: expect.any(String),
        ports: [
          { name: 'tcp-redis', port: 6379, targetPort: 6379, nodePort: 30100 },
          { name: 'tcp-redis-bus', port: 16379, targetPort: 16379, nodePort: 31100 },
        ],
      },
      expect.objectContaining({ name: 'redis-cluster-1-svc', pod: 'redis-cluster-1' }),
    ]);
    await topo.exec({ pod: 'redis-cluster-1' }, ['redis-cli', 'cluster', 'nodes']);
    expect(api.execs.at(-1)).toMatchObject({ pod: 'redis-cluster-1', container: 'redis-cluster' });
  });

  test('without --debug: no node command, no capture, no spawn; changes always refused', async () => {
    const api = cluster();
    await using topo = await attach(api);
    await expect(topo.exec({ node: 0 }, ['ip', 'addr'])).rejects.toMatchObject({ capability: 'node-exec' });
    await expect(topo.capture({ pod: 'redis-cluster-0' }, { name: 'c', filter: 'tcp', maxSeconds: 5 })).rejects.toThrow(
      CapabilityError,
    );
    expect(() => topo.spawn()).toThrow(CapabilityError);
    await expect(topo.deletePod()).rejects.toThrow(/does not change pods it attached to/);
    await expect(topo.stopNode()).rejects.toThrow(UsageError);
  });

  test('with --debug: a host-network debug pod per node, removed at stop; the attached pods stay', async () => {
    const api = cluster();
    const topo = await attach(api, true);
    await topo.exec({ node: 1 }, ['ip', 'addr']);
    const probe = [...api.pods.values()].find((p) => p.metadata?.labels?.['rcnc.io/role'] === 'node-probe')!;
    expect(probe.spec).toMatchObject({
      hostNetwork: true,
      nodeSelector: { 'kubernetes.io/hostname': 'k3d-demo-server-0' },
      containers: [{ image: 'nicolaka/netshoot:v0.13' }],
    });
    await topo.stop();
    expect([...api.pods.values()].map((p) => p.metadata?.name).sort()).toEqual([
      'redis-cluster-0',
      'redis-cluster-1',
      'web-0',
    ]);
  });

  test('a namespace without matching running pods is a usage error', async () => {
    const api = new FakeApi(nodes);
    await expect(attach(api)).rejects.toThrow(
      /namespace shop has no running pods matching app.kubernetes.io\/name=redis-cluster/,
    );
  });
});

test("the Redis container: given, or the one declaring 6379, or the pod's default, or named redis*, or the first", () => {
  expect(redisContainerOf(pod(0, 'n'))).toBe('redis-cluster');
  expect(redisContainerOf(pod(0, 'n'), 'metrics')).toBe('metrics');
  expect(redisContainerOf({ spec: { containers: [{ name: 'sidecar' }, { name: 'redis' }] } })).toBe('redis');
  // kubectl exec's choice (the annotation) before a name guess.
  const annotated = { 'kubectl.kubernetes.io/default-container': 'server' };
  const containers = [{ name: 'redis-exporter' }, { name: 'server' }];
  expect(redisContainerOf({ metadata: { annotations: annotated }, spec: { containers } })).toBe('server');
  expect(redisContainerOf({ spec: { containers: [{ name: 'main' }] } })).toBe('main');
  expect(() => redisContainerOf(pod(0, 'n'), 'server')).toThrow(
    /has no container server \(it has metrics, redis-cluster\)/,
  );
});

test('a Service is mapped only when its selector picks exactly one attached pod', () => {
  const pods = [pod(0, 'n'), pod(1, 'n')];
  const headless: V1Service = {
    metadata: { name: 'all' },
    spec: { type: 'NodePort', selector: { 'app.kubernetes.io/name': 'redis-cluster' }, ports: [] },
  };
  const clusterIp: V1Service = { ...service(0), spec: { ...service(0).spec, type: 'ClusterIP' } };
  expect(servicesOf([headless, clusterIp, service(1)], pods).map((s) => s.name)).toEqual(['redis-cluster-1-svc']);
});
