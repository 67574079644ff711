// The figures `rcnc diff` compares for a fault (sentinel's failovers are compared the same way):
// how long until healthy, until a replica was promoted, how long the client saw errors, and what
// was lost. Durations jitter from run to run; lost writes are counts where any change matters.
import type { DiffFigure } from '../../src/suite/family.ts';
import type { RecoveryObservation } from './types.ts';

export const recoveryFigures = (o: RecoveryObservation): DiffFigure[] => [
  { subject: 'recoveryMs', value: o.recoveryMs, unit: 'ms' },
  { subject: 'failover.afterMs', value: o.failover?.afterMs, unit: 'ms' },
  // No errors at all is a window of 0: a client that starts to see errors is a change.
  { subject: 'client.errorWindowMs', value: o.client ? (o.client.errorWindowMs ?? 0) : undefined, unit: 'ms' },
  { subject: 'client.lostAckedWrites', value: o.client?.lostAckedWrites, unit: 'count' },
  { subject: 'client.lostWaitConfirmedWrites', value: o.client?.lostWaitConfirmedWrites, unit: 'count' },
  { subject: 'keys.lost', value: o.keys ? o.keys.written - o.keys.readable : undefined, unit: 'count' },
];
