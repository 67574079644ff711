// The nat-meet part of a cell's drill-down in index.html: the path picture (above the checks),
// then the ghost with the device that owns its address, the failed dial-backs, the inbound bus
// peers with NATed ones marked, the NAT mappings proven from captures, and what `redis-cli
// --cluster add-node` claimed.
import type { AddressClass } from '../../src/model/dimensions.ts';
import type { CellRecordOf, NatMapping } from '../../src/model/results.ts';
import { hostOf } from '../../src/util/address.ts';
import { esc, escClean, notesList, scrollBox, table } from '../../src/util/html.ts';
import { pathFigure, type PathBox } from '../../src/util/svg.ts';
import { truncate } from '../../src/util/text.ts';
import type { NatMeetObservation } from './types.ts';

type NatMeetCell = CellRecordOf<'nat-meet'>;

/** Not seen as a pod, a node or the client itself: some device rewrote the source on the way. */
export function isNatted(cls: AddressClass | string): boolean {
  return cls !== 'pod' && cls !== 'node-ip' && cls !== 'external';
}

export const natMeetSections = (cell: NatMeetCell): string[] =>
  cell.observation ? observationSections(cell.observation) : [];

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

/** NATed addresses (bare IPs) and what they are: the NATed bus peers, then the ghosts. */
export function natMeetRewritten(observation: NatMeetObservation): Map<string, string> {
  const addresses = new Map<string, string>();
  for (const peer of observation.busPeers) {
    if (isNatted(peer.class)) {
      addresses.set(hostOf(peer.peer), peer.class);
    }
  }
  for (const ghost of observation.ghosts) {
    const ip = hostOf(ghost.address);
    if (ip && !addresses.has(ip)) {
      addresses.set(ip, [observation.ghostClass, observation.ghostOwner].filter(Boolean).join(': ') || 'ghost');
    }
  }
  return addresses;
}

// ---------------------------------------------------------------------------------------------
// The path picture: joiner → what it dialled (a NodePort, a pod) → the rewritten source and its
// owning device → the receiver, and the receiver's dial-back to that address failing.

/** The translated connection that produced the ghost: its rewritten source is the ghost's address. */
function ghostMapping(observation: NatMeetObservation, ghostHost: string): NatMapping | undefined {
  const translated = (observation.natMappings ?? []).filter((mapping) => mapping.flow !== mapping.as);
  return translated.find((mapping) => hostOf(mapping.as.split(' > ')[0] ?? '') === ghostHost) ?? translated[0];
}

export function natMeetPath(cell: CellRecordOf<'nat-meet'>, id: string): string[] {
  const observation = cell.observation;
  if (!observation || observation.meet !== 'fails') {
    return [];
  }
  const ghost = observation.ghosts[0]?.address ?? observation.failedDialBacks[0]?.address;
  if (ghost === undefined) {
    return [];
  }
  const ghostHost = hostOf(ghost);
  const mapping = ghostMapping(observation, ghostHost);
  // The packets say it best; without captures the runner's own record of the join says it too.
  const [joinerAddress, dialled] = mapping?.flow.split(' > ') ?? [
    observation.joiner?.address,
    observation.joiner?.dialed,
  ];
  const receiver =
    mapping?.seenAt ??
    observation.ghosts[0]?.seenBy ??
    observation.failedDialBacks[0]?.pod ??
    observation.entry?.pod ??
    'receiver';
  const joiner = mapping?.capturedAt ?? observation.joiner?.pod ?? 'joining node';
  const via = viaBox(cell.dims.exposure, dialled);
  const owner = observation.ghostOwner ?? 'owner not resolved';
  const boxes: PathBox[] = [
    { title: 'joiner', lines: [joiner, joinerAddress ?? 'address not captured'], tone: 'plain' },
    via,
    { title: 'source rewritten to', lines: [ghostHost, owner, observation.ghostClass ?? ''], tone: 'bad' },
    { title: 'receiver', lines: [receiver, 'records the joiner at', ghost], tone: 'plain' },
  ];
  const dial = observation.failedDialBacks[0];
  const desc =
    `${joiner}${joinerAddress ? ` (${joinerAddress})` : ''} sends MEET ${via.lines[0] ? `to ${via.lines[0]}` : ''}; ` +
    `on the way its source is rewritten to ${ghostHost}, owned by ${owner}` +
    `${observation.ghostClass ? ` (${observation.ghostClass})` : ''}; ${receiver} records the joiner at ${ghost}` +
    `${dial ? ` and its dial-back to ${dial.address} fails, so the joiner never becomes part of the cluster` : ''}.`;
  return pathFigure({
    id,
    title: 'Where the joiner’s source address was rewritten',
    desc,
    boxes,
    ...(dial ? { back: { from: 3, to: 2, label: truncate(`dial-back to ${dial.address} fails`, 60) } } : {}),
  });
}

function viaBox(exposure: string, dialled: string | undefined): PathBox {
  switch (exposure) {
    case 'nodeport':
      return {
        title: 'NodePort',
        lines: [dialled ?? 'on a node', 'kube-proxy DNAT,', 'then MASQUERADE'],
        tone: 'plain',
      };
    case 'host-network':
      return { title: 'node network', lines: [dialled ?? 'a node IP'], tone: 'plain' };
    default:
      return { title: 'pod network', lines: [dialled ?? 'a pod IP'], tone: 'plain' };
  }
}
