// What Sentinel and the data nodes say about each other: `SENTINEL replicas|sentinels <master>`
// and `get-master-addr-by-name` as redis-cli prints them (one field name, then its value, per line;
// each entry starts at `name`), the master's `INFO replication` (`slaveN:ip=…,port=…`), and each
// recorded address classified against the topology like a cluster ghost
// (docs/sentinel.md#replica-address, docs/datapath.md#masquerade-source-address). Parsers are pure;
// the readers go through the Sentinel deploy layer's exec.
import type { ExecTarget, StartedTopology } from '../deploy/provider.ts';
import {
  hostPort,
  infoFields,
  MASTER_NAME,
  members,
  type HostPort,
  type RedisSentinelSet,
  type SentinelMember,
} from '../deploy/redis-sentinel.ts';
import type { ClientReach, SentinelRecord, SentinelState, SentinelVantage } from '../model/results.ts';
import { classifyAddress, type AddressBook } from './address-class.ts';

/** One entry of a SENTINEL replicas / sentinels / master reply: field → value. */
export type SentinelEntry = Record<string, string>;

/** redis-cli's rendering of a list of maps (RESP2 flat arrays): `name`, value, field, value, … */
export function parseSentinelEntries(text: string): SentinelEntry[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length && lines.at(-1) === '') {
    lines.pop();
  }
  const entries: SentinelEntry[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [key, value] = [lines[i]!, lines[i + 1]!];
    if (key === 'name' || entries.length === 0) {
      entries.push({});
    }
    entries.at(-1)![key] = value;
  }
  return entries.filter((e) => e['ip'] !== undefined && e['port'] !== undefined);
}

/**
 * `get-master-addr-by-name`: two lines, address then port; the address is an IP, or a name with
 * `announce-hostnames`. Anything else (a nil reply, an error) is undefined.
 */
export function parseMasterAddress(text: string): HostPort | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const port = Number(lines[1]);
  return lines.length === 2 && /^[A-Za-z0-9][A-Za-z0-9.:-]*$/.test(lines[0]!) && Number.isInteger(port)
    ? { ip: lines[0]!, port }
    : undefined;
}

export interface ReplicaLine {
  /** `slave0` */
  key: string;
  ip: string;
  port: number;
  state: string;
  offset: number;
}

/** The master's replicas as INFO replication lists them (server.c genRedisInfoString). */
export function parseInfoReplicas(text: string): ReplicaLine[] {
  const out: ReplicaLine[] = [];
  for (const [key, value] of Object.entries(infoFields(text))) {
    if (!/^slave\d+$/.test(key)) {
      continue;
    }
    const f = Object.fromEntries(value.split(',').map((kv) => kv.split('=') as [string, string]));
    if (f['ip'] === undefined || f['port'] === undefined) {
      continue;
    }
    out.push({ key, ip: f['ip'], port: Number(f['port']), state: f['state'] ?? '', offset: Number(f['offset'] ?? 0) });
  }
  return out;
}

export const flagsOf = (e: SentinelEntry): string[] => (e['flags'] ?? '').split(',').filter(Boolean);

/** One sentinel's view, as text (for artifacts and analyze) and parsed. */
export interface SentinelView {
  sentinel: string;
  replicasText: string;
  sentinelsText: string;
  masterText: string;
  replicas: SentinelEntry[];
  sentinels: SentinelEntry[];
  master?: HostPort;
}

export async function readSentinelView(set: RedisSentinelSet, s: SentinelMember): Promise<SentinelView> {
  const [replicasText, sentinelsText, masterText] = await Promise.all([
    set.cli(s, ['sentinel', 'replicas', MASTER_NAME]),
    set.cli(s, ['sentinel', 'sentinels', MASTER_NAME]),
    set.cli(s, ['sentinel', 'get-master-addr-by-name', MASTER_NAME]),
  ]);
  return {
    sentinel: s.name,
    replicasText,
    sentinelsText,
    masterText,
    replicas: parseSentinelEntries(replicasText),
    sentinels: parseSentinelEntries(sentinelsText),
    master: parseMasterAddress(masterText),
  };
}

export const readSentinelViews = (set: RedisSentinelSet): Promise<SentinelView[]> =>
  Promise.all(set.plan.sentinels.map((s) => readSentinelView(set, s)));

/** The member an address belongs to: one of its own pod or exposure addresses. */
export function memberAt(set: RedisSentinelSet, address: string): SentinelMember | undefined {
  return members(set.plan).find((m) => set.trueAddresses(m).includes(address));
}

/**
 * A record classified: whose own address it is, or which device's (a rewrite). A replica record
 * counts as a member's only at a data pod's address that is not the master the same sentinel hands
 * out (a rewritten replica address can be the master's own, docs/sentinel.md#convert-to-slave);
 * a sentinel record only at a sentinel's.
 */
export function classifyRecord(
  set: RedisSentinelSet,
  book: AddressBook,
  seenBy: string,
  kind: SentinelRecord['kind'],
  e: SentinelEntry,
  master?: HostPort,
): SentinelRecord {
  const address = `${e['ip']}:${e['port']}`;
  const found = memberAt(set, address);
  const isMaster = !!found && !!master && set.trueAddresses(found).includes(hostPort(master));
  const member =
    found && (kind === 'sentinel' ? found.role === 'sentinel' : found.role === 'data' && !isMaster) ? found : undefined;
  // A name is classified by the address it stands for: the member's pod IP.
  const ip = found && e['ip'] === set.dnsName(found) ? set.pod(found).ip : e['ip']!;
  const c = classifyAddress(ip, book);
  return {
    seenBy,
    kind,
    address,
    flags: flagsOf(e),
    ...(member ? { member: member.name } : {}),
    class: c.class,
    owner: member ? member.name : found ? `${found.name}${isMaster ? ' (the master)' : ''}` : c.owner,
  };
}

export function recordsOf(set: RedisSentinelSet, book: AddressBook, views: SentinelView[]): SentinelRecord[] {
  return views.flatMap((v) => [
    ...v.replicas.map((e) => classifyRecord(set, book, v.sentinel, 'replica', e, v.master)),
    ...v.sentinels.map((e) => classifyRecord(set, book, v.sentinel, 'sentinel', e, v.master)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Clients: ask a sentinel for the master, then connect to what it said.

export interface Vantage {
  vantage: SentinelVantage;
  from: string;
  target: ExecTarget;
}

/** A pod on the master's node, a pod on another node, and the client outside the cluster. */
export function vantages(set: RedisSentinelSet, master: SentinelMember): Vantage[] {
  const node = set.pod(master).node;
  const nodes = Math.max(...members(set.plan).map((m) => m.node)) + 1;
  const other = (node + 1) % nodes;
  const out: Vantage[] = [{ vantage: 'pod-same-node', from: `client-${node}`, target: { pod: `client-${node}` } }];
  if (other !== node) {
    out.push({ vantage: 'pod-other-node', from: `client-${other}`, target: { pod: `client-${other}` } });
  }
  out.push({ vantage: 'outside', from: 'external', target: { external: true } });
  return out;
}

const CONNECT_TIMEOUT_MS = 3000;

/**
 * What a client at `v` gets: it dials each sentinel at the address a client there would use (pod
 * IP inside the cluster, the exposure's address outside), asks the first that answers for the
 * master, and runs ROLE there.
 */
export async function clientReach(
  topo: Pick<StartedTopology, 'exec'>,
  set: RedisSentinelSet,
  v: Vantage,
): Promise<ClientReach> {
  const cli = set.plan.redisCli;
  const sentinelAddress = (s: SentinelMember) => (v.vantage === 'outside' ? set.address(s) : set.podAddress(s));
  const run = (a: HostPort, args: string[]) =>
    topo.exec(v.target, [cli, '-h', a.ip, '-p', String(a.port), ...args], {
      reject: false,
      timeoutMs: CONNECT_TIMEOUT_MS,
    });
  let asked = '';
  let lastError = '';
  for (const s of set.plan.sentinels) {
    const a = sentinelAddress(s);
    asked = `${s.name} at ${hostPort(a)}`;
    const r = await run(a, ['sentinel', 'get-master-addr-by-name', MASTER_NAME]).catch((e: unknown) => ({
      exitCode: -1,
      stdout: '',
      stderr: (e as Error).message,
    }));
    const answer = parseMasterAddress(r.stdout);
    if (!answer) {
      lastError = firstLine(r.stdout + r.stderr) || `exit ${r.exitCode}`;
      continue;
    }
    const role = await run(answer, ['role']).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: String(e) }));
    const first = role.stdout.split('\n')[0]?.trim();
    const connected = role.exitCode === 0 && (first === 'master' || first === 'slave');
    return {
      vantage: v.vantage,
      from: v.from,
      asked,
      answer: hostPort(answer),
      connected,
      ...(connected ? { role: first } : { error: firstLine(role.stdout + role.stderr) || `exit ${role.exitCode}` }),
    };
  }
  return { vantage: v.vantage, from: v.from, asked, connected: false, error: `no sentinel answered: ${lastError}` };
}

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

/** The master's INFO replication lines as `ip:port state`. */
export const masterInfoLines = (text: string): string[] =>
  parseInfoReplicas(text).map((r) => `${r.ip}:${r.port} ${r.state}`);

/** Reads the whole state: the master's INFO, every sentinel's view, and what each vantage's client gets. */
export async function readSentinelState(
  topo: Pick<StartedTopology, 'exec'>,
  set: RedisSentinelSet,
  book: AddressBook,
  master: SentinelMember,
): Promise<{ state: SentinelState; views: SentinelView[]; masterInfo: string }> {
  const masterInfo = await set.cli(master, ['info', 'replication']);
  const views = await readSentinelViews(set);
  const clients: ClientReach[] = [];
  for (const v of vantages(set, master)) {
    clients.push(await clientReach(topo, set, v));
  }
  return {
    views,
    masterInfo,
    state: {
      masterInfo: masterInfoLines(masterInfo),
      handedOut: views.map((v) => `${v.sentinel} ${v.master ? hostPort(v.master) : '(none)'}`),
      records: recordsOf(set, book, views),
      clients,
    },
  };
}

/** What answers at an address (run from a sentinel's pod, where Sentinel dials it): its run_id's member. */
export async function probeAddress(
  topo: Pick<StartedTopology, 'exec'>,
  set: RedisSentinelSet,
  from: SentinelMember,
  address: string,
  runIds: Map<string, string>,
) {
  const [ip, port] = address.split(':');
  const r = await topo.exec(
    { pod: from.name },
    [set.plan.redisCli, '-h', ip!, '-p', port!, 'info', 'server', 'replication'],
    { reject: false, timeoutMs: CONNECT_TIMEOUT_MS },
  );
  const f = infoFields(r.stdout);
  const runId = f['run_id'];
  return runId
    ? { address, answeredBy: runIds.get(runId) ?? `run_id ${runId.slice(0, 8)}`, role: f['role'] }
    : { address, error: firstLine(r.stdout + r.stderr) || `exit ${r.exitCode}` };
}

/** Every data member's run_id → its name (to tell who answered at an address). */
export async function runIdsOf(set: RedisSentinelSet): Promise<Map<string, string>> {
  const entries = await Promise.all(
    set.plan.data.map(async (m) => [infoFields(await set.cli(m, ['info', 'server']))['run_id'] ?? '', m.name] as const),
  );
  return new Map(entries);
}

// ---------------------------------------------------------------------------------------------
// Events in a sentinel's log (sentinel.c sentinelEvent: `<pid>:X <date> <level> <type> <message>`).

export interface SentinelEvent {
  /** Wall clock of the log line (the sentinel's local time). */
  atEpochMs: number;
  /** `+switch-master`, `+sdown`, `-failover-abort-no-good-slave`, … */
  type: string;
  /** The event as logged, without pid and date: `+sdown slave 10.42.0.1:6379 10.42.0.1 6379 @ mymaster …`. */
  text: string;
}

const EVENT_LINE = /^\d+:X (\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}) [#*.-] ([+-][a-z][\w-]*) ?(.*)$/;

export function sentinelEvents(log: string): SentinelEvent[] {
  const out: SentinelEvent[] = [];
  for (const line of log.split(/\r?\n/)) {
    const m = EVENT_LINE.exec(line.trim());
    const at = m ? Date.parse(m[1]!) : NaN;
    if (m && Number.isFinite(at)) {
      out.push({ atEpochMs: at, type: m[2]!, text: `${m[2]} ${m[3]}`.trim() });
    }
  }
  return out;
}

/** The events that tell what Sentinel did with the addresses (not the +set/+monitor bookkeeping). */
export const STORY_EVENTS = new Set([
  '+slave',
  '+sentinel',
  '+sdown',
  '-sdown',
  '+odown',
  '+convert-to-slave',
  '+selected-slave',
  '+promoted-slave',
  '+switch-master',
  '+failover-end',
  '-failover-abort-no-good-slave',
  '+sentinel-address-switch',
  '+reboot',
]);
