// The NAT meet scenario: masters form a cluster, one more node joins — by the CLUSTER MEET and
// CLUSTER REPLICATE that `redis-cli --cluster add-node … --cluster-slave` performs, or by add-node
// itself where the cell checks what it prints — and the probes record what each side saw. The
// failure is proven as soon as the entry master holds a ghost it fails to dial back; when the join
// fails, the cell applies the fix (announce ip/port/bus-port, MEET again) and records whether that
// makes the node join. Shared by the vitest scenario, `rcnc reproduce` and the bench.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectArtifacts } from '../../src/analyze/collect.ts';
import { isCapabilityError, type Capture, type Provider, type StartedTopology } from '../../src/deploy/provider.ts';
import {
  RedisCluster,
  memberPorts,
  members,
  planFor,
  redisTopologySpec,
  type Address,
  type RedisMember,
} from '../../src/deploy/redis-cluster.ts';
import type { Cell } from '../../src/model/cell.ts';
import type { CellRecordOf, FailedDialBack, NatMapping } from '../../src/model/results.ts';
import { classifyAddress, currentAddressBook } from '../../src/probes/address-class.ts';
import { startPodCaptures, type PodCaptures } from '../../src/probes/capture.ts';
import { hasFlag, type ClusterNode } from '../../src/probes/cluster-nodes.ts';
import {
  findGhosts,
  meetProblems,
  readView,
  readViews,
  waitForMeet,
  type MemberView,
} from '../../src/probes/convergence.ts';
import { kernelBytes, measureFootprint } from '../../src/probes/footprint.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { isTranslated, reconstructNat } from '../../src/probes/nat-map.ts';
import { readSockets } from '../../src/probes/socket-table.ts';
import { inbound } from '../../src/probes/sockets.ts';
import { parseTcpdump } from '../../src/probes/tcpdump-text.ts';
import type { ArtifactSink } from '../../src/suite/artifacts.ts';
import { formShards } from '../../src/suite/formation.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { phaseTimer } from '../../src/suite/phases.ts';
import { hostOf } from '../../src/util/address.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { NatMeetOptions } from './cells.ts';
import type { BusPeer, NatMeetObservation } from './types.ts';
import { natMeetCompatibility } from './words.ts';

export interface NatMeetRun {
  record: CellRecordOf<'nat-meet'>;
  /** How the node joined: CLUSTER MEET + REPLICATE, or redis-cli --cluster add-node. */
  join: NatMeetOptions['join'];
  /** Views right after the join settled or failed. */
  before: MemberView[];
  /** The view that held the ghost when its failed dial-back was seen (failing cells). */
  evidence?: MemberView;
  /** Views after the fix, when one was applied. */
  after?: MemberView[];
  logs: Record<string, string>;
  entry: Address;
  /** Pod IPs at the time of the join. */
  podIps: Record<string, string>;
  /** The cell's collected files in the layout `rcnc analyze` reads (with artifacts on). */
  clusterDir?: string;
  /** The ghost address the datapath should make the entry master record, for failing cells. */
  predictedGhost?: { ip: string; owner: string; device: string };
}

export interface NatMeetScenario extends ScenarioContext {
  /** Capture packets in the joiner's and the entry master's pods (default on). */
  captures?: boolean;
}

const MASTERS = 3;
/** cluster-node-timeout while a large cluster forms (see form()). */
export const FORMING_NODE_TIMEOUT_MS = 2000;

/** The members of a nat-meet cell and the Redis plan they run under. */
function natMeetPlan(cell: Cell<'nat-meet', NatMeetOptions>, scenario: NatMeetScenario) {
  const d = cell.dims;
  const masterCount = cell.options.masters ?? MASTERS;
  const replicaCount = cell.options.replicas ?? 0;
  // Masters spread over the nodes, each replica on the node after its master's; the joiner lands
  // on the last node, so with several nodes its own node is not the entry master's.
  const joinerOrdinal = masterCount + replicaCount;
  const all = members({
    count: joinerOrdinal + 1,
    nodes: d.nodes,
    placement: (i) =>
      i === joinerOrdinal ? d.nodes - 1 : i < masterCount ? i % d.nodes : (i - masterCount + 1) % d.nodes,
    // Over NodePort the masters can only form when they announce; the cell's announce setting is
    // about the joining node (and about everyone on the other exposures).
    announce: (i) => (i === joinerOrdinal || d.exposure !== 'nodeport' ? d.announce === 'ip' : true),
  });
  const plan = planFor({
    exposure: d.exposure,
    policy: d.policy,
    announce: d.announce,
    members: all,
    redisServer: scenario.redis.server,
    redisCli: scenario.redis.cli,
    // Redis's default: the ghost a failed MEET leaves lives this long, long enough to collect.
    nodeTimeoutMs: 15_000,
  });
  const masters = all.slice(0, masterCount);
  const replicas = all.slice(masterCount, joinerOrdinal);
  const joiner = all[joinerOrdinal]!;
  const viaNode = d.exposure === 'nodeport' && cell.options.dial === 'own-node' ? joiner.node : undefined;
  // In a cluster this large only a few members' files are kept as evidence.
  const large = all.length > 12;
  return { all, plan, masters, replicas, joiner, entryMaster: masters[0]!, viaNode, large };
}

type Plan = ReturnType<typeof natMeetPlan>;

export async function runNatMeet(
  provider: Provider,
  cell: Cell<'nat-meet', NatMeetOptions>,
  scenario: NatMeetScenario,
): Promise<NatMeetRun> {
  const d = cell.dims;
  const t0 = performance.now();
  const { phase, all: allTimings } = phaseTimer(scenario.onPhase);
  const p = natMeetPlan(cell, scenario);

  const kernelBefore = await kernelBytes();
  await using topo = await provider.start(redisTopologySpec(p.plan, d.profile, d.nodes));
  phase('topology');
  const cluster = new RedisCluster(topo, p.plan);
  // Packets at both ends of the joiner's connections, to show who rewrote what. A scale cell's
  // formation is timed against bare loopback, so its bus traffic is not captured: the captures
  // start once it is formed, still before the joiner dials.
  const capturing = () => startCaptures(topo, [p.joiner, p.entryMaster], scenario.captures !== false);
  const [{ captures, captureSkipped }, formation] = p.replicas.length
    ? await form(cluster, p, cell.options, kernelBefore).then(async (f) => [await capturing(), f] as const)
    : await Promise.all([capturing(), form(cluster, p, cell.options, kernelBefore)]);
  // Every member's id, the joiner's included: anything else in a view is a ghost.
  const ids = new Set(await Promise.all(p.all.map((m) => cluster.myId(m))));
  phase('bootstrap');

  // The ghost a failed MEET leaves lives cluster-node-timeout, and the failure shows long before
  // the join settles: the entry master is watched from the moment the joiner dials it.
  const watch = watchEntry(cluster, topo, p.entryMaster, ids);
  const added = await joinCluster(cluster, p, cell.options);
  phase('join');
  const outcome = await observeJoin(cluster, topo, watch, ids, p, cell.options.join === 'meet');
  phase('observe');

  const podIps = Object.fromEntries(topo.pods().map((pod) => [pod.name, pod.ip]));
  const startedAt = new Date(Date.now() - (performance.now() - t0));
  const collected = await collectEvidence(topo, p, captures, scenario.artifacts, startedAt);
  const observation = await observe(cluster, topo, p, outcome, ids, added, collected.natMappings, captureSkipped);
  observation.formation = formation;

  const fixes = outcome.meet === 'fails' && d.announce === 'none' && !scenario.keep;
  const fixed = fixes ? await applyFix(cluster, p, observation) : undefined;
  if (fixed) {
    phase('fix');
  }
  const predictedGhost =
    outcome.meet === 'fails' ? await predictGhost(topo, cluster, p.entryMaster, added.entry.ip) : undefined;
  const logs = await saveEvidence(topo, p, scenario.artifacts, outcome, fixed?.after, added.output);
  phase('artifacts');

  // toVerdict: from the cell's start to the failure proven (ghost held, dial-back refused).
  const timings = { ...allTimings(), ...(outcome.verdictAt ? { toVerdict: Math.round(outcome.verdictAt - t0) } : {}) };
  const record: CellRecordOf<'nat-meet'> = {
    ...initialRecord(cell),
    observation,
    fix: fixed ? fixText(d.exposure, fixed.settings) : undefined,
    timings,
    artifacts: scenario.artifacts?.paths ?? [],
  };
  record.compatibility = natMeetCompatibility(observation);
  return {
    record,
    join: cell.options.join,
    before: outcome.views,
    evidence: outcome.evidence,
    after: fixed?.after,
    podIps,
    clusterDir: collected.clusterDir,
    logs,
    entry: added.entry,
    predictedGhost,
  };
}

/**
 * The cluster the node joins. For the add-node cells it must have converged (add-node refuses a
 * cluster whose nodes disagree); for MEET joins the masters' convergence goes on while the joiner
 * dials, unless replicas must attach or the size is measured (scale cells: every member knows
 * every other, replicas attached, cluster_state:ok).
 */
async function form(
  cluster: RedisCluster,
  p: Plan,
  options: NatMeetOptions,
  kernelBefore: number,
): Promise<NatMeetObservation['formation']> {
  if (p.replicas.length) {
    const formed = [...p.masters, ...p.replicas];
    const formedMs = await formShards(cluster, p.masters, p.replicas, FORMING_NODE_TIMEOUT_MS);
    await cluster.setNodeTimeout(formed, p.plan.nodeTimeoutMs);
    const footprint = await measureFootprint(cluster.topology, cluster, formed);
    return { members: formed.length, formedMs, kernelBytes: (await kernelBytes()) - kernelBefore, ...footprint };
  }
  if (options.bootstrap === 'redis-cli') {
    await cluster.createWithRedisCli(p.masters);
  } else {
    await cluster.createManually(p.masters);
  }
  if (options.join === 'add-node') {
    // cluster_state turns ok only 2 s after start (CLUSTER_WRITABLE_DELAY); add-node does not need it.
    await waitForMeet(cluster, { members: p.masters, requireStateOk: false });
  }
  return undefined;
}

/** The joiner dials the entry master over the exposure: CLUSTER MEET, or add-node for its cells. */
async function joinCluster(cluster: RedisCluster, p: Plan, options: NatMeetOptions) {
  if (options.join === 'add-node') {
    return cluster.addNode(p.joiner, p.entryMaster, { slave: true, viaNode: p.viaNode });
  }
  const entry = await cluster.meet(p.joiner, p.entryMaster, p.viaNode);
  return { ok: true, lastLine: '', output: '', entry };
}

/** Starts tcpdump in the given pods; a provider that declares it cannot capture leaves them out. */
async function startCaptures(topo: StartedTopology, pods: RedisMember[], wanted: boolean): Promise<PodCaptures> {
  return wanted
    ? startPodCaptures(topo, pods, (pod) => ({ name: pod, filter: 'tcp and not host 127.0.0.1', maxSeconds: 300 }))
    : Promise.resolve({ captures: new Map<string, Capture>() });
}

/**
 * The cluster as it is now, in the layout `rcnc analyze` reads (this stops the captures), and the
 * NAT mappings the two captures show.
 */
async function collectEvidence(
  topo: StartedTopology,
  p: Plan,
  captures: Map<string, Capture>,
  artifacts: ArtifactSink | undefined,
  startedAt: Date,
) {
  let clusterDir: string | undefined;
  if (artifacts) {
    const dir = artifacts.dir('cluster');
    clusterDir = dir.abs;
    const files = await collectArtifacts(topo, {
      dir: dir.abs,
      pods: evidenceMembers(p).map((m) => ({ name: m.name, port: memberPorts(p.plan, m).port })),
      captures,
      redisCli: p.plan.redisCli,
      startedAt,
    });
    files.forEach((f) => artifacts.track(join(dir.rel, f)));
  }
  const parsed = new Map<string, ReturnType<typeof parseTcpdump>['packets']>();
  for (const [pod, cap] of captures) {
    const result = await cap.stop();
    parsed.set(pod, parseTcpdump(result.text).packets);
    await artifacts?.save(`${pod}.pcap`, await readFile(result.file));
  }
  const natMappings =
    parsed.size === 2
      ? reconstructNat(
          { name: p.joiner.name, packets: parsed.get(p.joiner.name)! },
          { name: p.entryMaster.name, packets: parsed.get(p.entryMaster.name)! },
        ).filter(isTranslated)
      : undefined;
  return { clusterDir, natMappings };
}

/** Every member's address as it is met (`ip:port@cport`): a handshake there is no ghost. */
const memberAddresses = (cluster: RedisCluster, p: Plan): string[] =>
  p.all.map((m) => {
    const a = cluster.address(m);
    return `${a.ip}:${a.port}@${a.cport}`;
  });

/** What the views, the logs and the socket tables show after the join settled. */
async function observe(
  cluster: RedisCluster,
  topo: StartedTopology,
  p: Plan,
  outcome: JoinOutcome,
  ids: Set<string>,
  added: { ok: boolean; lastLine: string; output: string; entry: Address },
  natMappings: NatMapping[] | undefined,
  captureSkipped: string | undefined,
): Promise<NatMeetObservation> {
  const book = await currentAddressBook(topo);
  const entryName = p.entryMaster.name;
  const evidence = outcome.evidence ?? outcome.views.find((v) => v.member === entryName);
  const own = memberAddresses(cluster, p);
  const ghosts = findGhosts(
    outcome.evidence ? [outcome.evidence, ...outcome.views.filter((v) => v.member !== entryName)] : outcome.views,
    ids,
    own,
  );
  const entryView = outcome.views.find((v) => v.member === entryName);
  const entryGhost = evidence && findGhosts([evidence], ids, own).find((g) => g.flags.includes('handshake'));
  const ghostIp = entryGhost && hostOf(entryGhost.address);
  const ghostClass = ghostIp !== undefined ? classifyAddress(ghostIp, book) : undefined;
  const joinerSelf = outcome.views.find((v) => v.member === p.joiner.name)?.nodes.find((n) => hasFlag(n, 'myself'));
  return {
    meet: outcome.meet,
    ghosts,
    ghostOwner: ghostClass?.owner,
    ghostClass: ghostClass?.class,
    failedDialBacks: outcome.failed,
    joinerSelf: joinerSelf ? selfLine(joinerSelf) : undefined,
    joiner: {
      pod: p.joiner.name,
      address: `${topo.pod(p.joiner.name).ip}:${memberPorts(p.plan, p.joiner).port}`,
      dialed: `${added.entry.ip}:${added.entry.port}`,
    },
    entry: {
      pod: entryName,
      address: `${topo.pod(entryName).ip}:${memberPorts(p.plan, p.entryMaster).port}`,
    },
    ...(added.output ? { addNode: { ok: added.ok, lastLine: added.lastLine } } : {}),
    busPeers: await busPeers(cluster, topo, evidenceMembers(p)),
    natMappings,
    captureSkipped,
    clusterState: entryView?.info.cluster_state,
    slotsAssigned: Number(entryView?.info.cluster_slots_assigned ?? 0),
    notes: outcome.notes,
  };
}

/**
 * The fix users apply: announce what others can dial back, then MEET again. Meeting every master
 * (not only the entry) spares waiting for gossip to spread the news.
 */
async function applyFix(cluster: RedisCluster, p: Plan, observation: NatMeetObservation) {
  // The evidence is collected, so the ghost may go: a short node timeout makes every node PING the
  // others often, and the cluster agrees on the announced address in a second, not in many.
  await cluster.setNodeTimeout(p.all, FORMING_NODE_TIMEOUT_MS);
  const settings = await cluster.announce(p.joiner);
  for (const m of p.masters) {
    await cluster.meet(p.joiner, m, m === p.entryMaster ? p.viaNode : undefined);
  }
  let meet: 'ok' | 'fails' = 'ok';
  let after: MemberView[];
  try {
    after = await waitForMeet(cluster, { timeoutMs: p.plan.nodeTimeoutMs * 3 });
  } catch (e) {
    meet = 'fails';
    observation.notes.push(`after the fix: ${(e as Error).message}`);
    after = await readViews(cluster);
  }
  observation.fix = {
    settings,
    meet,
    clusterState: after.find((v) => v.member === p.entryMaster.name)?.info.cluster_state ?? '?',
    nodeTimeoutMs: FORMING_NODE_TIMEOUT_MS,
  };
  return { settings, after };
}

/** Reads the kept members' logs and saves them with the views; returns the logs. */
async function saveEvidence(
  topo: StartedTopology,
  p: Plan,
  artifacts: ArtifactSink | undefined,
  outcome: JoinOutcome,
  afterFix: MemberView[] | undefined,
  addNodeOutput: string,
): Promise<Record<string, string>> {
  const members = evidenceMembers(p);
  const logs = Object.fromEntries(await Promise.all(members.map(async (m) => [m.name, await topo.logs(m.name)])));
  const kept = new Set(members.map((m) => m.name));
  await saveViews(
    artifacts,
    outcome,
    afterFix?.filter((v) => kept.has(v.member)),
    logs,
    addNodeOutput,
  );
  return logs;
}

async function saveViews(
  artifacts: ArtifactSink | undefined,
  outcome: JoinOutcome,
  after: MemberView[] | undefined,
  logs: Record<string, string>,
  addNodeOutput: string,
): Promise<void> {
  if (!artifacts) {
    return;
  }
  for (const v of outcome.views) {
    await artifacts.save(`${v.member}.cluster-nodes.txt`, v.raw);
  }
  if (outcome.evidence) {
    await artifacts.save(`${outcome.evidence.member}.cluster-nodes.ghost.txt`, outcome.evidence.raw);
  }
  if (addNodeOutput) {
    await artifacts.save('add-node.txt', addNodeOutput);
  }
  for (const v of after ?? []) {
    await artifacts.save(`${v.member}.cluster-nodes.after-fix.txt`, v.raw);
  }
  for (const [pod, log] of Object.entries(logs)) {
    await artifacts.save(`${pod}.log`, log);
  }
}

interface Sighting {
  view: MemberView;
  failed: FailedDialBack[];
  /** performance.now() when the failure was proven. */
  at: number;
}

/**
 * Watches one member until it holds a ghost it fails to dial back; `stop()` ends the watch. The
 * log is cheap to read and the refused dial-back shows there first (Redis retries it every
 * clusterCron tick, 100 ms), so the view is only read once the log has the line.
 */
function watchEntry(cluster: RedisCluster, topo: StartedTopology, m: RedisMember, ids: Set<string>) {
  let stopped = false;
  const sighting = (async (): Promise<Sighting | undefined> => {
    while (!stopped) {
      const strangers = findFailedConnections(await topo.logs(m.name)).filter((f) => !ids.has(f.nodeId));
      if (strangers.length) {
        const view = await readView(cluster, m).catch(() => undefined);
        const ghosts = view ? findGhosts([view], ids) : [];
        const failed = strangers
          .filter((f) => ghosts.some((g) => g.nodeId === f.nodeId))
          .map((f) => ({ pod: m.name, nodeId: f.nodeId, address: `${f.ip}:${f.port}` }));
        if (view && failed.length) {
          return { view, failed: [...new Map(failed.map((f) => [f.nodeId, f])).values()], at: performance.now() };
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  })();
  return {
    sighting,
    stop: () => {
      stopped = true;
      return sighting;
    },
  };
}

/**
 * Settles the join: everyone knows everyone (meet ok), or the entry master holds a ghost it fails
 * to dial back (meet fails). Requiring both the ghost and the failed dial-back keeps a healthy
 * handshake in progress from counting as a failure. A MEET join makes the joiner a replica of the
 * entry master as soon as it knows that master, as add-node does.
 */
interface JoinOutcome {
  meet: 'ok' | 'fails';
  views: MemberView[];
  evidence?: MemberView;
  failed: FailedDialBack[];
  /** When the failure was proven (performance.now()). */
  verdictAt?: number;
  notes: string[];
}

async function observeJoin(
  cluster: RedisCluster,
  topo: StartedTopology,
  watch: ReturnType<typeof watchEntry>,
  ids: Set<string>,
  p: Plan,
  replicate: boolean,
): Promise<JoinOutcome> {
  const bound = cluster.plan.nodeTimeoutMs * 2;
  const notes: string[] = [];
  let replicated = !replicate;
  let problems: string[] = ['not read yet'];
  let views: MemberView[] = [];
  const settled = async () => {
    replicated ||= await replicateWhenKnown(cluster, p);
    const failing = await Promise.race([watch.sighting, Promise.resolve(undefined)]);
    if (failing && replicated) {
      return true;
    }
    views = await readViews(cluster, watchedMembers(p));
    problems = meetProblems(views);
    return problems.length === 0 && replicated;
  };
  try {
    await waitFor({
      target: 'the join to settle',
      timeoutMs: bound,
      intervalMs: 50,
      check: async () => ({ done: await settled(), state: problems.join('; ') }),
    });
  } catch {
    notes.push(`neither met nor showed a failed dial-back within ${bound}ms: ${problems.join('; ')}`);
  }
  const sighting = await watch.stop();
  views = await readViews(cluster, watchedMembers(p));
  problems = meetProblems(views);
  const meet: 'ok' | 'fails' = problems.length === 0 ? 'ok' : 'fails';
  return {
    meet,
    views,
    evidence: sighting?.view,
    failed: sighting?.failed ?? [],
    verdictAt: sighting?.at,
    notes: meet === 'ok' ? [] : [...problems, ...notes],
  };
}

/** CLUSTER REPLICATE of the entry master on the joiner, once the joiner knows it; true once sent. */
async function replicateWhenKnown(cluster: RedisCluster, p: Plan): Promise<boolean> {
  const masterId = await cluster.myId(p.entryMaster);
  const view = await readView(cluster, p.joiner);
  const known = view.nodes.find((n) => n.id === masterId);
  if (!known || hasFlag(known, 'handshake') || !hasFlag(known, 'master')) {
    return false;
  }
  await cluster.cli(p.joiner, ['cluster', 'replicate', masterId]);
  return true;
}

/**
 * The members whose views decide the join: all of a small cluster; in a large one the entry
 * master, the joiner and a master on every other node are enough to see the joiner known or not.
 */
function watchedMembers(p: Plan): RedisMember[] {
  if (!p.large) {
    return p.all;
  }
  const nodes = new Set<number>();
  const some = p.masters.filter((m) => !nodes.has(m.node) && nodes.add(m.node));
  return [...new Set([p.entryMaster, ...some, p.joiner])];
}

/** Whose files (views, sockets, logs) are kept: every member, or the watched ones of a large cluster. */
const evidenceMembers = (p: Plan): RedisMember[] => (p.large ? [p.entryMaster, p.joiner] : p.all);

/**
 * Where MASQUERADE should leave the joiner's MEET, for a NodePort entry under policy Cluster: the
 * ingress node masquerades with the address of the device its route to the endpoint leaves by
 * (docs/datapath.md#masquerade-source-address), which `ip route get` on that node names as `src`.
 */
async function predictGhost(topo: StartedTopology, cluster: RedisCluster, endpoint: RedisMember, dialedIp: string) {
  if (cluster.plan.exposure !== 'nodeport' || cluster.plan.policy !== 'Cluster') {
    return undefined;
  }
  const ingress = topo.nodes.find((n) => n.ip === dialedIp);
  if (!ingress) {
    return undefined;
  }
  // Needs a shell on the ingress node; providers without one leave the prediction out.
  const r = await topo
    .exec({ node: ingress.index }, ['ip', '-o', 'route', 'get', topo.pod(endpoint.name).ip])
    .catch((e: unknown) => {
      if (isCapabilityError(e)) {
        return undefined;
      }
      throw e;
    });
  if (!r) {
    return undefined;
  }
  const src = /\bsrc (\S+)/.exec(r.stdout)?.[1];
  const dev = /\bdev (\S+)/.exec(r.stdout)?.[1];
  return src
    ? { ip: src, owner: classifyAddress(src, await currentAddressBook(topo)).owner, device: dev ?? '?' }
    : undefined;
}

async function busPeers(cluster: RedisCluster, topo: StartedTopology, members: RedisMember[]): Promise<BusPeer[]> {
  const book = await currentAddressBook(topo);
  const peers: BusPeer[] = [];
  for (const m of members) {
    const table = await readSockets(topo, { pod: m.name });
    for (const s of inbound(table.sockets, memberPorts(cluster.plan, m).busPort)) {
      if (!s.peer) {
        continue;
      }
      peers.push({
        pod: m.name,
        local: `${s.local.ip}:${s.local.port}`,
        peer: `${s.peer.ip}:${s.peer.port}`,
        class: classifyAddress(s.peer.ip, book).class,
      });
    }
  }
  return peers;
}

const selfLine = (n: ClusterNode) => `${n.ip}:${n.port}@${n.cport} ${n.flags.join(',')}`;

function fixText(exposure: string, settings: string[]): string {
  const what = exposure === 'nodeport' ? 'on every node reached over NodePort' : 'on every node';
  const generic = settings
    .map((s) => s.split(' ')[0])
    .map((k) =>
      k === 'cluster-announce-ip'
        ? `${k} <${exposure === 'pod-ip' ? 'pod IP' : 'node IP (status.hostIP)'}>`
        : k === 'cluster-announce-port'
          ? `${k} <client ${exposure === 'nodeport' ? 'NodePort' : 'port'}>`
          : `${k} <bus ${exposure === 'nodeport' ? 'NodePort' : 'port'}>`,
    );
  return `${what}: ${generic.join(', ')}; then CLUSTER MEET again (here: ${settings.join(', ')})`;
}
