// The nat-meet part of a drill-down: the path picture, expected against observed (meet, ghost
// class, whether announcing fixed it), the ghost with the device that owns its address, the failed
// dial-backs, the inbound bus peers with NATed ones marked, the NAT mappings proven from captures,
// and what `redis-cli --cluster add-node` claimed.
import type { CellRecordOf, NatMeetObservation } from '../../model/results.ts';
import { isNatted } from './addresses.ts';
import { comparisonTable, esc, escClean, notesList, scrollBox, table, type Comparison } from './markup.ts';
import { natMeetPath } from './paths.ts';

type NatMeetCell = CellRecordOf<'nat-meet'>;

export function natMeetSections(cell: NatMeetCell, id: string): string[] {
  const observation = cell.observation;
  return [
    ...natMeetPath(cell, `${id}-path`),
    ...comparisonTable(comparisons(cell), cell.expectation.summary, cell.expectation.source),
    ...(observation ? observationSections(observation) : []),
  ];
}

function comparisons(cell: NatMeetCell): Comparison[] {
  const expected = cell.expectation;
  const observed = cell.observation;
  const ghost = observed ? [observed.ghostClass, observed.ghostOwner].filter(Boolean).join(': ') || '—' : undefined;
  const rows: Comparison[] = [
    {
      name: 'meet',
      expected: expected.meet,
      observed: observed?.meet,
      mismatch: !!observed && observed.meet !== expected.meet,
    },
    {
      name: 'ghost class',
      expected: expected.ghostClass ?? '—',
      observed: ghost,
      mismatch: !!ghost && expected.ghostClass !== undefined && !ghost.startsWith(expected.ghostClass),
    },
  ];
  if (expected.fixWorks !== undefined || observed?.fix) {
    const fixed = observed?.fix ? (observed.fix.meet === 'ok' ? 'yes' : 'no') : observed ? 'not tried' : undefined;
    const want = expected.fixWorks === undefined ? '—' : expected.fixWorks ? 'yes' : 'no';
    rows.push({
      name: 'announcing fixes it',
      expected: want,
      observed: fixed,
      mismatch: fixed !== undefined && fixed !== 'not tried' && want !== '—' && fixed !== want,
    });
  }
  return rows;
}

/** What the fix did when the scenario applied it, for the "how to make it work" section. */
export function appliedFix(observation: NatMeetObservation | undefined): string[] {
  const applied = observation?.fix;
  if (!applied) {
    return [];
  }
  const outcome = applied.meet === 'ok' ? 'the node joined' : 'the node still did not join';
  return [
    `<p class="fix-applied">Applied in this run, then MEET again: ${outcome} (meet ${esc(applied.meet)}, ` +
      `cluster_state ${escClean(applied.clusterState)}).</p>`,
    ...(applied.settings.length > 0
      ? [`<pre class="fix-settings">${escClean(applied.settings.join('\n'))}</pre>`]
      : []),
  ];
}

function observationSections(observation: NatMeetObservation): string[] {
  return [
    ...ghostSection(observation),
    ...(observation.failedDialBacks.length > 0
      ? [
          '<h4>Failed dial-backs</h4>',
          ...table(
            ['from', 'node id', 'dialled'],
            observation.failedDialBacks.map((dial) => [dial.pod, dial.nodeId, dial.address]),
            'dialbacks',
          ),
        ]
      : []),
    ...busPeersSection(observation),
    ...natMappingsSection(observation),
    ...clusterFacts(observation),
    ...notesList(observation.notes),
  ];
}

function ghostSection(observation: NatMeetObservation): string[] {
  if (observation.ghosts.length === 0) {
    return [];
  }
  const lines = [
    '<h4>Ghost entries</h4>',
    ...table(
      ['seen by', 'node id', 'address', 'flags'],
      observation.ghosts.map((ghost) => [ghost.seenBy, ghost.nodeId, ghost.address, (ghost.flags ?? []).join(',')]),
      'ghosts',
    ),
  ];
  if (observation.ghostOwner || observation.ghostClass) {
    lines.push(
      `<p class="ghost-owner">The ghost address belongs to <strong>${escClean(observation.ghostOwner ?? 'an unknown device')}</strong>` +
        `${observation.ghostClass ? ` (${esc(observation.ghostClass)})` : ''}: the source address the datapath gave the joiner, not the joiner.</p>`,
    );
  }
  return lines;
}

/** Rows of the bus-peer table shown; a formed cluster of eleven has 110 inbound links. */
const MAX_PEER_ROWS = 12;

/** NATed links first; beyond MAX_PEER_ROWS the rest is counted by class (results.json has them all). */
function busPeersSection(observation: NatMeetObservation): string[] {
  if (observation.busPeers.length === 0) {
    return [];
  }
  const ordered = [
    ...observation.busPeers.filter((peer) => isNatted(peer.class)),
    ...observation.busPeers.filter((peer) => !isNatted(peer.class)),
  ];
  const rest = ordered.slice(MAX_PEER_ROWS);
  const byClass = new Map<string, number>();
  rest.forEach((peer) => byClass.set(peer.class, (byClass.get(peer.class) ?? 0) + 1));
  return [
    '<h4>Cluster-bus peers (inbound connections)</h4>',
    ...scrollBox([
      '<table class="peers"><thead><tr><th scope="col">pod</th><th scope="col">local</th><th scope="col">peer</th><th scope="col">peer class</th></tr></thead><tbody>',
      ...ordered.slice(0, MAX_PEER_ROWS).map((peer) => {
        const natted = isNatted(peer.class);
        return (
          `<tr${natted ? ' class="nat"' : ''}><td>${escClean(peer.pod)}</td><td><code>${escClean(peer.local)}</code></td>` +
          `<td><code>${escClean(peer.peer)}</code></td><td>${esc(peer.class)}${natted ? ' <span class="tag">NATed</span>' : ''}</td></tr>`
        );
      }),
      '</tbody></table>',
    ]),
    ...(rest.length === 0
      ? []
      : [
          `<p class="omitted">${rest.length} more connection${rest.length === 1 ? '' : 's'}: ` +
            `${[...byClass].map(([peerClass, count]) => `${count} from ${esc(peerClass)} addresses`).join(', ')} ` +
            '(all in results.json).</p>',
        ]),
  ];
}

/** nat-map.ts pairs the same flow seen at two capture points; a different tuple there is the NAT. */
function natMappingsSection(observation: NatMeetObservation): string[] {
  const mappings = observation.natMappings ?? [];
  if (mappings.length === 0) {
    return observation.captureSkipped
      ? [`<p class="meta">No packets captured: ${escClean(observation.captureSkipped)}</p>`]
      : [];
  }
  return [
    '<h4>NAT mappings (proven from captures at both ends)</h4>',
    ...table(
      ['captured at', 'flow', 'seen at', 'as', 'packets'],
      mappings.map((m) => [m.capturedAt, m.flow, m.seenAt, m.as, String(m.matchedPackets)]),
      'nat-mappings',
      (row) => (row[1] !== row[3] ? 'nat' : ''),
    ),
  ];
}

function clusterFacts(observation: NatMeetObservation): string[] {
  const facts: string[] = [];
  if (observation.addNode) {
    const misleading = observation.addNode.ok && observation.meet === 'fails';
    facts.push(
      `<code>redis-cli --cluster add-node</code> printed <code>${escClean(observation.addNode.lastLine)}</code>` +
        (misleading ? ' <span class="tag bad">claimed success, but the node never joined</span>' : ''),
    );
  }
  if (observation.joinerSelf) {
    facts.push(`The joiner's own line: <code>${escClean(observation.joinerSelf)}</code>`);
  }
  if (observation.clusterState !== undefined || observation.slotsAssigned !== undefined) {
    facts.push(
      `cluster_state ${escClean(observation.clusterState ?? '?')}, slots assigned ${esc(String(observation.slotsAssigned ?? '?'))}`,
    );
  }
  return facts.length > 0 ? ['<h4>Cluster</h4>', '<ul>', ...facts.map((fact) => `<li>${fact}</li>`), '</ul>'] : [];
}
