// Runs one case: builds the thread's datapath on a small lab, deploys real Redis (and Sentinel)
// the way the thread did, reads the record the thread shows (CLUSTER NODES, INFO replication,
// SENTINEL replies) until it has settled, collects what `rcnc collect` would, applies the fix and
// reads the record again. Every wait ends on a condition with a bound; what the record says is
// classified (classify.ts) and judged (judge.ts) against the case's expectation (cells.ts).
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { collectArtifacts } from '../../src/analyze/collect.ts';
import type { PodSpec, Provider, ServiceInfo, StartedTopology } from '../../src/deploy/provider.ts';
import { sentinelArgv } from '../../src/deploy/redis-sentinel.ts';
import { renderReply, respCall } from '../../src/deploy/resp.ts';
import type { Cell } from '../../src/model/cell.ts';
import type { CellRecordOf } from '../../src/model/results.ts';
import { hasFlag, parseClusterInfo, parseClusterNodes, type ClusterNode } from '../../src/probes/cluster-nodes.ts';
import {
  flagsOf,
  parseInfoReplicas,
  parseMasterAddress,
  parseSentinelEntries,
  type ReplicaLine,
} from '../../src/probes/sentinel.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { DeployError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { CaseOptions, ClusterSetup, ReplicationSetup } from './cells.ts';
import { classifyRecord, type RecordBook } from './classify.ts';
import { shows } from './judge.ts';
import { addMasquerade, addSidecar, removeMasquerade } from './mechanisms.ts';
import type { CaseObservation, CasePhase } from './types.ts';
import { caseCompatibility } from './words.ts';

const PORT = 6379;
const BUS_PORT = 16379;
const SENTINEL_PORT = 26379;
const MASTER = 'mymaster';
/** Short, so a failure detection (PFAIL, FAIL) and a handshake's end come within seconds. */
const NODE_TIMEOUT_MS = 1000;
const DOWN_AFTER_MS = 1000;
/**
 * How long a reading that could still change must hold before it counts: two node timeouts (and
 * two down-after periods), so no failure detection is still on its way.
 */
const HOLD_MS = 2 * Math.max(NODE_TIMEOUT_MS, DOWN_AFTER_MS);
/** A failed create loops for ever: it is given this long (a good create joins in about a second). */
const CREATE_BOUND_MS = 5000;
const SETTLE_BOUND_MS = 20_000;
const NODEPORT_BASE = 30000;
/** The unix socket every server of a case also listens on, in its data dir. */
const SOCKET = 'redis.sock';
const BUS_NODEPORT_BASE = 31000;

interface Lab {
  topo: StartedTopology;
  redis: ScenarioContext['redis'];
  scenario: ScenarioContext;
  startedAt: Date;
  former: Record<string, string>;
  /** Time spent writing what `rcnc collect` would, for the cell's timings. */
  collectMs: number;
}

/** What a runner observed; the thread and the verdicts are added by runCase. */
type Observed = Omit<CaseObservation, 'thread' | 'reproduced' | 'fixWorks'>;

export interface CaseRun {
  record: CellRecordOf<'cases'>;
}

// ---------------------------------------------------------------------------------------------
// Pods and redis-cli.

const dataPod = (name: string, node: number, redis: Lab['redis'], extra: string[] = []): PodSpec => ({
  name,
  node,
  command: [
    redis.server,
    ...['--port', String(PORT), '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'],
    // 7.0 waits 5 s for more replicas before a diskless full sync.
    ...['--repl-diskless-sync-delay', '0', '--loglevel', 'verbose', '--unixsocket', `$(DATA_DIR)/${SOCKET}`],
    ...extra,
  ],
  readiness: [redis.cli, '-p', String(PORT), 'ping'],
  readyLogLine: 'Ready to accept connections',
});

const clusterArgs = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  String(NODE_TIMEOUT_MS),
];

// Sentinel rewrites its config file, so it lives in the pod's config dir, written at every start.
const sentinelPod = (name: string, node: number, redis: Lab['redis']): PodSpec => {
  const s = sentinelArgv(redis.server);
  return {
    name,
    node,
    command: [s.bin, '$(CONFIG_DIR)/sentinel.conf', ...s.args, '--unixsocket', `$(DATA_DIR)/${SOCKET}`],
    files: { 'sentinel.conf': [`port ${SENTINEL_PORT}`, 'logfile ""', 'daemonize no', ''].join('\n') },
    readiness: [redis.cli, '-p', String(SENTINEL_PORT), 'ping'],
  };
};

/**
 * A command to the pod's own server, through its unix socket where this machine shares the pod's
 * data dir (the lab: no process per command, which the polling waits would otherwise spawn by the
 * hundred), else redis-cli in the pod. The reply reads as redis-cli prints it.
 */
async function cli(lab: Lab, pod: string, args: string[], port = PORT, timeoutMs = 10_000): Promise<string> {
  const dir = args[0] === '-h' ? undefined : lab.topo.localDataDir?.(pod);
  if (dir) {
    return respCall(join(dir, SOCKET), args, timeoutMs).then(
      (reply) => renderReply(reply) + '\n',
      (e: Error) => `Could not connect to Redis at ${pod}: ${e.message}`,
    );
  }
  const r = await lab.topo.exec({ pod }, [lab.redis.cli, '-p', String(port), ...args], { reject: false, timeoutMs });
  return r.stdout + r.stderr;
}

/** A command whose reply must not be an error. */
async function must(lab: Lab, pod: string, args: string[], port = PORT): Promise<string> {
  const out = await cli(lab, pod, args, port);
  if (/^(ERR|-|Could not connect|\(error\))/m.test(out.trim())) {
    throw new DeployError(`redis-cli ${args.join(' ')} in ${pod} failed: ${out.trim()}`);
  }
  return out;
}

const book = (lab: Lab): RecordBook => ({
  pods: lab.topo.pods(),
  nodes: lab.topo.nodes,
  services: lab.topo.services,
  former: lab.former,
});

/**
 * A reading: `done` ends the wait at once (a healthy record that cannot be a passing state, or a
 * state Redis keeps until something changes: fail, noaddr, s_down); `good` and `bad` only once they
 * have held for HOLD_MS (a failure detection may still be on its way, a link may be between two
 * connects). After a fix a lasting failure is held too, for FIX_HOLD_MS: the fix takes a moment.
 */
type Verdict = 'done-good' | 'done-bad' | 'good' | 'bad' | 'pending';
const FIX_HOLD_MS = 5000;

/** Waits until `read` reaches a conclusion (see Verdict); returns the reading. */
async function conclude<T>(
  target: string,
  read: () => Promise<{ value: T; verdict: Verdict; state: string }>,
  afterFix = false,
): Promise<T> {
  let since: { verdict: Verdict; at: number } | undefined;
  const r = await waitFor<T>({
    target,
    timeoutMs: SETTLE_BOUND_MS,
    intervalMs: 200,
    check: async () => {
      const x = await read();
      const verdict = afterFix && x.verdict === 'done-bad' ? 'bad' : x.verdict;
      if (verdict === 'pending' || verdict.startsWith('done')) {
        since = undefined;
      } else if (since?.verdict !== verdict) {
        since = { verdict, at: performance.now() };
      }
      const hold = afterFix && verdict === 'bad' ? FIX_HOLD_MS : HOLD_MS;
      const done = verdict.startsWith('done') || (since !== undefined && performance.now() - since.at >= hold);
      return { done, state: x.state, value: x.value };
    },
  });
  return r.value as T;
}

// ---------------------------------------------------------------------------------------------
// Evidence: the files `rcnc collect` writes, per phase.

async function collect(
  lab: Lab,
  phase: 'failure' | 'fixed',
  pods: string[],
  sentinels: string[],
  extra: [string, string][] = [],
) {
  const artifacts = lab.scenario.artifacts;
  if (!artifacts) {
    return;
  }
  const t0 = performance.now();
  const save = (name: string, text: string) => artifacts.save(join(phase, name), text);
  if (phase === 'failure') {
    // What a user would paste: everything `rcnc collect` writes (views, sockets, logs, tables).
    const dir = artifacts.dir(phase);
    const written = await collectArtifacts(lab.topo, {
      dir: dir.abs,
      pods: pods.map((name) => ({ name, port: PORT })),
      redisCli: lab.redis.cli,
      startedAt: lab.startedAt,
    });
    written.forEach((f) => artifacts.track(join(dir.rel, f)));
  } else {
    // After the fix the views say enough: the records as they are now.
    for (const pod of pods) {
      await save(`${pod}.cluster-nodes.txt`, await cli(lab, pod, ['cluster', 'nodes']));
      await save(`${pod}.info-replication.txt`, await cli(lab, pod, ['info', 'replication']));
    }
  }
  for (const s of sentinels) {
    for (const [file, args] of [
      ['sentinel-master', ['sentinel', 'master', MASTER]],
      ['sentinel-replicas', ['sentinel', 'replicas', MASTER]],
      ['sentinel-sentinels', ['sentinel', 'sentinels', MASTER]],
      ['sentinel-get-master-addr', ['sentinel', 'get-master-addr-by-name', MASTER]],
    ] as const) {
      await save(`${s}.${file}.txt`, await cli(lab, s, [...args], SENTINEL_PORT));
    }
  }
  for (const [name, text] of extra) {
    await save(name, text);
  }
  lab.collectMs += performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// Replication cases: a master, replicas attached one at a time, maybe a sentinel.

const replicaName = (i: number) => `redis-${i + 1}`;

async function masterRecords(lab: Lab): Promise<ReplicaLine[]> {
  return parseInfoReplicas(await cli(lab, 'redis-0', ['info', 'replication']));
}

const recordKey = (r: Pick<ReplicaLine, 'ip' | 'port'>) => `${r.ip}:${r.port}`;

/** REPLICAOF, then the master's new online record: what it lists for this replica. */
async function attach(lab: Lab, setup: ReplicationSetup, i: number): Promise<ReplicaLine> {
  const path = setup.replicas[i]!.path;
  const [host, port] =
    path.via === 'pod-ip' ? [lab.topo.pod('redis-0').ip, PORT] : [lab.topo.nodes[path.node]!.ip, NODEPORT_BASE];
  const before = (await masterRecords(lab)).map(recordKey);
  await must(lab, replicaName(i), ['replicaof', host, String(port)]);
  const r = await waitFor<ReplicaLine>({
    target: `redis-0 to list ${replicaName(i)} online (replicaof ${host} ${port})`,
    timeoutMs: SETTLE_BOUND_MS,
    check: async () => {
      const now = await masterRecords(lab);
      const left = [...before];
      const added = now.filter((x) => {
        const at = left.indexOf(recordKey(x));
        return at >= 0 ? (left.splice(at, 1), false) : true;
      });
      const online = added.find((x) => x.state === 'online');
      return {
        done: !!online,
        value: online,
        state: now.map((x) => `${recordKey(x)} ${x.state}`).join(', ') || 'no replicas',
      };
    },
  });
  return r.value!;
}

/** What Sentinel concluded about the record at `address`: s_down, or ok (connected, INFO fresh). */
async function sentinelRecord(lab: Lab, address: string, afterFix = false): Promise<{ state: string; line: string }> {
  return conclude(
    `sentinel-0 to conclude on the replica record ${address}`,
    async () => {
      const entries = parseSentinelEntries(
        await cli(lab, 'sentinel-0', ['sentinel', 'replicas', MASTER], SENTINEL_PORT),
      );
      const e = entries.find((x) => `${x['ip']}:${x['port']}` === address);
      if (!e) {
        return { value: { state: 'unknown', line: '' }, verdict: 'pending', state: `no record at ${address}` };
      }
      const flags = flagsOf(e);
      const line = `${address} flags=${e['flags']} link-pending-commands=${e['link-pending-commands'] ?? '?'} info-refresh=${e['info-refresh'] ?? '?'}`;
      // Both last: s_down until the record's address answers, and an address that answered INFO is
      // the replica's (an unreachable one never gets an INFO reply).
      if (flags.includes('s_down')) {
        return { value: { state: 's_down', line }, verdict: 'done-bad', state: line };
      }
      const fresh = Number(e['info-refresh']) < 5000 && !flags.includes('disconnected');
      return {
        value: { state: fresh ? 'ok' : flags.join(','), line },
        verdict: fresh ? 'done-good' : 'pending',
        state: line,
      };
    },
    afterFix,
  );
}

/** SENTINEL FAILOVER: NOGOODSLAVE, or `promoted` once a replica is handed out as master. */
async function failover(lab: Lab, replicas: string[]): Promise<{ state: string; line: string }> {
  const reply = (await cli(lab, 'sentinel-0', ['sentinel', 'failover', MASTER], SENTINEL_PORT)).trim();
  if (/NOGOODSLAVE/.test(reply)) {
    return { state: 'NOGOODSLAVE', line: `SENTINEL FAILOVER: ${reply}` };
  }
  if (reply !== 'OK') {
    return { state: reply, line: `SENTINEL FAILOVER: ${reply}` };
  }
  const ips = replicas.map((r) => lab.topo.pod(r).ip);
  const handed = await waitFor<string>({
    target: `sentinel-0 to hand out one of ${replicas.join(', ')} as master`,
    timeoutMs: SETTLE_BOUND_MS,
    check: async () => {
      const a = parseMasterAddress(
        await cli(lab, 'sentinel-0', ['sentinel', 'get-master-addr-by-name', MASTER], SENTINEL_PORT),
      );
      return { done: !!a && ips.includes(a.ip), value: a?.ip, state: a ? `${a.ip}:${a.port}` : 'no address' };
    },
  });
  const who = lab.topo.pods().find((p) => p.ip === handed.value)?.name ?? handed.value;
  return { state: 'promoted', line: `SENTINEL FAILOVER: OK; get-master-addr-by-name: ${handed.value} (${who})` };
}

async function replicationPhase(
  lab: Lab,
  setup: ReplicationSetup,
  subjectRecord: ReplicaLine,
  masterLine: string,
  afterFix = false,
): Promise<CasePhase> {
  const subject = replicaName(setup.subject);
  const address = recordKey(subjectRecord);
  const c = classifyRecord(subjectRecord.ip, subjectRecord.port, subject, book(lab));
  const info = `redis-0 INFO replication: ${masterLine}`;
  if (setup.look === 'info') {
    return { state: subjectRecord.state, recorded: address, ...c, evidence: info };
  }
  const s = await sentinelRecord(lab, address, afterFix);
  if (setup.look === 'sentinel') {
    return { state: s.state, recorded: address, ...c, evidence: `${info}; sentinel-0 SENTINEL REPLICAS: ${s.line}` };
  }
  const f = await failover(
    lab,
    setup.replicas.map((_, i) => replicaName(i)),
  );
  return { state: f.state, recorded: address, ...c, evidence: `${info}; sentinel-0: ${s.line}; ${f.line}` };
}

const masterLine = (records: ReplicaLine[]) =>
  records.map((r) => `${r.key}:ip=${r.ip},port=${r.port},state=${r.state}`).join(' ');

async function fixReplication(lab: Lab, setup: ReplicationSetup, records: ReplicaLine[]): Promise<string[]> {
  const applied: string[] = [];
  const reconnect = async (replica: string) => {
    await must(lab, replica, ['client', 'kill', 'type', 'master']);
    applied.push(`${replica}: CLIENT KILL TYPE master (it reconnects)`);
  };
  // Replicas whose record is not their own address.
  const wrong = setup.replicas
    .map((_, i) => i)
    .filter((i) => classifyRecord(records[i]!.ip, records[i]!.port, replicaName(i), book(lab)).recordedAs !== 'pod');
  switch (setup.fix) {
    case 'remove-masquerade':
      applied.push(...(await removeMasquerade(lab.topo, setup.masquerade!)));
      for (const i of wrong) {
        await reconnect(replicaName(i));
      }
      break;
    case 'replicate-pod-ip': {
      const ip = lab.topo.pod('redis-0').ip;
      for (const i of wrong) {
        await must(lab, replicaName(i), ['replicaof', ip, String(PORT)]);
        applied.push(`${replicaName(i)}: REPLICAOF ${ip} ${PORT}`);
      }
      break;
    }
    case 'announce-pod-ip':
    case 'announce-nodeport':
      for (const i of wrong) {
        const r = replicaName(i);
        const pod = lab.topo.pod(r);
        const settings =
          setup.fix === 'announce-pod-ip'
            ? [['replica-announce-ip', pod.ip]]
            : [
                ['replica-announce-ip', pod.hostIP],
                ['replica-announce-port', String(NODEPORT_BASE + i + 1)],
              ];
        for (const [k, v] of settings) {
          await must(lab, r, ['config', 'set', k!, v!]);
          applied.push(`${r}: CONFIG SET ${k} ${v}`);
        }
        await reconnect(r);
      }
      break;
  }
  if (setup.look !== 'info') {
    // Sentinel keeps every record it made until reset (docs/sentinel.md#replica-discovery).
    await must(lab, 'sentinel-0', ['sentinel', 'reset', MASTER], SENTINEL_PORT);
    applied.push(`sentinel-0: SENTINEL RESET ${MASTER}`);
  }
  return applied;
}

async function runReplication(lab: Lab, setup: ReplicationSetup): Promise<Observed> {
  const notes: string[] = [];
  const subject = replicaName(setup.subject);
  const applied: string[] = [];
  if (setup.masquerade) {
    notes.push(...(await addMasquerade(lab.topo, setup.masquerade)));
  }
  if (setup.sidecar) {
    notes.push(...(await addSidecar(lab.topo, 'redis-0', PORT)).applied);
  }
  const records: ReplicaLine[] = [];
  for (let i = 0; i < setup.replicas.length; i++) {
    records.push(await attach(lab, setup, i));
  }
  const sentinels = setup.look === 'info' ? [] : ['sentinel-0'];
  if (sentinels.length) {
    await monitorMaster(lab, lab.topo.pod('redis-0').ip);
  }
  const pods = ['redis-0', ...setup.replicas.map((_, i) => replicaName(i))];
  const failure = await replicationPhase(lab, setup, records[setup.subject]!, masterLine(await masterRecords(lab)));
  await collect(lab, 'failure', pods, sentinels);
  applied.push(...(await fixReplication(lab, setup, records)));
  // The subject's record once it is its own address (announced, or the connection's own source).
  const settled = await conclude(`redis-0 to list ${subject} at its own address`, async () => {
    const now = await masterRecords(lab);
    const own = now.find(
      (r) => r.state === 'online' && classifyRecord(r.ip, r.port, subject, book(lab)).recordedAs === 'pod',
    );
    const state = masterLine(now) || 'no replicas';
    return { value: { own, now }, verdict: own ? 'done-good' : 'pending', state };
  }).catch((e: Error) => {
    notes.push(`after the fix: ${e.message}`);
    return undefined;
  });
  const now = settled?.now ?? (await masterRecords(lab));
  const subjectAfter =
    settled?.own ??
    now.find((r) => !records.some((x, i) => i !== setup.subject && recordKey(x) === recordKey(r))) ??
    now[0];
  const fixed = subjectAfter ? await replicationPhase(lab, setup, subjectAfter, masterLine(now), true) : undefined;
  await collect(lab, 'fixed', pods, sentinels);
  return { failure, applied, fixed, notes };
}

// ---------------------------------------------------------------------------------------------
// Cluster cases: three masters formed by MEET or by redis-cli --cluster create.

const members = ['redis-0', 'redis-1', 'redis-2'];

async function view(lab: Lab, pod: string): Promise<{ nodes: ClusterNode[]; raw: string }> {
  const raw = await cli(lab, pod, ['cluster', 'nodes']);
  return { nodes: parseClusterNodes(raw).nodes, raw };
}

const line = (n: ClusterNode) => `${n.ip}:${n.port}@${n.cport} ${n.flags.join(',')} ${n.linkState}`;

/** Whether anything listens on `port` in the pod that holds `ip` (a pod's bus port). */
async function listens(lab: Lab, ip: string, port: number): Promise<boolean | undefined> {
  const pod = lab.topo.pods().find((p) => p.ip === ip);
  if (!pod) {
    return undefined;
  }
  const r = await lab.topo.exec({ pod: pod.name }, ['ss', '-Hltn', `sport = :${port}`], { reject: false });
  return r.stdout.trim() !== '';
}

/** The subject's entry in the holder's view, until it has failed, lost its address, or held healthy. */
async function clusterPhase(
  lab: Lab,
  holder: string,
  subject: string,
  subjectId: string,
  afterFix = false,
): Promise<CasePhase> {
  const reading = await conclude(
    `${holder}'s view of ${subject}`,
    async () => {
      const [{ nodes, raw }, info] = await Promise.all([view(lab, holder), cli(lab, holder, ['cluster', 'info'])]);
      const n = nodes.find((x) => x.id === subjectId);
      const clusterState = parseClusterInfo(info)['cluster_state'] ?? '?';
      if (!n) {
        return { value: undefined, verdict: 'pending', state: `${subject} (${subjectId.slice(0, 8)}) not in the view` };
      }
      // Redis 7.0 keeps a node that talks over its own links out of PFAIL (clusterCron's data_delay):
      // a link that never connects shows as `disconnected` where older Redis marked the node fail.
      const bad = hasFlag(n, 'fail')
        ? 'fail'
        : hasFlag(n, 'noaddr')
          ? 'noaddr'
          : n.linkState === 'disconnected'
            ? 'disconnected'
            : undefined;
      const good =
        !bad &&
        n.linkState === 'connected' &&
        nodes.every((x) => !x.flags.some((f) => /fail|handshake|noaddr/.test(f))) &&
        clusterState === 'ok';
      const value = { n, raw, clusterState, state: bad ?? (good ? 'ok' : n.flags.join(',')) };
      const verdict = bad === 'disconnected' ? 'bad' : bad ? 'done-bad' : good ? 'good' : 'pending';
      return { value, verdict, state: `${line(n)}; cluster_state ${clusterState}` };
    },
    afterFix,
  );
  if (!reading) {
    throw new DeployError(`${subject} never appeared in ${holder}'s view`);
  }
  const { n, clusterState, state } = reading;
  // A noaddr entry keeps only the ports; the bus port is what peers dial.
  const ip = n.ip || '';
  const c = classifyRecord(ip, n.cport, subject, book(lab), ip ? await listens(lab, ip, n.cport) : undefined);
  return {
    state,
    recorded: `${ip}:${n.port}@${n.cport}`,
    ...c,
    evidence: `${holder} CLUSTER NODES: ${n.raw.trim()}; cluster_state ${clusterState}`,
  };
}

async function addSlots(lab: Lab): Promise<void> {
  const per = Math.floor(16384 / members.length);
  await Promise.all(
    members.map((m, i) =>
      must(lab, m, [
        'cluster',
        'addslotsrange',
        String(i * per),
        String(i === members.length - 1 ? 16383 : (i + 1) * per - 1),
      ]),
    ),
  );
}

/** `redis-cli --cluster create` over the addresses, bounded; its output and how it ended. */
async function create(lab: Lab, addresses: string[], boundMs: number): Promise<{ state: string; output: string }> {
  const r = await lab.topo.exec(
    { pod: 'redis-0' },
    [
      lab.redis.cli,
      '--cluster',
      'create',
      ...addresses.map((a) => `${a}:${PORT}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { reject: false, timeoutMs: boundMs },
  );
  // redis-cli colours its --cluster output even when stdout is not a terminal.
  const output = stripVTControlCharacters(r.stdout + r.stderr);
  const ok = r.exitCode === 0 && /\[OK\] All 16384 slots covered/.test(output);
  const loops = !ok && /Waiting for the cluster to join/.test(output) && r.exitCode === 124;
  return { state: ok ? 'create-ok' : loops ? 'create-loops' : `create-failed (exit ${r.exitCode})`, output };
}

/**
 * While a create runs: the first entry in the holder's view at an address that is no pod's (a
 * handshake entry lives only a node timeout, so it is watched for, not read afterwards).
 */
function watchForeign(
  lab: Lab,
  holder: string,
  untilMs: number,
): { stop: () => void; found: Promise<ClusterNode | undefined> } {
  let stopped = false;
  const found = (async () => {
    const end = performance.now() + untilMs;
    while (!stopped && performance.now() < end) {
      const { nodes } = await view(lab, holder).catch(() => ({ nodes: [] as ClusterNode[] }));
      const pods = new Set(lab.topo.pods().map((p) => p.ip));
      const foreign = nodes.find((n) => !hasFlag(n, 'myself') && n.ip && !pods.has(n.ip));
      if (foreign) {
        return foreign;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  })();
  return { stop: () => (stopped = true), found };
}

async function createPhase(
  lab: Lab,
  addresses: string[],
  holder: string,
  subject: string,
  boundMs: number,
): Promise<{ phase: CasePhase; output: string }> {
  const watch = watchForeign(lab, holder, boundMs);
  const made = await create(lab, addresses, boundMs);
  watch.stop();
  const foreign = await watch.found;
  const subjectId = (await must(lab, subject, ['cluster', 'myid'])).trim();
  const { nodes, raw } = await view(lab, holder);
  const entry = foreign ?? nodes.find((n) => n.id === subjectId);
  const c = entry
    ? classifyRecord(entry.ip, entry.cport, subject, book(lab))
    : { recordedAs: undefined, owner: 'not in the view' };
  const lines = made.output.trim().split('\n').filter(Boolean);
  const last = [lines.find((l) => /Waiting for the cluster to join/.test(l)), lines.at(-1)].filter(Boolean).join(' ');
  return {
    phase: {
      state: made.state,
      recorded: entry ? `${entry.ip}:${entry.port}@${entry.cport}` : undefined,
      ...c,
      evidence: `redis-cli --cluster create ${addresses.map((a) => `${a}:${PORT}`).join(' ')}: ${last.slice(0, 200)}; ${holder} CLUSTER NODES${foreign ? ' (while it ran)' : ''}: ${(entry?.raw ?? raw).trim().split('\n').join(' | ')}`,
    },
    output: made.output,
  };
}

/** The create cases: `redis-cli --cluster create` as the thread ran it, then over pod IPs. */
async function runCreate(lab: Lab, setup: ClusterSetup): Promise<Observed> {
  const notes: string[] = [];
  const applied: string[] = [];
  const ips = members.map((m) => lab.topo.pod(m).ip);
  if (setup.masquerade) {
    notes.push(...(await addMasquerade(lab.topo, setup.masquerade)));
  }
  const overServices = setup.variant === 'create-over-service-ips';
  const addresses = overServices ? members.map((m) => service(lab, m).clusterIP) : ips;
  // Who sees the wrong address: the first node receives the others' MEETs (1059); the others
  // MEET the first over its ClusterIP (kelseyhightower#1).
  const [holder, subject] = overServices ? ['redis-1', 'redis-0'] : ['redis-0', 'redis-1'];
  const failed = await createPhase(lab, addresses, holder, subject, CREATE_BOUND_MS);
  await collect(lab, 'failure', members, [], [['redis-cli-cluster-create.txt', failed.output]]);
  if (setup.masquerade) {
    applied.push(...(await removeMasquerade(lab.topo, setup.masquerade)));
  }
  for (const m of members) {
    await must(lab, m, ['cluster', 'reset', 'hard']);
  }
  applied.push(
    'CLUSTER RESET HARD on redis-0..2',
    `redis-cli --cluster create ${ips.map((ip) => `${ip}:${PORT}`).join(' ')}`,
  );
  const fixed = await createPhase(lab, ips, holder, subject, SETTLE_BOUND_MS);
  await collect(lab, 'fixed', members, [], [['redis-cli-cluster-create.txt', fixed.output]]);
  return { failure: failed.phase, applied, fixed: fixed.phase, notes };
}

async function runCluster(lab: Lab, setup: ClusterSetup): Promise<Observed> {
  if (setup.variant === 'create-masqueraded' || setup.variant === 'create-over-service-ips') {
    return runCreate(lab, setup);
  }
  if (setup.variant === 'reused-address') {
    return runReusedAddress(lab);
  }
  const notes: string[] = [];
  const applied: string[] = [];
  const subject = 'redis-2';
  await addSlots(lab);
  const subjectId = (await must(lab, subject, ['cluster', 'myid'])).trim();
  if (setup.variant === 'announced-bus-port') {
    // As redis-trib and redis-cli do: MEET <ip> <port>, the bus port taken as port + 10000.
    for (const m of ['redis-1', 'redis-2']) {
      await must(lab, 'redis-0', ['cluster', 'meet', lab.topo.pod(m).ip, String(PORT)]);
    }
    const failure = await clusterPhase(lab, 'redis-0', subject, subjectId);
    const ping = (await cli(lab, 'redis-0', ['-h', lab.topo.pod(subject).ip, 'ping'])).trim();
    failure.evidence += `; redis-cli -h ${lab.topo.pod(subject).ip} -p ${PORT} ping from redis-0: ${ping}`;
    await collect(lab, 'failure', members, []);
    await must(lab, subject, ['config', 'set', 'cluster-announce-bus-port', '0']);
    applied.push(
      `${subject}: CONFIG SET cluster-announce-bus-port 0 (announce the bus port it listens on, ${BUS_PORT})`,
    );
    const fixed = await clusterPhase(lab, 'redis-0', subject, subjectId, true);
    await collect(lab, 'fixed', members, []);
    return { failure, applied, fixed, notes };
  }
  // shared-bus-port: created over the host's published ports (NodePorts), each as it is published.
  const host = lab.topo.nodes[0]!.ip;
  for (const i of [1, 2]) {
    await must(lab, 'redis-0', ['cluster', 'meet', host, String(NODEPORT_BASE + i), String(BUS_NODEPORT_BASE + i)]);
  }
  const failure = await clusterPhase(lab, 'redis-0', subject, subjectId);
  const log = await lab.topo.logs('redis-0');
  const mismatch = log.split('\n').find((l) => /mismatching sender ID/.test(l));
  if (mismatch) {
    failure.evidence += `; redis-0 log: ${mismatch.trim()}`;
  }
  await collect(lab, 'failure', members, []);
  const own = String(BUS_NODEPORT_BASE + 2);
  await must(lab, subject, ['config', 'set', 'cluster-announce-bus-port', own]);
  applied.push(`${subject}: CONFIG SET cluster-announce-bus-port ${own} (its own published bus port)`);
  // A noaddr entry is dialled nowhere: the node is met again at its published ports.
  await must(lab, 'redis-0', ['cluster', 'meet', host, String(NODEPORT_BASE + 2), own]);
  applied.push(`redis-0: CLUSTER MEET ${host} ${NODEPORT_BASE + 2} ${own}`);
  const fixed = await clusterPhase(lab, 'redis-0', subject, subjectId, true);
  await collect(lab, 'fixed', members, []);
  return { failure, applied, fixed, notes };
}

/** The line a node logs when a PONG on its link to `id` came from another node id (debug level). */
const mismatchAbout = (log: string, id: string): string | undefined =>
  log
    .split('\n')
    .find((l) => l.includes(`PONG contains mismatching sender ID. About node ${id}`))
    ?.trim();

/** Every pod's view: all three members at their pods' addresses, connected, unflagged, cluster_state ok. */
async function allHealthy(lab: Lab, ids: Record<string, string>): Promise<string> {
  const r = await waitFor<string>({
    target: 'every member to list the others at their current addresses, cluster_state ok',
    timeoutMs: SETTLE_BOUND_MS,
    check: async () => {
      const views = await Promise.all(
        members.map(async (m) => {
          const [{ nodes }, info] = await Promise.all([view(lab, m), cli(lab, m, ['cluster', 'info'])]);
          const state = parseClusterInfo(info)['cluster_state'] ?? '?';
          const wrong = members
            .filter((x) => x !== m)
            .flatMap((x) => {
              const n = nodes.find((y) => y.id === ids[x]);
              const ok =
                n &&
                n.ip === lab.topo.pod(x).ip &&
                n.linkState === 'connected' &&
                !n.flags.some((f) => /fail|handshake|noaddr/.test(f));
              return ok ? [] : [`${x} ${n ? line(n) : 'absent'}`];
            });
          return {
            m,
            ok: wrong.length === 0 && state === 'ok',
            text: `${m}: ${wrong.join(', ') || 'all at their addresses'}, cluster_state ${state}`,
          };
        }),
      );
      const text = views.map((v) => v.text).join('; ');
      return { done: views.every((v) => v.ok), value: text, state: text };
    },
  });
  return r.value!;
}

/** Slots, MEETs from redis-0, and every view healthy; the members' node ids. */
async function formByMeet(lab: Lab, notes: string[]): Promise<Record<string, string>> {
  await addSlots(lab);
  for (const m of members.slice(1)) {
    await must(lab, members[0]!, ['cluster', 'meet', lab.topo.pod(m).ip, String(PORT)]);
  }
  const ids: Record<string, string> = {};
  for (const m of members) {
    ids[m] = (await must(lab, m, ['cluster', 'myid'])).trim();
  }
  notes.push(`formed: ${await allHealthy(lab, ids)}`);
  return ids;
}

/** Waits until `read` says done on `pod`'s view (its nodes and cluster_state); returns its text. */
async function viewUntil(
  lab: Lab,
  pod: string,
  target: string,
  read: (nodes: ClusterNode[], clusterState: string) => Promise<{ done: boolean; text: string }>,
): Promise<string> {
  const r = await waitFor<string>({
    target: `${pod} ${target}`,
    timeoutMs: SETTLE_BOUND_MS,
    check: async () => {
      const [{ nodes }, info] = await Promise.all([view(lab, pod), cli(lab, pod, ['cluster', 'info'])]);
      const x = await read(nodes, parseClusterInfo(info)['cluster_state'] ?? '?');
      return { done: x.done, state: x.text, value: x.text };
    },
  });
  return r.value!;
}

/**
 * redis-1 and redis-2 come back at each other's addresses, as host-network pods (the lab's IPAM
 * never hands a pod IP out twice, so the address reused is a node's): redis-2 goes down and stays
 * down, redis-1 is rescheduled onto redis-2's node, then redis-2 onto redis-1's. In between, the
 * third node dials redis-2's old address and redis-1 answers: noaddr and the PONG line, read while
 * they are there. Both moved nodes PING the third afterwards, so it heals by itself.
 */
async function swapAddresses(lab: Lab, ids: Record<string, string>, notes: string[]): Promise<string> {
  const [third, holder, subject] = members as [string, string, string];
  const ip = (pod: string) => lab.topo.pod(pod).ip;
  const [holderNode, subjectNode, subjectWas] = [lab.topo.pod(holder).node, lab.topo.pod(subject).node, ip(subject)];
  // redis-2 stays down (a crash-loop back-off far longer than the case) until it is rescheduled.
  await lab.topo.killContainer(subject, { restartDelayMs: 600_000 });
  await lab.topo.deletePod(holder, { node: subjectNode });
  notes.push(
    `${subject} down; ${holder} rescheduled onto node-${subjectNode}: now at ${ip(holder)}, ${subject}'s address`,
  );
  const seen = await viewUntil(lab, third, `to mark ${subject} noaddr and log the mismatching PONG`, async (nodes) => {
    const n = nodes.find((x) => x.id === ids[subject]);
    const pong = mismatchAbout(await lab.topo.logs(third), ids[subject]!);
    return {
      done: !!n && hasFlag(n, 'noaddr') && !!pong,
      text: `${third} CLUSTER NODES: ${n?.raw.trim() ?? `no ${subject}`}; ${third} log: ${pong ?? 'no PONG line yet'}`,
    };
  });
  notes.push(
    `while ${subject} was down, ${third} dialled its old address ${subjectWas}, where ${holder} answered: ${seen}`,
  );
  await lab.topo.deletePod(subject, { node: holderNode });
  notes.push(`${subject} rescheduled onto node-${holderNode}: now at ${ip(subject)}, ${holder}'s old address`);
  // Both PING the third node from their new addresses (nodeUpdateAddressIfNeeded): it heals by itself.
  const healed = await viewUntil(
    lab,
    third,
    `to list ${holder} and ${subject} at their new addresses`,
    async (nodes, state) => {
      const them = [holder, subject].map((m) => ({ m, n: nodes.find((x) => x.id === ids[m]) }));
      const done =
        state === 'ok' &&
        them.every(({ m, n }) => n && n.ip === ip(m) && n.linkState === 'connected' && !hasFlag(n, 'noaddr'));
      return { done, text: `${them.map(({ n }) => (n ? line(n) : 'absent')).join(', ')}; cluster_state ${state}` };
    },
  );
  notes.push(`${third} healed by itself: ${healed}`);
  return `while ${subject} was down: ${seen}; ${third} once both were back: ${healed}`;
}

/**
 * bitnami/charts#11341: redis-1 and redis-2 back at each other's addresses (swapAddresses). Each
 * dials the other's old address, which is its own now, marks the other noaddr and never dials it
 * again: the pair stays so until the thread's CLUSTER MEET re-addresses them.
 */
async function runReusedAddress(lab: Lab): Promise<Observed> {
  const notes: string[] = [];
  const [holder, subject] = members.slice(1) as [string, string];
  const ids = await formByMeet(lab, notes);
  // The address redis-1 keeps for redis-2 (in its nodes.conf too), which it dials when it is back.
  const kept = (await view(lab, holder)).nodes.find((n) => n.id === ids[subject]);
  if (!kept?.ip) {
    throw new DeployError(`${holder} holds no address for ${subject}`);
  }
  const meanwhile = await swapAddresses(lab, ids, notes);
  const failure = await pairPhase(lab, holder, subject, ids, kept.ip, kept.cport);
  failure.evidence += `; ${meanwhile}`;
  await collect(lab, 'failure', members, []);

  const ip = lab.topo.pod(subject).ip;
  await must(lab, holder, ['cluster', 'meet', ip, String(PORT)]);
  const applied = [`${holder}: CLUSTER MEET ${ip} ${PORT} (${subject}'s current address)`];
  const fixed = await clusterPhase(lab, holder, subject, ids[subject]!, true);
  const back = await clusterPhase(lab, subject, holder, ids[holder]!, true);
  fixed.evidence += `; ${subject}'s view of ${holder}: ${back.evidence}`;
  if (back.state !== 'ok') {
    fixed.state = `${back.state} (${holder} in ${subject}'s view)`;
  } else {
    notes.push(`after the MEET: ${await allHealthy(lab, ids)}`);
  }
  await collect(lab, 'fixed', members, []);
  return { failure, applied, fixed, notes };
}

/**
 * The pair once both are back: the subject in the holder's view (and the holder in the subject's),
 * noaddr held for HOLD_MS after the third node healed, so no PING is still on its way. `dialled`
 * is the address the holder kept for the subject: whose it is now is what the record is classed by.
 */
async function pairPhase(
  lab: Lab,
  holder: string,
  subject: string,
  ids: Record<string, string>,
  dialled: string,
  cport: number,
): Promise<CasePhase> {
  const reading = await conclude(`${holder}'s view of ${subject} once both are back`, async () => {
    const [a, b] = await Promise.all([view(lab, holder), view(lab, subject)]);
    const n = a.nodes.find((x) => x.id === ids[subject]);
    const m = b.nodes.find((x) => x.id === ids[holder]);
    if (!n || !m) {
      return { value: undefined, verdict: 'pending', state: `${holder} and ${subject} not both in each other's view` };
    }
    const noaddr = hasFlag(n, 'noaddr');
    const own = n.ip === lab.topo.pod(subject).ip && n.linkState === 'connected';
    const verdict: Verdict = noaddr ? 'bad' : own ? 'done-good' : 'pending';
    return { value: { n, m, noaddr }, verdict, state: `${line(n)} | ${subject}'s view of ${holder}: ${line(m)}` };
  });
  if (!reading) {
    throw new DeployError(`${subject} never appeared in ${holder}'s view`);
  }
  const { n, m, noaddr } = reading;
  const pong = mismatchAbout(await lab.topo.logs(holder), ids[subject]!);
  const c = classifyRecord(dialled, cport, subject, book(lab));
  return {
    state: noaddr ? 'noaddr' : 'ok',
    recorded: `${dialled}:${PORT}@${cport}`,
    ...c,
    evidence: `${holder} CLUSTER NODES: ${n.raw.trim()}; ${subject} CLUSTER NODES: ${m.raw.trim()}${pong ? `; ${holder} log: ${pong}` : ''}`,
  };
}

const service = (lab: Lab, pod: string): ServiceInfo => {
  const s = lab.topo.services.find((x) => x.pod === pod);
  if (!s) {
    throw new DeployError(`no Service selects ${pod}`);
  }
  return s;
};

// ---------------------------------------------------------------------------------------------
// The Sentinel whole-restart case.

async function masterAddress(lab: Lab): Promise<{ ip: string; port: number } | undefined> {
  return parseMasterAddress(
    await cli(lab, 'sentinel-0', ['sentinel', 'get-master-addr-by-name', MASTER], SENTINEL_PORT),
  );
}

async function sentinelMasterPhase(lab: Lab, afterFix = false): Promise<CasePhase> {
  const r = await conclude(
    'sentinel-0 to conclude on the master it hands out',
    async () => {
      const entry = parseSentinelEntries(
        await cli(lab, 'sentinel-0', ['sentinel', 'master', MASTER], SENTINEL_PORT),
      )[0];
      const addr = await masterAddress(lab);
      const flags = entry ? flagsOf(entry) : [];
      const text = `get-master-addr-by-name ${addr ? `${addr.ip}:${addr.port}` : 'none'}; flags ${flags.join(',') || '?'}`;
      // `master` alone is what a fresh record says before its first PING fails: it must hold.
      const verdict = flags.includes('s_down') ? 'done-bad' : flags.join(',') === 'master' && addr ? 'good' : 'pending';
      return { value: { addr, flags, text }, verdict, state: text };
    },
    afterFix,
  );
  const c = r.addr ? classifyRecord(r.addr.ip, r.addr.port, 'redis-0', book(lab)) : undefined;
  return {
    state: r.flags.includes('s_down') ? 's_down' : r.flags.join(',') === 'master' ? 'ok' : r.flags.join(','),
    recorded: r.addr ? `${r.addr.ip}:${r.addr.port}` : undefined,
    ...c,
    evidence: `sentinel-0: ${r.text}; redis-0 runs at ${lab.topo.pod('redis-0').ip}`,
  };
}

/** sentinel-0 monitors the master at `ip`, with the case's short down-after period. */
async function monitorMaster(lab: Lab, ip: string): Promise<void> {
  await must(lab, 'sentinel-0', ['sentinel', 'monitor', MASTER, ip, String(PORT), '1'], SENTINEL_PORT);
  await must(
    lab,
    'sentinel-0',
    ['sentinel', 'set', MASTER, 'down-after-milliseconds', String(DOWN_AFTER_MS), 'failover-timeout', '10000'],
    SENTINEL_PORT,
  );
}

async function runSentinelRestart(lab: Lab): Promise<Observed> {
  const applied: string[] = [];
  const notes: string[] = [];
  const data = ['redis-0', 'redis-1'];
  const monitor = (ip: string) => monitorMaster(lab, ip);
  const follow = async (ip: string) => {
    await must(lab, 'redis-1', ['replicaof', ip, String(PORT)]);
    await waitFor({
      target: `redis-1 to replicate from ${ip}`,
      timeoutMs: SETTLE_BOUND_MS,
      check: async () => {
        const s = await cli(lab, 'redis-1', ['info', 'replication']);
        return { done: /master_link_status:up/.test(s), state: /master_link_status:\w+/.exec(s)?.[0] ?? s.trim() };
      },
    });
  };
  await follow(lab.topo.pod('redis-0').ip);
  await monitor(lab.topo.pod('redis-0').ip);
  await sentinelRecord(lab, `${lab.topo.pod('redis-1').ip}:${PORT}`);
  for (const p of data) {
    lab.former[lab.topo.pod(p).ip] = p;
  }
  // Every data pod restarts at once (a node pool replaced, a rollout with Parallel pods): new IPs.
  const back = await lab.topo.deletePods(data);
  notes.push(`restarted ${data.join(', ')} at once: now ${back.map((p) => `${p.name} ${p.ip}`).join(', ')}`);
  const failure = await sentinelMasterPhase(lab);
  await collect(lab, 'failure', data, ['sentinel-0']);
  const ip = lab.topo.pod('redis-0').ip;
  await must(lab, 'sentinel-0', ['sentinel', 'remove', MASTER], SENTINEL_PORT);
  await monitor(ip);
  await follow(ip);
  applied.push(
    `sentinel-0: SENTINEL REMOVE ${MASTER}`,
    `sentinel-0: SENTINEL MONITOR ${MASTER} ${ip} ${PORT} 1`,
    `redis-1: REPLICAOF ${ip} ${PORT}`,
  );
  const fixed = await sentinelMasterPhase(lab, true);
  await collect(lab, 'fixed', data, ['sentinel-0']);
  return { failure, applied, fixed, notes };
}

// ---------------------------------------------------------------------------------------------

/** A cluster member's arguments: cluster mode, and what the case announces. */
function clusterPodArgs(setup: ClusterSetup, i: number): string[] {
  const args = [...clusterArgs];
  if (setup.variant === 'announced-bus-port' && i === 2) {
    args.push('--cluster-announce-bus-port', '6380');
  }
  if (setup.variant === 'reused-address') {
    // "PONG contains mismatching sender ID" is logged at debug level (cluster.c).
    args.push('--loglevel', 'debug');
  }
  if (setup.variant === 'shared-bus-port') {
    args.push(
      ...['--cluster-announce-ip', '$(HOST_IP)', '--cluster-announce-port', String(NODEPORT_BASE + i)],
      // The thread's mistake: two of them announce one bus port.
      ...['--cluster-announce-bus-port', String(BUS_NODEPORT_BASE + Math.min(i, 1))],
      // "PONG contains mismatching sender ID" is logged at debug level (cluster.c).
      ...['--loglevel', 'debug'],
    );
  }
  return args;
}

function topologyFor(cell: Cell<'cases', CaseOptions>, redis: Lab['redis']) {
  const setup = cell.options.setup;
  const { profile, nodes } = cell.dims;
  switch (setup.kind) {
    case 'replication': {
      const pods = [
        dataPod('redis-0', 0, redis),
        ...setup.replicas.map((r, i) => dataPod(replicaName(i), r.node, redis)),
        ...(setup.look === 'info' ? [] : [sentinelPod('sentinel-0', 0, redis)]),
      ];
      const published = setup.replicas.some((r) => r.path.via === 'nodeport')
        ? ['redis-0', ...setup.replicas.map((_, i) => replicaName(i))]
        : [];
      const services = published.map((pod, i) => ({
        name: `${pod}-np`,
        pod,
        externalTrafficPolicy: 'Cluster' as const,
        ports: [{ name: 'redis', port: PORT, targetPort: PORT, nodePort: NODEPORT_BASE + i }],
      }));
      return { profile, nodes, pods, services };
    }
    case 'cluster': {
      const shared = setup.variant === 'shared-bus-port';
      const hostNetwork = setup.variant === 'reused-address';
      const pods = members.map((m, i) => ({
        ...dataPod(m, setup.placement[i]!, redis, clusterPodArgs(setup, i)),
        ...(hostNetwork ? { hostNetwork } : {}),
      }));
      const services =
        shared || setup.variant === 'create-over-service-ips'
          ? members.map((m, i) => ({
              name: `${m}-np`,
              pod: m,
              externalTrafficPolicy: 'Cluster' as const,
              ports: [
                { name: 'client', port: PORT, targetPort: PORT, nodePort: NODEPORT_BASE + i },
                // Published bus ports for the Docker-like case; the thread's Services expose 6379 alone.
                ...(shared
                  ? [{ name: 'bus', port: BUS_PORT, targetPort: BUS_PORT, nodePort: BUS_NODEPORT_BASE + i }]
                  : []),
              ],
            }))
          : [];
      return { profile, nodes, pods, services };
    }
    case 'sentinel-restart':
      return {
        profile,
        nodes,
        pods: [dataPod('redis-0', 0, redis), dataPod('redis-1', 0, redis), sentinelPod('sentinel-0', 0, redis)],
        services: [],
      };
  }
}

/** Runs a case on its own small lab, torn down at the end whatever happened. */
export async function runCase(
  provider: Provider,
  cell: Cell<'cases', CaseOptions>,
  scenario: ScenarioContext,
): Promise<CaseRun> {
  const t0 = performance.now();
  const topo = await provider.start(topologyFor(cell, scenario.redis));
  const labMs = Math.round(performance.now() - t0);
  try {
    const lab: Lab = { topo, redis: scenario.redis, scenario, startedAt: new Date(), former: {}, collectMs: 0 };
    const setup = cell.options.setup;
    const o =
      setup.kind === 'replication'
        ? await runReplication(lab, setup)
        : setup.kind === 'cluster'
          ? await runCluster(lab, setup)
          : await runSentinelRestart(lab);
    const observation: CaseObservation = {
      ...o,
      thread: cell.expectation.thread,
      reproduced: shows(o.failure, cell.expectation.failure),
      fixWorks: shows(o.fixed, cell.expectation.fixed),
    };
    const record: CellRecordOf<'cases'> = {
      ...initialRecord(cell),
      observation,
      compatibility: caseCompatibility(observation),
      fix: observation.applied.join('; '),
      timings: { lab: labMs, collect: Math.round(lab.collectMs), case: Math.round(performance.now() - t0) },
      artifacts: scenario.artifacts?.paths ?? [],
    };
    return { record };
  } finally {
    if (!scenario.keep) {
      await topo.stop();
    }
  }
}
