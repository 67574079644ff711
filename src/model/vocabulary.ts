// One vocabulary per scenario family, defined once: what a user gets from a cell (its
// compatibility word) is derived here from the cell's own observation, so no writer can show a
// word the observation contradicts. Whether the cell behaved as expected (pass / fail / skip) is
// the verdict, kept apart.
import type { Family } from './dimensions.ts';
import type {
  CellRecord,
  CompatibilityOf,
  NatMeetCompatibility,
  NatMeetExpectation,
  NatMeetObservation,
  RecoveryCompatibility,
  RecoveryExpectation,
  RecoveryObservation,
  SentinelCompatibility,
  SentinelExpectation,
  SentinelFailover,
  SentinelObservation,
  SentinelState,
  SentinelVantage,
  SnatCompatibility,
  SnatExpectation,
  SnatObservation,
} from './results.ts';

export const natMeetCompatibility = (o: NatMeetObservation): NatMeetCompatibility =>
  o.meet === 'ok' ? 'works' : o.fix?.meet === 'ok' ? 'works-with-announce' : 'breaks';

export const snatCompatibility = (o: SnatObservation): SnatCompatibility =>
  o.rewrite === 'none' ? 'kept' : o.rewrite === 'unreachable' ? 'dropped' : 'rewritten';

export const recoveryCompatibility = (o: RecoveryObservation): RecoveryCompatibility =>
  !o.recovered ? 'does-not-heal' : o.remediation ? 'heals-after-remediation' : 'heals';

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

/** The compatibility word a record's observation supports; undefined before anything was observed. */
export function compatibilityFor(record: CellRecord): CompatibilityOf<Family> | undefined {
  switch (record.family) {
    case 'nat-meet':
      return record.observation && natMeetCompatibility(record.observation);
    case 'snat':
      return record.observation && snatCompatibility(record.observation);
    case 'recovery':
      return record.observation && recoveryCompatibility(record.observation);
    case 'sentinel':
      return record.observation && sentinelCompatibility(record.observation);
  }
}

/** Whether a word is good news, needs a setting, or bad news: the colour every writer pairs with it. */
export type Tone = 'good' | 'needs-setting' | 'bad';

export interface WordDefinition {
  tone: Tone;
  /** The legend's sentence for this word. */
  meaning: string;
}

export const VOCABULARY: { [F in Family]: { title: string; words: Record<CompatibilityOf<F>, WordDefinition> } } = {
  'nat-meet': {
    title: 'Does a node that joins over this datapath become part of the cluster?',
    words: {
      works: { tone: 'good', meaning: 'the nodes meet as deployed' },
      'works-with-announce': {
        tone: 'needs-setting',
        meaning: 'they meet once the joining node announces the address its peers can dial (the fix below)',
      },
      breaks: { tone: 'bad', meaning: 'the node never joins, and announcing did not help' },
    },
  },
  snat: {
    title: 'Which source address does a Redis server see on each path?',
    words: {
      kept: { tone: 'good', meaning: 'the server sees the true source' },
      rewritten: {
        tone: 'needs-setting',
        meaning: 'the server sees a rewritten source (the class is shown); Redis nodes behind it must announce',
      },
      dropped: { tone: 'bad', meaning: 'the connection never reaches the server' },
    },
  },
  recovery: {
    title: 'Does the cluster come back from the fault?',
    words: {
      heals: { tone: 'good', meaning: 'the cluster heals by itself' },
      'heals-after-remediation': {
        tone: 'needs-setting',
        meaning: 'the cluster heals only after the remediation shown (what an operator must automate)',
      },
      'does-not-heal': { tone: 'bad', meaning: 'the cluster did not heal within the bound' },
    },
  },
  sentinel: {
    title:
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
  },
};

export const toneOf = (family: Family, word: string): Tone | undefined =>
  (VOCABULARY[family].words as Record<string, WordDefinition>)[word]?.tone;

/** The word as a reader sees it: snat's `rewritten` names the class it was rewritten to. */
export function compatibilityLabel(record: CellRecord): string | undefined {
  const word = record.compatibility;
  if (word === undefined) {
    return undefined;
  }
  if (record.family === 'snat' && word === 'rewritten' && record.observation) {
    return `rewritten to ${record.observation.rewrite}`;
  }
  if (record.family === 'recovery' && word === 'heals-after-remediation') {
    return `heals after ${record.observation?.remediationSummary ?? 'remediation'}`;
  }
  if (record.family === 'sentinel' && record.observation) {
    const final = record.observation.fix?.state ?? record.observation.deployed;
    const not = final.clients.filter((c) => !c.connected).map((c) => VANTAGE_LABEL[c.vantage]);
    return not.length ? `${word}; not from ${not.join(', ')}` : word;
  }
  return word;
}

/** What a cell expects, in its family's words (for `rcnc run --list` and the reports). */
export function expectationText(cell: { family: Family; expectation: CellRecord['expectation'] }): string {
  switch (cell.family) {
    case 'nat-meet': {
      const e = cell.expectation as NatMeetExpectation;
      return e.meet === 'ok'
        ? 'meets'
        : `meet fails (${e.ghostClass ?? 'ghost'})${e.fixWorks ? ', announce fixes it' : ''}`;
    }
    case 'snat': {
      const e = cell.expectation as SnatExpectation;
      return e.rewrite === 'none'
        ? 'source kept'
        : e.rewrite === 'unreachable'
          ? 'dropped'
          : `rewritten to ${e.rewrite}`;
    }
    case 'recovery': {
      const e = cell.expectation as RecoveryExpectation;
      return e.heals === 'by-itself' ? 'heals by itself' : 'heals after remediation';
    }
    case 'sentinel':
      return sentinelExpectationText(cell.expectation as SentinelExpectation);
  }
}

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
