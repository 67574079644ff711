// The normaliser and the comparison on real `iptables-save` text: test/fixtures/kube-proxy/ holds
// node-0's and node-1's rules from a real kube cluster (kube-proxy v1.34.4, iptables mode) and from
// the lab for the same Services, each with a header saying how it was made and what its addresses are.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  compareRulesets,
  explainDifferences,
  formatDifference,
  normaliseIptablesSave,
  type RuleScope,
} from './kube-proxy-rules.ts';

const DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'kube-proxy');

function fixture(side: 'kube-proxy' | 'lab', node: number): { text: string; scope: RuleScope } {
  const text = readFileSync(join(DIR, `iptables-save.${side}.node-${node}.txt`), 'utf8');
  const namespace = /^# scope namespace (\S+)$/m.exec(text)![1]!;
  const roles = Object.fromEntries([...text.matchAll(/^# role (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { text, scope: { namespace, roles } };
}

const normalised = (side: 'kube-proxy' | 'lab', node: number, edit = (t: string) => t) => {
  const f = fixture(side, node);
  return normaliseIptablesSave(edit(f.text), f.scope);
};

/** Unexplained differences, as the end-to-end test prints them. */
const unexplained = (kubeProxy: ReturnType<typeof normalised>, lab: ReturnType<typeof normalised>) =>
  explainDifferences(compareRulesets(kubeProxy, lab), lab).unexplained.map(formatDifference);

describe('kube-proxy rules: normalising iptables-save', () => {
  test("every hashed chain of real kube-proxy is named after its Service port (the lab's hash is kube-proxy's)", () => {
    const text = fixture('kube-proxy', 0).text;
    const rules = normalised('kube-proxy', 0);
    const names = [...rules.values()].map((c) => c.chain);
    expect(names.filter((n) => /KUBE-(SVC|SVL|EXT|SEP|FW)-[A-Z2-7]{16}/.test(n))).toEqual([]);
    expect(names).toContain('KUBE-SEP(NS/redis-0-np:client <pod:redis-0>:6379)');
    expect(names).toContain('KUBE-SVL(NS/redis-2-np:bus)');
    // The fixture's own hashed names are really there: the names came from them.
    expect(text).toMatch(/^:KUBE-SEP-[A-Z2-7]{16} /m);
  });

  test('addresses become roles; other namespaces, other components and counters are left out', () => {
    const rules = normalised('kube-proxy', 0);
    const all = [...rules.values()].flatMap((c) => [c.chain, ...c.rules]).join('\n');
    for (const ip of Object.keys(fixture('kube-proxy', 0).scope.roles)) {
      expect(all).not.toContain(ip);
    }
    expect(all).not.toMatch(/default\/kubernetes|FLANNEL|KUBE-KUBELET-CANARY|KUBE-IPTABLES-HINT|\[\d+:\d+\]/);
    expect(rules.get('nat KUBE-SVC(NS/redis-1-np:bus)')!.rules).toEqual([
      '! -s 10.42.0.0/16 -d <clusterIP:redis-1-np>/32 -p tcp -m tcp --dport 16379 -j KUBE-MARK-MASQ /* NS/redis-1-np:bus cluster IP */',
      '-j KUBE-SEP(NS/redis-1-np:bus <pod:redis-1>:16379) /* NS/redis-1-np:bus -> <pod:redis-1>:16379 */',
    ]);
    // A built-in chain keeps kube-proxy's jumps only, in their order.
    expect(rules.get('filter FORWARD')!.rules.map((r) => r.replace(/ \/\*.*/, ''))).toEqual([
      '-m conntrack --ctstate NEW -j KUBE-PROXY-FIREWALL',
      '-j KUBE-FORWARD',
      '-m conntrack --ctstate NEW -j KUBE-SERVICES',
      '-m conntrack --ctstate NEW -j KUBE-EXTERNAL-SERVICES',
    ]);
  });

  test('counters (iptables-save -c) and where the comment sits change nothing', () => {
    const plain = normalised('kube-proxy', 1);
    const counted = normalised('kube-proxy', 1, (t) =>
      t
        .replace(/^(-A .*)$/gm, '[7:420] $1')
        .replace(
          /^(\S+ -A KUBE-SVC-\w+) (-m comment --comment "[^"]*") (-j KUBE-SEP-\w+)$/gm,
          (_m, head: string, comment: string, jump: string) => `${head} ${jump} ${comment}`,
        ),
    );
    expect(compareRulesets(plain, counted)).toEqual([]);
  });
});

describe('kube-proxy rules: real kube-proxy beside the lab', () => {
  test.each([0, 1])('node-%i: only the documented differences, each of them there', (node) => {
    const lab = normalised('lab', node);
    const { known, unexplained: left } = explainDifferences(compareRulesets(normalised('kube-proxy', node), lab), lab);
    expect(left.map(formatDifference)).toEqual([]);
    expect(known.map((k) => [k.id, k.differences.length, k.doc]).sort()).toEqual([
      ['localhost-nodeport-counter', 8, 'docs/kubernetes.md#localhost-nodeport-counter'],
      ['nfacct-counter', 2, 'docs/kubernetes.md#invalid-packet-counter'],
      ['proxy-canary', 3, 'docs/kubernetes.md#kube-proxy-canary-chains'],
    ]);
  });

  test('a real dump with one rule removed: that rule, named, only in the lab', () => {
    const cut = normalised('kube-proxy', 0, (t) =>
      t.replace(/^-A KUBE-SVC-\w+ -m comment --comment "rcnc-\w+\/redis-0-np:client -> .*\n/m, ''),
    );
    expect(unexplained(cut, normalised('lab', 0))).toEqual([
      'nat KUBE-SVC(NS/redis-0-np:client): rule only in lab: -j KUBE-SEP(NS/redis-0-np:client <pod:redis-0>:6379) /* NS/redis-0-np:client -> <pod:redis-0>:6379 */',
    ]);
  });

  test('a Local Service without a local endpoint: an empty SVL chain and a jump to it are named, lab side', () => {
    // The lab as it rendered before it followed kube-proxy here (proxier.go: hasExternalEndpoints).
    const old = normalised('lab', 0, (t) => {
      const ext = /^-A (KUBE-EXT-\w+) .*route LOCAL traffic for rcnc\/redis-3-np:client /m.exec(t)![1]!;
      const svl = ext.replace('EXT', 'SVL');
      return t
        .replace(/^(:KUBE-MARK-MASQ .*)$/m, `$1\n:${svl} - [0:0]`)
        .replace(
          /^(-A KUBE-EXT-\w+ .*route LOCAL traffic for rcnc\/redis-3-np:client .*)$/m,
          `$1\n-A ${ext} -j ${svl}`,
        );
    });
    expect(unexplained(normalised('kube-proxy', 0), old)).toEqual([
      'nat KUBE-EXT(NS/redis-3-np:client): rule only in lab: -j KUBE-SVL(NS/redis-3-np:client)',
      'nat KUBE-SVL(NS/redis-3-np:client): chain only in lab (0 rules)',
    ]);
  });
});

describe('kube-proxy rules: order', () => {
  const swapLines = (t: string, a: RegExp, b: RegExp) => {
    const lines = t.split('\n');
    const i = lines.findIndex((l) => a.test(l));
    const j = lines.findIndex((l) => b.test(l));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    return lines.join('\n');
  };

  test('KUBE-SERVICES and KUBE-NODEPORTS: any order (kube-proxy walks a Go map), but the NodePort jump stays last', () => {
    const real = normalised('kube-proxy', 0);
    const shuffled = normalised('kube-proxy', 0, (t) =>
      swapLines(t, /^-A KUBE-SERVICES .*redis-0-np:client cluster IP/, /^-A KUBE-SERVICES .*redis-3-np:bus cluster IP/),
    );
    expect(compareRulesets(real, shuffled)).toEqual([]);
    const lastNotLast = normalised('kube-proxy', 0, (t) =>
      swapLines(t, /^-A KUBE-SERVICES .*must be the last rule/, /^-A KUBE-SERVICES .*redis-0-np:client cluster IP/),
    );
    expect(compareRulesets(real, lastNotLast).map((d) => [d.kind, d.chain])).toEqual([['order', 'KUBE-SERVICES']]);
  });

  test('a service chain keeps its order: its MASQ rule after its endpoint jump is a named order difference', () => {
    const real = normalised('kube-proxy', 1);
    const swapped = normalised('kube-proxy', 1, (t) =>
      swapLines(t, /^-A KUBE-SVC-\w+ ! -s .*redis-0-np:bus cluster IP/, /^-A KUBE-SVC-\w+ .*redis-0-np:bus -> /),
    );
    const diffs = compareRulesets(real, swapped);
    expect(diffs.map(formatDifference)).toEqual([
      expect.stringMatching(
        /^nat KUBE-SVC\(NS\/redis-0-np:bus\): rules in another order: kube-proxy \[! -s .* \| -j KUBE-SEP.*\] lab \[-j KUBE-SEP.* \| ! -s .*\]$/,
      ),
    ]);
  });
});

describe('kube-proxy rules: the documented differences match narrowly', () => {
  test('a counted rule whose plain twin the lab lacks stays unexplained', () => {
    const lab = normalised('lab', 0, (t) =>
      t.replace(/^-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n/m, ''),
    );
    expect(unexplained(normalised('kube-proxy', 0), lab)).toEqual([
      'filter KUBE-FORWARD: rule only in kube-proxy: -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP',
    ]);
  });

  test("a localhost NodePort counter for a NodePort the lab lacks stays unexplained, beside that NodePort's own rule", () => {
    const lab = normalised('lab', 1, (t) => t.replace(/^-A KUBE-NODEPORTS .*--dport 31002 .*\n/m, ''));
    expect(unexplained(normalised('kube-proxy', 1), lab)).toEqual([
      'nat KUBE-NODEPORTS: rule only in kube-proxy: -d 127.0.0.0/8 -p tcp -m tcp --dport 31002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT(NS/redis-2-np:bus) /* NS/redis-2-np:bus */',
      'nat KUBE-NODEPORTS: rule only in kube-proxy: -p tcp -m tcp --dport 31002 -j KUBE-EXT(NS/redis-2-np:bus) /* NS/redis-2-np:bus */',
    ]);
  });
});

// What docs/kubernetes.md#kube-proxy-nftables-mode says of the real capture, where it differs from
// iptables mode (the lab's nftables rendering is compared with it in kube-proxy-nft-rules.test.ts).
describe('kube-proxy nftables mode, as captured', () => {
  test.each([0, 1])('node-%i: NodePorts on the node IP only, no localhost; the same mark masqueraded', (node) => {
    const text = readFileSync(join(DIR, `nft-list-ruleset.kube-proxy.node-${node}.txt`), 'utf8');
    const table = text.slice(text.indexOf('table ip kube-proxy {'), text.indexOf('table ip6 kube-proxy {'));
    const nodeIp = /^# role (\S+) node-(\d+)$/gm;
    const ips = Object.fromEntries([...text.matchAll(nodeIp)].map((m) => [m[2]!, m[1]!]));
    expect(/set nodeport-ips \{[^}]*elements = \{ ([^}]*) \}/.exec(table)![1]!.trim()).toBe(ips[node]);
    expect(/chain services \{([^}]*)\}/.exec(table)![1]!.trim().split(/\n\s*/)).toEqual([
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    ]);
    expect(/chain masquerading \{([^}]*)\}/.exec(table)![1]!.trim().split(/\n\s*/)).toEqual([
      'meta mark & 0x00004000 == 0x00000000 return',
      'meta mark set meta mark ^ 0x00004000',
      'masquerade fully-random',
    ]);
    // Local policy: the Service whose endpoint is on the other node is dropped here by the verdict map.
    const [other, ordinal] = node === 0 ? ['redis-3-np', 3] : ['redis-2-np', 2];
    const drops = /map no-endpoint-nodeports \{[^}]*elements = \{([^}]*)\}/.exec(table)![1]!;
    const entries = [...drops.matchAll(/tcp \. (\d+) comment "[^/]+\/([^"]+)" : (\w+)/g)].map((m) =>
      m.slice(1).join(' '),
    );
    expect(entries.sort()).toEqual([`3000${ordinal} ${other}:client drop`, `3100${ordinal} ${other}:bus drop`]);
    expect(text).not.toMatch(/KUBE-SERVICES|KUBE-NODEPORTS/);
  });
});
