// A report directory shaped like the default run's (`rcnc run` on the netns lab: 16 nat-meet, 38
// snat and 26 recovery cells) with artifacts of the sizes a real run leaves: 60-row socket tables
// of mostly loopback TIME-WAIT rows, 150-line Redis logs of nat-meet cells and 100 KB logs of
// recovery cells, hundreds of lines of tcpdump text, the `cluster/` copies `rcnc analyze` reads.
// Deterministic, so the size bound the browser test asserts does not flicker.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cellId, cellSlug } from '../../src/model/cell.ts';
import type { CellDims, ProfileName } from '../../src/model/dimensions.ts';
import type { CellResult, ResultsFile } from '../../src/model/results.ts';
import { compatibilityFor } from '../../src/model/vocabulary.ts';
import { buildResults } from '../../src/report/write.ts';

const PROFILES: ProfileName[] = ['flannel-vxlan', 'calico-vxlan', 'calico-crosssubnet', 'no-nat'];
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

function dims(profile: ProfileName, extra: Partial<CellDims> = {}): CellDims {
  return { provider: 'netns', profile, exposure: 'nodeport', announce: 'none', policy: 'Cluster', nodes: 1, ...extra };
}

const provenance = (profile: ProfileName) => ({
  provider: 'netns' as const,
  emulation: true,
  label: `netns lab emulation of ${LABEL[profile]}`,
});

const time = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `27 Nov 2026 11:${String(55 + Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
};

function view(members: number, ghost: string | undefined): string {
  const lines = Array.from(
    { length: members },
    (_, i) =>
      `${hex(40)} 172.18.0.2:${30000 + i}@${31000 + i} ${i === 0 ? 'myself,' : ''}master - 0 1795780574647 ${i} connected ${i * 5461}-${i * 5461 + 5460}`,
  );
  return (
    [...lines, ...(ghost ? [`${hex(40)} ${ghost}:6379@16379 handshake - 0 0 0 disconnected`] : [])].join('\n') + '\n'
  );
}

/** A log whose relevant lines name a few nodes again and again, as a real cluster's do. */
function redisLog(lines: number, relevant: number, peer: string): string {
  const nodes = Array.from({ length: 6 }, () => hex(40));
  const node = () => nodes[pick(nodes.length)];
  return (
    Array.from({ length: lines }, (_, i) => {
      const at = `5577:M ${time(i * 37)}`;
      if (i % Math.max(1, Math.floor(lines / relevant)) === 0) {
        const kind = pick(3);
        return kind === 0
          ? `${at} - Accepting cluster node connection from ${peer}:${20000 + pick(40000)}`
          : kind === 1
            ? `${at} - Connection with Node ${node()} at ${peer}:16379 failed: Connection refused`
            : `${at} # Address updated for node ${node()}, now 172.18.0.${2 + pick(3)}:${30000 + pick(6)}`;
      }
      return `${at} - Client closed connection id=${i} addr=127.0.0.1:${30000 + pick(30000)} laddr=127.0.0.1:6379 fd=9 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd=cluster|nodes user=default redir=-1 resp=2`;
    }).join('\n') + '\n'
  );
}

function sockets(pod: string, peer: string): string {
  const rows = [
    'State     Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
    'LISTEN    0      511          0.0.0.0:16379      0.0.0.0:*     users:(("redis-server",pid=5577,fd=8))',
    'LISTEN    0      511          0.0.0.0:6379       0.0.0.0:*     users:(("redis-server",pid=5577,fd=6))',
    `ESTAB     0      0          ${pod}:16379    ${peer}:${20000 + pick(40000)} users:(("redis-server",pid=5577,fd=11))`,
    `ESTAB     0      0          ${pod}:${40000 + pick(20000)}   172.18.0.2:31001 users:(("redis-server",pid=5577,fd=10))`,
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

function base(id: string, title: string, cellDims: CellDims, durationMs: number) {
  return {
    id,
    title,
    dims: cellDims,
    provenance: provenance(cellDims.profile),
    timings: { topology: 400, bootstrap: 2900, observe: 150, total: durationMs },
    verdict: { status: 'pass' as const },
    durationMs,
  };
}

async function natMeetCell(root: string, profile: ProfileName, variant: number): Promise<CellResult> {
  const cellDims = dims(profile, variant === 0 ? {} : { nodes: 1 + variant, variant: `dial-${variant}` });
  const id = cellId(cellDims);
  const ghost = profile === 'no-nat' ? undefined : '10.42.0.1';
  const files = new Artifacts(root, id);
  for (let i = 0; i < 4; i++) {
    const text = view(4, i === 0 ? ghost : undefined);
    await files.save(`redis-${i}.cluster-nodes.txt`, text);
    await files.save(`cluster/redis-${i}.cluster-nodes.txt`, text);
    await files.save(`redis-${i}.cluster-nodes.after-fix.txt`, view(4, undefined));
    const log = redisLog(150, 12, ghost ?? '10.42.1.3');
    await files.save(`redis-${i}.log`, log);
    await files.save(`cluster/redis-${i}.log.txt`, log);
    await files.save(`cluster/redis-${i}.ss.txt`, sockets(`10.42.0.${2 + i}`, ghost ?? '10.42.1.3'));
    await files.save(`cluster/redis-${i}.netstat.txt`, netstat(`10.42.0.${2 + i}`, ghost ?? '10.42.1.3'));
  }
  for (const pod of ['redis-0', 'redis-3']) {
    await files.save(`cluster/${pod}.tcpdump.txt`, tcpdump(220));
    await files.save(`${pod}.pcap`, Buffer.alloc(2_000, 1));
  }
  await files.save(
    'add-node.txt',
    '>>> Adding node 10.42.0.5:6379 to cluster 172.18.0.2:30000\n[OK] New node added correctly.\n',
  );
  await files.save(
    'cluster/pods.txt',
    'NAME READY STATUS RESTARTS AGE IP NODE\nredis-0 1/1 Running 0 3s 10.42.0.2 node-0\n',
  );
  await files.save(
    'cluster/node-0.ip-addr.txt',
    Array.from({ length: 40 }, (_, i) => `${i}: cni0 inet 10.42.0.1/24`).join('\n'),
  );
  const fails = ghost !== undefined;
  const observation = {
    meet: fails ? ('fails' as const) : ('ok' as const),
    ghosts: fails ? [{ seenBy: 'redis-0', nodeId: hex(40), address: `${ghost}:6379@16379`, flags: ['handshake'] }] : [],
    ...(fails ? { ghostOwner: 'cni0@node-0', ghostClass: 'bridge-gateway' as const } : {}),
    failedDialBacks: fails ? [{ pod: 'redis-0', nodeId: hex(40), address: `${ghost}:16379` }] : [],
    addNode: { ok: true, lastLine: '[OK] New node added correctly.' },
    busPeers: Array.from({ length: 9 }, (_, i) => ({
      pod: `redis-${i % 3}`,
      local: `10.42.0.${2 + (i % 3)}:16379`,
      peer: `${ghost ?? '10.42.1.3'}:${20000 + pick(40000)}`,
      class: fails ? ('bridge-gateway' as const) : ('pod' as const),
    })),
    natMappings: Array.from({ length: 3 }, () => ({
      capturedAt: 'redis-3',
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
    notes: fails
      ? ['redis-0 does not know redis-3', 'redis-1 does not know redis-3', 'redis-2 does not know redis-3']
      : [],
  };
  return {
    ...base(id, 'replica joins over NodePort without announce', cellDims, 4000 + pick(3000)),
    family: 'nat-meet',
    expectation: { meet: observation.meet, summary: 'the MEET is masqueraded on its way', source: SOURCE },
    observation,
    ...(fails
      ? {
          fix: 'on every node reached over NodePort: cluster-announce-ip <node IP>; then CLUSTER MEET again (here: cluster-announce-ip 172.18.0.2)',
        }
      : {}),
    artifacts: files.paths,
  } as CellResult;
}

async function snatCell(root: string, profile: ProfileName, index: number): Promise<CellResult> {
  const rewrite = (['none', 'node-ip', 'tunnel', 'bridge-gateway', 'unreachable'] as const)[index % 5];
  const cellDims = dims(profile, { nodes: 2, variant: `path-${index}`, policy: index % 2 === 0 ? 'Cluster' : 'Local' });
  const id = cellId(cellDims);
  const files = new Artifacts(root, id);
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
    ...base(id, `path ${index}`, cellDims, 150 + pick(100)),
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

async function recoveryCell(root: string, profile: ProfileName, index: number): Promise<CellResult> {
  const cellDims = dims(profile, { nodes: 3, announce: 'ip', variant: `fault-${index}` });
  const id = cellId(cellDims);
  const files = new Artifacts(root, id);
  for (let i = 0; i < 6; i++) {
    await files.save(`redis-${i}.cluster-nodes.txt`, view(6, undefined));
    await files.save(`redis-${i}.log`, redisLog(500, 10, `10.42.${i % 3}.2`));
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
    ...base(id, `fault ${index}`, cellDims, 9000 + pick(5000)),
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

/** Writes the cells' artifacts under `root` and returns the results the reporter would build. */
export async function writeDefaultRun(root: string, runId: string): Promise<ResultsFile> {
  const cells: CellResult[] = [];
  for (const profile of PROFILES) {
    for (let i = 0; i < 4; i++) {
      cells.push(await natMeetCell(root, profile, i));
    }
  }
  for (let i = 0; i < 38; i++) {
    cells.push(await snatCell(root, PROFILES[i % 4] as ProfileName, i));
  }
  for (let i = 0; i < 26; i++) {
    cells.push(await recoveryCell(root, PROFILES[i % 4] as ProfileName, i));
  }
  for (const cell of cells) {
    const word = compatibilityFor(cell);
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
