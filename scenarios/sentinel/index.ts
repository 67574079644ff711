// The sentinel family as the rest of the program knows it (src/suite/family.ts): master, replicas
// and Sentinel over each exposure; the addresses Sentinel records, its failover, what clients
// reach, and a rolling update under load.
import { join } from 'node:path';
import type { FamilyModule } from '../../src/suite/family.ts';
import { recoveryFigures } from '../recovery/figures.ts';
import { sentinelCells } from './cells.ts';
import { sentinelPicture, sentinelSections } from './html.ts';
import { sentinelSchema } from './schema.ts';
import type { SentinelObservation } from './types.ts';
import { failoverAsRecovery, sentinelWords } from './words.ts';

/** The failover figures, so CI can chart them: time to a new master, the client's errors. */
function junitProperties(o: SentinelObservation): [string, string | number | undefined][] {
  const r = o.restart;
  const restart: [string, string | number | undefined][] = r
    ? [
        ['restart.outcome', r.outcome],
        ['restart.afterMs', r.afterMs],
        ['restart.afterFix.outcome', o.fix?.restart?.outcome],
        ['restart.afterFix.afterMs', o.fix?.restart?.afterMs],
      ]
    : [];
  const f = o.failover;
  if (!f) {
    return restart;
  }
  return [
    ...restart,
    ['failover.outcome', f.outcome],
    ['failover.afterMs', f.afterMs],
    ['client.errorWindowMs', f.client?.errorWindowMs ?? undefined],
    ['client.lostAckedWrites', f.client?.lostAckedWrites],
    ['client.lostWaitConfirmedWrites', f.client?.lostWaitConfirmedWrites],
  ];
}

export const sentinel: FamilyModule<'sentinel'> = {
  name: 'sentinel',
  summary: 'master, replicas and Sentinel over each exposure: recorded addresses, failover, clients, rolling update',
  testFile: join('scenarios', 'sentinel', 'sentinel.test.ts'),
  cells: (provider, matrix) => sentinelCells(provider, matrix),
  words: sentinelWords,
  schema: sentinelSchema,
  report: { picture: sentinelPicture, sections: sentinelSections, junitProperties },
  // A failover as deployed is compared as a recovery's figures are.
  diff: { figures: (o) => (o.failover ? recoveryFigures(failoverAsRecovery(o.failover)) : []) },
};
