// Path diagrams: where on its way a connection's source was rewritten, and by which device. For a
// failing nat-meet cell: joiner → what it dialled (a NodePort, a pod) → the rewritten source and
// its owning device → the receiver, and the receiver's dial-back to that address failing. For a
// snat cell that was rewritten or dropped: client → target → what the server saw (or nothing).
import type { CellRecordOf, NatMapping, NatMeetObservation, SnatObservation } from '../../model/results.ts';
import { hostOf } from '../../util/address.ts';
import { truncate } from '../../util/text.ts';
import { arrow, figure, line, rect, text } from './svg.ts';

interface Box {
  title: string;
  lines: string[];
  tone: 'plain' | 'bad' | 'warn' | 'faded';
}

const WIDTH = 720;
const MARGIN = 8;
const GAP = 44;
const BOX_TOP = 8;
const BOX_HEIGHT = 74;
/** About 140 px of 11 px text. */
const LINE_CHARS = 22;

/** x of each box's left edge and the box width, for `count` boxes across the picture. */
function columns(count: number): { xs: number[]; width: number } {
  const width = (WIDTH - 2 * MARGIN - (count - 1) * GAP) / count;
  return { xs: Array.from({ length: count }, (_, i) => MARGIN + i * (width + GAP)), width };
}

function boxMarkup(box: Box, x: number, width: number): string[] {
  return [
    rect(x, BOX_TOP, width, BOX_HEIGHT, `box ${box.tone}`, 6),
    text(x + 8, BOX_TOP + 17, truncate(box.title, LINE_CHARS), 'box-title'),
    ...box.lines
      .slice(0, 3)
      .map((content, i) => text(x + 8, BOX_TOP + 34 + i * 15, truncate(content, LINE_CHARS), 'box-line')),
  ];
}

/** Boxes left to right, an arrow between each pair except where `broken` says the path ends. */
function boxRow(boxes: Box[], broken: number[] = []): string[] {
  const { xs, width } = columns(boxes.length);
  const y = BOX_TOP + BOX_HEIGHT / 2;
  return boxes.flatMap((box, i) => {
    const x = xs[i] ?? 0;
    const next = xs[i + 1];
    const link = next === undefined || broken.includes(i) ? [] : arrow(x + width + 4, next - 4, y, 'flow');
    return [...boxMarkup(box, x, width), ...link];
  });
}

/** A dashed arrow under the boxes, from box `from` back to box `to`, with its label. */
function returnArrow(count: number, from: number, to: number, label: string): string[] {
  const { xs, width } = columns(count);
  const startX = (xs[from] ?? 0) + width / 2;
  const endX = (xs[to] ?? 0) + width / 2;
  const bottom = BOX_TOP + BOX_HEIGHT;
  const y = bottom + 22;
  return [
    line(startX, bottom, startX, y, 'dial-back'),
    line(startX, y, endX, y, 'dial-back'),
    `<polygon points="${endX},${bottom + 1} ${endX - 4},${bottom + 9} ${endX + 4},${bottom + 9}" class="dial-back head"/>`,
    line(endX, y, endX, bottom + 8, 'dial-back'),
    text((startX + endX) / 2, y + 15, label, 'dial-back-label', 'middle'),
  ];
}

// ---------------------------------------------------------------------------------------------
// nat-meet

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
  const boxes: Box[] = [
    { title: 'joiner', lines: [joiner, joinerAddress ?? 'address not captured'], tone: 'plain' },
    via,
    { title: 'source rewritten to', lines: [ghostHost, owner, observation.ghostClass ?? ''], tone: 'bad' },
    { title: 'receiver', lines: [receiver, 'records the joiner at', ghost], tone: 'plain' },
  ];
  const dial = observation.failedDialBacks[0];
  const back = dial ? returnArrow(4, 3, 2, truncate(`dial-back to ${dial.address} fails`, 60)) : [];
  const desc =
    `${joiner}${joinerAddress ? ` (${joinerAddress})` : ''} sends MEET ${via.lines[0] ? `to ${via.lines[0]}` : ''}; ` +
    `on the way its source is rewritten to ${ghostHost}, owned by ${owner}` +
    `${observation.ghostClass ? ` (${observation.ghostClass})` : ''}; ${receiver} records the joiner at ${ghost}` +
    `${dial ? ` and its dial-back to ${dial.address} fails, so the joiner never becomes part of the cluster` : ''}.`;
  return figure({
    id,
    title: 'Where the joiner’s source address was rewritten',
    desc,
    width: WIDTH,
    height: BOX_TOP + BOX_HEIGHT + (dial ? 46 : 10),
    body: [...boxRow(boxes), ...back],
    cls: 'path',
  });
}

function viaBox(exposure: string, dialled: string | undefined): Box {
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

// ---------------------------------------------------------------------------------------------
// snat

export function snatPath(observation: SnatObservation | undefined, id: string): string[] {
  if (!observation || observation.rewrite === 'none') {
    return [];
  }
  const dropped = observation.rewrite === 'unreachable';
  const seenHost = observation.seen === undefined ? undefined : hostOf(observation.seen);
  const boxes: Box[] = [
    { title: 'from', lines: [observation.from, observation.source], tone: 'plain' },
    { title: 'connects to', lines: [observation.target, observation.path], tone: 'plain' },
    dropped
      ? { title: 'dropped', lines: ['no connection', 'reaches the server'], tone: 'bad' }
      : {
          title: 'source rewritten to',
          lines: [seenHost ?? '?', observation.owner, observation.rewrite],
          tone: 'warn',
        },
    dropped
      ? { title: 'Redis server', lines: ['never sees it'], tone: 'faded' }
      : { title: 'Redis server', lines: ['sees the peer', observation.seen ?? '?'], tone: 'plain' },
  ];
  const desc = dropped
    ? `${observation.from} (${observation.source}) connects to ${observation.target}; the connection is dropped on the way and never reaches the Redis server.`
    : `${observation.from} (${observation.source}) connects to ${observation.target}; on the way the source is rewritten to ` +
      `${seenHost} (${observation.owner}, ${observation.rewrite}); the Redis server sees ${observation.seen}.`;
  return figure({
    id,
    title: dropped ? 'Where the connection is dropped' : 'Where the source address was rewritten',
    desc,
    width: WIDTH,
    height: BOX_TOP + BOX_HEIGHT + 10,
    body: boxRow(boxes, dropped ? [2] : []),
    cls: 'path',
  });
}
