// The recovery part of a drill-down: the failover timeline, expected against observed healing,
// and the figures of the fault (failover, time to recover, keys, what the load client saw).
import type { CellRecordOf, RecoveryObservation } from '../../model/results.ts';
import { recoveryCompatibility } from '../../model/vocabulary.ts';
import { formatMs } from '../format.ts';
import { comparisonTable, factTable, notesList } from './markup.ts';
import { recoveryTimeline } from './timeline.ts';

const HEALS_WORDS = { 'by-itself': 'heals by itself', 'after-remediation': 'heals after remediation' } as const;
const OBSERVED_WORDS = {
  heals: 'heals by itself',
  'heals-after-remediation': 'heals after remediation',
  'does-not-heal': 'does not heal',
} as const;

export function recoverySections(cell: CellRecordOf<'recovery'>, id: string): string[] {
  const { expectation, observation } = cell;
  const expected = HEALS_WORDS[expectation.heals];
  const observed = observation ? OBSERVED_WORDS[recoveryCompatibility(observation)] : undefined;
  const comparison = {
    name: 'recovery',
    expected,
    observed,
    mismatch: observed !== undefined && observed !== expected,
  };
  return [
    ...(observation ? recoveryTimeline(observation, `${id}-timeline`) : []),
    ...comparisonTable([comparison], expectation.summary, expectation.source),
    ...(observation ? ['<h4>Recovery</h4>', ...factTable(recoveryFacts(observation), 'recovery')] : []),
    ...notesList(observation?.notes ?? []),
  ];
}

function recoveryFacts(recovery: RecoveryObservation): [string, string, boolean?][] {
  const rows: [string, string, boolean?][] = [['action', recovery.action]];
  if (recovery.duringFault !== undefined) {
    rows.push(['during the fault', recovery.duringFault]);
  }
  if (recovery.failover) {
    rows.push(['failover', `${recovery.failover.promoted} promoted after ${formatMs(recovery.failover.afterMs)}`]);
  }
  if (recovery.remediation !== undefined) {
    rows.push(['remediation', recovery.remediation]);
  }
  rows.push(['recovered', recovery.recovered ? 'yes' : 'no', !recovery.recovered]);
  if (recovery.recoveryMs !== undefined) {
    const from = recovery.remediation ? ' (from the remediation)' : '';
    rows.push(['time to recover', `${formatMs(recovery.recoveryMs)}${from}`]);
  }
  if (recovery.keys) {
    rows.push([
      'keys readable',
      `${recovery.keys.readable} of ${recovery.keys.written}`,
      recovery.keys.readable < recovery.keys.written,
    ]);
  }
  const client = recovery.client;
  if (client) {
    rows.push(
      ['client commands', `${client.ops} sent, ${client.errors} failed`],
      ['client error window', client.errorWindowMs === null ? 'none' : formatMs(client.errorWindowMs)],
      ['acknowledged writes lost', `${client.lostAckedWrites} of ${client.ackedWrites}`, client.lostAckedWrites > 0],
      [
        'WAIT-confirmed writes lost',
        `${client.lostWaitConfirmedWrites} of ${client.waitConfirmedWrites}`,
        client.lostWaitConfirmedWrites > 0,
      ],
      ...(client.p99Ms !== undefined ? [['client p99 latency', formatMs(client.p99Ms)] as [string, string]] : []),
    );
  }
  if (recovery.clusterState !== undefined || recovery.slotsAssigned !== undefined) {
    rows.push([
      'at the end',
      `cluster_state ${recovery.clusterState ?? '?'}, slots assigned ${recovery.slotsAssigned ?? '?'}`,
    ]);
  }
  return rows;
}
