import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom, truncations, withGarbage } from '../../test/support/fuzz.ts';
import {
  formatKubectlTable,
  humanAge,
  parseKubectlTable,
  parseNodes,
  parsePodCidrs,
  parsePods,
  parseServices,
} from './kubectl.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const example = (dir: string, file: string) => readFileSync(join(EXAMPLES, dir, file), 'utf8');

// As kubectl prints them (tabwriter: each cell but the last padded to the widest + 3).
const PODS_A = [
  'NAMESPACE   NAME              READY   STATUS    RESTARTS      AGE   IP           NODE                  NOMINATED NODE   READINESS GATES',
  'redis       redis-cluster-0   1/1     Running   1 (12m ago)   3h    10.42.2.17   k3d-demo-agent-1      <none>           <none>',
  'redis       redis-cluster-1   0/1     Pending   0             12s   <none>       <none>                <none>           <none>',
  'kube-system svclb-redis-x7k   1/1     Running   0             3h    172.18.0.3   k3d-demo-server-0     <none>           <none>',
].join('\n');

const NODES = [
  'NAME                STATUS   ROLES                  AGE   VERSION        INTERNAL-IP   EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION     CONTAINER-RUNTIME',
  'k3d-demo-server-0   Ready    control-plane,master   3h    v1.31.5+k3s1   172.18.0.2    <none>        K3s v1.31.5+k3s1     6.8.0-45-generic   containerd://1.7.23-k3s2',
  'k3d-demo-agent-1    Ready    <none>                 3h    v1.31.5+k3s1   172.18.0.3    203.0.113.7   K3s v1.31.5+k3s1     6.8.0-45-generic   containerd://1.7.23-k3s2',
].join('\n');

const SERVICES = [
  'NAME               TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)                          AGE   SELECTOR',
  'kubernetes         ClusterIP   10.43.0.1      <none>        443/TCP                          3h    <none>',
  'redis-cluster-0    NodePort    10.43.12.80    <none>        6379:30100/TCP,16379:31100/TCP   3h    statefulset.kubernetes.io/pod-name=redis-cluster-0',
  'redis-headless     ClusterIP   None           <none>        6379/TCP,16379/TCP               3h    app=redis',
  'broken             NodePort    10.43.12.81    <none>        6379->30101                      3h    app=x',
].join('\n');

describe('parsePods', () => {
  it('reads kubectl get pods -A -o wide, including RESTARTS with spaces and <none> IPs', () => {
    const { pods, warnings } = parsePods(PODS_A);
    expect(warnings).toEqual([]);
    expect(pods).toEqual([
      {
        name: 'redis-cluster-0',
        namespace: 'redis',
        status: 'Running',
        ip: '10.42.2.17',
        node: 'k3d-demo-agent-1',
        line: 2,
      },
      { name: 'redis-cluster-1', namespace: 'redis', status: 'Pending', line: 3 },
      {
        name: 'svclb-redis-x7k',
        namespace: 'kube-system',
        status: 'Running',
        ip: '172.18.0.3',
        node: 'k3d-demo-server-0',
        line: 4,
      },
    ]);
  });

  it('reads the lab examples, with and without the NAMESPACE column', () => {
    const plain = parsePods(example('flannel-nodeport-nat-meet', 'pods.txt'));
    expect(plain.warnings).toEqual([]);
    expect(plain.pods.map((p) => `${p.name} ${p.ip} ${p.node} ${p.namespace ?? '-'}`)).toEqual([
      'redis-0 10.42.0.2 node-0 -',
      'redis-1 10.42.0.3 node-0 -',
      'redis-2 10.42.0.4 node-0 -',
      'redis-3 10.42.0.5 node-0 -',
    ]);
    const all = parsePods(example('flannel-nodeport-cross-node', 'pods.txt'));
    expect(all.warnings).toEqual([]);
    expect(all.pods.map((p) => `${p.name} ${p.node} ${p.namespace}`)).toEqual([
      'redis-0 node-0 rcnc',
      'redis-1 node-1 rcnc',
      'redis-2 node-0 rcnc',
      'redis-3 node-1 rcnc',
    ]);
  });

  it('reads rows re-spaced with tabs, warns about rows that do not line up and rows before a header', () => {
    const text = [
      'redis-0   1/1   Running   0   1m   10.42.0.2   node-0   <none>   <none>',
      'NAME      READY   STATUS    RESTARTS   AGE   IP          NODE     NOMINATED NODE   READINESS GATES',
      'redis-1\t1/1\tRunning\t0\t1m\t10.42.0.3\tnode-0\t<none>\t<none>',
      'redis-2 1/1 Running',
    ].join('\n');
    const { pods, warnings } = parsePods(text);
    expect(pods.map((p) => p.ip)).toEqual(['10.42.0.3']);
    expect(warnings.map((w) => [w.line, w.problem])).toEqual([
      [1, 'no header line with NAME, IP before this line'],
      [4, 'does not line up with the 9 header columns'],
    ]);
  });
});

describe('parseNodes and parseServices', () => {
  it('reads node addresses; OS-IMAGE and other cells may hold spaces', () => {
    expect(parseNodes(NODES)).toEqual({
      nodes: [
        { name: 'k3d-demo-server-0', internalIP: '172.18.0.2', line: 2 },
        { name: 'k3d-demo-agent-1', internalIP: '172.18.0.3', externalIP: '203.0.113.7', line: 3 },
      ],
      warnings: [],
    });
    const lab = parseNodes(example('flannel-nodeport-cross-node', 'nodes.txt'));
    expect(lab.nodes.map((n) => `${n.name} ${n.internalIP}`)).toEqual(['node-0 172.18.0.2', 'node-1 172.18.0.3']);
  });

  it('reads a pod CIDR column when custom-columns output has one', () => {
    const text = [
      'NAME                INTERNAL-IP   PODCIDR',
      'k3d-demo-server-0   172.18.0.2    10.42.0.0/24',
      'k3d-demo-agent-1    172.18.0.3    <none>',
    ].join('\n');
    expect(parseNodes(text).nodes.map((n) => n.podCIDR)).toEqual(['10.42.0.0/24', undefined]);
  });

  it('reads podcidrs.txt: one CIDR per node, .spec.podCIDRs lists too; warns about rows without one', () => {
    const text = [
      'NAME                CIDR',
      'k3d-demo-server-0   10.42.0.0/24',
      'k3d-demo-agent-1    [10.42.1.0/24 fd00:10:42:1::/64]',
      'k3d-demo-agent-2    <none>',
      'k3d-demo-agent-3    10.42.3/24',
    ].join('\n');
    expect(parsePodCidrs(text)).toEqual({
      cidrs: [
        { node: 'k3d-demo-server-0', cidr: '10.42.0.0/24' },
        { node: 'k3d-demo-agent-1', cidr: '10.42.1.0/24' },
      ],
      warnings: [{ line: 5, text: 'k3d-demo-agent-3    10.42.3/24', problem: 'no IPv4 pod CIDR in this line' }],
    });
    expect(parsePodCidrs('NAME   PODCIDRS\nn0     10.42.0.0/24,fd00::/64\n').cidrs).toEqual([
      { node: 'n0', cidr: '10.42.0.0/24' },
    ]);
  });

  it('reads NodePorts and selectors', () => {
    const { services, warnings } = parseServices(SERVICES);
    expect(services.find((s) => s.name === 'redis-cluster-0')).toEqual({
      name: 'redis-cluster-0',
      type: 'NodePort',
      ports: [
        { port: 6379, nodePort: 30100, protocol: 'TCP' },
        { port: 16379, nodePort: 31100, protocol: 'TCP' },
      ],
      selector: { 'statefulset.kubernetes.io/pod-name': 'redis-cluster-0' },
      line: 3,
      clusterIP: '10.43.12.80',
    });
    // A headless Service has no virtual address (CLUSTER-IP None).
    expect(services.find((s) => s.name === 'redis-headless')?.clusterIP).toBeUndefined();
    expect(services.find((s) => s.name === 'redis-headless')?.ports).toEqual([
      { port: 6379, protocol: 'TCP' },
      { port: 16379, protocol: 'TCP' },
    ]);
    expect(services.find((s) => s.name === 'kubernetes')?.selector).toEqual({});
    expect(warnings.map((w) => w.line)).toEqual([5]);
  });
});

describe('formatKubectlTable', () => {
  it('pads like kubectl: widest cell + 3, at least 6, last column unpadded', () => {
    expect(formatKubectlTable(['NAME', 'IP', 'AGE'], [['redis-0', '10.42.0.2', '5m']])).toBe(
      'NAME      IP          AGE\nredis-0   10.42.0.2   5m\n',
    );
  });

  it('round-trips through the parser', () => {
    const rows = [
      ['a', '1/1', 'Running', '2 (3m ago)', '5m', '10.0.0.1', 'n1', '<none>', '<none>'],
      ['bb', '0/1', 'Pending', '0', '1s', '<none>', '<none>', '<none>', '<none>'],
    ];
    const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'];
    const parsed = parseKubectlTable(formatKubectlTable(header, rows), ['NAME', 'IP']);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.rows.map((r) => header.map((h) => r.cells[h]))).toEqual(rows);
  });

  it('humanAge follows kubectl', () => {
    expect(
      [5, 119, 120, 125, 600, 9000, 3600 * 3 + 1800, 3600 * 9, 3600 * 50, 3600 * 72, 3600 * 24 * 30].map(humanAge),
    ).toEqual(['5s', '119s', '2m', '2m5s', '10m', '150m', '3h30m', '9h', '2d2h', '3d', '30d']);
  });
});

const TABLES: [string, string, (t: string) => { warnings: unknown[] } & Record<string, unknown>][] = [
  ['pods -A', PODS_A, parsePods],
  ['pods (lab)', example('flannel-nodeport-nat-meet', 'pods.txt'), parsePods],
  ['nodes', NODES, parseNodes],
  ['services (lab)', example('flannel-nodeport-nat-meet', 'services.txt'), parseServices],
];
const rowsOf = (r: Record<string, unknown>) => (r.pods ?? r.nodes ?? r.services) as { line: number }[];
const withoutLine = (xs: { line: number }[]) => xs.map((x) => JSON.stringify({ ...x, line: 0 }));

describe('fuzz', () => {
  it.each(TABLES)('%s: truncated prefixes keep every complete row', (_n, text, parse) => {
    const full = rowsOf(parse(text));
    for (const { prefix, completeLines: complete } of truncations(text, 100)) {
      const rows = rowsOf(parse(prefix));
      const expected = full.filter((r) => r.line <= complete);
      expect(rows.slice(0, expected.length)).toEqual(expected);
      expect(rows.length - expected.length).toBeLessThanOrEqual(1);
    }
  });

  it.each(TABLES)('%s: shuffled rows (header first) parse to the same rows', (_n, text, parse) => {
    const [header, ...rows] = text.trimEnd().split('\n');
    const rand = seededRandom(3);
    const reference = withoutLine(rowsOf(parse(text))).sort();
    for (let k = 0; k < 20; k++) {
      const shuffled = [...rows].sort(() => rand() - 0.5);
      const r = parse([header, ...shuffled].join('\n'));
      expect(r.warnings).toEqual([]);
      expect(withoutLine(rowsOf(r)).sort()).toEqual(reference);
    }
  });

  it.each(TABLES)('%s: garbage lines become warnings, real rows still parse', (_n, text, parse) => {
    const real = text.split('\n');
    const rand = seededRandom(42);
    const reference = withoutLine(rowsOf(parse(text)));
    for (let k = 0; k < 30; k++) {
      const { lines: mixed, junk } = withGarbage(real, rand);
      const r = parse(mixed.join('\n'));
      expect(withoutLine(rowsOf(r))).toEqual(reference);
      expect((r.warnings as { line: number }[]).map((w) => w.line)).toEqual(junk);
    }
  });
});
