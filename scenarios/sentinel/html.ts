// The sentinel part of a cell's drill-down in index.html (after the checks): what every sentinel
// recorded (rewritten records marked, with the device that owns the address), what the master
// lists, what clients at each vantage were handed, the failover (with the timeline picture for the
// faults under load, above the checks) and, when the cell needed it, the same after the fix.
import type { CellRecordOf, ClientReach, SentinelState } from '../../src/model/results.ts';
import { formatMs } from '../../src/util/format.ts';
import { esc, factTable, FLAGGED, fold, notesList, plainLine, table } from '../../src/util/html.ts';
import { clientRows } from '../recovery/html.ts';
import { recoveryTimeline } from '../recovery/timeline.ts';
import type { SentinelFailover, SentinelObservation } from './types.ts';
import { failoverAsRecovery, failoverSucceeded, VANTAGE_LABEL } from './words.ts';

type SentinelCell = CellRecordOf<'sentinel'>;

export const sentinelSections = (cell: SentinelCell): string[] =>
  cell.observation ? observationSections(cell.observation) : [];

/** A failover under load gets the fault timeline. */
export const sentinelPicture = (cell: SentinelCell, id: string): string[] =>
  cell.observation?.failover?.timeline ? failoverTimeline(cell.observation.failover, `${id}-timeline`) : [];

function observationSections(o: SentinelObservation): string[] {
  return [
    '<h4>Members</h4>',
    `<pre>${o.members.map((line) => plainLine(line)).join('')}</pre>`,
    ...stateSections('As deployed', o.deployed),
    ...(o.collapsed?.length ? [`<p class="meta">${esc(o.collapsed.join('; '))}: Sentinel keeps one record.</p>`] : []),
    ...(o.probes?.length
      ? table(
          ['recorded address', 'what answers there', 'its role'],
          o.probes.map((p) => [p.address, p.answeredBy ?? p.error ?? '', p.role ?? '']),
          'probes',
        )
      : []),
    ...(o.failover ? failoverSection('Failover', o.failover) : []),
    ...(o.restart ? failoverSection('Every pod restarted at once', o.restart) : []),
    ...(o.fix
      ? [
          '<h4>After the fix</h4>',
          `<pre>${o.fix.settings.map((line) => plainLine(line)).join('')}</pre>`,
          ...stateSections('After the fix', o.fix.state),
          ...(o.fix.failover ? failoverSection('Failover after the fix', o.fix.failover) : []),
          ...(o.fix.restart ? failoverSection('Every pod restarted at once, after the fix', o.fix.restart) : []),
        ]
      : []),
    ...(o.natMappings?.length
      ? table(
          ['captured at', 'replication connection', 'seen at', 'as'],
          o.natMappings.map((m) => [m.capturedAt, m.flow, m.seenAt, m.as]),
          'nat',
        )
      : []),
    ...(o.events.length
      ? fold(
          `Sentinel events (${o.events.length})`,
          [`<pre>${o.events.map((line) => plainLine(line)).join('')}</pre>`],
          { cls: 'file' },
        )
      : []),
    ...notesList(o.notes),
  ];
}

function stateSections(title: string, s: SentinelState): string[] {
  const records = s.records.map((r) => [
    r.seenBy,
    r.kind,
    r.address,
    r.flags.join(','),
    r.member ?? '—',
    `${r.class}: ${r.owner}`,
  ]);
  return [
    `<h4>${esc(title)}: what Sentinel records</h4>`,
    `<p class="meta">The master lists its replicas as ${esc(s.masterInfo.join(', ') || 'none')}; the sentinels hand out ${esc(s.handedOut.join(', '))}.</p>`,
    ...table(['sentinel', 'kind', 'address', 'flags', 'member', 'whose address'], records, 'records', (row) =>
      row[1] === 'replica' && row[4] === '—' ? 'nat' : '',
    ),
    ...clientsTable(s.clients),
  ];
}

function clientsTable(clients: ClientReach[]): string[] {
  return table(
    ['client', 'from', 'asked', 'handed out', 'connects'],
    clients.map((c) => [
      VANTAGE_LABEL[c.vantage],
      c.from,
      c.asked,
      c.answer ?? '—',
      c.connected ? `yes (${c.role ?? '?'})` : `no: ${c.error ?? ''}`,
    ]),
    'clients',
    (row) => (row[4]!.startsWith('yes (master)') ? '' : FLAGGED),
  );
}

function failoverSection(title: string, f: SentinelFailover): string[] {
  const rows: [string, string, boolean?][] = [
    ['how', f.how],
    ['outcome', f.outcome, !failoverSucceeded(f)],
  ];
  if (f.promoted) {
    rows.push([f.outcome === 'recovered' ? 'master' : 'promoted', `${f.promoted} at ${f.newMaster ?? '?'}`]);
  } else if (f.newMaster) {
    rows.push(['handed out', f.newMaster, true]);
  }
  if (f.afterMs !== undefined) {
    rows.push([f.outcome === 'recovered' ? 'time to the master' : 'time to a new master', formatMs(f.afterMs)]);
  }
  if (f.detail) {
    rows.push(['why', f.detail]);
  }
  if (f.client) {
    rows.push(...clientRows(f.client));
  }
  return [
    `<h4>${esc(title)}</h4>`,
    ...factTable(rows, 'failover'),
    ...(f.clients?.length ? clientsTable(f.clients) : []),
  ];
}

/** The recovery timeline picture, fed with the failover's moments and client figures. */
const failoverTimeline = (f: SentinelFailover, id: string): string[] => recoveryTimeline(failoverAsRecovery(f), id);
