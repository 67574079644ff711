import { describe, expect, test } from 'vitest';
import { restoreDocument } from './iptables.ts';
import { kubeProxyTables, type ProxiedService } from './kube-proxy.ts';
import { klipperTables, networkOf, portmapChain, portmapTables, serviceLbIngress } from './service-lb.ts';

describe('kube-proxy: a LoadBalancer Service’s ingress IPs', () => {
  const svc = (policy: 'Cluster' | 'Local', node: number): ProxiedService => ({
    namespace: 'rcnc',
    name: 'redis-0-lb',
    clusterIP: '10.43.101.2',
    policy,
    ports: [{ name: 'redis', port: 6379, targetPort: 6379, nodePort: 30100 }],
    endpoint: { ip: '10.42.0.2', node },
    loadBalancerIPs: ['172.18.0.2', '172.18.0.3'],
  });

  test('captured in KUBE-SERVICES on every node, to EXT, before the NodePort tail rule', () => {
    const nat = kubeProxyTables(1, [svc('Cluster', 0)], '10.42.0.0/16').nat!.rules;
    const lb = nat.filter((r) => r.includes('loadbalancer IP'));
    expect(lb).toEqual([
      '-A KUBE-SERVICES -d 172.18.0.2/32 -p tcp -m comment --comment "rcnc/redis-0-lb:redis loadbalancer IP" -m tcp --dport 6379 -j KUBE-EXT-' +
        /KUBE-EXT-(\w+)/.exec(lb[0]!)![1],
      expect.stringContaining('-d 172.18.0.3/32'),
    ]);
    const tail = nat.findIndex((r) => r.includes('must be the last rule'));
    expect(nat.indexOf(lb[1]!)).toBeLessThan(tail);
    expect(nat).toContain(
      `-A ${/-j (KUBE-EXT-\w+)/.exec(lb[0]!)![1]} -m comment --comment "masquerade traffic for rcnc/redis-0-lb:redis external destinations" -j KUBE-MARK-MASQ`,
    );
  });

  test('Local without a local endpoint: the ingress IPs are dropped like the NodePort', () => {
    const filter = kubeProxyTables(1, [svc('Local', 0)], '10.42.0.0/16').filter!.rules;
    expect(filter.filter((r) => r.includes('has no local endpoints'))).toEqual([
      expect.stringContaining('--dport 30100 -j DROP'),
      '-A KUBE-EXTERNAL-SERVICES -d 172.18.0.2/32 -p tcp -m comment --comment "rcnc/redis-0-lb:redis has no local endpoints" -m tcp --dport 6379 -j DROP',
      expect.stringContaining('-d 172.18.0.3/32'),
    ]);
  });
});

describe('ServiceLB', () => {
  test('ingress: every node under Cluster, the endpoint’s node under Local', () => {
    expect(serviceLbIngress(['172.18.0.2', '172.18.0.3'], 'Cluster', 1)).toEqual(['172.18.0.2', '172.18.0.3']);
    expect(serviceLbIngress(['172.18.0.2', '172.18.0.3'], 'Local', 1)).toEqual(['172.18.0.3']);
  });

  test('klipper-lb: DNAT the Service port to the ClusterIP (Cluster) or node IP + NodePort (Local), masquerade', () => {
    const ports = [{ port: 6380, nodePort: 30101 }];
    expect(klipperTables({ policy: 'Cluster', clusterIP: '10.43.101.3', hostIP: '172.18.0.2', ports })).toEqual({
      nat: {
        chains: [],
        rules: [
          '-A PREROUTING -p tcp -m tcp --dport 6380 -j DNAT --to-destination 10.43.101.3:6380',
          '-A POSTROUTING -d 10.43.101.3/32 -p tcp -j MASQUERADE',
        ],
      },
      filter: {
        chains: [],
        rules: [
          '-A FORWARD -p tcp -m tcp --dport 6380 -j ACCEPT',
          '-A FORWARD -d 10.43.101.3/32 -p tcp -m tcp --dport 6380 -j DROP',
        ],
      },
    });
    const local = klipperTables({ policy: 'Local', clusterIP: '10.43.101.3', hostIP: '172.18.0.2', ports });
    expect(local.nat!.rules[0]).toBe(
      '-A PREROUTING -p tcp -m tcp --dport 6380 -j DNAT --to-destination 172.18.0.2:30101',
    );
  });

  test('portmap chain names match the CNI plugins’ own test vectors', () => {
    // containernetworking/plugins pkg/utils/iptables_test.go
    expect(portmapChain('test', '1234', 'PREFIX-')).toBe('CNI-PREFIX-2bbe0c48b91a7d1b8');
    expect(portmapChain('testalongnamethatdoesnotmakesense', '1234', 'PREFIX-')).toBe('CNI-PREFIX-374f33fe84ab0ed84');
    expect(portmapChain('cbr0', 'abc')).toMatch(/^CNI-DN-[0-9a-f]{21}$/);
  });

  test('portmap: hairpin and localhost marked, then DNAT to the svclb pod; jumps appended, masquerade prepended', () => {
    expect(networkOf('10.42.0.7/24')).toBe('10.42.0.0/24');
    expect(networkOf('192.168.0.9/32')).toBe('192.168.0.9/32');
    const t = portmapTables('cbr0', [{ containerId: 'abc', address: '10.42.0.7/24', ports: [6379] }]);
    const chain = portmapChain('cbr0', 'abc');
    expect(t.nat!.rules).toEqual([
      '-I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
      '-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
      '-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
      '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cbr0\\" id: \\"abc\\"" -m multiport --dports 6379 -j ${chain}`,
      `-A ${chain} -s 10.42.0.0/24 -p tcp -m tcp --dport 6379 -j CNI-HOSTPORT-SETMARK`,
      `-A ${chain} -s 127.0.0.1/32 -p tcp -m tcp --dport 6379 -j CNI-HOSTPORT-SETMARK`,
      `-A ${chain} -p tcp -m tcp --dport 6379 -j DNAT --to-destination 10.42.0.7:6379`,
    ]);
    expect(portmapTables('cbr0', [])).toEqual({});
    // One restore document with kube-proxy's part first: portmap's PREROUTING jump lands after kube-proxy's.
    const doc = restoreDocument([{ nat: { chains: ['KUBE-SERVICES'], rules: ['-A PREROUTING -j KUBE-SERVICES'] } }, t]);
    expect(doc.indexOf('-A PREROUTING -j KUBE-SERVICES')).toBeLessThan(doc.indexOf('-A PREROUTING -m addrtype'));
  });
});
