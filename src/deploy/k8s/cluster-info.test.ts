// Cluster detection over recorded API responses (test/fixtures/k8s/cluster-*.json): the API
// server is the only thing faked.
import { ApiException, type V1DaemonSetList, type V1NodeList, type VersionInfo } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { clusterInfoSummary, detectCni, distributionOf, readClusterInfo, type ClusterApis } from './cluster-info.ts';

interface Recorded {
  version: VersionInfo;
  nodes: V1NodeList;
  daemonSets: V1DaemonSetList;
  installation?: unknown;
}

function recorded(name: string, overrides: Partial<ClusterApis> = {}): ClusterApis {
  const r = JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/k8s/${name}`, import.meta.url), 'utf8'),
  ) as Recorded;
  return {
    version: { getCode: async () => r.version },
    core: { listNode: async () => r.nodes },
    apps: { listDaemonSetForAllNamespaces: async () => r.daemonSets },
    custom: {
      getClusterCustomObject: async (p) => {
        if (p.plural === 'installations' && r.installation) {
          return r.installation;
        }
        throw new ApiException(404, 'not found', '{"message":"not found"}', {});
      },
    },
    ...overrides,
  };
}

describe('readClusterInfo', () => {
  test('k3s with its embedded flannel: no DaemonSet, the backend comes from node annotations', async () => {
    const info = await readClusterInfo(recorded('cluster-k3s-flannel.json'));
    expect(info).toMatchObject({
      serverVersion: 'v1.31.5+k3s1',
      distribution: 'k3s',
      cni: { name: 'flannel', detail: 'embedded in k3s, backend vxlan' },
    });
    expect(info.nodes.map((n) => [n.name, n.internalIP])).toEqual([
      ['k3d-rcnc-5e1f0a-server-0', '172.18.0.2'],
      ['k3d-rcnc-5e1f0a-agent-0', '172.18.0.3'],
    ]);
  });

  test('flannel without a DaemonSet on upstream Kubernetes is not k3s’s embedded one (rcnc kube)', () => {
    const annotations = [{ 'flannel.alpha.coreos.com/backend-type': 'vxlan' }];
    expect(detectCni({ daemonSets: [], nodeAnnotations: annotations, distribution: 'kubernetes' })).toMatchObject({
      name: 'flannel',
      detail: 'flanneld outside pods, backend vxlan',
    });
    expect(detectCni({ daemonSets: [], nodeAnnotations: annotations, distribution: 'k3s' }).detail).toBe(
      'embedded in k3s, backend vxlan',
    );
  });

  test('Calico from the operator, with the pool’s encapsulation', async () => {
    const info = await readClusterInfo(recorded('cluster-k3s-calico.json'));
    expect(info.cni).toMatchObject({ name: 'calico', detail: 'encapsulation VXLANCrossSubnet' });
    expect(info.cni.evidence).toContain('DaemonSet calico-system/calico-node');
    expect(clusterInfoSummary(info)).toMatchObject({
      'kubernetes.version': 'v1.31.5+k3s1',
      cni: 'calico (encapsulation VXLANCrossSubnet)',
    });
  });

  test('Cilium on kind', async () => {
    const info = await readClusterInfo(recorded('cluster-kind-cilium.json'));
    expect(info).toMatchObject({
      distribution: 'kind',
      cni: { name: 'cilium', evidence: ['DaemonSet kube-system/cilium'] },
    });
  });

  test('without the right to list DaemonSets: unknown, with the API server’s reason, not a failure', async () => {
    const forbidden = new ApiException(
      403,
      'forbidden',
      '{"kind":"Status","message":"daemonsets.apps is forbidden: User \\"dev\\" cannot list resource \\"daemonsets\\""}',
      {},
    );
    const info = await readClusterInfo(
      recorded('cluster-kind-cilium.json', {
        apps: {
          listDaemonSetForAllNamespaces: async () => {
            throw forbidden;
          },
        },
      }),
    );
    expect(info.cni.name).toBe('unknown');
    expect(info.cni.evidence[0]).toMatch(/^cannot list DaemonSets: HTTP 403: daemonsets.apps is forbidden/);
  });
});

describe('detectCni / distributionOf', () => {
  test('canal is one CNI (Calico policy on flannel), not two', () => {
    const d = detectCni({
      daemonSets: [{ namespace: 'kube-system', name: 'canal' }],
      nodeAnnotations: [{ 'flannel.alpha.coreos.com/backend-type': 'vxlan' }],
    });
    expect(d).toMatchObject({ name: 'canal', detail: 'backend vxlan' });
  });

  test('managed distributions from the version string and provider ids', () => {
    expect(distributionOf('v1.30.4-eks-a737599', [])).toBe('eks');
    expect(distributionOf('v1.30.5-gke.1014001', [])).toBe('gke');
    expect(distributionOf('v1.30.3', ['azure:///subscriptions/x'])).toBe('aks');
    expect(distributionOf('v1.31.2+rke2r1', [])).toBe('rke2');
    expect(distributionOf('v1.31.0', [''])).toBe('kubernetes');
  });
});
