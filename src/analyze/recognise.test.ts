// Each kind of output is told by its content, on real output (captured fixtures) or on the exact
// formats redis-cli, kubectl and the tools print; prompts are told from output lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShards, parseSlots } from './cluster-replies.ts';
import { parseClusterTool } from './cluster-tool.ts';
import { parseInterfaces } from './ip-addr.ts';
import { parseHeaderlessPods, parseKubeJson, parseKubeYaml, parsePodList } from './kube-objects.ts';
import { parseYaml } from './mini-yaml.ts';
import { nameHint } from './read-dir.ts';
import { bestKind, recognise } from './recognise.ts';
import { sentinelConfState } from './redis-config.ts';
import { replyValues } from './redis-reply.ts';
import { parseRole, parseRolesPerPod } from './roles.ts';
import { sentinelLogState } from './sentinel-log.ts';
import { promptCommand, readCommand, sessionHints, splitTranscript } from './transcript-parts.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures');
const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');

// redis-cli on a terminal (the ROLE and CLUSTER SHARDS examples of the Redis command reference).
const ROLE_MASTER_TTY = `1) "master"
2) (integer) 3129659
3) 1) 1) "127.0.0.1"
      2) "9001"
      3) "3129242"
   2) 1) "127.0.0.1"
      2) "9002"
      3) "3129543"
`;
const ROLE_REPLICA_TTY = `1) "slave"
2) "127.0.0.1"
3) (integer) 9000
4) "connected"
5) (integer) 3167038
`;
const SHARDS_TTY = `1) 1) "slots"
   2) 1) (integer) 0
      2) (integer) 5460
   3) "nodes"
   4) 1)  1) "id"
          2) "e10b7051d6bf2d5febd39a2be297bbaea6084111"
          3) "port"
          4) (integer) 30001
          5) "ip"
          6) "127.0.0.1"
          7) "endpoint"
          8) "127.0.0.1"
          9) "role"
         10) "master"
         11) "replication-offset"
         12) (integer) 72156
         13) "health"
         14) "online"
`;
const SLOTS_TTY = `1) 1) (integer) 0
   2) (integer) 5460
   3) 1) "10.42.0.2"
      2) (integer) 6379
      3) "09dbe9720cda62f7865eabc5fd8857c5d2678366"
   4) 1) "10.42.0.5"
      2) (integer) 6379
      3) "821d8ca00d7ccf931ed3ffc7e3db0599d2271abf"
`;
const PODS_JSON = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'redis-0', namespace: 'redis' },
      spec: { nodeName: 'node-0' },
      status: { phase: 'Running', podIP: '10.42.0.2' },
    },
  ],
});
const SVC_YAML = `apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"v1","kind":"Service"}
    name: redis-0-np
    namespace: redis
  spec:
    ports:
    - name: client
      nodePort: 30000
      port: 6379
      protocol: TCP
      targetPort: 6379
    - name: bus
      nodePort: 31000
      port: 16379
      protocol: TCP
    selector:
      statefulset.kubernetes.io/pod-name: redis-0
    type: NodePort
  status:
    loadBalancer: {}
kind: List
metadata:
  resourceVersion: ""
`;
const NODES_YAML = `apiVersion: v1
kind: Node
metadata:
  name: node-0
spec:
  podCIDR: 10.42.0.0/24
  podCIDRs:
  - 10.42.0.0/24
status:
  addresses:
  - address: 172.18.0.2
    type: InternalIP
  - address: node-0
    type: Hostname
`;

describe('recognising each kind by its content', () => {
  const CASES: [string, string, string][] = [
    ['CLUSTER NODES', fixture('cluster-nodes.handshake.txt'), 'cluster-nodes'],
    ['nodes.conf', fixture('cluster-nodes.7001.txt') + 'vars currentEpoch 6 lastVoteEpoch 0\n', 'nodes-conf'],
    ['CLUSTER INFO', fixture('cluster-info.ok.txt'), 'cluster-info'],
    ['CLUSTER SHARDS', SHARDS_TTY, 'cluster-shards'],
    ['CLUSTER SLOTS', SLOTS_TTY, 'cluster-slots'],
    ['ROLE of a master, on a terminal', ROLE_MASTER_TTY, 'role'],
    ['ROLE of a replica, piped', 'slave\n10.1.207.222\n6379\nconnecting\n-1\n', 'role'],
    ['INFO replication', fixture('sentinel/flannel-vxlan-nodeport/redis-0.info-replication.txt'), 'info'],
    [
      'INFO sentinel',
      '# Sentinel\nsentinel_masters:1\nmaster0:name=mymaster,status=ok,address=10.42.0.2:6379,slaves=2,sentinels=3\n',
      'info',
    ],
    [
      'SENTINEL replicas, piped',
      fixture('sentinel/flannel-vxlan-nodeport/sentinel-0.sentinel-replicas.txt'),
      'sentinel-replicas',
    ],
    [
      'SENTINEL sentinels, piped',
      fixture('sentinel/flannel-vxlan-nodeport/sentinel-0.sentinel-sentinels.txt'),
      'sentinel-sentinels',
    ],
    ['get-master-addr-by-name', '1) "10.42.0.2"\n2) "6379"\n', 'sentinel-master-addr'],
    [
      'sentinel.conf',
      'port 26379\nsentinel monitor mymaster 10.42.0.2 6379 2\nsentinel known-replica mymaster 10.42.0.1 6379\n',
      'sentinel-conf',
    ],
    [
      'redis.conf',
      'port 6379\ncluster-enabled yes\ncluster-config-file nodes.conf\n# announce\ncluster-announce-ip 10.0.0.1\n',
      'redis-conf',
    ],
    ['a Redis log', fixture('redis-7000.verbose.log.txt'), 'log'],
    ['ss -tanp', fixture('ss-tanp.txt'), 'sockets'],
    ['netstat -anop', fixture('netstat-anop.txt'), 'sockets'],
    ['/proc/net/tcp', fixture('proc-net-tcp.txt'), 'sockets'],
    ['tcpdump -nn -tt -v', fixture('tcpdump/redis-0.any.nn-tt-v.txt'), 'tcpdump'],
    ['kubectl get pods -o wide', fixture('sentinel/flannel-vxlan-nodeport/pods.txt'), 'kube-pods'],
    [
      'kubectl get pods, no header',
      'redis-0   1/1   Running   1 (5m ago)   10m   10.42.0.2   node-0   <none>   <none>\n',
      'kube-pods',
    ],
    ['kubectl get nodes -o wide', fixture('sentinel/flannel-vxlan-nodeport/nodes.txt'), 'kube-nodes'],
    ['kubectl get svc -o wide', fixture('sentinel/flannel-vxlan-nodeport/services.txt'), 'kube-services'],
    ['kubectl get pods -o json', PODS_JSON, 'kube-json'],
    ['kubectl get svc -o yaml', SVC_YAML, 'kube-yaml'],
    ['ip addr', fixture('sentinel/flannel-vxlan-nodeport/node-0.ip-addr.txt'), 'interfaces'],
    ['ip -4 -o addr', fixture('k8s/ip-4-o-addr.txt'), 'interfaces'],
    ['NOAUTH', '(error) NOAUTH Authentication required.\n', 'auth-error'],
    ['a refused connection', 'Could not connect to Redis at 10.42.0.9:6379: Connection refused\n', 'connect-error'],
    ['kubectl not finding a pod', 'Error from server (NotFound): pods "redis-9" not found\n', 'kubectl-error'],
  ];

  it.each(CASES)('%s', (_what, text, kind) => {
    expect(bestKind(text, [])?.kind).toBe(kind);
  });

  it('redis-cli --cluster create, stuck joining, and redis-trib', () => {
    const create = fixture('analyze/public/flannel-1059-cluster-join-flannel/redis-cli-cluster-create.log');
    expect(bestKind(create, [])?.kind).toBe('cluster-tool');
    const run = parseClusterTool(create, 'redis-cli --cluster create --cluster-replicas 1 …');
    expect(run).toMatchObject({ command: 'create', stuckJoining: true, errors: [] });
    expect(run.nodes).toHaveLength(6);
    const done = create.replace(
      /^\.+$/m,
      '.....\n>>> Performing Cluster Check (using node 172.30.6.7:6379)\n[OK] All 16384 slots covered.',
    );
    expect(parseClusterTool(done).stuckJoining).toBe(false);
    expect(
      bestKind(fixture('analyze/public/kelseyhightower-1-create-via-service-ips/redis-trib-create.log'), [])?.kind,
    ).toBe('cluster-tool');
  });

  it('the hint of a command or a file name breaks a tie, never outweighs the content', () => {
    expect(bestKind('10.1.207.197:6379 10.1.207.194:6379\n', [])).toBeUndefined();
    expect(bestKind('10.1.207.197:6379 10.1.207.194:6379\n', ['kube-pods'])?.kind).toBe('pod-list');
    expect(bestKind(fixture('cluster-info.ok.txt'), ['log'])?.kind).toBe('cluster-info');
  });

  it('cuts a text that mixes kinds without prompts where its lines change kind', () => {
    const text = fixture('analyze/redis-15136-stale-masters/issue-block-1.txt');
    expect(recognise(text, [])).toEqual([
      { from: 1, to: 20, kind: 'cluster-info' },
      { from: 21, to: text.split('\n').length, kind: 'roles-per-pod' },
    ]);
    // A log with a few lines of its entrypoint script is still one log.
    const log = `Starting sentinel service .....\n${fixture('redis-7000.verbose.log.txt')}`;
    expect(recognise(log, [])).toEqual([{ from: 1, to: log.split('\n').length, kind: 'log' }]);
  });
});

describe('prompts and commands', () => {
  it.each([
    ['$ kubectl get pods -o wide', 'kubectl get pods -o wide'],
    ['# kubectl get pods -o wide', 'kubectl get pods -o wide'],
    ['root@redis-0:/data# ss -tanp', 'ss -tanp'],
    ['user@host:~/x$ redis-cli -h redis-0 cluster nodes', 'redis-cli -h redis-0 cluster nodes'],
    ['/data $ redis-cli', 'redis-cli'],
    [' %  kubectl -n ns get pod x -o wide', 'kubectl -n ns get pod x -o wide'],
    ['PS C:\\Users\\me> kubectl get svc -o wide', 'kubectl get svc -o wide'],
    ['127.0.0.1:6379> info replication', 'redis-cli -h 127.0.0.1 info replication'],
    ['redis-0.redis:6379[2]> cluster nodes', 'redis-cli -h redis-0.redis cluster nodes'],
    ['k logs redis-sentinel-0', 'k logs redis-sentinel-0'],
  ])('%s', (line, command) => {
    expect(promptCommand(line)).toBe(command);
  });

  it.each([
    '# Replication',
    '# Generated by CONFIG REWRITE',
    'ip',
    '10.42.0.5',
    'cluster_state:ok',
    '1:M 01 Jan 2025 00:00:00.000 * Ready',
  ])('output, not a prompt: %s', (line) => {
    expect(promptCommand(line)).toBeUndefined();
  });

  it.each([
    [
      'kubectl -n redis exec -it redis-0 -c redis -- redis-cli cluster nodes',
      { pod: 'redis-0', kind: 'cluster-nodes' },
    ],
    ['kubectl exec pod/redis-1 -- redis-cli -a s3cret role', { pod: 'redis-1', kind: 'role', auth: true }],
    ['redis-cli -h redis-2.redis.ns.svc.cluster.local -p 6379 cluster info', { pod: 'redis-2', kind: 'cluster-info' }],
    ['redis-cli -h 10.42.0.5 -p 26379 sentinel slaves mymaster', { address: '10.42.0.5', kind: 'sentinel-replicas' }],
    ['kubectl logs redis-3 -c redis --tail 200', { pod: 'redis-3', kind: 'log' }],
    ["kubectl get pods -l app=redis -o jsonpath='{.items[*].status.podIP}'", { kind: 'kube-pods' }],
    ['for p in redis-0 redis-1; do echo $p; kubectl exec $p -- redis-cli role; done', { kind: 'role' }],
    ["kubectl exec redis-0 -- sh -c 'ss -tanp'", { pod: 'redis-0', kind: 'sockets' }],
    ['docker exec k3d-demo-server-0 ip addr', { node: 'k3d-demo-server-0', kind: 'interfaces' }],
    ['redis-cli --cluster create 10.0.0.1:6379 10.0.0.2:6379', { kind: 'cluster-tool' }],
  ])('%s', (command, hint) => {
    expect(readCommand(command)).toEqual(hint);
  });

  it('carries the pod of an interactive exec to the commands typed inside it, until one from outside', () => {
    const parts = splitTranscript(
      '$ kubectl exec -it redis-0 -- redis-cli\n127.0.0.1:6379> role\nmaster\n0\n$ kubectl get pods\nx\nroot@redis-1:/data# ss -tanp\n',
    );
    expect(sessionHints(parts)).toEqual([
      { pod: 'redis-0' },
      { pod: 'redis-0', kind: 'role' },
      { kind: 'kube-pods' },
      { kind: 'sockets', host: 'redis-1' },
    ]);
  });

  it('splits a session at its prompts, keeping each output’s first line number', () => {
    const parts = splitTranscript(
      'notes first\n$ kubectl get pods\nNAME  IP\n\n# Replication\n127.0.0.1:6379> role\nmaster\n0\n',
    );
    expect(parts).toEqual([
      { text: 'notes first', firstLine: 1 },
      { command: 'kubectl get pods', text: 'NAME  IP\n\n# Replication', firstLine: 3 },
      { command: 'redis-cli -h 127.0.0.1 role', text: 'master\n0\n', firstLine: 7 },
    ]);
  });

  it.each([
    ['redis-0.cluster-nodes.txt', { kind: 'cluster-nodes', owner: 'redis-0' }],
    ['redis-0-cluster-nodes.txt', { kind: 'cluster-nodes', owner: 'redis-0' }],
    ['cluster-nodes.txt', { kind: 'cluster-nodes' }],
    ['redis-0.log.txt', { kind: 'log', owner: 'redis-0' }],
    ['node-10.1.92.10.cluster-nodes.txt', { kind: 'cluster-nodes', owner: 'node-10.1.92.10' }],
    ['pods.txt', { kind: 'kube-pods' }],
    ['session.txt', {}],
  ])('file name %s', (name, hint) => {
    expect(nameHint(name)).toMatchObject(hint);
    expect(nameHint(name).owner).toBe((hint as { owner?: string }).owner);
  });
});

describe('the readers behind the kinds', () => {
  it('ROLE: terminal and piped, alone and once per pod', () => {
    expect(parseRole(ROLE_MASTER_TTY)).toEqual({
      role: 'master',
      replicas: [
        { ip: '127.0.0.1', port: 9001 },
        { ip: '127.0.0.1', port: 9002 },
      ],
    });
    expect(parseRole(ROLE_REPLICA_TTY)).toEqual({
      role: 'slave',
      master: { host: '127.0.0.1', port: 9000 },
      state: 'connected',
    });
    expect(parseRole('1) "sentinel"\n2) 1) "mymaster"\n')).toEqual({ role: 'sentinel', masters: ['mymaster'] });
    expect(parseRolesPerPod('=== redis-0 ===\nmaster\n126\n\n\nredis-1\nslave\n10.0.0.9\n6379\nconnect\n-1\n')).toEqual(
      [
        { pod: 'redis-0', role: { role: 'master', replicas: [] }, line: 1 },
        {
          pod: 'redis-1',
          role: { role: 'slave', master: { host: '10.0.0.9', port: 6379 }, state: 'connect' },
          line: 6,
        },
      ],
    );
  });

  it('redis-cli replies: quoting, integers, nil and empty arrays undone', () => {
    expect(replyValues('1) "a \\"b\\""\n2) (integer) 5\n3) (nil)\n4) (empty array)\n5) ""\n')).toEqual([
      'a "b"',
      '5',
      '',
      '',
    ]);
  });

  it('CLUSTER SHARDS and CLUSTER SLOTS: the nodes and their addresses', () => {
    expect(parseShards(replyValues(SHARDS_TTY))).toEqual([
      {
        id: 'e10b7051d6bf2d5febd39a2be297bbaea6084111',
        ip: '127.0.0.1',
        port: 30001,
        role: 'master',
        health: 'online',
      },
    ]);
    expect(parseSlots(replyValues(SLOTS_TTY))).toEqual([
      { ip: '10.42.0.2', port: 6379, id: '09dbe9720cda62f7865eabc5fd8857c5d2678366' },
      { ip: '10.42.0.5', port: 6379, id: '821d8ca00d7ccf931ed3ffc7e3db0599d2271abf' },
    ]);
    // Redis 3.0 printed no ids.
    expect(
      parseSlots(['0', '4095', '127.0.0.1', '7000', '127.0.0.1', '7004', '12288', '16383', '127.0.0.1', '7003']),
    ).toEqual([
      { ip: '127.0.0.1', port: 7000 },
      { ip: '127.0.0.1', port: 7004 },
      { ip: '127.0.0.1', port: 7003 },
    ]);
  });

  it('kubectl JSON and YAML: pods, services with NodePorts and selectors, nodes with addresses', () => {
    expect(parseKubeJson(PODS_JSON)!.pods).toEqual([
      { name: 'redis-0', namespace: 'redis', status: 'Running', ip: '10.42.0.2', node: 'node-0', line: 0 },
    ]);
    expect(parseKubeYaml(SVC_YAML).services).toEqual([
      {
        name: 'redis-0-np',
        namespace: 'redis',
        type: 'NodePort',
        ports: [
          { port: 6379, nodePort: 30000, protocol: 'TCP' },
          { port: 16379, nodePort: 31000, protocol: 'TCP' },
        ],
        selector: { 'statefulset.kubernetes.io/pod-name': 'redis-0' },
        line: 0,
      },
    ]);
    expect(parseKubeYaml(NODES_YAML).nodes).toEqual([
      { name: 'node-0', internalIP: '172.18.0.2', podCIDR: '10.42.0.0/24', line: 0 },
    ]);
    expect(parseYaml('a:\n  b: "x: y"\n  c: [1, 2]\n  d: {}\n')).toEqual([{ a: { b: 'x: y', c: ['1', '2'], d: {} } }]);
  });

  it('pod lists: jsonpath addresses, -o name, name/IP pairs, rows without a header', () => {
    expect(parsePodList('10.1.207.197:6379 10.1.207.194:6379 \n')).toEqual({
      pods: [],
      addresses: ['10.1.207.197', '10.1.207.194'],
    });
    expect(parsePodList('pod/redis-0\npod/redis-1\n')!.pods.map((p) => p.name)).toEqual(['redis-0', 'redis-1']);
    expect(parsePodList('redis-0\t10.42.0.2\nredis-1\t10.42.0.3\n')!.pods.map((p) => p.ip)).toEqual([
      '10.42.0.2',
      '10.42.0.3',
    ]);
    expect(parsePodList('master\n126\n')).toBeUndefined();
    expect(
      parseHeaderlessPods(
        'redis   redis-0   1/1   Running   2 (3h ago)   1d   10.42.0.2   node-0   <none>   <none>\nredis-1   0/1   Pending   0   1m\n',
      ).pods,
    ).toEqual([
      { name: 'redis-0', namespace: 'redis', status: 'Running', ip: '10.42.0.2', node: 'node-0', line: 1 },
      { name: 'redis-1', status: 'Pending', line: 2 },
    ]);
  });

  it('sentinel.conf and a sentinel log: what the sentinel records', () => {
    const conf = sentinelConfState(
      fixture('analyze/public/flannel-445-docker-flannel-dot0/redis-sentinel.sentinel.conf'),
    );
    expect(conf.master).toBe('172.18.72.3:6379');
    expect(conf.replicas.map((r) => `${r['ip']}:${r['port']}`)).toEqual(['172.18.82.0:6379', '172.18.72.4:6379']);
    expect(conf.sentinels.map((r) => r['ip'])).toEqual(['172.18.72.3', '172.18.72.9']);
    const log = sentinelLogState(fixture('analyze/public/ot-927-replicas-node-ip/redis-sentinel-0.log'));
    expect(log).toEqual({
      master: '10.0.10.235:6379',
      masterName: 'redis',
      replicas: [
        { name: '10.138.26.22:6379', ip: '10.138.26.22', port: '6379', flags: 'slave' },
        { name: '10.138.26.28:6379', ip: '10.138.26.28', port: '6379', flags: 'slave' },
      ],
      sentinels: [],
    });
  });

  it('ip -4 -o addr: one line per address', () => {
    const ifs = parseInterfaces(fixture('k8s/ip-4-o-addr.txt')).interfaces;
    expect(ifs.find((i) => i.name === 'cni0')?.ipv4).toEqual(['10.42.1.1']);
    expect(ifs.find((i) => i.name === 'flannel.1')?.ipv4).toEqual(['10.42.1.0']);
  });
});
