// How a case reads in words: the question, the word (the failure reproduced and fixed, the failure
// not reproduced, or the fix not working), and the expectation and observation in a line each.
import type { FamilyWords } from '../../src/suite/family.ts';
import type { CaseCompatibility, CaseExpectation, CaseObservation, CasePhase, CaseSymptom } from './types.ts';

export const caseCompatibility = (o: CaseObservation): CaseCompatibility =>
  !o.reproduced ? 'not-reproduced' : o.fixWorks ? 'reproduced-and-fixed' : 'fix-failed';

const symptom = (s: CaseSymptom) => (s.recordedAs ? `${s.state} (${s.recordedAs} address)` : s.state);

const phase = (p: CasePhase | undefined) =>
  p
    ? `${p.state}${p.recorded ? ` at ${p.recorded}` : ''}${p.recordedAs ? ` (${p.recordedAs}: ${p.owner ?? '?'})` : ''}`
    : 'not reached';

const expected = (e: CaseExpectation) => `${e.thread}: ${symptom(e.failure)}, after the fix ${symptom(e.fixed)}`;

export const caseWords: FamilyWords<'cases'> = {
  question: 'Does the lab show the failure the thread reported, and does the fix work?',
  words: {
    'reproduced-and-fixed': {
      tone: 'good',
      meaning: 'the failure shows as the thread reported it, and the fix makes it go away',
    },
    'fix-failed': { tone: 'bad', meaning: 'the failure shows, but the fix did not make it go away' },
    'not-reproduced': { tone: 'bad', meaning: 'the lab did not show the failure the thread reported' },
  },
  compatibility: caseCompatibility,
  expectation: expected,
  expectedFacts: (e) => `${expected(e)}; fix: ${e.fix}`,
  observed: (o) => `${o.thread}: ${phase(o.failure)}; after the fix ${phase(o.fixed)}`,
  evidence: (o, code) =>
    [o.failure.evidence, o.fixed?.evidence]
      .filter(Boolean)
      .map((e, i) => `${i ? 'after' : 'before'}: ${code(e!)}`)
      .join('; '),
};
