// The snat part of a cell's drill-down in index.html: the path picture (for a rewritten or dropped
// source; above the checks), and the facts of the probed connection.
import type { CellRecordOf } from '../../src/model/results.ts';
import { hostOf } from '../../src/util/address.ts';
import { factTable, notesList } from '../../src/util/html.ts';
import { pathFigure, type PathBox } from '../../src/util/svg.ts';

export function snatSections(cell: CellRecordOf<'snat'>): string[] {
  const observation = cell.observation;
  if (!observation) {
    return [];
  }
  const facts: [string, string][] = [
    ['path', observation.path],
    ['from', `${observation.from} (${observation.source})`],
    ['connects to', observation.target],
    ['the server saw', observation.seen ?? 'nothing: the connection never arrived'],
    ...(observation.owner ? [['whose address', observation.owner] as [string, string]] : []),
    ['evidence', observation.evidence],
  ];
  return ['<h4>The probed connection</h4>', ...factTable(facts, 'snat'), ...notesList(observation.notes)];
}

/** Client → target → what the server saw (or nothing), for a path that rewrote or dropped the source. */
export function snatPicture(cell: CellRecordOf<'snat'>, id: string): string[] {
  const observation = cell.observation;
  if (!observation || observation.rewrite === 'none') {
    return [];
  }
  const dropped = observation.rewrite === 'unreachable';
  const seenHost = observation.seen === undefined ? undefined : hostOf(observation.seen);
  const boxes: PathBox[] = [
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
  return pathFigure({
    id: `${id}-path`,
    title: dropped ? 'Where the connection is dropped' : 'Where the source address was rewritten',
    desc,
    boxes,
    ...(dropped ? { broken: [2] } : {}),
  });
}
