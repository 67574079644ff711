// The lab's nftables-mode rendering beside real kube-proxy v1.34.4 in nftables mode: the lab side
// is the renderer itself (src/deploy/netns/kube-proxy-nft.ts) run for the Services and addresses a
// real capture's header names (test/fixtures/kube-proxy/nft-list-ruleset.kube-proxy.node-{0,1}.txt),
// so a change on either side is a named difference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { proxiedSpec } from '../../test/kube/proxy-rules.ts';
import { kubeProxyNftDocument } from '../deploy/netns/kube-proxy-nft.ts';
import type { ProxiedService } from '../deploy/netns/kube-proxy.ts';
import { normaliseNftRuleset } from './kube-proxy-nft-rules.ts';
import { compareRulesets, formatDifference, type RuleScope } from './kube-proxy-rules.ts';

const DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'kube-proxy');

function capture(node: number): { text: string; scope: RuleScope } {
  const text = readFileSync(join(DIR, `nft-list-ruleset.kube-proxy.node-${node}.txt`), 'utf8');
  const namespace = /^# scope namespace (\S+)$/m.exec(text)![1]!;
  const roles = Object.fromEntries([...text.matchAll(/^# role (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { text, scope: { namespace, roles } };
}

/**
 * What the lab renders on `node` for the capture's Services: the Services of the comparison
 * (proxiedSpec, the one the capture deployed), each address the one the capture's roles give, in
 * the lab's namespace `rcnc` (its own addresses then read as the same roles).
 */
function labRendering(node: number): { text: string; scope: RuleScope } {
  const { roles } = capture(node).scope;
  const addressOf = (role: string) => Object.keys(roles).find((ip) => roles[ip] === role)!;
  const spec = proxiedSpec({ server: 'redis-server', cli: 'redis-cli' });
  const services = spec.services!.map((s): ProxiedService => ({
    namespace: 'rcnc',
    name: s.name,
    clusterIP: addressOf(`clusterIP:${s.name}`),
    policy: s.externalTrafficPolicy,
    ports: s.ports,
    endpoint: { ip: addressOf(`pod:${s.pod}`), node: spec.pods.find((p) => p.name === s.pod)!.node },
  }));
  const text = kubeProxyNftDocument(node, services, {
    clusterCidr: '10.42.0.0/16',
    serviceCidr: '10.43.0.0/16',
    nodeIp: addressOf(`node-${node}`),
  });
  return { text, scope: { namespace: 'rcnc', roles } };
}

const normalised = (side: { text: string; scope: RuleScope }, edit = (t: string) => t) =>
  normaliseNftRuleset(edit(side.text), side.scope);

const differences = (node: number, o: { real?: (t: string) => string; lab?: (t: string) => string } = {}) =>
  compareRulesets(normalised(capture(node), o.real), normalised(labRendering(node), o.lab)).map(formatDifference);

describe('kube-proxy nftables rules: normalising nft list ruleset', () => {
  test("every hashed chain of real kube-proxy is named after its Service port (the lab's hash is kube-proxy's)", () => {
    const rules = normalised(capture(0));
    const chains = [...rules.values()].map((c) => c.chain);
    expect(chains.filter((c) => /-[A-Z2-7]{8}-/.test(c))).toEqual([]);
    expect(chains).toContain('chain endpoint(NS/redis-0-np/tcp/client <pod:redis-0>:6379)');
    expect(chains).toContain('chain local(NS/redis-2-np/tcp/bus)');
    expect(capture(0).text).toMatch(
      /chain endpoint-RO5HKQKP-rcnc-9076bc\/redis-0-np\/tcp\/client__10\.42\.0\.2\/6379 \{/,
    );
  });

  test('only table ip kube-proxy, without other namespaces; addresses become roles; elements sorted', () => {
    const rules = normalised(capture(1));
    const all = [...rules.values()].flatMap((c) => [c.chain, ...c.rules]).join('\n');
    for (const ip of Object.keys(capture(1).scope.roles)) {
      expect(all).not.toContain(ip);
    }
    expect(all).not.toMatch(/default\/kubernetes|10\.43\.0\.1\b|FLANNEL|KUBE-|ip6|counter packets/);
    expect(rules.get('ip kube-proxy set cluster-ips')!.rules).toEqual([
      'type ipv4_addr',
      'comment "Active ClusterIPs"',
      'element <clusterIP:redis-0-np>',
      'element <clusterIP:redis-1-np>',
      'element <clusterIP:redis-2-np>',
      'element <clusterIP:redis-3-np>',
    ]);
    expect(rules.get('ip kube-proxy map no-endpoint-nodeports')!.rules.slice(2)).toEqual([
      'element tcp . 30002 comment "NS/redis-2-np:client" : drop',
      'element tcp . 31002 comment "NS/redis-2-np:bus" : drop',
    ]);
    expect(rules.get('ip kube-proxy chain service(NS/redis-1-np/tcp/bus)')!.rules).toEqual([
      'ip daddr <clusterIP:redis-1-np> ip saddr != 10.42.0.0/16 jump mark-for-masquerade',
      'numgen random mod 1 vmap { 0 : goto endpoint(NS/redis-1-np/tcp/bus <pod:redis-1>:16379) }',
    ]);
  });

  test('the order of set and map elements changes nothing; the order of rules in a chain does', () => {
    const real = normalised(capture(0));
    const reordered = normalised(capture(0), (t) =>
      t.replace(
        /(tcp \. 31003 comment "[^"]*" : drop),(\s*)(tcp \. 30003 comment "[^"]*" : drop)/,
        (_m, a: string, gap: string, b: string) => `${b},${gap}${a}`,
      ),
    );
    expect(reordered).not.toEqual(capture(0).text);
    expect(compareRulesets(real, reordered)).toEqual([]);
    const swapped = normalised(capture(0), (t) =>
      t.replace(
        /(chain masquerading \{\n)(\s*meta mark & .*\n)(\s*meta mark set .*\n)/,
        (_m, head: string, a: string, b: string) => head + b + a,
      ),
    );
    expect(compareRulesets(real, swapped).map(formatDifference)).toEqual([
      expect.stringMatching(/^ip kube-proxy chain masquerading: rules in another order: /),
    ]);
  });
});

describe('kube-proxy nftables rules: real kube-proxy beside the lab', () => {
  // docs/kubernetes.md#kube-proxy-nftables-mode: no difference is left, so none is listed here.
  test.each([0, 1])('node-%i: the lab renders what kube-proxy wrote', (node) => {
    expect(differences(node)).toEqual([]);
  });

  test('the lab without its masquerade rule: that rule, named, only in kube-proxy', () => {
    expect(differences(0, { lab: (t) => t.replace(/^\s*masquerade fully-random\n/m, '') })).toEqual([
      'ip kube-proxy chain masquerading: rule only in kube-proxy: masquerade fully-random',
    ]);
  });

  test('a chain hashed otherwise than kube-proxy hashes it keeps its raw name, and shows', () => {
    const raw = 'service-AAAAAAAA-rcnc/redis-0-np/tcp/client';
    const lab = (t: string) => t.replace(/service-[A-Z2-7]{8}-rcnc\/redis-0-np\/tcp\/client/g, raw);
    expect(differences(1, { lab })).toEqual([
      `ip kube-proxy chain external(NS/redis-0-np/tcp/client): rule only in kube-proxy: goto service(NS/redis-0-np/tcp/client)`,
      `ip kube-proxy chain external(NS/redis-0-np/tcp/client): rule only in lab: goto ${raw}`,
      'ip kube-proxy chain service(NS/redis-0-np/tcp/client): chain only in kube-proxy (2 rules)',
      `ip kube-proxy chain ${raw}: chain only in lab (2 rules)`,
      'ip kube-proxy map service-ips: rule only in kube-proxy: element <clusterIP:redis-0-np> . tcp . 6379 : goto service(NS/redis-0-np/tcp/client)',
      `ip kube-proxy map service-ips: rule only in lab: element <clusterIP:redis-0-np> . tcp . 6379 : goto ${raw}`,
    ]);
  });

  test('a Local Service whose endpoint moved to the other node: the drop and the local chain are named', () => {
    // node-1's rendering with node-0's address: the Local Service with a local endpoint is the other one.
    const diffs = compareRulesets(
      normalised(capture(0)),
      normaliseNftRuleset(labRendering(1).text.replace(/172\.18\.0\.3/g, '172.18.0.2'), labRendering(0).scope),
    ).map(formatDifference);
    expect(diffs).toEqual(
      expect.arrayContaining([
        'ip kube-proxy map no-endpoint-nodeports: rule only in kube-proxy: element tcp . 30003 comment "NS/redis-3-np:client" : drop',
        'ip kube-proxy map no-endpoint-nodeports: rule only in lab: element tcp . 30002 comment "NS/redis-2-np:client" : drop',
        'ip kube-proxy chain local(NS/redis-2-np/tcp/client): chain only in kube-proxy (1 rule)',
        'ip kube-proxy chain local(NS/redis-3-np/tcp/client): chain only in lab (1 rule)',
      ]),
    );
  });
});
