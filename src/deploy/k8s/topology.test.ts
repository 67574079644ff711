// A node stop the provider cannot do (kube on npm test's shared cluster declares node-faults a gap)
// must reach the cell as that CapabilityError, so the harness skips the cell with the declared
// reason. On the first real kube run of recovery node-loss (then a gap everywhere) the topology had
// already counted the node as stopped: its teardown then tried to start it, kube's start failed the
// same way, and `await using` threw a SuppressedError with an empty message over both — the cell
// failed "without an error message".
import type { V1Node } from '@kubernetes/client-node';
import { expect, test } from 'vitest';
import { Teardown } from '../../util/teardown.ts';
import { CapabilityError, isCapabilityError, type TopologySpec } from '../provider.ts';
import type { KubeClient } from './apply.ts';
import { K8sTopology, type NodeAccess } from './topology.ts';

const node = (name: string, i: number): V1Node => ({
  metadata: { name },
  spec: { podCIDR: `10.42.${i}.0/24` },
  status: { addresses: [{ type: 'InternalIP', address: `172.18.0.${2 + i}` }] },
});

test('a node stop that is a declared gap leaves nothing for the teardown to undo', async () => {
  const started: number[] = [];
  const access: NodeAccess = {
    exec: () => Promise.reject(new Error('no exec here')),
    cniAddresses: () => Promise.resolve({}),
    netnsPrefix: () => Promise.resolve([]),
    faults: {
      stop: () => Promise.reject(new CapabilityError('node-faults', 'node stop is not built yet')),
      start: (i) => {
        started.push(i);
        return Promise.reject(new CapabilityError('node-faults', 'node start is not built yet'));
      },
      syncPartitions: () => Promise.resolve(),
    },
  };
  const kube = {
    createNamespace: () => Promise.resolve(),
    deleteNamespace: () => Promise.resolve(),
    applyAll: () => Promise.resolve(),
    core: { listNode: () => Promise.resolve({ items: [node('node-0', 0), node('node-1', 1)] }) },
  } as unknown as KubeClient;
  const spec: TopologySpec = { profile: 'flannel-vxlan', nodes: 2, pods: [] };
  const topo = await K8sTopology.deploy({
    id: 'abc123',
    provider: 'kube',
    spec,
    kube,
    namespace: 'rcnc-abc123',
    runId: 'run',
    nodeNames: ['node-0', 'node-1'],
    image: 'redis',
    access,
    allowDebugContainers: false,
    podReadyTimeoutMs: 1000,
    teardown: new Teardown(),
    deleteNamespace: true,
    gaps: { 'node-faults': 'stopping and starting a kube node is not built yet', 'host-netns': 'not here' },
  });
  const e: unknown = await topo.stopNode(1).catch((x: unknown) => x);
  expect(isCapabilityError(e) && e.capability).toBe('node-faults');
  await expect(topo.stop()).resolves.toBeUndefined();
  expect(started).toEqual([]);
});
