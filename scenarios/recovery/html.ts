// The recovery part of a cell's drill-down in index.html: the failover timeline (above the
// checks), and the figures of the fault (failover, time to recover, keys, what the load client
// saw).
import type { CellRecordOf, ClientSummary } from '../../src/model/results.ts';
import { formatMs } from '../../src/util/format.ts';
import { factTable, notesList } from '../../src/util/html.ts';
import { recoveryTimeline } from './timeline.ts';
import type { RecoveryObservation } from './types.ts';

export const recoveryPicture = (cell: CellRecordOf<'recovery'>, id: string): string[] =>
  cell.observation ? recoveryTimeline(cell.observation, `${id}-timeline`) : [];

export function recoverySections(cell: CellRecordOf<'recovery'>): string[] {
  const observation = cell.observation;
  return observation
    ? ['<h4>Recovery</h4>', ...factTable(recoveryFacts(observation), 'recovery'), ...notesList(observation.notes)]
    : [];
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
      ...clientRows(client),
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

/** What the load client saw, as fact rows (lost writes flagged); sentinel's failovers show the same. */
export function clientRows(client: ClientSummary): [string, string, boolean?][] {
  return [
    ['client commands', `${client.ops} sent, ${client.errors} failed`],
    ['client error window', client.errorWindowMs === null ? 'none' : formatMs(client.errorWindowMs)],
    ['acknowledged writes lost', `${client.lostAckedWrites} of ${client.ackedWrites}`, client.lostAckedWrites > 0],
    [
      'WAIT-confirmed writes lost',
      `${client.lostWaitConfirmedWrites} of ${client.waitConfirmedWrites}`,
      client.lostWaitConfirmedWrites > 0,
    ],
  ];
}
