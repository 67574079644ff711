// The NAT meet scenario: masters form a cluster, one more node joins the way operators do it
// (`redis-cli --cluster add-node … --cluster-slave`), and the probes record what each side saw.
// When the join fails, the cell applies the fix (announce ip/port/bus-port, MEET again) and
// records whether that makes the node join. Shared by the vitest scenario, `rcnc reproduce` and
// the benchmark, so all three run the same steps.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectArtifacts } from '../analyze/collect.ts';
import type { Cell } from '../cells.ts';
import type { Capture, Provider, StartedTopology } from '../deploy/provider.ts';
import {
  RedisCluster,
  memberPorts,
  members,
  planFor,
  redisTopologySpec,
  type Address,
  type RedisMember,
} from '../deploy/redis-cluster.ts';
import { parseTcpdump } from '../probes/capture.ts';
import { hasFlag, type ClusterNode } from '../probes/cluster-nodes.ts';
import { findGhosts, meetProblems, readView, readViews, waitForMeet, type MemberView } from '../probes/convergence.ts';
import { findFailedConnections } from '../probes/logs.ts';
import { isTranslated, reconstructNat } from '../probes/nat-map.ts';
import { addressBook, classifyAddress } from '../probes/snat.ts';
import { readSockets } from '../probes/socket-table.ts';
import { inbound } from '../probes/sockets.ts';
import { ArtifactSink } from '../report/artifacts.ts';
import type { BusPeer, CellRecord, Compatibility, FailedDialBack, Observation } from '../report/results.ts';
import { isCapabilityError } from '../util/errors.ts';
import { phaseTimer } from '../util/phases.ts';
import { waitFor } from '../util/wait.ts';

export interface NatMeetOptions {
  /** How the masters form: `redis-cli --cluster create` or ADDSLOTSRANGE + MEET. */
  bootstrap: 'redis-cli' | 'manual';
  /** Which node's IP the joiner dials for a NodePort entry: its own (status.hostIP) or the master's. */
  dial?: 'own-node' | 'endpoint-node';
}

export interface NatMeetRun {
  record: CellRecord;
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

export interface RunOptions {
  redisServer?: string;
  redisCli?: string;
  /** Save views, logs and socket tables as report artifacts. */
  artifacts?: boolean;
  /** Capture packets in the joiner's and the entry master's pods (default on). */
  captures?: boolean;
  onPhase?: (phase: string) => void;
}

const MASTERS = 3;

export async function runNatMeet(
  provider: Provider,
  cell: Cell<NatMeetOptions>,
  opts: RunOptions = {},
): Promise<NatMeetRun> {
  const d = cell.dims;
  const t0 = performance.now();
  const { phase, all: allTimings } = phaseTimer(opts.onPhase);

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
    redisServer: opts.redisServer ?? process.env.RCNC_REDIS_SERVER,
    redisCli: opts.redisCli ?? process.env.RCNC_REDIS_CLI,
    // Redis's default: the ghost a failed MEET leaves lives this long, long enough to collect.
    nodeTimeoutMs: 15_000,
  });
  const masters = all.slice(0, MASTERS);
  const joiner = all[joinerOrdinal]!;
  const entryMaster = masters[0]!;

  await using topo = await provider.start(redisTopologySpec(plan, d.profile, d.nodes));
  phase('topology');
  const cluster = new RedisCluster(topo, plan);

  if (cell.options.bootstrap === 'redis-cli') {
    await cluster.createWithRedisCli(masters);
  } else {
    await cluster.createManually(masters);
  }
  // cluster_state turns ok only 2 s after start (CLUSTER_WRITABLE_DELAY); the join does not need it.
  await waitForMeet(cluster, { members: masters, requireStateOk: false });
  phase('bootstrap');

  const viaNode = d.exposure === 'nodeport' && cell.options.dial === 'own-node' ? joiner.node : undefined;
  // add-node waits on gossip for a variable time (1 s to several); the ghost it causes lives only
  // cluster-node-timeout. So the entry master is watched while add-node runs, and the view that
  // holds the ghost is kept as evidence.
  // Packets at both ends of the joiner's connections, to show who rewrote what.
  const captures = new Map<string, Capture>();
  let captureSkipped: string | undefined;
  if (opts.captures !== false) {
    try {
      for (const m of [joiner, entryMaster]) {
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
  }
  // Every member's id, the joiner's included: anything else in a view is a ghost.
  const ids = new Set(await Promise.all(all.map((m) => cluster.myId(m))));
  const watch = watchEntry(cluster, topo, entryMaster, ids);
  const added = await cluster.addNode(joiner, entryMaster, { slave: true, viaNode });
  phase('join');

  const outcome = await observeJoin(cluster, topo, watch, ids);
  phase('observe');
  const book = addressBook(topo);
  const evidence = outcome.evidence ?? outcome.views.find((v) => v.member === entryMaster.name);
  const ghosts = findGhosts(
    outcome.evidence
      ? [outcome.evidence, ...outcome.views.filter((v) => v.member !== entryMaster.name)]
      : outcome.views,
    ids,
  );
  const failedDialBacks = outcome.failed;
  const entryView = outcome.views.find((v) => v.member === entryMaster.name);
  const entryGhost = evidence && findGhosts([evidence], ids).find((g) => g.flags.includes('handshake'));
  const ghostIp = entryGhost?.address.split(':').slice(0, -1).join(':');
  const ghostClass = ghostIp !== undefined ? classifyAddress(ghostIp, book) : undefined;
  const joinerView = outcome.views.find((v) => v.member === joiner.name);
  const joinerSelf = joinerView?.nodes.find((n) => hasFlag(n, 'myself'));

  // The cluster as it is now, in the layout `rcnc analyze` reads (it stops the captures).
  const artifacts = new ArtifactSink(cell.id);
  const podIps = Object.fromEntries(topo.pods().map((p) => [p.name, p.ip]));
  let clusterDir: string | undefined;
  if (opts.artifacts !== false) {
    const dir = artifacts.dir('cluster');
    clusterDir = dir.abs;
    const files = await collectArtifacts(topo, {
      dir: dir.abs,
      pods: all.map((m) => ({ name: m.name, port: memberPorts(plan, m).port })),
      captures,
      redisCli: plan.redisCli,
      startedAt: new Date(Date.now() - (performance.now() - t0)),
    });
    files.forEach((f) => artifacts.track(join(dir.rel, f)));
  }
  const parsed = new Map<string, ReturnType<typeof parseTcpdump>['packets']>();
  for (const [pod, cap] of captures) {
    const result = await cap.stop();
    parsed.set(pod, parseTcpdump(result.text).packets);
    if (opts.artifacts !== false) {
      await artifacts.save(`${pod}.pcap`, await readFile(result.file));
    }
  }
  const natMappings =
    parsed.size === 2
      ? reconstructNat(
          { name: joiner.name, packets: parsed.get(joiner.name)! },
          { name: entryMaster.name, packets: parsed.get(entryMaster.name)! },
        ).filter(isTranslated)
      : undefined;

  const observation: Observation = {
    meet: outcome.meet,
    ghosts,
    ghostOwner: ghostClass?.owner,
    ghostClass: ghostClass?.class,
    failedDialBacks,
    joinerSelf: joinerSelf ? selfLine(joinerSelf) : undefined,
    addNode: { ok: added.ok, lastLine: added.lastLine },
    busPeers: await busPeers(cluster, topo),
    natMappings,
    captureSkipped,
    clusterState: entryView?.info.cluster_state,
    slotsAssigned: Number(entryView?.info.cluster_slots_assigned ?? 0),
    notes: outcome.notes,
  };

  let after: MemberView[] | undefined;
  let compatibility: Compatibility = outcome.meet === 'ok' ? 'works' : 'breaks';
  let fix: string | undefined;
  if (outcome.meet === 'fails' && d.announce === 'none') {
    // The fix users apply: announce what others can dial back, then MEET again. Meeting every
    // master (not only the entry) spares waiting for gossip to spread the news.
    const settings = await cluster.announce(joiner);
    for (const m of masters) {
      await cluster.meet(joiner, m, m === entryMaster ? viaNode : undefined);
    }
    let meet: 'ok' | 'fails' = 'ok';
    try {
      after = await waitForMeet(cluster, { timeoutMs: plan.nodeTimeoutMs * 3 });
    } catch (e) {
      meet = 'fails';
      observation.notes.push(`after the fix: ${(e as Error).message}`);
      after = await readViews(cluster);
    }
    observation.fix = {
      settings,
      meet,
      clusterState: after.find((v) => v.member === entryMaster.name)?.info.cluster_state ?? '?',
    };
    if (meet === 'ok') {
      compatibility = 'works-with-announce';
    }
    fix = fixText(d.exposure, settings);
    phase('fix');
  }

  const predictedGhost =
    outcome.meet === 'fails'
      ? // Needs a shell on the ingress node; providers without one leave the prediction out.
        await predictGhost(topo, cluster, entryMaster, added.entry.ip).catch((e: unknown) => {
          if (isCapabilityError(e)) {
            return undefined;
          }
          throw e;
        })
      : undefined;
  const logs: Record<string, string> = {};
  for (const m of all) {
    logs[m.name] = await topo.logs(m.name);
  }
  if (opts.artifacts !== false) {
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
    await artifacts.save('add-node.txt', added.output);
  }
  phase('artifacts');

  return {
    record: {
      id: cell.id,
      title: cell.title,
      dims: d,
      expectation: cell.expectation,
      observation,
      compatibility,
      fix,
      timings: allTimings(),
      artifacts: artifacts.paths,
    },
    before: outcome.views,
    evidence: outcome.evidence,
    after,
    podIps,
    clusterDir,
    logs,
    entry: added.entry,
    predictedGhost,
  };
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
async function observeJoin(
  cluster: RedisCluster,
  topo: StartedTopology,
  watch: ReturnType<typeof watchEntry>,
  ids: Set<string>,
) {
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
 * (datapath.md §5), which `ip route get` on that node names as `src`.
 */
async function predictGhost(topo: StartedTopology, cluster: RedisCluster, endpoint: RedisMember, dialedIp: string) {
  if (cluster.plan.exposure !== 'nodeport' || cluster.plan.policy !== 'Cluster') {
    return undefined;
  }
  const ingress = topo.nodes.find((n) => n.ip === dialedIp);
  if (!ingress) {
    return undefined;
  }
  const r = await topo.exec({ node: ingress.index }, ['ip', '-o', 'route', 'get', topo.pod(endpoint.name).ip]);
  const src = /\bsrc (\S+)/.exec(r.stdout)?.[1];
  const dev = /\bdev (\S+)/.exec(r.stdout)?.[1];
  return src ? { ip: src, owner: classifyAddress(src, addressBook(topo)).owner, device: dev ?? '?' } : undefined;
}

async function busPeers(cluster: RedisCluster, topo: StartedTopology): Promise<BusPeer[]> {
  const book = addressBook(topo);
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
