// What keeps a drill-down short when a cell has many members: views shown once per table, other
// members' views and socket tables without a NATed peer as links, the `cluster/` collection as
// links, the bus-peer table cut to its NATed rows first, a capture and its text as one item.
import { describe, expect, test } from 'vitest';
import { natMeetSections } from '../../../scenarios/nat-meet/html.ts';
import type { CellResult } from '../../model/results.ts';
import type { EvidenceFile } from './evidence.ts';
import { capturesSection, otherFilesSection } from './files.ts';
import { socketsSection } from './sockets.ts';
import { viewsSection } from './views.ts';

const DIR = 'artifacts/c';
const ID = (n: number) => String(n).repeat(40).slice(0, 40);

/** A member's CLUSTER NODES of `members` nodes, with its own line marked myself. */
function viewText(members: number, self: number, opts: { pong?: number; epoch?: number; role?: string } = {}): string {
  return (
    Array.from(
      { length: members },
      (_, i) =>
        `${ID(i)} 10.42.0.${2 + i}:6379@16379 ${i === self ? 'myself,' : ''}${i === 1 && opts.role ? opts.role : 'master -'} 0 ${opts.pong ?? 1000 + i} ${opts.epoch ?? i} connected`,
    ).join('\n') + '\n'
  );
}

const view = (member: string, text: string, extra: Partial<EvidenceFile> = {}): EvidenceFile => ({
  path: `${DIR}/${extra.path ?? `${member}.cluster-nodes${extra.stage ? `.${extra.stage}` : ''}.txt`}`,
  kind: 'cluster-nodes',
  member,
  text,
  ...extra,
});

/** The summary lines of the views shown, and the paragraph of views only linked. */
function shownViews(lines: string[]): { shown: string[]; listed: string } {
  const html = lines.join('\n');
  const shown = [...html.matchAll(/<details class="view"(?: open)?><summary>(.*?)<\/summary>/g)].map((m) =>
    (m[1] ?? '').replace(/<[^>]+>/g, ''),
  );
  const listed = (/<p class="views-listed">(.*?)<\/p>/.exec(html)?.[1] ?? '').replace(/<[^>]+>/g, '');
  return { shown, listed };
}

describe('CLUSTER NODES views', () => {
  test('members that agree but for myself, ping, pong and epoch share one view; a copy is a link', () => {
    const files = [
      view('redis-0', viewText(4, 0)),
      view('redis-0', viewText(4, 0, { pong: 5 }), { path: 'cluster/redis-0.cluster-nodes.txt' }),
      view('redis-1', viewText(4, 1, { pong: 7, epoch: 3 })),
      view('redis-2', viewText(4, 2)),
      view('redis-3', viewText(4, 3)),
    ];
    const { shown, listed } = shownViews(viewsSection(files, new Set()));
    expect(shown).toEqual([
      'redis-0 · after the join · 4 nodes file copy · the same table in redis-1, redis-2, redis-3',
    ]);
    expect(listed).toBe('');
  });

  test('a member whose table differs is its own view; beyond the first of a stage, unmarked views are links', () => {
    const files = [
      view('redis-0', viewText(4, 0)),
      view('redis-1', viewText(4, 1, { role: `slave ${ID(0)}` })),
      view('redis-2', viewText(3, 2)),
      view('redis-3', viewText(4, 3)),
      view(
        'redis-10',
        viewText(4, 0)
          .replace('10.42.0.2:6379', ':6379')
          .replace(`${ID(1)} `, `${ID(9)} `),
      ),
    ];
    const { shown, listed } = shownViews(viewsSection(files, new Set()));
    // redis-10 knows no address of its own: a marked line keeps its view shown (and open).
    expect(shown).toEqual([
      'redis-0 · after the join · 4 nodes file · the same table in redis-3',
      'redis-10 · after the join · 4 nodes file',
    ]);
    expect(listed).toBe('Other views after the join: redis-1 4 nodes; redis-2 3 nodes');
  });

  test('each stage starts with a shown view', () => {
    const files = [
      view('redis-0', viewText(3, 0), { stage: 'after-fix' }),
      view('redis-1', viewText(4, 1), { stage: 'after-fix' }),
      view('redis-0', viewText(4, 0)),
    ];
    const { shown, listed } = shownViews(viewsSection(files, new Set()));
    expect(shown).toEqual(['redis-0 · after the join · 4 nodes file', 'redis-0 · after the fix · 3 nodes file']);
    expect(listed).toBe('Other views after the fix: redis-1 4 nodes');
  });
});

describe('socket tables', () => {
  const ports = { client: new Set([6379]), bus: new Set([16379]) };
  const table = (member: string, peer: string): EvidenceFile => ({
    path: `${DIR}/cluster/${member}.ss.txt`,
    kind: 'sockets',
    member,
    text: [
      'State Recv-Q Send-Q Local Address:Port Peer Address:Port',
      'LISTEN 0 511 0.0.0.0:16379 0.0.0.0:*',
      `ESTAB 0 0 10.42.0.5:16379 ${peer}:40122`,
    ].join('\n'),
  });

  test('shows up to four tables with a NATed peer; the rest and the clean ones are links with counts', () => {
    const files = [
      table('redis-0', '10.42.0.9'),
      ...Array.from({ length: 6 }, (_, i) => table(`redis-${i + 1}`, '10.42.0.1')),
    ];
    const html = socketsSection(files, ports, new Map([['10.42.0.1', 'bridge-gateway']])).join('\n');
    expect([...html.matchAll(/<h5>(redis-\d+) · ss/g)].map((m) => m[1])).toEqual([
      'redis-1',
      'redis-2',
      'redis-3',
      'redis-4',
    ]);
    expect(html.replace(/<[^>]+>/g, '')).toContain(
      'More tables with a NATed peer: redis-5 (1 NATed of 2 on Redis ports), redis-6 (1 NATed of 2 on Redis ports)',
    );
    expect(html.replace(/<[^>]+>/g, '')).toContain('Tables without a NATed peer: redis-0 (2 on Redis ports)');
  });

  test('a cell without NAT lists every table', () => {
    const html = socketsSection([table('redis-0', '10.42.0.9')], ports, new Map()).join('\n');
    expect(html).not.toContain('<pre class="sockets">');
    expect(html.replace(/<[^>]+>/g, '')).toContain('No NATed peer: redis-0 (2 on Redis ports)');
  });
});

describe('other files and captures', () => {
  const cell = { family: 'recovery' } as CellResult;

  test('files collected for rcnc analyze are one line of links; command output stays inline', () => {
    const files: EvidenceFile[] = [
      { path: `${DIR}/add-node.txt`, kind: 'text', text: '>>> Adding node\n[OK] New node added correctly.\n' },
      { path: `${DIR}/cluster/pods.txt`, kind: 'text', text: 'NAME\nredis-0\nredis-1\n' },
      { path: `${DIR}/cluster/node-0.ip-addr.txt`, kind: 'text', text: '1: lo\n2: eth0\n' },
    ];
    const html = otherFilesSection(files, cell).join('\n');
    expect(html).toContain('<details class="file"><summary>add-node.txt · 2 lines');
    expect(html).not.toContain('<summary>pods.txt');
    expect(html.replace(/<[^>]+>/g, '')).toContain(
      'cluster/, collected for rcnc analyze: pods.txt 3 lines, node-0.ip-addr.txt 2 lines',
    );
  });

  test('a capture and its tcpdump text, beside it or in cluster/, are one item', () => {
    const files: EvidenceFile[] = [
      { path: `${DIR}/cluster/redis-0.tcpdump.txt`, kind: 'capture-text', text: 'a\nb\n' },
      { path: `${DIR}/redis-0.pcap`, kind: 'pcap', size: 2048 },
      { path: `${DIR}/bus.pcap`, kind: 'pcap', size: 24 },
      { path: `${DIR}/redis-3.tcpdump.txt`, kind: 'capture-text', text: 'c\n' },
    ];
    const items = [
      ...capturesSection(files)
        .join('\n')
        .matchAll(/<li>(.*?)<\/li>/g),
    ].map((m) => (m[1] ?? '').replace(/<[^>]+>/g, ''));
    expect(items).toEqual([
      'redis-0.pcap 2.0 KiB · tcpdump text 2 lines',
      'bus.pcap 24 B',
      'redis-3.tcpdump.txt 1 line',
    ]);
  });
});

describe('the bus-peer table', () => {
  test('shows NATed links first, at most twelve rows, and counts the rest by class', () => {
    const busPeers = Array.from({ length: 30 }, (_, i) => ({
      pod: `redis-${i % 10}`,
      local: `10.42.0.${2 + (i % 10)}:16379`,
      peer: `${i % 10 === 3 ? '10.42.0.1' : `10.42.1.${i}`}:${20000 + i}`,
      class: i % 10 === 3 ? ('bridge-gateway' as const) : ('pod' as const),
    }));
    const cell = {
      id: 'netns/flannel-vxlan/nodeport/announce-none/10-nodes/scale-10',
      family: 'nat-meet',
      dims: {
        provider: 'netns',
        profile: 'flannel-vxlan',
        exposure: 'nodeport',
        announce: 'none',
        policy: 'Cluster',
        nodes: 10,
      },
      expectation: { meet: 'fails', summary: '', source: '' },
      observation: { meet: 'fails', ghosts: [], failedDialBacks: [], busPeers, notes: [] },
      verdict: { status: 'pass' },
      artifacts: [],
      durationMs: 1,
      title: 't',
    } as unknown as Parameters<typeof natMeetSections>[0];
    const html = natMeetSections(cell).join('\n');
    const rows = [...html.matchAll(/<tr( class="nat")?><td>(redis-\d+)<\/td>/g)].map(
      (m) => `${m[2]}${m[1] ? ' nat' : ''}`,
    );
    expect(rows.slice(0, 3)).toEqual(['redis-3 nat', 'redis-3 nat', 'redis-3 nat']);
    expect(rows).toHaveLength(12);
    expect(html).toContain('18 more connections: 18 from pod addresses (all in results.json).');
  });
});
