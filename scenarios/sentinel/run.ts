// The sentinel scenario: one master, two replicas and three sentinels are deployed over the cell's
// exposure; replicas REPLICAOF the master and sentinels MONITOR it the way the exposure reaches it,
// with tcpdump in the data pods while replication starts. The runner then reads what the master
// lists (INFO replication), what every sentinel records (SENTINEL replicas/sentinels,
// get-master-addr-by-name), what answers at each recorded address, and what a client on the
// master's node, on another node and outside gets from Sentinel. It tries a failover; when the
// cell does not work as deployed it applies the announce settings, repairs replication and
// monitors again, and tries once more. Failover and rolling-update cells run faults.ts instead.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodesTable, podsTable, servicesTable } from '../../src/analyze/collect.ts';
import { isCapabilityError, type Capture, type Provider, type StartedTopology } from '../../src/deploy/provider.ts';
import {
  hostPort,
  MASTER_NAME,
  members,
  RedisSentinelSet,
  sentinelPlan,
  sentinelTopologySpec,
  type SentinelMember,
} from '../../src/deploy/redis-sentinel.ts';
import type { Cell } from '../../src/model/cell.ts';
import type { CellRecordOf, NatMapping, SentinelState } from '../../src/model/results.ts';
import { addressBook } from '../../src/probes/address-class.ts';
import { startPodCaptures, type PodCaptures } from '../../src/probes/capture.ts';
import { isTranslated, reconstructNat } from '../../src/probes/nat-map.ts';
import {
  probeAddress,
  readSentinelState,
  runIdsOf,
  sentinelEvents,
  STORY_EVENTS,
  type SentinelView,
} from '../../src/probes/sentinel.ts';
import { parseTcpdump } from '../../src/probes/tcpdump-text.ts';
import type { ArtifactSink } from '../../src/suite/artifacts.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { phaseTimer } from '../../src/suite/phases.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { SentinelOptions } from './cells.ts';
import { failoverUnderLoad, rollingUpdate, wholeRestart } from './faults.ts';
import { manualFailover, replicasUp, settled } from './steps.ts';
import type { SentinelObservation } from './types.ts';
import { sentinelCompatibility, sentinelFailoverWorks, sentinelRestartWorks, sentinelStateWorks } from './words.ts';

export interface SentinelRun {
  record: CellRecordOf<'sentinel'>;
  /** The deployed state's transcripts in the layout `rcnc analyze` reads (with artifacts on). */
  analyzeDir?: string;
  /** Every sentinel's view as deployed. */
  views: SentinelView[];
}

export interface SentinelScenario extends ScenarioContext {
  /** Capture packets in the data pods while replication starts (default on). */
  captures?: boolean;
}

/** Sentinel waits 4 publish periods (8 s) before it converts a replica that claims to be master. */
const CONVERT_MS = 30_000;

export async function runSentinel(
  provider: Provider,
  cell: Cell<'sentinel', SentinelOptions>,
  scenario: SentinelScenario,
): Promise<SentinelRun> {
  const d = cell.dims;
  const { phase, all } = phaseTimer(scenario.onPhase);
  const plan = sentinelPlan({
    exposure: d.exposure,
    policy: d.policy,
    nodes: d.nodes,
    replicationPath: cell.options.replicationPath,
    announce: d.announce === 'ip',
    persistence: cell.options.kind !== 'views',
    redisServer: scenario.redis.server,
    redisCli: scenario.redis.cli,
  });
  await using topo = await provider.start(sentinelTopologySpec(plan, d.profile, d.nodes));
  const set = new RedisSentinelSet(topo, plan);
  phase('topology');
  const boot = await bootstrap(topo, set, scenario.captures !== false, scenario.artifacts);
  phase('bootstrap');
  const deployed = await readSentinelState(topo, set, addressBook(topo), set.master);
  const analyzeDir = await saveTranscripts(scenario.artifacts, topo, set, deployed);
  const base = {
    members: memberLines(set),
    natMappings: boot.natMappings,
    replicationSources: boot.replicationSources,
    captureSkipped: boot.captureSkipped,
  };
  let observation: SentinelObservation;
  if (cell.options.kind === 'views') {
    observation = { ...base, ...(await observeViews(topo, set, deployed.state, phase)), events: [] };
  } else if (cell.options.kind === 'whole-restart') {
    observation = { ...base, ...(await observeRestart(topo, set, deployed.state, phase)), events: [] };
  } else {
    const fault = cell.options.kind === 'failover' ? failoverUnderLoad : rollingUpdate;
    const failover = await fault(topo, set);
    phase('fault');
    observation = { ...base, ...deployedFacts(deployed.state), failover, events: [], notes: [] };
  }
  observation.events = await storyEvents(topo, set);
  await saveLogs(scenario.artifacts, topo, set);
  const record: CellRecordOf<'sentinel'> = {
    ...initialRecord(cell),
    observation,
    compatibility: sentinelCompatibility(observation),
    fix: observation.fix
      ? observation.restart
        ? namesFixText(observation.fix.settings)
        : fixText(d.exposure, observation.fix.settings)
      : undefined,
    timings: all(),
    artifacts: scenario.artifacts?.paths ?? [],
  };
  return { record, analyzeDir, views: deployed.views };
}

/** The deployed state and what follows from it: the rewritten replica records and their classes. */
function deployedFacts(state: SentinelState) {
  const rewritten = state.records.filter((r) => r.kind === 'replica' && r.member === undefined);
  const listed = new Map<string, number>();
  for (const line of state.masterInfo) {
    const address = line.split(' ')[0]!;
    listed.set(address, (listed.get(address) ?? 0) + 1);
  }
  return {
    deployed: state,
    rewritten,
    rewriteClasses: [...new Set(rewritten.map((r) => r.class))].sort(),
    // The master lists two replicas at one address: Sentinel keeps one record for both.
    collapsed: [...listed.entries()].filter(([, n]) => n > 1).map(([a, n]) => `${n} replicas listed at ${a}`),
  };
}

const memberLines = (set: RedisSentinelSet): string[] =>
  members(set.plan).map((m) => {
    const pod = set.pod(m);
    const role = m === set.master ? 'master' : m.role === 'data' ? 'replica' : 'sentinel';
    return `${m.name} ${role} ${hostPort(set.podAddress(m))} (node-${pod.node}), reached at ${hostPort(set.address(m))}`;
  });

// ---------------------------------------------------------------------------------------------
// Bootstrap.

interface Boot {
  natMappings?: NatMapping[];
  replicationSources?: string[];
  captureSkipped?: string;
}

/** REPLICAOF (with packets at both ends), MONITOR, and every view settled. */
async function bootstrap(
  topo: StartedTopology,
  set: RedisSentinelSet,
  capture: boolean,
  artifacts: ArtifactSink | undefined,
): Promise<Boot> {
  const { captures, captureSkipped } = await startCaptures(topo, set.plan.data, capture);
  for (const r of set.replicas) {
    await set.replicate(r);
  }
  await replicasUp(set, set.replicas);
  const nat = captures.size ? await replicationNat(set, captures, artifacts) : undefined;
  for (const s of set.plan.sentinels) {
    await set.monitor(s);
  }
  await settled(set);
  return { natMappings: nat?.mappings, replicationSources: nat?.sources, captureSkipped };
}

async function startCaptures(topo: StartedTopology, pods: SentinelMember[], wanted: boolean): Promise<PodCaptures> {
  return wanted
    ? startPodCaptures(topo, pods, (pod) => ({ name: `${pod}-replication`, filter: 'tcp', maxSeconds: 120 }))
    : Promise.resolve({ captures: new Map<string, Capture>() });
}

/** Each replica's replication connection as it left the replica and as it reached the master. */
async function replicationNat(
  set: RedisSentinelSet,
  captures: Map<string, Capture>,
  artifacts: ArtifactSink | undefined,
): Promise<{ mappings: NatMapping[]; sources: string[] }> {
  const packets = new Map<string, ReturnType<typeof parseTcpdump>['packets']>();
  for (const [pod, cap] of captures) {
    const result = await cap.stop();
    packets.set(pod, parseTcpdump(result.text).packets);
    await artifacts?.save(`${pod}.replication.pcap`, await readFile(result.file));
    await artifacts?.save(`${pod}.replication.tcpdump.txt`, result.text);
  }
  const master = { name: set.master.name, packets: packets.get(set.master.name) ?? [] };
  const port = set.podAddress(set.master).port;
  const mappings = set.replicas.flatMap((r) =>
    reconstructNat({ name: r.name, packets: packets.get(r.name) ?? [] }, master).filter(
      (m) => isTranslated(m) && m.as.endsWith(`:${port}`),
    ),
  );
  // The SYNs that reached the master's port from anywhere but its own loopback.
  const sources = master.packets
    .filter((p) => p.dst.port === port && p.flags.startsWith('S') && !p.flags.includes('.') && p.src.ip !== '127.0.0.1')
    .map((p) => p.src.ip);
  return { mappings, sources: [...new Set(sources)].sort() };
}

// ---------------------------------------------------------------------------------------------
// Views cells: the deployed state, a failover, and the fix.

async function observeViews(
  topo: StartedTopology,
  set: RedisSentinelSet,
  first: SentinelState,
  phase: (name: string) => void,
): Promise<Omit<SentinelObservation, 'members' | 'natMappings' | 'captureSkipped' | 'events'>> {
  const notes: string[] = [];
  const runIds = await runIdsOf(set);
  const probeFrom = set.plan.sentinels[0]!;
  const facts = deployedFacts(first);
  const probes = await Promise.all(
    [...new Set(facts.rewritten.map((r) => r.address))].map((a) => probeAddress(topo, set, probeFrom, a, runIds)),
  );
  let state = first;
  // A record that leads back to the master: Sentinel converts the master into a replica of it
  // (docs/sentinel.md#convert-to-slave). The conversion may already be under way when the probe
  // answers (role slave, the first state read before it), so whatever role it reports, wait for
  // the conversion and read the state again.
  if (probes.some((p) => p.answeredBy === set.master.name)) {
    notes.push(await demoted(set, set.master));
    state = (await readSentinelState(topo, set, addressBook(topo), set.master)).state;
  }
  phase('observe');
  const masters = await set.currentMasters();
  const failover = masters.length === 1 ? await manualFailover(topo, set, masters[0]!) : undefined;
  if (!failover) {
    notes.push(
      `no failover tried: ${masters.length} data pods answer as master (${masters.map((m) => m.name).join(', ') || 'none'})`,
    );
  }
  phase('failover');
  const works = sentinelStateWorks(state) && sentinelFailoverWorks(failover);
  const fix = works ? undefined : await applyFix(topo, set);
  if (fix) {
    phase('fix');
  }
  return { ...deployedFacts(state), probes, ...(failover ? { failover } : {}), ...(fix ? { fix } : {}), notes };
}

/** Waits until `m` no longer answers as master; says how long it took, or that it did not. */
async function demoted(set: RedisSentinelSet, m: SentinelMember): Promise<string> {
  const t = performance.now();
  try {
    const { value } = await waitFor({
      target: `${m.name} to be turned into a replica by Sentinel`,
      timeoutMs: CONVERT_MS,
      intervalMs: 250,
      check: async () => {
        const info = await set.replication(m);
        return {
          done: info['role'] === 'slave',
          state: `role:${info['role']}`,
          value: `${info['master_host']}:${info['master_port']} (link ${info['master_link_status']})`,
        };
      },
    });
    return `${m.name} became a replica of ${value} ${Math.round(performance.now() - t)} ms after the records were read`;
  } catch (e) {
    return `${m.name} stayed master: ${(e as Error).message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The fix.

/**
 * Stop Sentinel acting, announce the exposure address everywhere, keep the master Sentinel hands
 * out (or make redis-0 master again when that is not one data pod answering as master), point
 * every other data pod at its exposure address (a new handshake carries the announced address),
 * monitor it there (which forgets the rewritten records), then read everything and fail over.
 */
async function applyFix(topo: StartedTopology, set: RedisSentinelSet) {
  const handedOut = await set.masterAddress(set.plan.sentinels[0]!).catch(() => undefined);
  // Sentinel first stops acting on the rewritten records: a failover it started on its own (the
  // demoted master goes s_down, and it promotes a record), or the conversion of an old master
  // after a failover, would otherwise go on sending REPLICAOF to the pods rearranged below.
  await set.unmonitor();
  const settings = [`every sentinel: SENTINEL REMOVE ${MASTER_NAME}`, ...(await set.announce())];
  const masters = await set.currentMasters();
  const master =
    masters.find((m) => handedOut && set.trueAddresses(m).includes(hostPort(handedOut))) ??
    (masters.length === 1 ? masters[0]! : set.master);
  if (!masters.includes(master)) {
    await set.cli(master, ['replicaof', 'no', 'one']);
    settings.push(`${master.name}: REPLICAOF NO ONE, as Sentinel had left no master`);
  }
  // Replicas follow the address Sentinel will monitor: following any other (a pod IP while
  // Sentinel monitors the load balancer) makes Sentinel correct them (+fix-slave-config) one
  // failover-timeout later, closing their links, and a failover asked for then finds no replica.
  const at = set.address(master);
  const others = set.plan.data.filter((m) => m !== master);
  for (const r of others) {
    await set.replicate(r, master, at);
    await set.cli(r, ['client', 'kill', 'type', 'master']);
    settings.push(`${r.name}: REPLICAOF ${hostPort(at)}`);
  }
  await replicasUp(set, others);
  await set.monitorEverywhere(at);
  settings.push(`every sentinel: SENTINEL MONITOR ${MASTER_NAME} ${hostPort(at)} ${set.plan.quorum}`);
  await settled(set);
  const state = (await readSentinelState(topo, set, addressBook(topo), master)).state;
  const failover = await manualFailover(topo, set, master);
  return { settings, state, failover };
}

// ---------------------------------------------------------------------------------------------
// Whole-restart cells: every pod at once, then the same with names.

async function observeRestart(
  topo: StartedTopology,
  set: RedisSentinelSet,
  first: SentinelState,
  phase: (name: string) => void,
): Promise<Omit<SentinelObservation, 'members' | 'natMappings' | 'captureSkipped' | 'events'>> {
  const restart = await wholeRestart(topo, set);
  phase('restart');
  if (sentinelRestartWorks(restart)) {
    return { ...deployedFacts(first), restart, notes: [] };
  }
  // The fix on the set as the restart left it: the data pod that answers as master stays master.
  const masters = await set.currentMasters();
  const master = masters.length === 1 ? masters[0]! : set.master;
  const settings = await set.useHostnames(master);
  await replicasUp(
    set,
    set.plan.data.filter((m) => m !== master),
  );
  await settled(set);
  const state = (await readSentinelState(topo, set, addressBook(topo), master)).state;
  const again = await wholeRestart(topo, set);
  phase('fix');
  return { ...deployedFacts(first), restart, fix: { settings, state, restart: again }, notes: [] };
}

function namesFixText(settings: string[]): string {
  return (
    'give every pod its headless-Service name (<pod>.<service>.<namespace>.svc.<cluster domain>); on every data pod ' +
    'replica-announce-ip <its name>; on every sentinel sentinel resolve-hostnames yes, sentinel announce-hostnames yes ' +
    `and sentinel announce-ip <its name>; replicas and sentinels follow the master by name (here: ${settings.join('; ')})`
  );
}

function fixText(exposure: string, settings: string[]): string {
  const where = exposure === 'pod-ip' ? 'pod IP' : 'node IP (status.hostIP)';
  const port = exposure === 'nodeport' ? 'NodePort' : exposure === 'loadbalancer' ? 'load-balancer port' : 'port';
  return (
    `on every data pod replica-announce-ip <${where}> and replica-announce-port <its ${port}>; on every sentinel ` +
    `sentinel announce-ip <${where}> and sentinel announce-port <its ${port}>; sentinels monitor the master at its ` +
    `announced address (here: ${settings.join('; ')})`
  );
}

// ---------------------------------------------------------------------------------------------
// Evidence.

/** What every sentinel logged of the story, merged in time order (any of them may act). */
async function storyEvents(topo: StartedTopology, set: RedisSentinelSet): Promise<string[]> {
  const events = await Promise.all(
    set.plan.sentinels.map(async (s) =>
      sentinelEvents(await topo.logs(s.name))
        .filter((e) => STORY_EVENTS.has(e.type))
        .map((e) => ({ ...e, sentinel: s.name })),
    ),
  );
  return events
    .flat()
    .sort((a, b) => a.atEpochMs - b.atEpochMs)
    .slice(0, 120)
    .map((e) => `${new Date(e.atEpochMs).toISOString().slice(11, 23)} ${e.sentinel} ${e.text}`);
}

/** The deployed state's transcripts, named as `rcnc analyze` reads them, with the kubectl tables. */
async function saveTranscripts(
  artifacts: ArtifactSink | undefined,
  topo: StartedTopology,
  set: RedisSentinelSet,
  deployed: { views: SentinelView[]; masterInfo: string },
): Promise<string | undefined> {
  if (!artifacts) {
    return undefined;
  }
  const dir = artifacts.dir('sentinel');
  const files: [string, string][] = [[`${set.master.name}.info-replication.txt`, deployed.masterInfo]];
  for (const r of set.replicas) {
    files.push([`${r.name}.info-replication.txt`, await set.cli(r, ['info', 'replication'])]);
  }
  for (const v of deployed.views) {
    files.push(
      [`${v.sentinel}.sentinel-replicas.txt`, v.replicasText],
      [`${v.sentinel}.sentinel-sentinels.txt`, v.sentinelsText],
      [`${v.sentinel}.sentinel-master.txt`, v.masterText],
    );
  }
  const age = '1m';
  files.push(['pods.txt', podsTable(topo, age, {})], ['nodes.txt', await nodesTable(topo, age)]);
  for (const n of topo.nodes) {
    // Needs a shell on the node; providers without one leave the owners to be inferred.
    const r = await topo.exec({ node: n.index }, ['ip', 'addr']).catch((e: unknown) => {
      if (isCapabilityError(e)) {
        return undefined;
      }
      throw e;
    });
    if (r) {
      files.push([`${n.name}.ip-addr.txt`, r.stdout]);
    }
  }
  if (topo.services.length || topo.loadBalancers.length) {
    files.push(['services.txt', servicesTable(topo, age)]);
  }
  for (const [name, text] of files) {
    await artifacts.save(join('sentinel', name), text);
  }
  return dir.abs;
}

async function saveLogs(artifacts: ArtifactSink | undefined, topo: StartedTopology, set: RedisSentinelSet) {
  for (const m of members(set.plan)) {
    await artifacts?.save(`${m.name}.log`, await topo.logs(m.name));
  }
}
