// A report directory shaped like the default run's, cell for cell: the default matrix's own cells
// (`allCells('netns', 'default')`, so the fixture grows when the matrix does), each with the files
// its scenario writes, one set per member (a scale-10 cell has eleven), of the sizes a real run
// leaves or larger: 60-row socket tables of mostly loopback TIME-WAIT rows, 150-line Redis logs of
// nat-meet cells and 500-line logs of recovery cells, hundreds of lines of tcpdump text, the
// `cluster/` and `sentinel/` directories `rcnc analyze` reads, every member's view different from
// the others' (real views differ in epochs and roles while gossip spreads). Sentinel cells take
// their observations from the sample of real ones in test/fixtures/report/sentinel.results.json.
// Deterministic, so the size bound the browser test asserts does not flicker.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatMeetOptions } from '../../scenarios/nat-meet/cells.ts';
import { allCells } from '../../scenarios/registry.ts';
import { cellSlug, type AnyCell } from '../../src/model/cell.ts';
import type { ProfileName } from '../../src/model/dimensions.ts';
import type { CellResult, ResultsFile } from '../../src/model/results.ts';
import { wordOf } from '../../src/report/words.ts';
import { buildResults, readResults } from '../../src/report/write.ts';

const SENTINEL_SAMPLE = fileURLToPath(new URL('../fixtures/report/sentinel.results.json', import.meta.url));
const CASES_SAMPLE = fileURLToPath(new URL('../fixtures/report/cases.results.json', import.meta.url));
const LABEL: Partial<Record<ProfileName, string>> = {
  'flannel-vxlan': 'flannel VXLAN',
  'calico-vxlan': 'Calico VXLAN (vxlanMode Always)',
  'calico-crosssubnet': 'Calico VXLAN CrossSubnet',
  'no-nat': 'routed pods without NAT',
};
const SOURCE = 'docs/datapath.md#masquerade-source-address';

/** A small deterministic generator: the same numbers on every machine. */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    // The low bits of this generator repeat quickly; the high ones do not.
    return state >>> 12;
  };
}
const next = numbers(7);
const pick = (n: number) => next() % n;
const hex = (length: number) => Array.from({ length }, () => '0123456789abcdef'[pick(16)]).join('');

const provenance = (profile: ProfileName) => ({
  provider: 'netns' as const,
  emulation: true,
  label: `netns lab emulation of ${LABEL[profile] ?? profile}`,
});

const time = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `27 Nov 2026 11:${String(55 + Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
};

/** One member's CLUSTER NODES: `self` is the member's own line; epochs differ from member to member. */
function view(members: number, self: number, ghost: string | undefined): string {
  const lines = Array.from(
    { length: members },
    (_, i) =>
      `${hex(40)} 172.18.0.${2 + (i % 10)}:${30000 + i}@${31000 + i} ${i === self ? 'myself,' : ''}${i % 2 === 0 ? 'master -' : `slave ${hex(40)}`} 0 1795780574647 ${pick(20)} connected${i % 2 === 0 ? ` ${i * 1365}-${i * 1365 + 1364}` : ''}`,
  );
  return (
    [...lines, ...(ghost ? [`${hex(40)} ${ghost}:6379@16379 handshake - 0 0 0 disconnected`] : [])].join('\n') + '\n'
  );
}

/**
 * A log whose relevant lines name a few nodes again and again, in bursts as a real cluster's do: a
 * failing dial-back is retried every 100 ms, a formation accepts one bus connection per peer.
 */
function redisLog(lines: number, relevant: number, peer: string): string {
  const nodes = Array.from({ length: 6 }, () => hex(40));
  let seen = 0;
  let node = nodes[0];
  return (
    Array.from({ length: lines }, (_, i) => {
      const at = `5577:M ${time(i * 37)}`;
      if (i % Math.max(1, Math.floor(lines / relevant)) === 0) {
        const burst = Math.floor(seen / 4);
        if (seen % 4 === 0) {
          node = nodes[pick(nodes.length)];
        }
        seen += 1;
        const kind = burst % 3;
        return kind === 0
          ? `${at} - Accepting cluster node connection from ${peer}:${20000 + pick(40000)}`
          : kind === 1
            ? `${at} - Connection with Node ${node} at ${peer}:16379 failed: Connection refused`
            : `${at} # Address updated for node ${node}, now 172.18.0.${2 + (burst % 3)}:${30000 + burst}`;
      }
      return `${at} - Client closed connection id=${i} addr=127.0.0.1:${30000 + pick(30000)} laddr=127.0.0.1:6379 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd=cluster|nodes user=default redir=-1 resp=2`;
    }).join('\n') + '\n'
  );
}

/** A member's ss table: a bus link in and one out per other member, and loopback TIME-WAIT rows. */
function sockets(pod: string, peer: string, members: number): string {
  const rows = [
    'State     Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
    'LISTEN    0      511          0.0.0.0:16379      0.0.0.0:*     users:(("redis-server",pid=5577,fd=8))',
    'LISTEN    0      511          0.0.0.0:6379       0.0.0.0:*     users:(("redis-server",pid=5577,fd=6))',
    ...Array.from({ length: members - 1 }, (_, i) => [
      `ESTAB     0      0          ${pod}:16379    ${peer}:${20000 + pick(40000)} users:(("redis-server",pid=5577,fd=${11 + i}))`,
      `ESTAB     0      0          ${pod}:${40000 + pick(20000)}   172.18.0.2:${31000 + i} users:(("redis-server",pid=5577,fd=${30 + i}))`,
    ]).flat(),
    ...Array.from(
      { length: 58 },
      () => `TIME-WAIT 0      0          127.0.0.1:${30000 + pick(30000)}    127.0.0.1:6379`,
    ),
  ];
  return rows.join('\n') + '\n';
}

function netstat(pod: string, peer: string): string {
  const rows = [
    'Active Internet connections (servers and established)',
    'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name     Timer',
    'tcp        0      0 0.0.0.0:16379           0.0.0.0:*               LISTEN      5577/redis-server    off (0.00/0/0)',
    `tcp        0      0 ${pod}:16379         ${peer}:${20000 + pick(40000)}        ESTABLISHED 5577/redis-server    off (0.00/0/0)`,
    ...Array.from(
      { length: 62 },
      () =>
        `tcp        0      0 127.0.0.1:${30000 + pick(30000)}         127.0.0.1:6379          TIME_WAIT   -                    timewait (59.89/0/0)`,
    ),
  ];
  return rows.join('\n') + '\n';
}

function tcpdump(lines: number): string {
  return (
    Array.from({ length: lines }, (_, i) =>
      i % 2 === 0
        ? `1795780597.${String(390335 + i).padStart(6, '0')} eth0  Out IP (tos 0x0, ttl 64, id ${59189 + i}, offset 0, flags [DF], proto TCP (6), length 60)`
        : `    192.168.0.4.40284 > 172.18.0.2.30000: Flags [S], cksum 0x6cef (incorrect -> 0x6d74), seq ${next()}, win 64860, options [mss 1410,sackOK,TS val ${next()} ecr 0,nop,wscale 10], length 0`,
    ).join('\n') + '\n'
  );
}

class Artifacts {
  readonly paths: string[] = [];
  constructor(
    private readonly root: string,
    private readonly id: string,
  ) {}

  async save(name: string, content: string | Buffer): Promise<void> {
    const path = `artifacts/${cellSlug(this.id)}/${name}`;
    await mkdir(dirname(join(this.root, path)), { recursive: true });
    await writeFile(join(this.root, path), content);
    this.paths.push(path);
  }
}

function base(cell: AnyCell, durationMs: number) {
  return {
    id: cell.id,
    title: cell.title,
    dims: cell.dims,
    provenance: provenance(cell.dims.profile),
    timings: { topology: 400, bootstrap: 2900, observe: 150, total: durationMs },
    verdict: { status: 'pass' as const },
    durationMs,
  };
}

/** `ip addr` of a lab node: loopback, eth0, the CNI devices and one veth per pod, 4.5 KB as in a real run. */
const ipAddr = () =>
  Array.from({ length: 60 }, (_, i) => `${i}: cali${hex(11)}@if2 inet 10.42.0.${i}/24 scope global`).join('\n');

/** INFO replication of a master with replicas or of a replica, about 600 bytes. */
const infoReplication = () =>
  [
    '# Replication',
    'role:master',
    'connected_slaves:1',
    `slave0:ip=10.42.0.1,port=6379,state=online,offset=${next()},lag=0`,
  ]
    .concat(Array.from({ length: 8 }, (_, i) => `master_repl_offset_${i}:${next()}`))
    .join('\n');

/** The kubectl-like tables a cell collects: one row per pod, node or Service. */
const kubectlTable = (rows: number) =>
  ['NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES']
    .concat(
      Array.from(
        { length: rows },
        (_, i) => `redis-${i} 1/1 Running 0 3s 10.42.0.${2 + i} node-${i % 3} <none> <none>`,
      ),
    )
    .join('\n');

async function natMeetCell(root: string, cell: AnyCell): Promise<CellResult> {
  const options = cell.options as NatMeetOptions;
  // The formed members and the joiner.
  const members = (options.masters ?? 3) + (options.replicas ?? 0) + 1;
  const fails = (cell.expectation as { meet?: string }).meet === 'fails';
  const ghost = fails ? '10.42.0.1' : undefined;
  const files = new Artifacts(root, cell.id);
  for (let i = 0; i < members; i++) {
    await files.save(`redis-${i}.cluster-nodes.txt`, view(members, i, i === 0 ? ghost : undefined));
    await files.save(`cluster/redis-${i}.cluster-nodes.txt`, view(members, i, i === 0 ? ghost : undefined));
    if (fails) {
      await files.save(`redis-${i}.cluster-nodes.after-fix.txt`, view(members, i, undefined));
    }
    const log = redisLog(150, 12, ghost ?? '10.42.1.3');
    await files.save(`redis-${i}.log`, log);
    await files.save(`cluster/redis-${i}.log.txt`, log);
    await files.save(`cluster/redis-${i}.ss.txt`, sockets(`10.42.0.${2 + i}`, ghost ?? '10.42.1.3', members));
    await files.save(`cluster/redis-${i}.netstat.txt`, netstat(`10.42.0.${2 + i}`, ghost ?? '10.42.1.3'));
    await files.save(`cluster/redis-${i}.info-replication.txt`, infoReplication());
  }
  if (fails) {
    await files.save('redis-0.cluster-nodes.ghost.txt', view(members, 0, ghost));
  }
  for (const pod of ['redis-0', `redis-${members - 1}`]) {
    await files.save(`cluster/${pod}.tcpdump.txt`, tcpdump(220));
    await files.save(`${pod}.pcap`, Buffer.alloc(2_000, 1));
  }
  if (options.join === 'add-node') {
    await files.save(
      'add-node.txt',
      '>>> Adding node 10.42.0.5:6379 to cluster 172.18.0.2:30000\n[OK] New node added correctly.\n',
    );
  }
  for (const table of ['pods', 'nodes', 'services', 'podcidrs']) {
    await files.save(`cluster/${table}.txt`, kubectlTable(members));
  }
  for (let node = 0; node < cell.dims.nodes; node++) {
    await files.save(`cluster/node-${node}.ip-addr.txt`, ipAddr());
  }
  const observation = {
    meet: fails ? ('fails' as const) : ('ok' as const),
    ghosts: fails ? [{ seenBy: 'redis-0', nodeId: hex(40), address: `${ghost}:6379@16379`, flags: ['handshake'] }] : [],
    ...(fails ? { ghostOwner: 'cni0@node-0', ghostClass: 'bridge-gateway' as const } : {}),
    failedDialBacks: fails ? [{ pod: 'redis-0', nodeId: hex(40), address: `${ghost}:16379` }] : [],
    addNode: { ok: true, lastLine: '[OK] New node added correctly.' },
    // Every member's inbound bus connections from every other: a formed cluster is a full mesh.
    busPeers: Array.from({ length: members * (members - 1) }, (_, i) => ({
      pod: `redis-${i % members}`,
      local: `10.42.0.${2 + (i % members)}:16379`,
      peer: `${ghost ?? '10.42.1.3'}:${20000 + pick(40000)}`,
      class: fails ? ('bridge-gateway' as const) : ('pod' as const),
    })),
    natMappings: Array.from({ length: 3 }, () => ({
      capturedAt: `redis-${members - 1}`,
      flow: `10.42.0.5:${40000 + pick(20000)} > 172.18.0.2:30000`,
      seenAt: 'redis-0',
      as: `${ghost ?? '10.42.0.5'}:${40000 + pick(20000)} > 10.42.0.2:6379`,
      matchedPackets: 16,
    })),
    ...(fails
      ? {
          fix: {
            settings: ['cluster-announce-ip 172.18.0.2', 'cluster-announce-port 30003'],
            meet: 'ok' as const,
            clusterState: 'ok',
          },
        }
      : {}),
    clusterState: 'ok',
    slotsAssigned: 16384,
    notes: fails ? Array.from({ length: members - 1 }, (_, i) => `redis-${i} does not know redis-${members - 1}`) : [],
  };
  return {
    ...base(cell, 4000 + pick(3000)),
    family: 'nat-meet',
    expectation: cell.expectation,
    observation,
    ...(fails
      ? {
          fix: 'on every node reached over NodePort: cluster-announce-ip <node IP>; then CLUSTER MEET again (here: cluster-announce-ip 172.18.0.2)',
        }
      : {}),
    artifacts: files.paths,
  } as CellResult;
}

const REWRITES = ['none', 'node-ip', 'tunnel', 'bridge-gateway', 'unreachable'] as const;

async function snatCell(root: string, cell: AnyCell, index: number): Promise<CellResult> {
  const rewrite = REWRITES[index % REWRITES.length] ?? 'none';
  const files = new Artifacts(root, cell.id);
  for (const end of ['server', 'ingress']) {
    await files.save(`path-${index}-${end}.pcap`, Buffer.alloc(100, 1));
    await files.save(`path-${index}-${end}.tcpdump.txt`, tcpdump(2));
  }
  const seen = rewrite === 'unreachable' ? {} : { seen: `172.18.0.2:${10000 + pick(50000)}` };
  const observation = {
    path: `path-${index}`,
    from: 'external',
    source: '172.18.0.1',
    target: '172.18.0.2:30000',
    ...seen,
    rewrite,
    owner: rewrite === 'none' ? 'external' : 'eth0@node-0',
    evidence: 'CLIENT INFO addr=172.18.0.2:14823; SYN at the server from 172.18.0.2',
    notes: [],
  };
  return {
    ...base(cell, 150 + pick(100)),
    family: 'snat',
    expectation: { rewrite, summary: `the server sees a ${rewrite} address`, source: SOURCE },
    observation,
    ...(rewrite !== 'none' && rewrite !== 'unreachable'
      ? {
          fix: 'Redis nodes reached over this path record 172.18.0.2 (eth0@node-0): set cluster-announce-ip/port/bus-port on every node',
        }
      : {}),
    artifacts: files.paths,
  } as CellResult;
}

async function recoveryCell(root: string, cell: AnyCell, index: number): Promise<CellResult> {
  // Three masters and three replicas; scale-out adds a pair.
  const members = cell.dims.variant === 'scale-out' ? 8 : 6;
  const files = new Artifacts(root, cell.id);
  for (let i = 0; i < members; i++) {
    await files.save(`redis-${i}.cluster-nodes.txt`, view(members, i, undefined));
    await files.save(`redis-${i}.log`, redisLog(500, 14, `10.42.${i % 3}.2`));
  }
  const client =
    index % 9 === 0
      ? {
          client: {
            ops: 1235,
            errors: 177,
            errorWindowMs: 3880,
            errorWindowFromMs: 12,
            errorWindowToMs: 3892,
            failedAtMs: Array.from({ length: 177 }, (_, i) => 12 + i * 22),
            ackedWrites: 792,
            lostAckedWrites: 0,
            waitConfirmedWrites: 18,
            lostWaitConfirmedWrites: 0,
            p99Ms: 1196,
          },
        }
      : {};
  const observation = {
    action: 'killed the redis-server of redis-0 (master) under load; the kubelet restarted it after 8000 ms',
    timeline: [
      { atMs: 0, event: 'fault' },
      { atMs: 1600, event: 'pfail' },
      { atMs: 3000, event: 'fail' },
    ],
    failover: { promoted: 'redis-3', afterMs: 3887 },
    recovered: true,
    recoveryMs: 8179,
    keys: { written: 300, readable: 300 },
    ...client,
    clusterState: 'ok',
    slotsAssigned: 16384,
    notes: [],
  };
  return {
    ...base(cell, 9000 + pick(5000)),
    family: 'recovery',
    expectation: {
      heals: 'by-itself',
      summary: 'a replica takes over',
      source: 'docs/datapath.md#redis-address-updates',
    },
    observation,
    artifacts: files.paths,
  } as CellResult;
}

/** A sentinel log line per event and the daemon's start-up lines: about 5 KB, as in a real run. */
function sentinelLog(events: string[]): string {
  const startup = Array.from({ length: 12 }, (_, i) => `9206:X ${time(i * 3)} * Sentinel start-up line ${i}`);
  return [...startup, ...events.map((event, i) => `9206:X ${time(4000 + i * 50)} # ${event}`)].join('\n') + '\n';
}

/**
 * A Sentinel cell: the observation of the sample cell of the same kind (views, failover, rolling
 * update; the sample's views cell for the others), under this cell's id, with the files the
 * sentinel scenario writes.
 */
async function sentinelCell(root: string, cell: AnyCell, samples: CellResult[]): Promise<CellResult> {
  const sample =
    samples.find((candidate) => candidate.dims.variant === cell.dims.variant) ??
    samples.find((candidate) => candidate.dims.variant === 'views') ??
    samples[0];
  if (sample === undefined || sample.family !== 'sentinel') {
    throw new Error(`${SENTINEL_SAMPLE} holds no Sentinel cell to shape ${cell.id} on`);
  }
  const files = new Artifacts(root, cell.id);
  const events = (sample.observation?.events ?? []).map((event) => event.replace(/^\S+ /, ''));
  for (let i = 0; i < 3; i++) {
    await files.save(`redis-${i}.replication.pcap`, Buffer.alloc(2_000, 1));
    await files.save(`redis-${i}.replication.tcpdump.txt`, tcpdump(120));
    await files.save(`sentinel/redis-${i}.info-replication.txt`, infoReplication());
  }
  for (let i = 0; i < 3; i++) {
    await files.save(`sentinel/sentinel-${i}.sentinel-replicas.txt`, kubectlTable(8));
    await files.save(`sentinel/sentinel-${i}.sentinel-sentinels.txt`, kubectlTable(6));
    await files.save(`sentinel/sentinel-${i}.sentinel-master.txt`, '172.18.0.2\n6379\n');
  }
  for (const table of ['pods', 'nodes', 'services']) {
    await files.save(`sentinel/${table}.txt`, kubectlTable(6));
  }
  for (let node = 0; node < cell.dims.nodes; node++) {
    await files.save(`sentinel/node-${node}.ip-addr.txt`, ipAddr());
  }
  for (let i = 0; i < 3; i++) {
    await files.save(`redis-${i}.log`, redisLog(120, 10, '10.42.0.1'));
  }
  for (let i = 0; i < 3; i++) {
    await files.save(`sentinel-${i}.log`, sentinelLog(events));
  }
  return {
    ...sample,
    ...base(cell, sample.durationMs),
    timings: sample.timings,
    artifacts: files.paths,
  } as CellResult;
}

/**
 * A case (scenarios/cases): the observation of the real cell of the same id in the sample (a real
 * run's cases), with a file of its kind, of a real run's size or larger, for each file it kept.
 */
async function caseCell(root: string, cell: AnyCell, samples: CellResult[]): Promise<CellResult> {
  const sample = samples.find((candidate) => candidate.id === cell.id);
  if (sample === undefined || sample.family !== 'cases') {
    throw new Error(`${CASES_SAMPLE} holds no run of ${cell.id}: take it from a real run's results.json`);
  }
  const files = new Artifacts(root, cell.id);
  const prefix = `artifacts/${cellSlug(cell.id)}/`;
  for (const [i, path] of sample.artifacts.entries()) {
    const name = path.startsWith(prefix) ? path.slice(prefix.length) : path;
    const pod = /([a-z]+-\d+)\.[a-z-]+\.txt$/.exec(name)?.[1] ?? 'redis-0';
    const text = name.endsWith('.cluster-nodes.txt')
      ? view(3, i % 3, undefined)
      : name.endsWith('.info-replication.txt')
        ? infoReplication()
        : name.endsWith('.ss.txt')
          ? sockets(pod, '10.42.0.1', 3)
          : name.endsWith('.netstat.txt')
            ? netstat(pod, '10.42.0.1')
            : name.endsWith('.log.txt')
              ? redisLog(150, 10, '10.42.0.1')
              : name.endsWith('.ip-addr.txt')
                ? ipAddr()
                : kubectlTable(8);
    await files.save(name, text);
  }
  return { ...sample, ...base(cell, sample.durationMs), timings: sample.timings, artifacts: files.paths } as CellResult;
}

/** Writes the cells' artifacts under `root` and returns the results the reporter would build. */
export async function writeDefaultRun(root: string, runId: string): Promise<ResultsFile> {
  const sentinelSamples = (await readResults(SENTINEL_SAMPLE)).cells;
  const caseSamples = (await readResults(CASES_SAMPLE)).cells;
  const cells: CellResult[] = [];
  let index = 0;
  for (const cell of allCells('netns', 'default')) {
    index += 1;
    switch (cell.family) {
      case 'nat-meet':
        cells.push(await natMeetCell(root, cell));
        break;
      case 'snat':
        cells.push(await snatCell(root, cell, index));
        break;
      case 'recovery':
        cells.push(await recoveryCell(root, cell, index));
        break;
      case 'sentinel':
        cells.push(await sentinelCell(root, cell, sentinelSamples));
        break;
      case 'cases':
        cells.push(await caseCell(root, cell, caseSamples));
        break;
    }
  }
  for (const cell of cells) {
    const word = wordOf(cell);
    if (word !== undefined) {
      (cell as { compatibility?: string }).compatibility = word;
    }
  }
  return buildResults({
    runId,
    startedAt: new Date('2026-11-27T11:55:13Z'),
    finishedAt: new Date('2026-11-27T12:02:46Z'),
    cells,
    environment: {
      node: 'v20.20.2',
      kernel: '6.18.44',
      hostname: 'vm',
      redis: '7.0.15',
      rcnc: { version: '0.1.0', commit: 'db996d6' },
      iptables: 'v1.8.9 (nf_tables)',
      kubeProxyMode: 'iptables (rendered by the netns lab)',
    },
  });
}
