// How sentinel reads in words: the question it answers, the word a user gets (derived from the
// observation: every replica at an address of its own, a failover that keeps confirmed writes,
// clients that reach the master they are handed), and the expectation, the observation and its
// evidence in a line each.
import type { SentinelState, SentinelVantage } from '../../src/model/results.ts';
import type { Code, FamilyWords } from '../../src/suite/family.ts';
import { formatMs, groupBy, listAddresses } from '../../src/util/format.ts';
import { compareStrings, oneLine } from '../../src/util/text.ts';
import type { RecoveryObservation } from '../recovery/types.ts';
import { clientFacts } from '../recovery/words.ts';
import type { SentinelCompatibility, SentinelExpectation, SentinelFailover, SentinelObservation } from './types.ts';

/** Every replica at an address of its own, and every client that got an answer from Sentinel reached a master there. */
export const sentinelStateWorks = (s: SentinelState): boolean =>
  s.records.every((r) => r.kind !== 'replica' || r.member !== undefined) &&
  s.clients.every((c) => c.answer === undefined || (c.connected && c.role === 'master'));

/** A replica promoted, no WAIT-confirmed write lost, and the new master reached where it is handed out. */
export const sentinelFailoverWorks = (f: SentinelFailover | undefined): boolean =>
  !f ||
  (f.outcome === 'promoted' &&
    (f.client?.lostWaitConfirmedWrites ?? 0) === 0 &&
    (f.client?.unreadWrites ?? 0) === 0 &&
    (f.clients ?? []).every((c) => c.answer === undefined || (c.connected && c.role === 'master')));

/** A master handed out again after every pod restarted, and reached where it is handed out. */
export const sentinelRestartWorks = (r: SentinelFailover | undefined): boolean =>
  !r ||
  (r.outcome === 'recovered' &&
    (r.clients ?? []).every((c) => c.answer === undefined || (c.connected && c.role === 'master')));

/** Whether a failover or restart ended with a master: a promotion, or the master back after a restart. */
export const failoverSucceeded = (f: SentinelFailover | undefined): boolean =>
  f?.outcome === 'promoted' || f?.outcome === 'recovered';

/** A failover in the shape of a recovery's observation: drawn on its timeline, compared by its figures. */
export const failoverAsRecovery = (f: SentinelFailover): RecoveryObservation => ({
  action: f.how,
  timeline: f.timeline,
  ...(f.promoted && f.afterMs !== undefined ? { failover: { promoted: f.promoted, afterMs: f.afterMs } } : {}),
  recovered: failoverSucceeded(f),
  ...(f.client ? { client: f.client } : {}),
  notes: [],
});

export const sentinelCompatibility = (o: SentinelObservation): SentinelCompatibility =>
  sentinelStateWorks(o.deployed) && sentinelFailoverWorks(o.failover) && sentinelRestartWorks(o.restart)
    ? 'works'
    : o.fix &&
        sentinelStateWorks(o.fix.state) &&
        sentinelFailoverWorks(o.fix.failover) &&
        sentinelRestartWorks(o.fix.restart)
      ? 'works-with-announce'
      : 'breaks';

export const VANTAGE_LABEL: Record<SentinelVantage, string> = {
  'pod-same-node': "the master's node",
  'pod-other-node': 'another node',
  outside: 'outside',
};

export const sentinelWords: FamilyWords<'sentinel'> = {
  question:
    'Does Sentinel record every replica where it is reached, fail over, and hand clients a master they can reach?',
  words: {
    works: { tone: 'good', meaning: 'as deployed (clients that cannot reach any sentinel are named)' },
    'works-with-announce': {
      tone: 'needs-setting',
      meaning: 'once every member announces the address, or the name, it is reached at (the fix below)',
    },
    breaks: {
      tone: 'bad',
      meaning: 'a replica stays unreachable, the failover fails or writes are lost, announce or not',
    },
  },
  compatibility: sentinelCompatibility,
  // The word names the vantages whose client reached no sentinel at the end.
  label: (word, o) => {
    if (!o) {
      return word;
    }
    const final = o.fix?.state ?? o.deployed;
    const not = final.clients.filter((c) => !c.connected).map((c) => VANTAGE_LABEL[c.vantage]);
    return not.length ? `${word}; not from ${not.join(', ')}` : word;
  },
  expectation: sentinelExpectationText,
  expectedFacts: sentinelExpectationText,
  observed: (o) => evidence(o, (text) => text) || 'every replica recorded at its own address',
  evidence,
};

export function sentinelExpectationText(e: SentinelExpectation): string {
  const records =
    e.replicas === 'rewritten'
      ? `replicas at ${e.rewriteClasses?.join('/') ?? 'rewritten'} addresses`
      : 'replicas true';
  const failover = e.failover ? 'fails over' : 'no failover';
  const fix = e.fixWorks === undefined ? '' : e.fixWorks ? ', announce fixes it' : ', announce does not fix it';
  const clients = e.clientsReach.length ? e.clientsReach.map((v) => VANTAGE_LABEL[v]).join(', ') : 'nobody';
  const writes = e.keepsConfirmedWrites ? ', no confirmed write lost' : '';
  if (e.survivesRestart !== undefined) {
    const restart = e.survivesRestart ? 'master found after a whole restart' : 'master lost after a whole restart';
    const names = e.fixWorks ? ', headless names fix it' : '';
    return `${records}, ${restart}${names}; clients from ${clients}`;
  }
  return `${records}, ${failover}${fix}${writes}; clients from ${clients}`;
}

/**
 * The rewritten replica records (address, class, owner, who recorded them), what a failover did,
 * what clients that reached no master were handed, and what the fix changed.
 */
function evidence(observation: SentinelObservation, code: Code): string {
  const parts: string[] = [];
  const byAddress = groupBy(observation.rewritten, (r) => r.address);
  if (byAddress.size > 0) {
    const owners = [...new Set(observation.rewritten.map((r) => `${r.class}: ${r.owner}`))].sort(compareStrings);
    const recorded = listAddresses(byAddress, 'recorded by', (rs) => rs.map((r) => r.seenBy), code);
    parts.push(`replicas at ${recorded} (${oneLine(owners.join('; '))})`);
  }
  if (observation.failover) {
    parts.push(failoverText(observation.failover));
  }
  if (observation.restart) {
    parts.push(failoverText(observation.restart));
  }
  const unreached = observation.deployed.clients.filter(
    (c) => c.answer !== undefined && !(c.connected && c.role === 'master'),
  );
  for (const c of unreached) {
    parts.push(
      `${VANTAGE_LABEL[c.vantage]}: handed ${code(c.answer!)}, ${c.connected ? `a ${c.role ?? '?'}` : 'unreachable'}`,
    );
  }
  if (observation.fix) {
    const after = observation.fix.restart ?? observation.fix.failover;
    parts.push(`after the fix: ${after ? failoverText(after) : 'no failover tried'}`);
  }
  return parts.join('; ');
}

function failoverText(f: SentinelFailover): string {
  const what =
    f.outcome === 'promoted'
      ? `${f.promoted ?? '?'} promoted after ${formatMs(f.afterMs ?? 0)}`
      : f.outcome === 'recovered'
        ? `${f.promoted ?? '?'} master again after ${formatMs(f.afterMs ?? 0)}`
        : f.outcome === 'lost'
          ? `no master found${f.newMaster ? `; Sentinel hands out ${f.newMaster}` : ''}`
          : f.outcome === 'no-good-replica'
            ? 'no good replica to promote'
            : `no replica promoted${f.detail ? ` (${oneLine(f.detail)})` : ''}`;
  return [`${oneLine(f.how)}: ${what}`, ...(f.client ? clientFacts(f.client) : [])].join('; ');
}
