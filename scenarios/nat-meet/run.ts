// The NAT meet scenario: masters form a cluster, one more node joins the way operators do it
// (`redis-cli --cluster add-node … --cluster-slave`), and the probes record what each side saw.
// When the join fails, the cell applies the fix (announce ip/port/bus-port, MEET again) and
// records whether that makes the node join. Shared by the vitest scenario, `rcnc reproduce` and
// the benchmark, so all three run the same steps.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectArtifacts } from '../../src/analyze/collect.ts';
import type { Capture, Provider, StartedTopology } from '../../src/deploy/provider.ts';
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
import type { BusPeer, CellRecordOf, FailedDialBack, NatMapping, NatMeetObservation } from '../../src/model/results.ts';
import { natMeetCompatibility } from '../../src/model/vocabulary.ts';
import { classifyAddress, currentAddressBook } from '../../src/probes/address-class.ts';
import { hasFlag, type ClusterNode } from '../../src/probes/cluster-nodes.ts';
import {
  findGhosts,
  meetProblems,
  readView,
  readViews,
  waitForMeet,
  type MemberView,
} from '../../src/probes/convergence.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { isTranslated, reconstructNat } from '../../src/probes/nat-map.ts';
import { readSockets } from '../../src/probes/socket-table.ts';
import { inbound } from '../../src/probes/sockets.ts';
import { parseTcpdump } from '../../src/probes/tcpdump-text.ts';
import type { ArtifactSink } from '../../src/suite/artifacts.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { phaseTimer } from '../../src/suite/phases.ts';
import { hostOf } from '../../src/util/address.ts';
import { isCapabilityError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { NatMeetOptions } from './cells.ts';

export interface NatMeetRun {
  record: CellRecordOf<'nat-meet'>;
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

export interface NatMeetContext extends ScenarioContext {
  /** Capture packets in the joiner's and the entry master's pods (default on). */
  captures?: boolean;
}

const MASTERS = 3;

/** The members of a nat-meet cell and the Redis plan they run under. */
function natMeetPlan(cell: Cell<'nat-meet', NatMeetOptions>, ctx: NatMeetContext) {
  const d = cell.dims;
  // Masters spread over the nodes; the joiner lands on the last node, so with several nodes its
  // own node is not the entry master's.
  const joinerOrdinal = MASTERS;
  const all = members({
    count: MASTERS + 1,
    nodes: d.nodes,
    placement: (i) => (i === joinerOrdinal ? d.nodes - 1 : i % d.nodes),
    // Over NodePort the masters can only form when they announce; the cell's announce setting is
    // about the joining node (and about everyone on the other exposures).
    announce: (i) => (i === joinerOrdinal || d.exposure !== 'nodeport' ? d.announce === 'ip' : true),
  });
  const plan = planFor({
    exposure: d.exposure,
    policy: d.policy,
    announce: d.announce,
    members: all,
    redisServer: ctx.redis.server,
    redisCli: ctx.redis.cli,
    // Redis's default: the ghost a failed MEET leaves lives this long, long enough to collect.
    nodeTimeoutMs: 15_000,
  });
  const masters = all.slice(0, MASTERS);
  const joiner = all[joinerOrdinal]!;
  const viaNode = d.exposure === 'nodeport' && cell.options.dial === 'own-node' ? joiner.node : undefined;
  return { all, plan, masters, joiner, entryMaster: masters[0]!, viaNode };
}

type Plan = ReturnType<typeof natMeetPlan>;

export async function runNatMeet(
  provider: Provider,
  cell: Cell<'nat-meet', NatMeetOptions>,
  ctx: NatMeetContext,
): Promise<NatMeetRun> {
  const d = cell.dims;
  const t0 = performance.now();
  const { phase, all: allTimings } = phaseTimer(ctx.onPhase);
  const p = natMeetPlan(cell, ctx);

  await using topo = await provider.start(redisTopologySpec(p.plan, d.profile, d.nodes));
  phase('topology');
  const cluster = new RedisCluster(topo, p.plan);
  await formMasters(cluster, p, cell.options.bootstrap);
  phase('bootstrap');

  // Packets at both ends of the joiner's connections, to show who rewrote what.
  const { captures, captureSkipped } = await startCaptures(topo, [p.joiner, p.entryMaster], ctx.captures !== false);
  // Every member's id, the joiner's included: anything else in a view is a ghost.
  const ids = new Set(await Promise.all(p.all.map((m) => cluster.myId(m))));
  // add-node waits on gossip for a variable time (1 s to several); the ghost it causes lives only
  // cluster-node-timeout. So the entry master is watched while add-node runs, and the view that
  // holds the ghost is kept as evidence.
  const watch = watchEntry(cluster, topo, p.entryMaster, ids);
  const added = await cluster.addNode(p.joiner, p.entryMaster, { slave: true, viaNode: p.viaNode });
  phase('join');
  const outcome = await observeJoin(cluster, topo, watch, ids);
  phase('observe');

  const podIps = Object.fromEntries(topo.pods().map((pod) => [pod.name, pod.ip]));
  const collected = await collectEvidence(
    topo,
    p,
    captures,
    ctx.artifacts,
    new Date(Date.now() - (performance.now() - t0)),
  );
  const observation = await observe(cluster, topo, p, outcome, ids, added, collected.natMappings, captureSkipped);

  const fixed = outcome.meet === 'fails' && d.announce === 'none' ? await applyFix(cluster, p, observation) : undefined;
  if (fixed) {
    phase('fix');
  }
  const predictedGhost =
    outcome.meet === 'fails' ? await predictGhost(topo, cluster, p.entryMaster, added.entry.ip) : undefined;
  const logs = Object.fromEntries(await Promise.all(p.all.map(async (m) => [m.name, await topo.logs(m.name)])));
  await saveViews(ctx.artifacts, outcome, fixed?.after, logs, added.output);
  phase('artifacts');

  const record: CellRecordOf<'nat-meet'> = {
    ...initialRecord(cell),
    observation,
    fix: fixed ? fixText(d.exposure, fixed.settings) : undefined,
    timings: allTimings(),
    artifacts: ctx.artifacts?.paths ?? [],
  };
  record.compatibility = natMeetCompatibility(observation);
  return {
    record,
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

async function formMasters(cluster: RedisCluster, p: Plan, bootstrap: NatMeetOptions['bootstrap']): Promise<void> {
  if (bootstrap === 'redis-cli') {
    await cluster.createWithRedisCli(p.masters);
  } else {
    await cluster.createManually(p.masters);
  }
  // cluster_state turns ok only 2 s after start (CLUSTER_WRITABLE_DELAY); the join does not need it.
  await waitForMeet(cluster, { members: p.masters, requireStateOk: false });
}

/** Starts tcpdump in the given pods; a provider that declares it cannot capture leaves them out. */
async function startCaptures(topo: StartedTopology, pods: RedisMember[], wanted: boolean) {
  const captures = new Map<string, Capture>();
  let captureSkipped: string | undefined;
  if (!wanted) {
    return { captures, captureSkipped };
  }
  try {
    for (const m of pods) {
      const filter = 'tcp and not host 127.0.0.1';
      captures.set(m.name, await topo.capture({ pod: m.name }, { name: m.name, filter, maxSeconds: 300 }));
    }
  } catch (e) {
    if (!isCapabilityError(e)) {
      throw e;
    }
    await Promise.allSettled([...captures.values()].map((c) => c.stop()));
    captures.clear();
    captureSkipped = e.message;
  }
  return { captures, captureSkipped };
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
      pods: p.all.map((m) => ({ name: m.name, port: memberPorts(p.plan, m).port })),
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

/** What the views, the logs and the socket tables show after the join settled. */
async function observe(
  cluster: RedisCluster,
  topo: StartedTopology,
  p: Plan,
  outcome: JoinOutcome,
  ids: Set<string>,
  added: { ok: boolean; lastLine: string; entry: Address },
  natMappings: NatMapping[] | undefined,
  captureSkipped: string | undefined,
): Promise<NatMeetObservation> {
  const book = await currentAddressBook(topo);
  const entryName = p.entryMaster.name;
  const evidence = outcome.evidence ?? outcome.views.find((v) => v.member === entryName);
  const ghosts = findGhosts(
    outcome.evidence ? [outcome.evidence, ...outcome.views.filter((v) => v.member !== entryName)] : outcome.views,
    ids,
  );
  const entryView = outcome.views.find((v) => v.member === entryName);
  const entryGhost = evidence && findGhosts([evidence], ids).find((g) => g.flags.includes('handshake'));
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
    addNode: { ok: added.ok, lastLine: added.lastLine },
    busPeers: await busPeers(cluster, topo),
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
  };
  return { settings, after };
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
  for (const v of after ?? []) {
    await artifacts.save(`${v.member}.cluster-nodes.after-fix.txt`, v.raw);
  }
  for (const [pod, log] of Object.entries(logs)) {
    await artifacts.save(`${pod}.log`, log);
  }
  await artifacts.save('add-node.txt', addNodeOutput);
}

interface Sighting {
  view: MemberView;
  failed: FailedDialBack[];
}

/** Ghosts in the view whose dial-back the member's log shows failing. */
async function failedDialBacksOf(topo: StartedTopology, view: MemberView, ids: Set<string>): Promise<FailedDialBack[]> {
  const ghosts = findGhosts([view], ids);
  const seen = new Map<string, FailedDialBack>();
  for (const f of findFailedConnections(await topo.logs(view.member))) {
    if (ghosts.some((g) => g.nodeId === f.nodeId)) {
      seen.set(f.nodeId, { pod: view.member, nodeId: f.nodeId, address: `${f.ip}:${f.port}` });
    }
  }
  return [...seen.values()];
}

/** Polls one member until it holds a ghost it fails to dial back; `stop()` ends the watch. */
function watchEntry(cluster: RedisCluster, topo: StartedTopology, m: RedisMember, ids: Set<string>) {
  let stopped = false;
  const sighting = (async (): Promise<Sighting | undefined> => {
    while (!stopped) {
      const view = await readView(cluster, m).catch(() => undefined);
      const failed = view ? await failedDialBacksOf(topo, view, ids) : [];
      if (view && failed.length) {
        return { view, failed };
      }
      await new Promise((r) => setTimeout(r, 100));
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
 * Settles the join: everyone knows everyone (meet ok), or some node holds a ghost it fails to dial
 * back (meet fails). Requiring both the ghost and the failed dial-back keeps a healthy handshake
 * in progress from counting as a failure.
 */
interface JoinOutcome {
  meet: 'ok' | 'fails';
  views: MemberView[];
  evidence?: MemberView;
  failed: FailedDialBack[];
  notes: string[];
}

async function observeJoin(
  cluster: RedisCluster,
  topo: StartedTopology,
  watch: ReturnType<typeof watchEntry>,
  ids: Set<string>,
): Promise<JoinOutcome> {
  const bound = cluster.plan.nodeTimeoutMs * 2;
  let views: MemberView[] = [];
  let problems: string[] = [];
  const notes: string[] = [];
  let sighting: Sighting | undefined;
  const settled = async () => {
    views = await readViews(cluster);
    problems = meetProblems(views);
    if (problems.length === 0) {
      return true;
    }
    for (const v of views) {
      const failed = await failedDialBacksOf(topo, v, ids);
      if (failed.length) {
        sighting ??= { view: v, failed };
      }
    }
    return sighting !== undefined;
  };
  sighting = await watch.stop();
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
  await watch.stop();
  const meet: 'ok' | 'fails' = problems.length === 0 ? 'ok' : 'fails';
  return {
    meet,
    views,
    evidence: sighting?.view,
    failed: sighting?.failed ?? [],
    notes: meet === 'ok' ? [] : [...problems, ...notes],
  };
}

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

async function busPeers(cluster: RedisCluster, topo: StartedTopology): Promise<BusPeer[]> {
  const book = await currentAddressBook(topo);
  const peers: BusPeer[] = [];
  for (const m of cluster.plan.members) {
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
