// The nat-meet family as the rest of the program knows it (src/suite/family.ts): does a node that
// joins over a datapath become part of the cluster; when not, the ghost its entry master records,
// the refused dial-back, and whether announcing fixes it.
import { join } from 'node:path';
import type { FamilyModule } from '../../src/suite/family.ts';
import { hostOf } from '../../src/util/address.ts';
import { natMeetCells } from './cells.ts';
import { appliedFix, natMeetPath, natMeetRewritten, natMeetSections } from './html.ts';
import { natMeetReproduction } from './reproduce.ts';
import { natMeetSchema } from './schema.ts';
import { natMeetWords } from './words.ts';

export const natMeet: FamilyModule<'nat-meet'> = {
  name: 'nat-meet',
  summary: 'a node joins over each datapath; the ghost, the refused dial-back and the fix',
  testFile: join('scenarios', 'nat-meet', 'nat-meet.test.ts'),
  cells: (provider, matrix) => natMeetCells(provider, matrix),
  words: natMeetWords,
  schema: natMeetSchema,
  report: {
    picture: (cell, id) => natMeetPath(cell, `${id}-path`),
    sections: natMeetSections,
    applied: appliedFix,
    addressKinds: (o) =>
      [...o.ghosts, ...o.failedDialBacks].map((entry) => [hostOf(entry.address), o.ghostClass ?? 'unknown']),
    rewrittenAddresses: natMeetRewritten,
    ghostIds: (o) => o.ghosts.map((ghost) => ghost.nodeId),
    converged: (o) =>
      o.fix?.meet === 'ok'
        ? { stage: 'after-fix', ...(o.fix.nodeTimeoutMs !== undefined ? { nodeTimeoutMs: o.fix.nodeTimeoutMs } : {}) }
        : undefined,
    viewsRead: 'after the join',
    endpoints: (o) => ({
      client: (o.natMappings ?? []).map((mapping) => mapping.flow.split(' > ')[1] ?? ''),
      bus: [...o.failedDialBacks.map((dial) => dial.address), ...o.busPeers.map((peer) => peer.local)],
    }),
    // add-node's "[OK]" for a node that never joined.
    outputMarks: (o) =>
      o.addNode?.ok === true && o.meet === 'fails'
        ? [{ pattern: /\[OK\] New node added correctly/, cls: 'warn', mark: 'claimed success; the node never joined' }]
        : [],
  },
  // A ghost that appears or turns into another class is a different datapath; one that goes away is a fix.
  diff: { classes: [{ kind: 'ghost-class', name: 'ghost class', value: (o) => o.ghostClass }] },
  fidelity: (o) => ({ 'ghost class': o.ghostClass, 'ghost owner': o.ghostOwner }),
  reproduce: natMeetReproduction,
};
