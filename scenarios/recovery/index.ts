// The recovery family as the rest of the program knows it (src/suite/family.ts): does the cluster
// come back from pod churn, restarts, node loss, failover under load and partitions, how long does
// it take, and what did clients see?
import { join } from 'node:path';
import type { FamilyModule } from '../../src/suite/family.ts';
import { recoveryCells } from './cells.ts';
import { recoveryFigures } from './figures.ts';
import { recoveryPicture, recoverySections } from './html.ts';
import { recoverySchema } from './schema.ts';
import { recoveryWords } from './words.ts';

export const recovery: FamilyModule<'recovery'> = {
  name: 'recovery',
  summary: 'pod churn, restarts, node loss, failover under load, partitions',
  testFile: join('scenarios', 'recovery', 'recovery.test.ts'),
  cells: (provider, matrix) => recoveryCells(provider, matrix),
  words: recoveryWords,
  schema: recoverySchema,
  report: { picture: recoveryPicture, sections: recoverySections },
  diff: { figures: recoveryFigures },
};
