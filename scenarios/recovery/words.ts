// How recovery reads in words: the question it answers, the word a user gets (derived from the
// observation: healed by itself, only after a remediation, or not at all), and the expectation,
// the observation and its evidence in a line each.
import type { ClientSummary } from '../../src/model/results.ts';
import type { FamilyWords } from '../../src/suite/family.ts';
import { formatMs } from '../../src/util/format.ts';
import { oneLine } from '../../src/util/text.ts';
import type { RecoveryCompatibility, RecoveryExpectation, RecoveryObservation } from './types.ts';

export const recoveryCompatibility = (o: RecoveryObservation): RecoveryCompatibility =>
  !o.recovered ? 'does-not-heal' : o.remediation ? 'heals-after-remediation' : 'heals';

const expected = (e: RecoveryExpectation) => (e.heals === 'by-itself' ? 'heals by itself' : 'heals after remediation');

export const recoveryWords: FamilyWords<'recovery'> = {
  question: 'Does the cluster come back from the fault?',
  words: {
    heals: { tone: 'good', meaning: 'the cluster heals by itself' },
    'heals-after-remediation': {
      tone: 'needs-setting',
      meaning: 'the cluster heals only after the remediation shown (what an operator must automate)',
    },
    'does-not-heal': { tone: 'bad', meaning: 'the cluster did not heal within the bound' },
  },
  compatibility: recoveryCompatibility,
  // The word names the remediation it took (`heals after re-MEET`).
  label: (word, o) =>
    word === 'heals-after-remediation' ? `heals after ${o?.remediationSummary ?? 'remediation'}` : word,
  expectation: expected,
  expectedFacts: expected,
  observed: (o) => evidence(o),
  evidence: (o) => evidence(o),
};

function evidence(observation: RecoveryObservation): string {
  const facts = [oneLine(observation.action)];
  if (observation.failover) {
    facts.push(`${observation.failover.promoted} promoted after ${formatMs(observation.failover.afterMs)}`);
  }
  if (observation.remediation) {
    facts.push(`remediation: ${oneLine(observation.remediation)}`);
  }
  const recovered = observation.recoveryMs !== undefined ? ` in ${formatMs(observation.recoveryMs)}` : '';
  facts.push(observation.recovered ? `recovered${recovered}` : 'did not recover');
  if (observation.client) {
    facts.push(...clientFacts(observation.client));
  }
  return facts.join('; ');
}

/** What the load client saw, in three facts (sentinel's failovers say it the same way). */
export function clientFacts(client: ClientSummary): string[] {
  const window = client.errorWindowMs === null ? '' : ` over ${formatMs(client.errorWindowMs)}`;
  return [
    `client: ${client.errors} of ${client.ops} commands failed${window}`,
    `${client.lostAckedWrites} of ${client.ackedWrites} acknowledged writes lost`,
    `${client.lostWaitConfirmedWrites} of ${client.waitConfirmedWrites} WAIT-confirmed writes lost`,
  ];
}
