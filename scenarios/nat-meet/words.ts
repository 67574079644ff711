// How nat-meet reads in words: the question it answers, the word a user gets (derived from the
// observation), and the expectation, the observation and its evidence in a line each.
import type { Code, FamilyWords } from '../../src/suite/family.ts';
import { groupBy, listAddresses } from '../../src/util/format.ts';
import type { NatMeetCompatibility, NatMeetExpectation, NatMeetObservation } from './types.ts';

export const natMeetCompatibility = (o: NatMeetObservation): NatMeetCompatibility =>
  o.meet === 'ok' ? 'works' : o.fix?.meet === 'ok' ? 'works-with-announce' : 'breaks';

const plain: Code = (text) => text;

export const natMeetWords: FamilyWords<'nat-meet'> = {
  question: 'Does a node that joins over this datapath become part of the cluster?',
  words: {
    works: { tone: 'good', meaning: 'the nodes meet as deployed' },
    'works-with-announce': {
      tone: 'needs-setting',
      meaning: 'they meet once the joining node announces the address its peers can dial (the fix below)',
    },
    breaks: { tone: 'bad', meaning: 'the node never joins, and announcing did not help' },
  },
  compatibility: natMeetCompatibility,
  expectation: (e) =>
    e.meet === 'ok' ? 'meets' : `meet fails (${e.ghostClass ?? 'ghost'})${e.fixWorks ? ', announce fixes it' : ''}`,
  expectedFacts,
  observed,
  evidence,
};

function expectedFacts({ meet, ghostClass, fixWorks }: NatMeetExpectation): string {
  const facts = [`meet ${meet}`];
  if (ghostClass) {
    facts.push(`ghost class ${ghostClass}`);
  }
  if (fixWorks !== undefined) {
    facts.push(fixWorks ? 'announcing fixes it' : 'announcing does not fix it');
  }
  return facts.join(', ');
}

function observed(observation: NatMeetObservation): string {
  const facts = [`meet ${observation.meet}`];
  if (observation.ghostClass) {
    facts.push(`ghost class ${observation.ghostClass}`);
  }
  if (observation.fix) {
    facts.push(`after the fix meet ${observation.fix.meet}`);
  }
  const found = evidence(observation, plain);
  return facts.join(', ') + (found ? `; ${found}` : '');
}

/** The ghost entries (address, class, owner, who recorded them) and the dial-backs that failed. */
function evidence(observation: NatMeetObservation, code: Code): string {
  const parts: string[] = [];
  const ghostsByAddress = groupBy(observation.ghosts, (ghost) => ghost.address);
  if (ghostsByAddress.size > 0) {
    const ghosts = listAddresses(ghostsByAddress, 'seen by', (ghosts) => ghosts.map((ghost) => ghost.seenBy), code);
    const owner = [observation.ghostClass, observation.ghostOwner].filter(Boolean).join(': ');
    parts.push(`ghost ${ghosts}${owner ? ` (${owner})` : ''}`);
  }
  const dialsByAddress = groupBy(observation.failedDialBacks, (dial) => dial.address);
  if (dialsByAddress.size > 0) {
    parts.push(
      `failed dial-back to ${listAddresses(dialsByAddress, 'from', (dials) => dials.map((d) => d.pod), code)}`,
    );
  }
  return parts.join('; ');
}
