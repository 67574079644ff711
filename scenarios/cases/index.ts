// The cases family as the rest of the program knows it (src/suite/family.ts): published failures
// of Redis on container networks, each reproduced on the datapath that produced it and fixed the
// way its thread (or the sources) says.
import { join } from 'node:path';
import type { FamilyModule } from '../../src/suite/family.ts';
import { caseCells } from './cells.ts';
import { casesSections } from './html.ts';
import { casesReproduction } from './reproduce.ts';
import { casesSchema } from './schema.ts';
import { caseWords } from './words.ts';

export const cases: FamilyModule<'cases'> = {
  name: 'cases',
  summary: 'published failures (one public thread each) reproduced on their datapath, then fixed',
  testFile: join('scenarios', 'cases', 'cases.test.ts'),
  cells: (provider) => caseCells(provider),
  words: caseWords,
  schema: casesSchema,
  report: {
    sections: casesSections,
    // What the fix changed is this run's answer for the cell.
    applied: (o) => o.applied,
  },
  reproduce: casesReproduction,
};
