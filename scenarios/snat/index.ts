// The snat family as the rest of the program knows it (src/suite/family.ts): which source address
// a Redis server sees on every path, per profile and traffic policy.
import { join } from 'node:path';
import type { AddressKind, FamilyModule } from '../../src/suite/family.ts';
import { hostOf } from '../../src/util/address.ts';
import { snatCells } from './cells.ts';
import { snatPicture, snatSections } from './html.ts';
import { snatSchema } from './schema.ts';
import { snatCompatibility, snatWords } from './words.ts';

export const snat: FamilyModule<'snat'> = {
  name: 'snat',
  summary: 'which source a Redis server sees on every path, per profile and traffic policy',
  testFile: join('scenarios', 'snat', 'snat.test.ts'),
  cells: (provider) => snatCells(provider),
  words: snatWords,
  schema: snatSchema,
  report: {
    picture: snatPicture,
    sections: snatSections,
    // A path that drops the connection has a known way around it, from the same sources.
    knownAnswer: (cell) =>
      cell.observation && snatCompatibility(cell.observation) === 'dropped' ? cell.expectation.knownFix : undefined,
    addressKinds: ({ target, source, seen, rewrite }) => [
      [hostOf(target), 'target'],
      [source, 'external'],
      ...(seen !== undefined && rewrite !== 'unreachable'
        ? [[hostOf(seen), rewrite === 'none' ? 'external' : rewrite] as [string, AddressKind]]
        : []),
    ],
    rewrittenAddresses: ({ seen, rewrite, owner }) =>
      new Map(seen && rewrite !== 'none' ? [[hostOf(seen), [rewrite, owner].filter(Boolean).join(': ')] as const] : []),
    endpoints: (o) => ({ client: [o.target], bus: [] }),
  },
  // A rewritten source is a device's address, the same on the lab and a real cluster; a kept one
  // is the client pod's, which the two hand out in their own order: its owner says enough.
  fidelity: ({ seen, rewrite, owner }) => ({
    rewrite,
    'seen as': owner,
    'source address': seen && rewrite !== 'none' ? hostOf(seen) : undefined,
  }),
};
