import { describe, expect, test } from 'vitest';
import { chainNames, kubeProxyTables, type ProxiedService } from './kube-proxy.ts';

describe('kube-proxy: externalTrafficPolicy Local', () => {
  const svc = (node: number): ProxiedService => ({
    namespace: 'rcnc',
    name: 'redis-2-np',
    clusterIP: '10.43.1.4',
    policy: 'Local',
    ports: [{ name: 'client', port: 6379, targetPort: 6379, nodePort: 30002 }],
    endpoint: { ip: '10.42.0.3', node },
  });
  const n = chainNames(svc(0), svc(0).ports[0]!);

  // As real kube-proxy v1.34.4 wrote it on both nodes (test/fixtures/kube-proxy/): proxier.go
  // creates SVL only with local endpoints (usesLocalPolicyChain), and EXT jumps to it only then
  // (hasExternalEndpoints).
  test('on the endpoint’s node: EXT falls through to SVL, which jumps to the endpoint', () => {
    const nat = kubeProxyTables(0, [svc(0)], '10.42.0.0/16').nat!;
    expect(nat.chains).toContain(n.svl);
    expect(nat.rules.filter((r) => r.startsWith(`-A ${n.ext} `)).at(-1)).toBe(`-A ${n.ext} -j ${n.svl}`);
    expect(nat.rules.filter((r) => r.startsWith(`-A ${n.svl} `))).toEqual([
      `-A ${n.svl} -m comment --comment "rcnc/redis-2-np:client -> 10.42.0.3:6379" -j ${n.sep}`,
    ]);
  });

  test('on another node: no SVL chain and no jump to it; the filter table drops the NodePort', () => {
    const t = kubeProxyTables(1, [svc(0)], '10.42.0.0/16');
    expect(t.nat!.chains).not.toContain(n.svl);
    expect(t.nat!.rules.filter((r) => r.includes(n.svl))).toEqual([]);
    expect(t.nat!.rules.filter((r) => r.startsWith(`-A ${n.ext} `))).toHaveLength(3);
    expect(t.filter!.rules.filter((r) => r.includes('has no local endpoints'))).toEqual([
      expect.stringContaining('--dport 30002 -j DROP'),
    ]);
  });
});
