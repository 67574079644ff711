// The kube figures of npm run bench, on real Kubernetes started by rcnc in this run's namespaces
// (src/deploy/kube): a cluster start from the cached binaries to every node Ready and a first pod
// Running, the memory of the cluster's processes by kind, and nat-meet cells on it beside the same
// cells on the netns lab. Each is printed next to its floor, measured in the same run.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { natMeetCells } from '../scenarios/nat-meet/cells.ts';
import { runNatMeet, type NatMeetRun } from '../scenarios/nat-meet/run.ts';
import { ensureKubeBinaries } from '../src/deploy/kube/build.ts';
import { KubeCluster, type KubeClusterOptions } from '../src/deploy/kube/cluster.ts';
import { clusterImages } from '../src/deploy/kube/images.ts';
import { KubeProvider } from '../src/deploy/kube/provider.ts';
import { NetnsProvider } from '../src/deploy/netns/netns.ts';
import { describeUnmet, type Provider } from '../src/deploy/provider.ts';
import { redisFor } from '../src/suite/harness.ts';
import type { RunConfig } from '../src/suite/run-config.ts';
import { waitFor } from '../src/util/wait.ts';
import { emit, mib, seconds, type Figure } from './figures.ts';
import { commOf, memoryByKind, totalOf, type MemoryByKind } from './proc-memory.ts';

const NODES = 3;
const TARGET_MS = 30_000;
const PROFILE = 'flannel-vxlan';
// The cells users ask about: the classic NodePort failure, and pod IPs that work as deployed.
const NAT_MEET = [`${PROFILE}/nodeport/announce-none`, `${PROFILE}/pod-ip/announce-none`];

type StartOptions = Omit<KubeClusterOptions, 'nodes'>;

/** Why the kube figures cannot run here (not root, packages, cgroups, no binaries and no Go), or ''. */
async function unavailable(config: RunConfig): Promise<string> {
  const provider = new KubeProvider({ profile: PROFILE, redis: config.redis, kubeBin: config.kubeCluster?.bin });
  return describeUnmet(await provider.check());
}

/**
 * Both starts below exec the same ~550 MB of binaries: reading them once first keeps the disk out
 * of both, so the figure and its floor measure the start, not which of them read the disk first.
 */
async function warmPageCache(bin: string): Promise<void> {
  for (const f of await readdir(bin)) {
    for await (const chunk of createReadStream(join(bin, f))) {
      void chunk;
    }
  }
}

/** Daemon names carry their node (`kubelet-node-0`); the two socat relays in front of the API are one kind. */
const daemonKind = (name: string) => (name.startsWith('relay-') ? 'relay (socat)' : name.replace(/-node-\d+$/, ''));

/**
 * Every process of the cluster, by kind: its daemons as the cluster recorded them, and whatever
 * else lives in its nodes' namespaces and cgroups (containerd shims, pause, the pods' programs) by
 * command name.
 */
async function clusterMemory(cluster: KubeCluster): Promise<MemoryByKind> {
  const kinds = new Map(cluster.daemons.records.map((d) => [d.pid, daemonKind(d.name)]));
  for (const pid of await cluster.nodePids()) {
    const comm = kinds.has(pid) ? undefined : await commOf(pid);
    if (comm) {
      kinds.set(pid, comm);
    }
  }
  return memoryByKind(kinds);
}

const FIRST_POD = 'bench-first-pod';

/** Creates one Redis pod in `default` and waits until it is Running, as a user's first pod would. */
async function firstPodRunning(cluster: KubeCluster): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: FIRST_POD, namespace: 'default' },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: 'main', image: cluster.opts.images.redis.ref, imagePullPolicy: 'Never', command: ['redis-server'] },
      ],
    },
  };
  // Until the controller-manager has made the namespace's `default` ServiceAccount, the API
  // server's ServiceAccount admission refuses every pod: that wait is part of a first pod.
  await waitFor({
    target: `the API server to accept pod ${FIRST_POD}`,
    timeoutMs: 60_000,
    intervalMs: 250,
    check: async () => {
      const r = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod), reject: false });
      return { done: r.exitCode === 0, state: r.stderr.trim() };
    },
  });
  await waitFor({
    target: `pod ${FIRST_POD} to be Running`,
    timeoutMs: 120_000,
    intervalMs: 250,
    check: async () => {
      const r = await cluster.kubectl(['get', 'pod', FIRST_POD, '-o', 'jsonpath={.status.phase}'], { reject: false });
      return { done: r.stdout.trim() === 'Running', state: r.stdout.trim() || r.stderr.trim() };
    },
  });
}

/**
 * The floor of a cluster start: the same KubeCluster.start with no nodes — namespaces, PKI, etcd
 * and kube-apiserver to /readyz, RBAC applied, controller-manager and scheduler started. A start
 * with nodes runs exactly these steps before its first node, and no node can register before the
 * API server answers, so no cluster starts faster. Its daemons' memory is the fixed cost of any
 * cluster, the floor of the memory figure.
 */
async function controlPlaneAlone(start: StartOptions): Promise<{ ms: number; memory: MemoryByKind }> {
  const t0 = performance.now();
  await using cp = await KubeCluster.start({ ...start, nodes: 0 });
  const ms = Math.round(performance.now() - t0);
  return { ms, memory: await clusterMemory(cp) };
}

const kindsText = (m: MemoryByKind) =>
  Object.entries(m)
    .sort(([, a], [, b]) => b.rssBytes - a.rssBytes)
    .map(([kind, k]) => `${kind}${k.processes > 1 ? ` ×${k.processes}` : ''} ${mib(k.rssBytes)}`)
    .join(', ');

function startFigure(readyMs: number, podMs: number, floorMs: number): Figure {
  return {
    figure: 'kube.start',
    nodes: NODES,
    ms: podMs,
    readyMs,
    detail: `${NODES} nodes Ready at ${seconds(readyMs)}, the first pod Running ${seconds(podMs - readyMs)} later`,
    floor: {
      what: 'the same start with no nodes: etcd and kube-apiserver to /readyz, the controllers started',
      ms: floorMs,
    },
    targets: [
      {
        what: `${NODES} nodes Ready and a first pod Running ≤ ${TARGET_MS / 1000} s (2 cores)`,
        met: podMs <= TARGET_MS,
      },
    ],
  };
}

function memoryFigure(memory: MemoryByKind, floor: MemoryByKind): Figure {
  const total = totalOf(memory);
  return {
    figure: 'kube.memory',
    nodes: NODES,
    bytes: total.rssBytes,
    pssBytes: total.pssBytes,
    processes: total.processes,
    byKind: memory,
    detail: `RSS of ${total.processes} processes, PSS ${mib(total.pssBytes)}: ${kindsText(memory)}`,
    floor: {
      what: `the control plane alone, right after its start: ${kindsText(floor)}`,
      bytes: totalOf(floor).rssBytes,
      pssBytes: totalOf(floor).pssBytes,
      byKind: floor,
    },
    targets: [],
  };
}

interface Verdict {
  /** The compatibility word, or `error` when the cell could not finish. */
  word: string;
  meet?: string;
  ghostClass?: string;
  ghostOwner?: string;
  /** Whether the join worked once announced (cells whose join failed). */
  fix?: string;
  notes?: string[];
  verdictMs: number | null;
  topologyMs?: number;
  totalMs?: number;
  error?: string;
}

/** A cell's verdict and how long it took: to the failure proven, or to the join seen to work. */
function verdictOf(r: NatMeetRun): Verdict {
  const o = r.record.observation;
  const t = r.record.timings;
  const sum = (...ks: string[]) => ks.reduce((a, k) => a + (t[k] ?? 0), 0);
  return {
    word: r.record.compatibility ?? 'none',
    meet: o?.meet,
    ghostClass: o?.ghostClass,
    ghostOwner: o?.ghostOwner,
    fix: o?.fix?.meet,
    notes: o?.notes,
    // toVerdict is set only where the failure was proven; a working join is known once observed.
    verdictMs: t['toVerdict'] ?? sum('topology', 'bootstrap', 'join', 'observe'),
    topologyMs: t['topology'],
    totalMs: t['total'],
  };
}

/** Runs one cell; a cell that fails (a timeout on a loaded machine) is a verdict too, not the end of the bench. */
async function verdictOn(provider: Provider, id: string, config: RunConfig): Promise<Verdict> {
  const cell = natMeetCells(provider.name).find((c) => c.id === `${provider.name}/${id}`)!;
  try {
    return verdictOf(await runNatMeet(provider, cell, { redis: redisFor(cell, config) }));
  } catch (e) {
    return { word: 'error', verdictMs: null, error: (e as Error).message.split('\n')[0] };
  }
}

const verdictText = (v: Verdict) =>
  v.error
    ? `error (${v.error})`
    : `${v.word}${v.ghostClass ? ` (ghost ${[v.ghostClass, v.ghostOwner].filter(Boolean).join(', ')})` : ''}`;

/** One nat-meet cell on the kube cluster against the same cell on the lab (its floor). */
function natMeetFigure(id: string, onKube: Verdict, onLab: Verdict): Figure {
  const same =
    !onKube.error && (['word', 'meet', 'ghostClass', 'ghostOwner'] as const).every((k) => onKube[k] === onLab[k]);
  return {
    figure: 'kube.nat-meet',
    cell: id,
    ms: onKube.verdictMs,
    kube: onKube,
    detail: `deploy ${seconds(onKube.topologyMs)}, cell ${seconds(onKube.totalMs)}`,
    floor: {
      what: `the same cell on the netns lab: deploy ${seconds(onLab.topologyMs)}, cell ${seconds(onLab.totalMs)}`,
      ms: onLab.verdictMs ?? undefined,
      lab: onLab,
    },
    targets: [{ what: `kube ${verdictText(onKube)}, lab ${verdictText(onLab)}: the same verdict`, met: same }],
  };
}

/** The kube figures, or one line saying why they cannot run here. */
export async function kubeFigures(config: RunConfig): Promise<void> {
  const why = await unavailable(config);
  if (why) {
    process.stderr.write(`kube: skipped, real Kubernetes cannot run here: ${why}\n`);
    return;
  }
  const { dir } = await ensureKubeBinaries({
    kubeBin: config.kubeCluster?.bin,
    progress: (l) => process.stderr.write(`${l}\n`),
  });
  const start: StartOptions = {
    proxyMode: 'iptables',
    bin: dir,
    images: await clusterImages(dir, config.redis),
    runId: 'bench',
  };
  // The lab's cells first, while no cluster runs: the floor of a cell shares the cores with nothing of ours.
  const onLab = new Map<string, Verdict>();
  for (const id of NAT_MEET) {
    onLab.set(id, await verdictOn(new NetnsProvider(), id, config));
  }
  await warmPageCache(dir);
  const floor = await controlPlaneAlone(start);
  // Every cluster stops on the way out, on failure too, and on SIGINT (KubeCluster tracks signals).
  const t0 = performance.now();
  await using cluster = await KubeCluster.start({ ...start, nodes: NODES });
  const readyMs = Math.round(performance.now() - t0);
  await firstPodRunning(cluster);
  const podMs = Math.round(performance.now() - t0);
  emit(startFigure(readyMs, podMs, floor.ms));
  emit(memoryFigure(await clusterMemory(cluster), floor.memory));
  const kube = new KubeProvider({ profile: PROFILE, redis: config.redis, cluster });
  for (const id of NAT_MEET) {
    emit(natMeetFigure(id, await verdictOn(kube, id, config), onLab.get(id)!));
  }
}
