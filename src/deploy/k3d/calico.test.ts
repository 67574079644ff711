import { describe, expect, test } from 'vitest';
import { calicoCustomResources, parseManifest } from './calico.ts';
import { k3dConfig } from './config.ts';

interface Pool {
  cidr: string;
  encapsulation: string;
  natOutgoing: string;
}
const installation = (mode: 'Always' | 'CrossSubnet') =>
  calicoCustomResources(mode)[0] as unknown as {
    kind: string;
    metadata: { name: string };
    spec: { calicoNetwork: { containerIPForwarding: string; ipPools: Pool[] } };
  };

describe('calicoCustomResources', () => {
  test('calico-vxlan encapsulates everything, calico-crosssubnet only between subnets', () => {
    expect(installation('Always').spec.calicoNetwork.ipPools[0]!.encapsulation).toBe('VXLAN');
    expect(installation('CrossSubnet').spec.calicoNetwork.ipPools[0]!.encapsulation).toBe('VXLANCrossSubnet');
  });

  test('container IP forwarding is on, and the pool is the CIDR k3s was started with', () => {
    const inst = installation('Always');
    expect(inst).toMatchObject({ kind: 'Installation', metadata: { name: 'default' } });
    expect(inst.spec.calicoNetwork.containerIPForwarding).toBe('Enabled');
    const pool = inst.spec.calicoNetwork.ipPools[0]!;
    const cfg = k3dConfig({ name: 'c', runId: 'r', agents: 1, cni: 'calico' });
    expect(cfg.options.k3s.extraArgs.map((a) => a.arg)).toContain(`--cluster-cidr=${pool.cidr}`);
    // Masquerade to outside the pool is what the profile's NodePort/egress expectations assume.
    expect(pool.natOutgoing).toBe('Enabled');
    expect(calicoCustomResources('Always').map((r) => r.kind)).toEqual(['Installation', 'APIServer']);
  });
});

describe('parseManifest', () => {
  test('keeps the objects of a multi-document manifest and drops empty documents', () => {
    const yaml = [
      '# comment-only document',
      '---',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tigera-operator',
      '---',
      '',
      '---',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tigera-operator\n  namespace: tigera-operator',
    ].join('\n');
    expect(parseManifest(yaml).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Namespace/tigera-operator',
      'Deployment/tigera-operator',
    ]);
  });
});
