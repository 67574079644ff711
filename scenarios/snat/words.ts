// How snat reads in words: the question it answers, the word a user gets (derived from the
// observation: the source kept, rewritten or dropped), and the expectation, the observation and
// its evidence in a line each.
import type { Code, FamilyWords } from '../../src/suite/family.ts';
import { oneLine } from '../../src/util/text.ts';
import type { SnatCompatibility, SnatObservation } from './types.ts';

export const snatCompatibility = (o: SnatObservation): SnatCompatibility =>
  o.rewrite === 'none' ? 'kept' : o.rewrite === 'unreachable' ? 'dropped' : 'rewritten';

export function rewriteText(rewrite: SnatObservation['rewrite']): string {
  return rewrite === 'none'
    ? 'source kept'
    : rewrite === 'unreachable'
      ? 'connection dropped'
      : `source rewritten to ${rewrite}`;
}

export const snatWords: FamilyWords<'snat'> = {
  question: 'Which source address does a Redis server see on each path?',
  words: {
    kept: { tone: 'good', meaning: 'the server sees the true source' },
    rewritten: {
      tone: 'needs-setting',
      meaning: 'the server sees a rewritten source (the class is shown); Redis nodes behind it must announce',
    },
    dropped: { tone: 'bad', meaning: 'the connection never reaches the server' },
  },
  compatibility: snatCompatibility,
  // The word names the class it was rewritten to.
  label: (word, o) => (word === 'rewritten' && o ? `rewritten to ${o.rewrite}` : word),
  expectation: (e) =>
    e.rewrite === 'none' ? 'source kept' : e.rewrite === 'unreachable' ? 'dropped' : `rewritten to ${e.rewrite}`,
  expectedFacts: (e) => rewriteText(e.rewrite),
  observed: (o) => `${rewriteText(o.rewrite)}: ${evidence(o, (text) => text)}`,
  evidence: (o, code) => (o.rewrite === 'none' ? '' : evidence(o, code)),
};

/** `external 172.18.0.1 → 172.18.0.2:30000, seen as 172.18.0.2:14823 (eth0@node-0)`. */
function evidence(observation: SnatObservation, code: Code): string {
  const path = `${oneLine(observation.from)} ${code(observation.source)} → ${code(observation.target)}`;
  if (observation.seen === undefined) {
    return `${path}, never reached the server`;
  }
  return `${path}, seen as ${code(observation.seen)}${observation.owner ? ` (${oneLine(observation.owner)})` : ''}`;
}
