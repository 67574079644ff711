// Whether a nat-meet cell behaved as its expectation says, as named checks: the one place its
// verdict is judged. The test asserts that none failed and the report shows the same list. A
// failing join must leave the ghost where the datapath predicts it, refuse its dial-back, show the
// NAT in packets at both ends, read the same in `rcnc analyze`, and join once announced; a working
// one must be one healthy cluster whose bus peers are what the exposure says.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeDir, type AnalyzeReport } from '../../src/analyze/index.ts';
import type { Cell } from '../../src/model/cell.ts';
import { check, same } from '../../src/model/checks.ts';
import type { Check } from '../../src/model/results.ts';
import { meetProblems, type MemberView } from '../../src/probes/convergence.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { flowText, parseTcpdump } from '../../src/probes/tcpdump-text.ts';
import type { NatMeetOptions } from './cells.ts';
import type { NatMeetRun } from './run.ts';

type NatMeetCell = Cell<'nat-meet', NatMeetOptions>;

/** What the judge reads: the run, and what `rcnc analyze` and the captures say of its files. */
export interface NatMeetSeen extends NatMeetRun {
  /** `rcnc analyze` of the files the cell collected; absent when none were. */
  analysis?: AnalyzeReport;
  /** The SYNs in the joiner's and the entry master's captures (userland-proxy cells, which no NAT mapping pairs). */
  syns?: { joiner: string[]; entry: string[] };
}

/** The SYNs a pod's capture holds, as `src:port > dst:port`, read from the files the cell collected. */
async function synFlows(clusterDir: string, pod: string): Promise<string[]> {
  const text = await readFile(join(clusterDir, `${pod}.tcpdump.txt`), 'utf8');
  return parseTcpdump(text)
    .packets.filter((p) => p.flags === 'S')
    .map((p) => flowText(p.src, p.dst));
}

/** Reads what the judge needs beyond the run: the analysis of the collected files, the captured SYNs. */
export async function natMeetSeen(cell: NatMeetCell, run: NatMeetRun): Promise<NatMeetSeen> {
  if (!run.clusterDir || ghostUnpredicted(cell, run)) {
    return run;
  }
  const joiner = run.record.observation?.joiner?.pod;
  const syns =
    cell.options.relay === 'userland-proxy' &&
    cell.expectation.meet === 'fails' &&
    joiner &&
    !ghostUnpredicted(cell, run) &&
    !packetsUnseen(cell, run)
      ? { joiner: await synFlows(run.clusterDir, joiner), entry: await synFlows(run.clusterDir, 'redis-0') }
      : undefined;
  return { ...run, analysis: await analyzeDir(run.clusterDir), ...(syns ? { syns } : {}) };
}

/**
 * Off the lab a provider may have declared it lacks node access: then there is no prediction of
 * the ghost, and the checks that need it are not made (the test notes why).
 */
export const ghostUnpredicted = (cell: NatMeetCell, run: NatMeetRun): boolean =>
  cell.expectation.meet === 'fails' && cell.dims.provider !== 'netns' && !run.predictedGhost;

/** A provider that declared it cannot capture leaves the packet checks out (the test notes why). */
export const packetsUnseen = (cell: NatMeetCell, run: NatMeetRun): boolean =>
  !!run.record.observation?.captureSkipped && cell.dims.provider !== 'netns';

export function judgeNatMeet(cell: NatMeetCell, seen: NatMeetSeen): Check[] {
  const obs = seen.record.observation!;
  const meet = same('meet', cell.expectation.meet, obs.meet);
  if (cell.expectation.meet === 'ok') {
    return [meet, ...formed(cell, seen)];
  }
  if (ghostUnpredicted(cell, seen)) {
    return [meet];
  }
  return [
    meet,
    ...ghostChecks(cell, seen),
    ...packetChecks(cell, seen),
    ...analysisOfFailure(cell, seen),
    ...fixed(cell, seen),
  ];
}

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The master recorded the joiner at the address MASQUERADE picked, and its dial-back there was refused. */
function ghostChecks(cell: NatMeetCell, seen: NatMeetSeen): Check[] {
  const obs = seen.record.observation!;
  const predicted = seen.predictedGhost;
  // The ghost the cell found at redis-0 (a second MEET of a member, still in handshake, is none).
  const found = obs.ghosts.find((g) => g.seenBy === 'redis-0' && g.flags.includes('handshake'));
  const ghost = seen.evidence?.nodes.find((n) => n.id === found?.nodeId);
  const failed = findFailedConnections(seen.logs['redis-0'] ?? '');
  const refused = predicted && failed.find((f) => f.ip === predicted.ip);
  const checks = [
    same('view that held the ghost', 'redis-0', seen.evidence?.member),
    check(
      'ghost recorded at the predicted address',
      predicted ? `${predicted.ip}:6379@16379` : 'a predicted address',
      ghost ? `${ghost.ip}:${ghost.port}@${ghost.cport}` : undefined,
      !!predicted && ghost?.ip === predicted.ip && ghost.port === 6379 && ghost.cport === 16379,
    ),
    same('ghost owner', predicted?.owner, obs.ghostOwner),
    same('ghost class', cell.expectation.ghostClass, obs.ghostClass),
    check(
      'dial-back to the ghost failed (redis-0 log)',
      predicted ? `${predicted.ip}:16379` : 'a predicted address',
      [...new Set(failed.map((f) => `${f.ip}:${f.port}`))],
      !!predicted && failed.some((f) => `${f.ip}:${f.port}` === `${predicted.ip}:16379`),
    ),
    check('dial-back error', 'refused', refused?.error, /refused/i.test(refused?.error ?? '')),
    // The joiner never learned its own address (nobody sent it a MEET) but is a replica.
    same("joiner's own line", ':6379@16379 myself,slave', obs.joinerSelf),
  ];
  if (cell.options.join === 'add-node') {
    // …and redis-cli still claimed success.
    checks.push(
      check(
        'add-node claimed success',
        'ok: [OK] New node added correctly',
        obs.addNode ? `${obs.addNode.ok ? 'ok' : 'not ok'}: ${obs.addNode.lastLine}` : undefined,
        obs.addNode?.ok === true && obs.addNode.lastLine.includes('[OK] New node added correctly'),
      ),
    );
  }
  // The failure was proven while the join was still under way.
  const toVerdict = seen.record.timings['toVerdict'];
  checks.push(check('failure proven during the join (ms)', '> 0', toVerdict, (toVerdict ?? 0) > 0));
  return checks;
}

/** Packets at both ends: the joiner's MEET to the bus NodePort arrives from the ghost address. */
function packetChecks(cell: NatMeetCell, seen: NatMeetSeen): Check[] {
  if (packetsUnseen(cell, seen)) {
    return [];
  }
  const obs = seen.record.observation!;
  const joinerName = obs.joiner?.pod ?? '?';
  const ghostIp = seen.predictedGhost?.ip ?? '?';
  const entryIp = seen.podIps['redis-0'] ?? '?';
  const joinerText = `${seen.podIps[joinerName] ?? '?'}:* > ${seen.entry.ip}:${seen.entry.cport}`;
  const joinerFlow = new RegExp(
    `^${esc(seen.podIps[joinerName] ?? '?')}:\\d+ > ${esc(seen.entry.ip)}:${seen.entry.cport}$`,
  );
  const ghostText = `${ghostIp}:* > ${entryIp}:16379`;
  const ghostFlow = new RegExp(`^${esc(ghostIp)}:\\d+ > ${esc(entryIp)}:16379$`);
  const mappings = obs.natMappings ?? [];
  if (cell.options.relay === 'userland-proxy') {
    // A userland proxy ends the joiner's connection and opens its own from the ghost address: two
    // connections, one at each end, and no NAT mapping pairs them.
    const joinerSyn = seen.syns?.joiner.find((flow) => joinerFlow.test(flow));
    const entrySyn = seen.syns?.entry.find((flow) => ghostFlow.test(flow));
    const paired = obs.natMappings?.filter((m) => joinerFlow.test(m.flow));
    return [
      check(`SYN in ${joinerName}'s capture`, joinerText, joinerSyn ?? seen.syns?.joiner, !!joinerSyn),
      check("SYN in redis-0's capture", ghostText, entrySyn ?? seen.syns?.entry, !!entrySyn),
      check(
        'NAT mappings of the joiner’s connection',
        'none',
        paired ? paired.map((m) => `${m.flow} = ${m.as}`) : 'no mappings recorded',
        paired?.length === 0,
      ),
    ];
  }
  const mapping = mappings.find((m) => m.capturedAt === joinerName && joinerFlow.test(m.flow) && ghostFlow.test(m.as));
  return [
    check(
      'NAT mapping of the joiner’s MEET',
      `${joinerText} = ${ghostText}`,
      mapping ? `${mapping.flow} = ${mapping.as}` : mappings.map((m) => `${m.flow} = ${m.as}`),
      !!mapping,
    ),
  ];
}

/** rcnc analyze, given the files collected from this cell, tells the same story. */
function analysisOfFailure(cell: NatMeetCell, seen: NatMeetSeen): Check[] {
  const obs = seen.record.observation!;
  const ip = seen.predictedGhost?.ip ?? '?';
  const a = seen.analysis;
  const ghost = a?.ghosts.find((g) => g.seenBy === 'redis-0' && g.address === `${ip}:6379@16379`);
  const dial = a?.failedDialBacks.find((d) => d.pod === 'redis-0' && d.address === `${ip}:16379`);
  const settings = a?.recommendations.find((r) => r.pod === obs.joiner?.pod)?.settings;
  return [
    check(
      'rcnc analyze: the ghost',
      `${ip}:6379@16379 at redis-0 (${cell.expectation.ghostClass})`,
      ghost ? `${ghost.address} at ${ghost.seenBy} (${ghost.class})` : a?.ghosts.map((g) => g.address),
      ghost?.class === cell.expectation.ghostClass,
    ),
    check(
      'rcnc analyze: the failed dial-back',
      `${ip}:16379 from redis-0`,
      dial ? dial.address : a?.failedDialBacks.map((d) => d.address),
      !!dial,
    ),
    check(
      'rcnc analyze: the settings it recommends',
      obs.fix?.settings,
      settings,
      !!a && same('', obs.fix?.settings, settings).ok,
    ),
  ];
}

/** The fix: announce and MEET again; everyone then knows everyone. */
function fixed(cell: NatMeetCell, seen: NatMeetSeen): Check[] {
  const obs = seen.record.observation!;
  const fixWorks = cell.expectation.fixWorks;
  const checks = [same('announcing fixes it (meet after the fix)', fixWorks ? 'ok' : 'fails', obs.fix?.meet)];
  if (fixWorks) {
    checks.push(
      ...(seen.after
        ? healthy('after the fix', seen.after, false)
        : [check('views after the fix', 'read', undefined, false)]),
      same('compatibility', 'works-with-announce', seen.record.compatibility),
    );
  }
  return checks;
}

/** Everyone knows everyone and every slot is assigned; `stateOk`: every view also says cluster_state ok. */
function healthy(when: string, views: MemberView[], stateOk: boolean): Check[] {
  const problems = meetProblems(views);
  const notOk = views.filter((v) => v.info['cluster_state'] !== 'ok').map((v) => v.member);
  const unassigned = views.filter((v) => v.info['cluster_slots_assigned'] !== '16384').map((v) => v.member);
  return [
    check(
      `${when}: every member knows every other`,
      'no problem',
      problems.length ? problems : 'no problem',
      problems.length === 0,
    ),
    ...(stateOk
      ? [
          check(
            `${when}: cluster_state ok in`,
            'every view',
            notOk.length ? `not in ${notOk.join(', ')}` : 'every view',
            notOk.length === 0,
          ),
        ]
      : []),
    check(
      `${when}: 16384 slots assigned in`,
      'every view',
      unassigned.length ? `not in ${unassigned.join(', ')}` : 'every view',
      unassigned.length === 0,
    ),
  ];
}

/** A working join: one healthy cluster, no ghost, bus peers as the exposure says, nothing for analyze. */
function formed(cell: NatMeetCell, seen: NatMeetSeen): Check[] {
  const obs = seen.record.observation!;
  const classes = [...new Set(obs.busPeers.map((p) => p.class))];
  const checks = [
    ...healthy('after the join', seen.before, true),
    check(
      'ghosts',
      'none',
      obs.ghosts.map((g) => `${g.address} at ${g.seenBy}`),
      obs.ghosts.length === 0,
    ),
    check('inbound bus connections', '> 0', obs.busPeers.length, obs.busPeers.length > 0),
  ];
  if (cell.dims.exposure === 'pod-ip') {
    checks.push(same('bus peer classes', ['pod'], classes));
  }
  if (cell.dims.exposure === 'host-network') {
    checks.push(same('bus peer classes', ['node-ip'], classes));
  }
  if (cell.dims.exposure === 'nodeport' && cell.dims.announce === 'none') {
    // Not NATed: the master knows the joiner by its pod IP, not by a NodePort.
    const joinerName = obs.joiner?.pod;
    const joiner = seen.before.find((v) => v.member === joinerName);
    const entry = seen.before.find((v) => v.member === 'redis-0');
    const recorded = entry?.nodes.find((n) => n.id === joiner?.id)?.ip;
    checks.push(
      same('redis-0 records the joiner at its pod IP', joinerName ? seen.podIps[joinerName] : undefined, recorded),
    );
  }
  checks.push(same('compatibility', 'works', seen.record.compatibility));
  // rcnc analyze finds nothing wrong in the files collected from a healthy cell.
  const a = seen.analysis;
  checks.push(
    check(
      'rcnc analyze: ghosts',
      'none',
      a ? a.ghosts.map((g) => g.address) : 'no analysis',
      !!a && a.ghosts.length === 0,
    ),
    check(
      'rcnc analyze: failed dial-backs',
      'none',
      a ? a.failedDialBacks.map((d) => d.address) : 'no analysis',
      !!a && a.failedDialBacks.length === 0,
    ),
    check('rcnc analyze: problems', 'none', a ? a.problems : 'no analysis', !!a && a.problems.length === 0),
  );
  return checks;
}
