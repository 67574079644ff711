// Whether a sentinel cell behaved as its expectation says, as named checks: the one place its
// verdict is judged. Every check reads a real Redis or Sentinel reply, a log line or packets: what
// the master lists and Sentinel records against the pods' true addresses, where clients at each
// vantage are sent, what a failover or a whole restart does, and what the fix changes.
import { analyzeDir, type AnalyzeReport } from '../../src/analyze/index.ts';
import type { Cell } from '../../src/model/cell.ts';
import { allPass, check, same } from '../../src/model/checks.ts';
import type { Check, ClientReach, SentinelVantage } from '../../src/model/results.ts';
import type { SentinelOptions } from './cells.ts';
import type { SentinelRun } from './run.ts';

type SentinelCell = Cell<'sentinel', SentinelOptions>;

/** What the judge reads: the run, and what `rcnc analyze` says of its transcripts. */
export interface SentinelSeen extends SentinelRun {
  analysis?: AnalyzeReport;
}

/** Reads what the judge needs beyond the run: the analysis of the deployed state's transcripts (views cells). */
export async function sentinelSeen(cell: SentinelCell, run: SentinelRun): Promise<SentinelSeen> {
  return cell.options.kind === 'views' && run.analyzeDir ? { ...run, analysis: await analyzeDir(run.analyzeDir) } : run;
}

/** A provider that declared it cannot capture leaves the packet checks out (the test notes why). */
export const packetsUnseen = (cell: SentinelCell, run: SentinelRun): boolean =>
  cell.options.kind === 'views' &&
  cell.expectation.replicas === 'rewritten' &&
  !!run.record.observation?.captureSkipped &&
  cell.dims.provider !== 'netns';

const ALL_VANTAGES: SentinelVantage[] = ['outside', 'pod-other-node', 'pod-same-node'];

/** The vantages whose client reached a master where Sentinel sent it, sorted. */
const reaching = (clients: ClientReach[]): SentinelVantage[] =>
  clients
    .filter((c) => c.connected && c.role === 'master')
    .map((c) => c.vantage)
    .sort();

export function judgeSentinel(cell: SentinelCell, seen: SentinelSeen): Check[] {
  // Every sentinel knows the two others.
  const sentinels = [
    allPass(
      'sentinels that know the two others',
      'all',
      seen.views.filter((v) => v.sentinels.length !== 2).map((v) => `${v.sentinel} (${v.sentinels.length})`),
    ),
  ];
  const kind = cell.options.kind;
  if (kind === 'whole-restart') {
    return [...sentinels, ...restartChecks(cell, seen)];
  }
  if (kind !== 'views') {
    return [...sentinels, ...failoverChecks(cell, seen)];
  }
  return [
    ...sentinels,
    ...recordChecks(cell, seen),
    ...deployedChecks(cell, seen),
    ...fixChecks(cell, seen),
    ...analysisChecks(seen),
  ];
}

/** Every pod restarted at once: the master is found again (or not, as expected), and with names after the fix. */
function restartChecks(cell: SentinelCell, seen: SentinelSeen): Check[] {
  const e = cell.expectation;
  const obs = seen.record.observation!;
  const r = obs.restart;
  const checks = [same('master found after every pod restarted', e.survivesRestart ? 'recovered' : 'lost', r?.outcome)];
  if (!e.survivesRestart) {
    // Sentinel still hands out the master's pod IP from before the restart; the clients inside
    // the cluster are handed it and nothing answers there.
    const before = [...new Set(obs.deployed.handedOut.map((line) => line.split(' ')[1]))];
    const handed = (r?.clients ?? []).filter((c) => c.answer !== undefined);
    checks.push(
      same('handed out before the restart', [r?.newMaster], before),
      check('clients handed a master', '> 0', handed.length, handed.length > 0),
      allPass(
        `clients handed ${r?.newMaster} and reaching nothing there`,
        'all',
        handed
          .filter((c) => c.answer !== r?.newMaster || c.connected)
          .map((c) => `${c.from} (${c.answer}, ${c.connected ? 'reached' : 'unreachable'})`),
      ),
    );
  }
  // With names: every sentinel hands out the master by name and records every replica and
  // sentinel by name; after a second whole restart the master is found and reached.
  const fix = obs.fix;
  const handedOut = fix?.state.handedOut ?? [];
  const unnamed = (fix?.state.records ?? []).filter((rec) => !rec.member || !/\.redis-headless\./.test(rec.address));
  return [
    ...checks,
    check('the fix was applied', 'yes', fix ? 'yes' : 'no', !!fix),
    same('masters handed out after the fix', 1, new Set(handedOut.map((line) => line.split(' ')[1])).size),
    check(
      'master handed out after the fix',
      'redis-N.redis-headless.….svc.cluster.local:6379',
      handedOut[0],
      / redis-\d\.redis-headless\.\S+\.svc\.cluster\.local:6379$/.test(handedOut[0] ?? ''),
    ),
    check(
      'records after the fix',
      'every one a member, by name',
      unnamed.map((rec) => rec.address),
      !!fix && unnamed.length === 0,
    ),
    same('master found after every pod restarted again', 'recovered', fix?.restart?.outcome),
    same(
      'clients that reach the master after the fix',
      [...e.clientsReach].sort(),
      reaching(fix?.restart?.clients ?? []),
    ),
    same('compatibility', 'works-with-announce', seen.record.compatibility),
  ];
}

/** A failover or rolling update under load: promoted, with writes made and none confirmed lost. */
function failoverChecks(cell: SentinelCell, seen: SentinelSeen): Check[] {
  const f = seen.record.observation!.failover;
  const c = f?.client;
  return [
    same('failover', 'promoted', f?.outcome),
    check('client commands', '> 0', c?.ops, (c?.ops ?? 0) > 0),
    check('WAIT-confirmed writes', '> 0', c?.waitConfirmedWrites, (c?.waitConfirmedWrites ?? 0) > 0),
    same('WAIT-confirmed writes lost', 0, c?.lostWaitConfirmedWrites),
    // The read-back read every acknowledged write: zero lost means zero lost.
    check(
      'acknowledged writes not read back',
      0,
      c?.unreadError ? `${c.unreadWrites} (${c.unreadError})` : c?.unreadWrites,
      c?.unreadWrites === 0,
    ),
    same('clients that reach the new master', [...cell.expectation.clientsReach].sort(), reaching(f?.clients ?? [])),
    same('compatibility', 'works', seen.record.compatibility),
  ];
}

/** What the master lists and what Sentinel records, against the pods' true addresses. */
function recordChecks(cell: SentinelCell, seen: SentinelSeen): Check[] {
  const e = cell.expectation;
  const obs = seen.record.observation!;
  const listed = obs.deployed.masterInfo.map((l) => l.split(' ')[0]);
  const checks = [check('replicas the master lists', '> 0', obs.deployed.masterInfo.length, listed.length > 0)];
  if (e.replicas === 'true-address') {
    return [
      ...checks,
      check(
        'rewritten replica records',
        'none',
        obs.rewritten.map((r) => r.address),
        !obs.rewritten.length,
      ),
    ];
  }
  checks.push(
    same('classes of the rewritten records', e.rewriteClasses, obs.rewriteClasses),
    // Every rewritten record is an address the master listed: Sentinel took it from INFO.
    allPass(
      'rewritten records at an address the master lists',
      'all',
      obs.rewritten.filter((r) => !listed.includes(r.address)).map((r) => `${r.address} at ${r.seenBy}`),
    ),
  );
  return packetsUnseen(cell, seen) ? checks : [...checks, ...packetChecks(seen)];
}

/**
 * The packets: the replication connections arrive at the master from the rewritten sources, and
 * the same connection seen in a replica's pod left it from the replica's own address.
 */
function packetChecks(seen: SentinelSeen): Check[] {
  const obs = seen.record.observation!;
  const sources = obs.replicationSources ?? [];
  const paired = obs.natMappings ?? [];
  const podIp = (member: string) =>
    obs.members
      .find((l) => l.startsWith(`${member} `))
      ?.split(' ')[2]
      ?.split(':')[0];
  return [
    allPass(
      'rewritten addresses the master saw replication arrive from',
      'all',
      obs.rewritten.map((r) => r.address.split(':')[0]!).filter((ip) => !sources.includes(ip)),
    ),
    check('replication connections matched in both captures', '> 0', paired.length, paired.length > 0),
    allPass(
      'matched connections arriving from a replication source',
      'all',
      paired.filter((m) => !sources.includes(m.as.split(':')[0]!)).map((m) => `${m.capturedAt}: ${m.as}`),
    ),
    allPass(
      "matched connections leaving from the replica's pod IP",
      'all',
      paired
        .filter((m) => m.flow.split(':')[0] !== podIp(m.capturedAt))
        .map((m) => `${m.capturedAt}: ${m.flow} (pod IP ${podIp(m.capturedAt) ?? '?'})`),
    ),
  ];
}

/** Clients and a failover as deployed, and what the datapath's rewrite does to them. */
function deployedChecks(cell: SentinelCell, seen: SentinelSeen): Check[] {
  const e = cell.expectation;
  const obs = seen.record.observation!;
  const checks = [
    same('clients that reach the master', [...e.clientsReach].sort(), reaching(obs.deployed.clients)),
    same(
      'failover as deployed',
      e.failover ? 'promoted' : 'no replica promoted',
      obs.failover?.outcome === 'promoted' ? 'promoted' : 'no replica promoted',
    ),
  ];
  const event = (pattern: RegExp) => obs.events.some((l) => pattern.test(l));
  if (cell.dims.exposure === 'nodeport' && e.replicas === 'rewritten') {
    checks.push(
      check('replicas Sentinel keeps as one record', '> 0', obs.collapsed?.length, (obs.collapsed?.length ?? 0) > 0),
      check('why no failover', 'NOGOODSLAVE', obs.failover?.detail, /NOGOODSLAVE/.test(obs.failover?.detail ?? '')),
      check('Sentinel event', '+sdown slave', event(/\+sdown slave/) ? '+sdown slave' : 'none', event(/\+sdown slave/)),
    );
  }
  if (cell.dims.exposure === 'loadbalancer' && e.replicas === 'rewritten') {
    // The rewritten replica addresses answer as the master (through ServiceLB), and Sentinel
    // turns the master into a replica.
    const answers = (obs.probes ?? []).map((p) => p.answeredBy ?? p.error ?? 'nobody');
    checks.push(
      check(
        'what answers at the rewritten addresses',
        'redis-0',
        answers,
        !!obs.probes?.every((p) => p.answeredBy === 'redis-0'),
      ),
      check(
        'Sentinel event',
        '+convert-to-slave',
        event(/\+convert-to-slave/) ? '+convert-to-slave' : 'none',
        event(/\+convert-to-slave/),
      ),
    );
  }
  return checks;
}

/** With the announce settings every replica is recorded as itself and every client reaches the master. */
function fixChecks(cell: SentinelCell, seen: SentinelSeen): Check[] {
  const e = cell.expectation;
  const fix = seen.record.observation!.fix;
  if (e.fixWorks === undefined) {
    return [
      check('the fix was applied', 'no', fix ? 'yes' : 'no', !fix),
      same('compatibility', 'works', seen.record.compatibility),
    ];
  }
  const unrecorded = (fix?.state.records ?? []).filter((r) => r.kind === 'replica' && !r.member);
  const outcome = fix?.failover?.outcome;
  return [
    check('the fix was applied', 'yes', fix ? 'yes' : 'no', !!fix),
    check(
      'replica records after the fix',
      'every one a member',
      unrecorded.map((r) => r.address),
      !!fix && !unrecorded.length,
    ),
    check(
      'failover after the fix',
      e.fixWorks ? 'promoted' : 'any outcome',
      outcome,
      e.fixWorks ? outcome === 'promoted' : outcome !== undefined,
    ),
    same('clients that reach the master after the fix', ALL_VANTAGES, reaching(fix?.state.clients ?? [])),
    same('clients that reach the new master after the fix', ALL_VANTAGES, reaching(fix?.failover?.clients ?? [])),
    same('compatibility', 'works-with-announce', seen.record.compatibility),
  ];
}

/** rcnc analyze, given the transcripts of the deployed state, finds the same rewritten replicas. */
function analysisChecks(seen: SentinelSeen): Check[] {
  if (!seen.analysis) {
    return [];
  }
  const found = [...new Set(seen.analysis.sentinel.rewrittenReplicas.map((r) => r.address))].sort();
  const recorded = [...new Set(seen.record.observation!.rewritten.map((r) => r.address))].sort();
  return [same('rcnc analyze: rewritten replicas', recorded, found)];
}
