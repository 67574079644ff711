// npm run bench: the speed and scale figures, one JSON line per figure on stdout, each next to its
// floor measured in the same run (bench/floors.ts) and the target it is held to; a readable line per
// figure on stderr. RCNC_BENCH_ONLY picks figures (nat-meet, scale, recovery, sentinel, matrix,
// cli-start, and kube: real Kubernetes, bench/kube.ts), RCNC_BENCH_ROUNDS the rounds of the
// nat-meet figure, RCNC_BENCH_SCALE_ROUNDS those of each scale figure, RCNC_BENCH_SIZES the scale sizes.
import { natMeetCells } from '../scenarios/nat-meet/cells.ts';
import { FORMING_NODE_TIMEOUT_MS, runNatMeet, type NatMeetRun } from '../scenarios/nat-meet/run.ts';
import type { NatMeetObservation } from '../scenarios/nat-meet/types.ts';
import { recoveryCells } from '../scenarios/recovery/cells.ts';
import { runRecovery } from '../scenarios/recovery/run.ts';
import { sentinelCells } from '../scenarios/sentinel/cells.ts';
import { runSentinel } from '../scenarios/sentinel/run.ts';
import { NetnsProvider } from '../src/deploy/netns/netns.ts';
import { runConfigFromEnv } from '../src/suite/run-config.ts';
import { cliStartFigures } from './cli-start.ts';
import { emit, median, type Figure } from './figures.ts';
import { loopbackFormation, refusedMeetMs } from './floors.ts';
import { kubeFigures } from './kube.ts';
import { matrixFigure } from './matrix.ts';

const CONFIG = runConfigFromEnv(process.env);
const FIGURES = ['nat-meet', 'scale', 'recovery', 'sentinel', 'matrix', 'cli-start', 'kube'] as const;
const only = (process.env['RCNC_BENCH_ONLY'] ?? FIGURES.join(',')).split(',').filter(Boolean);
const unknown = only.filter((f) => !(FIGURES as readonly string[]).includes(f));
if (unknown.length) {
  console.error(`rcnc bench: RCNC_BENCH_ONLY names ${unknown.join(', ')}; figures are ${FIGURES.join(', ')}`);
  process.exit(2);
}
const ROUNDS = Number(process.env['RCNC_BENCH_ROUNDS'] ?? 5);
const SCALE_ROUNDS = Number(process.env['RCNC_BENCH_SCALE_ROUNDS'] ?? 5);
const SIZES = (process.env['RCNC_BENCH_SIZES'] ?? '10,30,100').split(',').map(Number);
if (!(ROUNDS >= 1) || !(SCALE_ROUNDS >= 1) || SIZES.some((n) => !(n >= 4) || n % 2 !== 0)) {
  console.error(
    'rcnc bench: RCNC_BENCH_ROUNDS and RCNC_BENCH_SCALE_ROUNDS must be ≥ 1, RCNC_BENCH_SIZES even numbers ≥ 4 (e.g. 10,30,100)',
  );
  process.exit(2);
}
const lab = () => new NetnsProvider();

type Formation = NonNullable<NatMeetObservation['formation']>;

/** Median time to the failure verdict of the NodePort cell, lab build included, against the floor. */
async function natMeetVerdict(): Promise<Figure> {
  const cell = natMeetCells().find((c) => c.id === 'netns/flannel-vxlan/nodeport/announce-none')!;
  const verdict: number[] = [];
  const build: number[] = [];
  const floor: number[] = [];
  await refusedMeetMs(CONFIG.redis); // warm-up: page cache for redis-server and ip
  for (let i = 0; i < ROUNDS; i++) {
    const r = await runNatMeet(lab(), cell, { redis: CONFIG.redis });
    if (r.record.compatibility !== 'works-with-announce' || r.record.timings['toVerdict'] === undefined) {
      throw new Error(`${cell.id} did not reproduce the failure and its fix (${r.record.compatibility})`);
    }
    verdict.push(r.record.timings['toVerdict']);
    build.push(r.record.timings['topology'] ?? 0);
    floor.push(await refusedMeetMs(CONFIG.redis));
  }
  const bound = 3 * median(floor) + median(build);
  return {
    figure: 'nat-meet.verdict',
    cell: cell.id,
    rounds: ROUNDS,
    ms: median(verdict),
    range: [Math.min(...verdict), Math.max(...verdict)],
    labBuildMs: median(build),
    floor: { what: 'CLUSTER MEET to a refused port on bare loopback, until the refusal is logged', ms: median(floor) },
    targets: [
      { what: 'median ≤ 1500 ms', met: median(verdict) <= 1500 },
      { what: `median ≤ 3 × floor + lab build = ${Math.round(bound)} ms`, met: median(verdict) <= bound },
    ],
  };
}

/**
 * A scale cell: formation, footprint and the failure at size, against bare loopback formation.
 * One formation of 100 members swings by more than a second from round to round (both sides are
 * CPU-bound on 2 cores; one ratio alone ranged 0.93–1.84 in five rounds), so each round pairs a lab
 * formation with a loopback one right after it, and the figure is the median of the rounds.
 */
async function scaleFormation(profile: string, members: number): Promise<Figure> {
  // The default scale cell of the profile, sized to the figure (the full matrix has 10, 30 and 100).
  const cell = natMeetCells().find((c) => c.dims.profile === profile && c.dims.variant?.startsWith('scale-'));
  if (!cell) {
    throw new Error(`no scale cell on ${profile}`);
  }
  const rounds: { formation: Formation; floor: { formedMs: number; redisRssBytes: number }; r: NatMeetRun }[] = [];
  for (let i = 0; i < SCALE_ROUNDS; i++) {
    // The cell's joiner is one more member; its size is what formed before it.
    const r = await runNatMeet(
      lab(),
      { ...cell, options: { ...cell.options, masters: members / 2, replicas: members / 2 } },
      { redis: CONFIG.redis, captures: false },
    );
    const formation = r.record.observation?.formation;
    if (!formation) {
      throw new Error(`${cell.id} recorded no formation`);
    }
    rounds.push({ formation, r, floor: await loopbackFormation(members, FORMING_NODE_TIMEOUT_MS, CONFIG.redis) });
  }
  const ratios = rounds.map((x) => x.formation.formedMs / x.floor.formedMs);
  const ratio = Math.round(median(ratios.map((x) => x * 1000))) / 1000;
  const ms = median(rounds.map((x) => x.formation.formedMs));
  // Footprint: the largest round, so the memory bound holds for every one of them.
  const totalOf = (f: Formation) => (f.redisRssBytes ?? 0) + Math.max(0, f.kernelBytes ?? 0);
  const f = rounds.map((x) => x.formation).reduce((a, b) => (totalOf(b) > totalOf(a) ? b : a));
  const totalBytes = totalOf(f);
  const last = rounds.at(-1)!.r.record.observation;
  return {
    figure: 'scale.formation',
    cell: cell.id.replace(/scale-\d+/, `scale-${members}`),
    profile,
    members,
    labNodes: cell.dims.nodes,
    rounds: SCALE_ROUNDS,
    ms,
    range: [Math.min(...rounds.map((x) => x.formation.formedMs)), Math.max(...rounds.map((x) => x.formation.formedMs))],
    floor: {
      what: `bare loopback formation of ${members} members, right after each lab round`,
      ms: median(rounds.map((x) => x.floor.formedMs)),
      redisRssBytes: Math.max(...rounds.map((x) => x.floor.redisRssBytes)),
    },
    ratio: Math.round(ratio * 100) / 100,
    // Round by round, lab against the loopback formation right after it.
    roundsMs: rounds.map((x) => [x.formation.formedMs, x.floor.formedMs]),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)].map((x) => Math.round(x * 100) / 100),
    redisRssBytes: f.redisRssBytes,
    kernelBytes: f.kernelBytes,
    totalBytes,
    iptablesRulesPerNode: f.iptablesRulesPerNode,
    conntrackEntries: f.conntrackEntries,
    nodeInterfaces: f.nodeInterfaces,
    meet: last?.meet,
    ghost: last?.ghostClass,
    targets:
      members === 100
        ? [
            { what: 'formed in under 30 s (median)', met: ms < 30_000 },
            { what: 'under 4 GiB (largest round)', met: totalBytes < 4 * 2 ** 30 },
            { what: 'at most 1.5 × bare loopback formation (median of the rounds)', met: ratio <= 1.5 },
          ]
        : [],
  };
}

// The recovery cells users ask about most, one run each.
const RECOVERY = [
  'netns/flannel-vxlan/pod-ip/announce-none/3-nodes/pod-churn-master',
  'netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart',
  'netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover',
];

async function recoveryFigure(id: string): Promise<Figure> {
  const cell = recoveryCells('netns', 'full').find((c) => c.id === id)!;
  const r = await runRecovery(lab(), cell, { redis: CONFIG.redis });
  const rec = r.recovery;
  return {
    figure: 'recovery',
    cell: id,
    ms: rec.recoveryMs ?? null,
    recovered: rec.recovered,
    failoverAfterMs: rec.failover?.afterMs ?? null,
    remediation: rec.remediationSummary ?? null,
    client: rec.client
      ? {
          ops: rec.client.ops,
          errors: rec.client.errors,
          errorWindowMs: rec.client.errorWindowMs,
          lostAckedWrites: rec.client.lostAckedWrites,
          lostWaitConfirmedWrites: rec.client.lostWaitConfirmedWrites,
        }
      : null,
    targets: [],
  };
}

// Sentinel under load: the master killed (NodePort, announced) and a rolling update (pod IPs).
const SENTINEL = [
  'netns/flannel-vxlan/nodeport/announce-ip/2-nodes/failover',
  'netns/flannel-vxlan/pod-ip/announce-none/2-nodes/rolling-update',
];

async function sentinelFigure(id: string): Promise<Figure> {
  const cell = sentinelCells().find((c) => c.id === id)!;
  const r = await runSentinel(lab(), cell, { redis: CONFIG.redis, captures: false });
  const f = r.record.observation?.failover;
  const c = f?.client;
  if (!f || !c) {
    throw new Error(`${id}: no failover figures (${r.record.observation?.notes.join('; ') ?? 'no observation'})`);
  }
  return {
    figure: 'sentinel',
    cell: id,
    kind: cell.options.kind,
    ms: f.afterMs ?? null,
    outcome: f.outcome,
    client: {
      ops: c.ops,
      errors: c.errors,
      errorWindowMs: c.errorWindowMs,
      ackedWrites: c.ackedWrites,
      lostAckedWrites: c.lostAckedWrites,
      waitConfirmedWrites: c.waitConfirmedWrites,
      lostWaitConfirmedWrites: c.lostWaitConfirmedWrites,
    },
    targets: [{ what: 'no WAIT-confirmed write lost', met: c.lostWaitConfirmedWrites === 0 }],
  };
}

if (only.includes('nat-meet')) {
  emit(await natMeetVerdict());
}
if (only.includes('scale')) {
  for (const members of SIZES) {
    for (const profile of ['flannel-vxlan', 'calico-vxlan']) {
      emit(await scaleFormation(profile, members));
    }
  }
}
if (only.includes('recovery')) {
  for (const id of RECOVERY) {
    emit(await recoveryFigure(id));
  }
}
if (only.includes('sentinel')) {
  for (const id of SENTINEL) {
    emit(await sentinelFigure(id));
  }
}
if (only.includes('matrix')) {
  emit(await matrixFigure());
}
if (only.includes('cli-start')) {
  cliStartFigures().forEach(emit);
}
if (only.includes('kube')) {
  await kubeFigures(CONFIG);
}
