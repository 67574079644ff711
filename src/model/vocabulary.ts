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

/** The compatibility word a record's observation supports; undefined before anything was observed. */
export function compatibilityFor(record: CellRecord): CompatibilityOf<Family> | undefined {
  switch (record.family) {
    case 'nat-meet':
      return record.observation && natMeetCompatibility(record.observation);
    case 'snat':
      return record.observation && snatCompatibility(record.observation);
    case 'recovery':
      return record.observation && recoveryCompatibility(record.observation);
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
  }
}
