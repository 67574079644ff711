// One cell's drill-down in index.html, from the sample results and the artifacts under
// test/fixtures/report/: the ghost marked in the view that held it, each view once, sockets
// filtered to the Redis ports, log lines deduplicated, the fix and the pictures per family.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../../model/results.ts';
import { compatibilityMarkdown } from '../markdown.ts';
import { readResults } from '../write.ts';
import { indexHtml, loadEvidence } from './index.ts';

const FIXTURE_DIR = fileURLToPath(new URL('../../../test/fixtures/report/', import.meta.url));
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';
const FILES = './artifacts/netns_flannel-vxlan_nodeport_announce-none';

let sample: ResultsFile;
let html: string;

beforeAll(async () => {
  sample = await readResults(join(FIXTURE_DIR, 'results.sample.json'));
  html = indexHtml(sample, await loadEvidence(FIXTURE_DIR, sample));
});

/** The markup of one cell's drill-down: from its <details> to the next one. */
function drillDown(page: string, cellId: string): string {
  const at = page.indexOf(`data-cell="${cellId}">\n<summary>`);
  expect(at, `no drill-down for ${cellId}`).toBeGreaterThanOrEqual(0);
  const end = page.indexOf('<details class="cell', at);
  return page.slice(page.lastIndexOf('<details class="cell', at), end === -1 ? undefined : end);
}

/** The text of a block, tags dropped and entities of `<`/`>` decoded. */
const textOf = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

describe('a nat-meet drill-down', () => {
  test('heads with the word and the verdict apart, and where the result comes from', () => {
    const cell = drillDown(html, CLASSIC);
    expect(cell).toMatch(
      /^<details class="cell t-needs-setting s-pass" id="cell-netns_flannel-vxlan_nodeport_announce-none"/,
    );
    expect(cell).toContain(
      '<summary><span class="word t-needs-setting">works-with-announce</span><span class="status s-pass">pass</span>',
    );
    expect(cell).toContain(
      '<p class="provenance"><span class="tag emulated">emulation</span> netns lab emulation of flannel VXLAN</p>',
    );
    expect(cell).toContain('<span class="prov">emulation</span>');
  });

  test("marks the ghost line and the joiner's missing own address, each view once", () => {
    const cell = drillDown(html, CLASSIC);
    const ghostLines = [...cell.matchAll(/<span class="ln ghost"[^>]*>([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(ghostLines).toEqual([
      '3c1f0d9e6a2b4c8d9e0f1a2b3c4d5e6f7a8b9c0d 10.42.0.1:6379@16379 handshake,noaddr - 0 0 0 disconnected',
    ]);
    expect(cell).toMatch(
      /<span class="ln noaddr" data-mark="knows no address of its own[^"]*"[^>]*>[0-9a-f]{40} :6379@16379 myself,slave /,
    );
    // The ghost view comes first and open; the cluster/ copy of redis-0's view is a link, not a second view.
    const views = [
      ...cell.matchAll(/<details class="view"( open)?><summary><span class="member">(redis-\d)<\/span> · ([^·]+?) ·/g),
    ];
    expect(views.map((m) => `${m[2]} ${m[3]}${m[1] ? ' (open)' : ''}`)).toEqual([
      'redis-0 when the failed dial-back was seen (open)',
      'redis-0 after the join',
      'redis-3 after the join (open)',
      'redis-0 after the fix',
    ]);
    expect(cell).toContain(`<a href="${FILES}/cluster/redis-0.cluster-nodes.txt">copy</a>`);
  });

  test('shows the path picture with its text equivalent', () => {
    const cell = drillDown(html, CLASSIC);
    expect(cell).toMatch(/<svg viewBox="0 0 720 \d+" [^>]*role="img" aria-labelledby="(\S+)-path-t \1-path-d">/);
    expect(cell).toContain(
      'redis-3 (10.42.0.9:40122) sends MEET to 172.18.0.3:31000; on the way its source is rewritten to 10.42.0.1, ' +
        'owned by cni0@node-0 (bridge-gateway); redis-0 records the joiner at 10.42.0.1:6379@16379 and its dial-back ' +
        'to 10.42.0.1:16379 fails, so the joiner never becomes part of the cluster.',
    );
    expect(cell).toContain('<text x="390" y="42" class="box-line">10.42.0.1</text>');
    expect(cell).toContain('class="dial-back-label">dial-back to 10.42.0.1:16379 fails</text>');
  });

  test('marks NATed peers in the bus-peer table, the NAT mappings and the socket table, and only those', () => {
    const cell = drillDown(html, CLASSIC);
    expect(cell).toMatch(
      /<tr class="nat"><td>redis-0<\/td><td><code>10\.42\.0\.5:16379<\/code><\/td><td><code>10\.42\.0\.1:40122<\/code><\/td><td>bridge-gateway <span class="tag">NATed<\/span>/,
    );
    const table = cell.slice(
      cell.indexOf('<table class="nat-mappings">'),
      cell.indexOf('</table>', cell.indexOf('<table class="nat-mappings">')),
    );
    const mappings = [...table.matchAll(/<tr( class="nat")?><td>(redis-\d)<\/td><td>([^<]*)<\/td>/g)].map(
      (m) => `${m[2]} ${m[1] ? 'nat' : '-'} ${m[3]}`,
    );
    expect(mappings).toEqual([
      'redis-3 nat 10.42.0.9:40122 &gt; 172.18.0.3:31000',
      'redis-1 - 10.42.0.6:39001 &gt; 10.42.0.5:16379',
    ]);
    const podCell = drillDown(html, 'netns/flannel-vxlan/pod-ip/announce-none');
    expect(podCell).toContain('<td>pod</td>');
    expect(podCell).not.toContain('class="nat"');
  });

  test('shows the sockets on Redis ports and folds the rest behind a count', () => {
    const cell = drillDown(html, CLASSIC);
    const [, shown = '', rest = ''] =
      /<pre class="sockets">([\s\S]*?)<\/pre>\n<details><summary>([^<]*)<\/summary>/.exec(cell) ?? [];
    const lines = textOf(shown).trim().split('\n');
    expect(lines[0]).toMatch(/^State +Recv-Q/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 5).join(' '))).toEqual([
      'LISTEN 0 511 0.0.0.0:6379 0.0.0.0:*',
      'LISTEN 0 511 0.0.0.0:16379 0.0.0.0:*',
      'ESTAB 0 0 10.42.0.5:16379 10.42.0.1:40122',
      'ESTAB 0 0 10.42.0.5:16379 10.42.0.12:16379',
      'ESTAB 0 0 10.42.0.5:43110 172.18.0.3:31001',
      'ESTAB 0 0 10.42.0.5:6379 10.42.0.9:51234',
    ]);
    // The NATed peer is marked; 10.42.0.12 shares the prefix of 10.42.0.1 but is a pod.
    expect(shown).toMatch(
      /<span class="ln nat" data-mark="NATed peer \(bridge-gateway\)"[^>]*>ESTAB +0 +0 +10\.42\.0\.5:16379 +10\.42\.0\.1:40122/,
    );
    expect(shown).toMatch(/\nESTAB +0 +0 +10\.42\.0\.5:16379 +10\.42\.0\.12:16379/);
    // Loopback TIME-WAIT rows of redis-cli and the ssh port are the rest.
    expect(rest).toBe('4 other sockets (loopback or other ports)');
  });

  test('shows the relevant Redis log lines once per pod, collapses repeats and counts the rest', () => {
    const cell = drillDown(html, CLASSIC);
    const log = /<pre class="log">([\s\S]*?)<\/pre>\s*<p class="omitted">([^<]*)<\/p>/.exec(cell);
    const lines = [...(log?.[1] ?? '').matchAll(/(?:<span class="([^"]*)">)?([^<\n]*)(?:<\/span>)?\n/g)].map(
      (m) => `${m[1] ?? ''}|${(m[2] ?? '').replace(/^31914:M 01 Mar 2025 /, '')}`,
    );
    expect(lines).toEqual([
      'ln nat|10:15:02.882 - Accepting cluster node connection from 10.42.0.1:40122',
      'ln bad|10:15:05.000 - Connection with Node 3c1f0d9e6a2b4c8d9e0f1a2b3c4d5e6f7a8b9c0d at 10.42.0.1:16379 failed: Connection refused',
      'ln repeat|    … the same 11 more times until 01 Mar 2025 10:15:05.880',
      '|10:15:07.301 - Accepting cluster node connection from 172.18.0.3:31379',
      'ln info|10:15:07.305 # Address updated for node 4bf628775fdcee2a861e813806bc28e03d419907, now 172.18.0.3:30379',
    ]);
    expect(log?.[2]).toBe('8 other lines not shown.');
    expect(cell.match(/<pre class="log">/g)).toHaveLength(1);
    expect(cell).toContain(
      `<a href="${FILES}/redis-0.log">full log</a> <a href="${FILES}/cluster/redis-0.log.txt">copy</a>`,
    );
  });

  test('shows the fix, what add-node claimed, timings, and links the captures', () => {
    const cell = drillDown(html, CLASSIC);
    expect(cell).toContain(
      '<pre class="fix-text">cluster-announce-ip &lt;node IP&gt;\ncluster-announce-port &lt;client NodePort&gt;\ncluster-announce-bus-port &lt;bus NodePort&gt;</pre>',
    );
    expect(cell).toContain('Applied in this run, then MEET again: the node joined (meet ok, cluster_state ok).');
    expect(cell).toContain('<span class="tag bad">claimed success, but the node never joined</span>');
    expect(cell).toMatch(
      /<span class="ln warn" data-mark="claimed success; the node never joined"[^>]*>\[OK\] New node added correctly\.<\/span>/,
    );
    expect(cell).toContain(`<a href="${FILES}/bus.pcap" download>bus.pcap</a> <span class="meta">24 B</span>`);
    expect(cell).toContain(
      `<a href="${FILES}/redis-3.tcpdump.txt">redis-3.tcpdump.txt</a> <span class="meta">3 lines</span>`,
    );
    expect(cell).toContain(
      '<p class="timings"><strong>Timings</strong> topology 2.1s · deploy 3.4s · bootstrap 4.1s · join 5.2s',
    );
    expect(cell).toContain('<strong>total 18.3s</strong>');
    // Every artifact is shown or linked above: no list repeats them.
    expect(cell).not.toContain('Other artifacts');
  });

  test('shows the checks the test made, the failed ones marked, and says when no answer is known', () => {
    const cell = drillDown(html, 'netns/calico-vxlan/nodeport/announce-none');
    expect(cell).toContain('<tr class="failed"><th scope="row">ghost class</th><td>node-ip</td><td>tunnel</td></tr>');
    expect(cell).toContain('<tr><th scope="row">meet</th><td>fails</td><td>fails</td></tr>');
    expect(cell.match(/<tr class="failed">/g)).toHaveLength(1);
    expect(cell).toContain('<summary><span class="word t-bad">breaks</span><span class="status s-fail">FAIL</span>');
    expect(cell).toContain('<h4>How to make it work</h4>\n<p>No known answer recorded.</p>');
  });
});

describe('a snat drill-down', () => {
  test('draws where a dropped connection ends and gives the known answer', () => {
    const cell = drillDown(html, 'netns/no-nat/nodeport/announce-none/local/dial-node-1');
    expect(cell).toContain('<p class="meta">The known answer for this path:</p>');
    expect(cell).toMatch(/<p class="fix-text">dial the NodePort on a node that hosts an endpoint/);
    expect(cell).toContain(
      '<title id="cell-netns_no-nat_nodeport_announce-none_local_dial-node-1-path-t">Where the connection is dropped</title>',
    );
    expect(cell).toContain(
      'external (172.18.0.1) connects to 172.18.0.3:30000; the connection is dropped on the way and never reaches the Redis server.',
    );
    expect(cell).toContain(
      '<tr><th scope="row">the server saw</th><td>nothing: the connection never arrived</td></tr>',
    );
  });

  test('draws the rewritten source with its owner, and none for a kept source', () => {
    const rewritten = drillDown(html, 'netns/no-nat/nodeport/announce-none');
    expect(rewritten).toContain(
      'on the way the source is rewritten to 172.18.0.2 (eth0@node-0, node-ip); the Redis server sees 172.18.0.2:14823.',
    );
    expect(rewritten).toContain('<tr><th scope="row">source</th><td>node-ip</td><td>node-ip</td></tr>');
    expect(drillDown(html, 'netns/no-nat/nodeport/announce-none/local/dial-node-0')).not.toContain('<svg');
  });
});

describe('a recovery drill-down', () => {
  test('draws the failover timeline with the client window and failed commands, and says it in words', () => {
    const cell = drillDown(html, 'netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover');
    expect(cell).toContain('class="picture timeline"');
    expect(cell).toContain(
      'fault at 0ms (redis-server of redis-0 killed). pfail at 1.6s (redis-1 flags redis-0 fail?). fail at 3.0s ' +
        '(redis-0 marked fail). promoted redis-3 at 3.9s. restart at 8.0s (the kubelet restarts redis-0). healthy at 8.2s. ' +
        'Client commands failed from 12ms to 3.9s: 177 of 1235 failed, 27 drawn as ticks.',
    );
    expect(/<path d="([^"]*)" class="failed-tick"\/>/.exec(cell)?.[1]?.match(/M[\d.]+ 62v14/g)).toHaveLength(27);
    expect(cell).toMatch(/<rect x="[\d.]+" y="60" width="[\d.]+" height="18" class="error-window"\/>/);
    expect(cell).toContain('<tr><th scope="row">acknowledged writes lost</th><td>0 of 792</td></tr>');
  });

  test('degrades to what is known: no timeline, but the remediation and the time from it', () => {
    const cell = drillDown(html, 'netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart');
    expect(cell).not.toContain('<svg');
    expect(cell).toContain('<tr><th scope="row">time to recover</th><td>2.3s (from the remediation)</td></tr>');
    expect(cell).toContain(
      '<tr><th scope="row">healed</th><td>heals-after-remediation</td><td>heals-after-remediation</td></tr>',
    );
  });

  test('marks what went wrong when the cluster did not heal', () => {
    const cell = drillDown(html, 'netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link');
    expect(cell).toContain('<tr class="flagged"><th scope="row">recovered</th><td>no</td></tr>');
    expect(cell).toContain('<tr class="failed"><th scope="row">recovered</th><td>true</td><td>false</td></tr>');
    expect(cell).toContain('The cluster did not recover.');
    const results = structuredClone(sample);
    const lossy = results.cells.find((c) => c.id.endsWith('/failover')) as CellResult & { family: 'recovery' };
    if (lossy.observation?.client) {
      lossy.observation.client.lostAckedWrites = 2;
    }
    expect(drillDown(indexHtml(results, []), lossy.id)).toContain(
      '<tr class="flagged"><th scope="row">acknowledged writes lost</th><td>2 of 792</td></tr>',
    );
  });
});

describe('a cell without recorded checks', () => {
  test('shows its expectation and observation in words, unjudged, and says why', () => {
    const cell = drillDown(html, 'netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover');
    expect(cell).toContain('<tr><th scope="row">outcome</th><td>heals by itself</td><td>killed the redis-server');
    expect(cell).toContain('<p class="meta">No checks recorded: the cell stopped before it was judged');
    expect(cell).not.toContain('class="failed"');
  });
});

describe('a timing cell that shared the cores', () => {
  test('its drill-down and the markdown header both say its timings were measured beside other cells', async () => {
    const reason = 'asks to run alone (it measures a failover window), but this run let it share the cores';
    const cells = sample.cells.map((c) => (c.id === CLASSIC ? { ...c, sharedCores: reason } : c)) as CellResult[];
    const shared: ResultsFile = { ...sample, cells };
    const page = indexHtml(shared, await loadEvidence(FIXTURE_DIR, shared));
    expect(drillDown(page, CLASSIC)).toContain(`Timings measured beside other cells: this cell ${reason}.`);
    expect(drillDown(html, CLASSIC)).not.toContain('Timings measured beside other cells');
    expect(compatibilityMarkdown(shared)).toMatch(/\*\*Timings:\*\* 1 cell\(s\) that measure failover windows/);
    expect(compatibilityMarkdown(sample)).not.toContain('**Timings:**');
  });
});

describe('a nat-meet drill-down of a lab run whose fix converged', () => {
  // test/fixtures/report/nat-meet-fix: the classic cell as a lab run recorded it, with its views.
  const RUN_DIR = join(FIXTURE_DIR, 'nat-meet-fix');
  let cell: string;
  beforeAll(async () => {
    const run = await readResults(RUN_DIR);
    cell = drillDown(indexHtml(run, await loadEvidence(RUN_DIR, run)), CLASSIC);
  });
  const GHOST = '87617feef7afe9be45007c11e8eebd00c1728891 10.42.0.1:6379@16379 handshake - 0 0 0 disconnected';
  /** The marked lines of a view, by their class. */
  const marked = (view: string, cls: string) =>
    [...view.matchAll(new RegExp(`<span class="ln ${cls}" data-mark="([^"]*)">([^<]*)</span>`, 'g'))].map((m) => ({
      mark: m[1],
      line: m[2],
    }));
  const viewOf = (when: string) => {
    const at = cell.indexOf(`<span class="member">redis-0</span> · ${when} ·`);
    expect(at, when).toBeGreaterThan(0);
    return cell.slice(at, cell.indexOf('</details>', at));
  };

  test('the handshake still in the view after the fix is a leftover that goes by itself, and when', () => {
    const after = viewOf('after the fix');
    expect(marked(after, 'ghost')).toEqual([]);
    expect(marked(after, 'leftover')).toEqual([
      {
        line: GHOST,
        mark:
          'leftover handshake of an earlier MEET, not a ghost: Redis removes it by itself within 2.0s of this view ' +
          '(handshake timeout: cluster-node-timeout 2000 ms, 1 s at least)',
      },
    ]);
  });

  test('the same entry is the ghost in the views of the failure', () => {
    for (const when of ['when the failed dial-back was seen', 'after the join']) {
      expect(marked(viewOf(when), 'ghost').map((m) => m.line)).toEqual([GHOST]);
      expect(marked(viewOf(when), 'leftover')).toEqual([]);
    }
  });

  test('says what kept the members apart in words, not in slot lists', () => {
    const notes = textOf(cell.slice(cell.indexOf('<h4>Notes</h4>')));
    expect(notes).toContain('redis-1 lists redis-0 with no slots, but redis-0 serves slots 0-5460');
    expect(notes).toContain('redis-0 reports cluster_state:fail');
    expect(notes).not.toMatch(/thinks|owns \[/);
  });
});
