// index.html from the sample results and the artifact files under test/fixtures/report/: what a
// reader must find in it (colours, ghost lines, NATed peers, log excerpts, fixes), that it never
// reaches the network, and that hostile results.json content stays text. The rendering in a real
// browser is checked by test/browser/report.browser.test.ts.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { classifyArtifact, indexHtml, loadEvidence, logExcerpt, verdictClass, type CellEvidence } from './html.ts';
import type { CellResult, ResultsFile } from './results.ts';
import { readResults } from './write.ts';

const FIXTURE_DIR = fileURLToPath(new URL('../../test/fixtures/report/', import.meta.url));
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';

let sample: ResultsFile;
let evidence: CellEvidence[];
let html: string;

beforeAll(async () => {
  sample = await readResults(join(FIXTURE_DIR, 'results.sample.json'));
  evidence = await loadEvidence(FIXTURE_DIR, sample);
  html = indexHtml(sample, evidence);
});

/** The markup of one cell's drill-down: from its <details> to the next one. */
function drillDown(page: string, cellId: string): string {
  const at = page.indexOf(`data-cell="${cellId}">\n<summary>`);
  expect(at, `no drill-down for ${cellId}`).toBeGreaterThanOrEqual(0);
  const end = page.indexOf('<details class="cell', at);
  return page.slice(page.lastIndexOf('<details class="cell', at), end === -1 ? undefined : end);
}

function matrixLink(page: string, cellId: string): { cls: string; text: string } {
  const re = new RegExp(
    `<a class="verdict v-([a-z-]+)" href="#[^"]+" data-cell="${cellId.replace(/\//g, '\\/')}"[^>]*>(.*?)</a>`,
  );
  const m = re.exec(page);
  expect(m, `no matrix link for ${cellId}`).not.toBeNull();
  return { cls: m?.[1] ?? '', text: (m?.[2] ?? '').replace(/<[^>]+>/g, '') };
}

describe('indexHtml', () => {
  test('colours every matrix cell by its verdict and labels it in words', () => {
    const expected: Record<string, [string, string]> = {
      'k3d/flannel-vxlan/nodeport/announce-none': ['skip', 'skipped (no Docker daemon answers)'],
      'netns/calico-vxlan/nodeport/announce-none': ['fail', 'FAIL: unexpected ghost class tunnel | expected node-ip'],
      'netns/flannel-vxlan/nodeport/announce-ip': ['works', 'works'],
      [CLASSIC]: ['works-with-announce', 'works-with-announce'],
      'netns/flannel-vxlan/pod-ip/announce-none': ['works', 'works'],
      'netns/no-nat/nodeport/announce-none': ['works-with-announce', 'works-with-announce'],
      'netns/no-nat/nodeport/announce-none/local/dial-node-0': ['works', 'dial node-0:works'],
      'netns/no-nat/nodeport/announce-none/local/dial-node-1': ['breaks', 'dial node-1:breaks'],
    };
    expect(sample.cells.map((cell) => cell.id).sort()).toEqual(Object.keys(expected).sort());
    for (const [id, [cls, text]] of Object.entries(expected)) {
      expect(matrixLink(html, id), id).toEqual({ cls, text });
    }
    // One matrix per scenario family.
    expect(html.match(/<table class="matrix">/g)).toHaveLength(2);
    expect(html).toMatch(/<h2>nat-meet<\/h2>[\s\S]*<h2>snat<\/h2>/);
  });

  test('links every matrix cell to its drill-down', () => {
    const targets = [...html.matchAll(/<a class="verdict [^"]*" href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets).toHaveLength(sample.cells.length);
    for (const target of targets) {
      expect(html).toContain(`<details class="cell v-`);
      expect(html, target).toMatch(new RegExp(`<details class="cell v-[a-z-]+" id="${target}"`));
    }
  });

  test('fetches nothing: no external URL, only anchors and relative artifact links, and a CSP that says so', () => {
    const urls = [...html.matchAll(/\s(src|href|action|srcset|poster|data|formaction)\s*=\s*"([^"]*)"/gi)].map((m) => ({
      attr: m[1],
      url: m[2] ?? '',
    }));
    expect(urls.length).toBeGreaterThan(10);
    for (const { attr, url } of urls) {
      expect(attr, url).toBe('href');
      expect(url, url).toMatch(/^(#cell-[\w.-]+|\.\/artifacts\/[^:]+)$/);
    }
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|video|audio|source)\b/i);
    expect(html).not.toMatch(/url\(|@import/i);
    // The one inline script is the one the CSP allows, by hash; nothing else may run or load.
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256')
      .update(scripts[0] ?? '')
      .digest('base64');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
  });

  test("marks the ghost line and the joiner's missing own address in the CLUSTER NODES views", () => {
    const cell = drillDown(html, CLASSIC);
    const ghostLines = [...cell.matchAll(/<span class="ln ghost"[^>]*>([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(ghostLines).toEqual([
      '3c1f0d9e6a2b4c8d9e0f1a2b3c4d5e6f7a8b9c0d 10.42.0.1:6379@16379 handshake,noaddr - 0 0 0 disconnected',
    ]);
    expect(cell).toMatch(
      /<span class="ln noaddr" data-mark="knows no address of its own[^"]*"[^>]*>[0-9a-f]{40} :6379@16379 myself,slave /,
    );
    // The ghost view comes first: it is the evidence.
    const order = [...cell.matchAll(/<h5>(redis-\d) · ([^<]+?) </g)].map((m) => `${m[1]} ${m[2]}`);
    expect(order).toEqual([
      'redis-0 when the failed dial-back was seen',
      'redis-0 after the join',
      'redis-3 after the join',
      'redis-0 after the fix',
    ]);
  });

  test('marks NATed peers in the bus-peer table and in socket tables, and only those', () => {
    const cell = drillDown(html, CLASSIC);
    expect(cell).toMatch(
      /<tr class="nat"><td>redis-0<\/td><td><code>10\.42\.0\.5:16379<\/code><\/td><td><code>10\.42\.0\.1:40122<\/code><\/td><td>bridge-gateway <span class="tag">NATed<\/span>/,
    );
    const natLines = [...cell.matchAll(/<span class="ln nat"[^>]*>([^<]*)<\/span>/g)].map((m) => m[1] ?? '');
    const socketNat = natLines.filter((line) => line.startsWith('ESTAB'));
    expect(socketNat).toHaveLength(1);
    expect(socketNat[0]).toContain('10.42.0.1:40122');
    // 10.42.0.12 shares the prefix of the NATed 10.42.0.1 but is a pod.
    expect(cell).toMatch(/<span class="ln">ESTAB +0 +0 +10\.42\.0\.5:16379 +10\.42\.0\.12:16379/);
    // A pod peer is not marked.
    const podCell = drillDown(html, 'netns/flannel-vxlan/pod-ip/announce-none');
    expect(podCell).toContain('<td>pod</td>');
    expect(podCell).not.toContain('class="nat"');
  });

  test('shows the relevant Redis log lines, collapses repeats and counts the rest', () => {
    const cell = drillDown(html, CLASSIC);
    const log = /<pre class="log">([\s\S]*?)<\/pre>\s*<p class="omitted">([^<]*)<\/p>/.exec(cell);
    const lines = [...(log?.[1] ?? '').matchAll(/<span class="([^"]*)">([^<]*)<\/span>/g)].map(
      (m) => `${m[1]}|${(m[2] ?? '').replace(/^31914:M 01 Mar 2025 /, '')}`,
    );
    expect(lines).toEqual([
      'ln nat|10:15:02.882 - Accepting cluster node connection from 10.42.0.1:40122',
      'ln bad|10:15:05.000 - Connection with Node 3c1f0d9e6a2b4c8d9e0f1a2b3c4d5e6f7a8b9c0d at 10.42.0.1:16379 failed: Connection refused',
      'ln repeat|    … the same 11 more times until 01 Mar 2025 10:15:05.880',
      'ln|10:15:07.301 - Accepting cluster node connection from 172.18.0.3:31379',
      'ln info|10:15:07.305 # Address updated for node 4bf628775fdcee2a861e813806bc28e03d419907, now 172.18.0.3:30379',
    ]);
    expect(log?.[2]).toBe('8 other lines not shown.');
    expect(cell).toContain('<a href="./artifacts/netns_flannel-vxlan_nodeport_announce-none/redis-0.log">full log</a>');
  });

  test('shows the fix, what add-node claimed, timings and links the capture for download', () => {
    const cell = drillDown(html, CLASSIC);
    expect(cell).toContain(
      '<pre class="fix-text">cluster-announce-ip &lt;node IP&gt;\ncluster-announce-port &lt;client NodePort&gt;\ncluster-announce-bus-port &lt;bus NodePort&gt;</pre>',
    );
    expect(cell).toContain('Applied in this run, then MEET again: the node joined (meet ok, cluster_state ok).');
    expect(cell).toContain('<span class="tag bad">claimed success, but the node never joined</span>');
    expect(cell).toMatch(
      /<span class="ln warn" data-mark="claimed success; the node never joined"[^>]*>\[OK\] New node added correctly\.<\/span>/,
    );
    expect(cell).toContain(
      '<a href="./artifacts/netns_flannel-vxlan_nodeport_announce-none/bus.pcap" download>bus.pcap</a> <span class="meta">24 B</span>',
    );
    expect(cell).toMatch(/<th scope="row">join<\/th><td class="num">5\.2s<\/td>/);
    expect(cell).toMatch(/<th scope="row">total<\/th><td class="num">18\.3s<\/td>/);
  });

  test('flags the observed values that differ from the expectation', () => {
    const cell = drillDown(html, 'netns/calico-vxlan/nodeport/announce-none');
    expect(cell).toContain(
      '<tr class="mismatch"><th scope="row">ghost class</th><td>node-ip</td><td>tunnel: vxlan.calico@node-1</td></tr>',
    );
    expect(cell).toContain('<tr><th scope="row">meet</th><td>fails</td><td>fails</td></tr>');
    expect(cell).toContain('<span class="verdict v-fail">FAIL</span>');
  });

  test('shows NAT mappings with translated flows marked, and what a recovery cell saw', () => {
    const results = structuredClone(sample);
    const cell = results.cells[3] as CellResult;
    const observation = cell.observation as NonNullable<CellResult['observation']> & { natMappings?: unknown };
    observation.natMappings = [
      {
        capturedAt: 'redis-3',
        flow: '10.42.0.9:40122 > 172.18.0.3:30000',
        seenAt: 'redis-0',
        as: '10.42.0.1:40122 > 10.42.0.5:6379',
        matchedPackets: 7,
      },
      {
        capturedAt: 'redis-1',
        flow: '10.42.0.6:1 > 10.42.0.5:16379',
        seenAt: 'redis-0',
        as: '10.42.0.6:1 > 10.42.0.5:16379',
        matchedPackets: 3,
      },
    ];
    observation.recovery = {
      action: 'deleted pod redis-1',
      recovered: false,
      recoveryMs: 4200,
      client: {
        ops: 100,
        errors: 3,
        errorWindowMs: 900,
        ackedWrites: 50,
        lostAckedWrites: 2,
        waitConfirmedWrites: 10,
        lostWaitConfirmedWrites: 0,
      },
    };
    const page = drillDown(indexHtml(results, []), CLASSIC);
    const natTable = page.slice(
      page.indexOf('<table class="nat-mappings">'),
      page.indexOf('</table>', page.indexOf('<table class="nat-mappings">')),
    );
    const rows = [...natTable.matchAll(/<tr( class="nat")?><td>(redis-\d)<\/td><td>([^<]*)<\/td>/g)].map(
      (m) => `${m[2]} ${m[1] ? 'nat' : '-'} ${m[3]}`,
    );
    expect(rows).toEqual([
      'redis-3 nat 10.42.0.9:40122 &gt; 172.18.0.3:30000',
      'redis-1 - 10.42.0.6:1 &gt; 10.42.0.5:16379',
    ]);
    expect(page).toContain('<tr class="mismatch"><th scope="row">recovered</th><td>no</td></tr>');
    expect(page).toContain('<tr class="mismatch"><th scope="row">acknowledged writes lost</th><td>2 of 50</td></tr>');
    expect(page).toContain('<tr><th scope="row">WAIT-confirmed writes lost</th><td>0 of 10</td></tr>');
    expect(page).toContain('<tr><th scope="row">time to recover</th><td>4.2s</td></tr>');
  });

  test('keeps hostile text as text', () => {
    const hostile = structuredClone(sample);
    const cell = hostile.cells[1] as CellResult;
    cell.title = '<img src=x onerror=alert(1)>';
    cell.verdict.reason = '</pre><script>alert(1)</script>';
    cell.id = 'netns/"><script>alert(2)</script>';
    const page = indexHtml(hostile, []);
    expect(page).not.toMatch(/<script>alert|<img/);
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect([...page.matchAll(/<script>/g)]).toHaveLength(1);
  });

  test('renders an empty run and a run without evidence', () => {
    const empty = indexHtml({ ...sample, cells: [], summary: { pass: 0, fail: 0, skip: 0 } });
    expect(empty).toContain('<em>No cells ran.</em>');
    const bare = indexHtml(sample, []);
    expect(bare).not.toContain('<h4>CLUSTER NODES</h4>');
    expect(drillDown(bare, CLASSIC)).toContain('<h4>Ghost entries</h4>');
  });

  test('is deterministic', () => {
    expect(indexHtml(sample, evidence)).toBe(html);
  });
});

describe('verdictClass', () => {
  test('uses the compatibility of passing cells, and skip or fail otherwise', () => {
    const cls = Object.fromEntries(sample.cells.map((cell) => [cell.id, verdictClass(cell)]));
    expect(cls['netns/calico-vxlan/nodeport/announce-none']).toBe('fail');
    expect(cls['k3d/flannel-vxlan/nodeport/announce-none']).toBe('skip');
    expect(cls[CLASSIC]).toBe('works-with-announce');
    const bare = { ...(sample.cells[2] as CellResult), compatibility: undefined, verdict: { status: 'pass' as const } };
    expect(verdictClass(bare)).toBe('pass');
  });
});

describe('classifyArtifact', () => {
  test.each([
    ['artifacts/c/redis-0.cluster-nodes.txt', { kind: 'cluster-nodes', member: 'redis-0' }],
    ['artifacts/c/redis-0.cluster-nodes.ghost.txt', { kind: 'cluster-nodes', member: 'redis-0', stage: 'ghost' }],
    [
      'artifacts/c/redis-1.cluster-nodes.after-fix.txt',
      { kind: 'cluster-nodes', member: 'redis-1', stage: 'after-fix' },
    ],
    ['artifacts/c/redis-2.log', { kind: 'log', member: 'redis-2' }],
    ['artifacts/c/bus.pcap', { kind: 'pcap' }],
    ['artifacts/c/node-0.cni0.pcap', { kind: 'pcap', member: 'node-0' }],
    ['artifacts/c/redis-0.sockets.txt', { kind: 'sockets', member: 'redis-0' }],
    ['artifacts/c/node-0.netstat.txt', { kind: 'sockets', member: 'node-0' }],
    ['artifacts/c/node-0.conntrack.txt', { kind: 'nat', member: 'node-0' }],
    ['artifacts/c/nat-map.json', { kind: 'nat' }],
    ['artifacts/c/add-node.txt', { kind: 'text' }],
  ])('%s', (path, expected) => {
    expect(classifyArtifact(path)).toEqual(expected);
  });
});

describe('loadEvidence', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcnc-html-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function withArtifacts(artifacts: string[]): ResultsFile {
    const results = structuredClone(sample);
    results.cells = [{ ...(results.cells[3] as CellResult), artifacts }];
    results.summary = { pass: 1, fail: 0, skip: 0 };
    return results;
  }

  test('reads text, keeps captures as links, reports missing files', async () => {
    await cp(join(FIXTURE_DIR, 'artifacts'), join(dir, 'artifacts'), { recursive: true });
    const base = 'artifacts/netns_flannel-vxlan_nodeport_announce-none';
    const [cell] = await loadEvidence(
      dir,
      withArtifacts([`${base}/add-node.txt`, `${base}/bus.pcap`, `${base}/gone.log`]),
    );
    expect(cell?.files).toEqual([
      { path: `${base}/add-node.txt`, kind: 'text', size: 384, text: expect.stringContaining('[OK] New node added') },
      { path: `${base}/bus.pcap`, kind: 'pcap', size: 24 },
      { path: `${base}/gone.log`, kind: 'log', member: 'gone', error: 'missing from the report directory' },
    ]);
  });

  test('never reads or links outside the report directory', async () => {
    const outside = join(dir, 'secret.txt');
    await writeFile(outside, 'SECRET');
    const report = join(dir, 'report');
    await mkdir(join(report, 'artifacts'), { recursive: true });
    await symlink(outside, join(report, 'artifacts', 'link.txt'));
    const results = withArtifacts(['../secret.txt', outside, 'artifacts/link.txt', 'artifacts/../../secret.txt']);
    const loaded = await loadEvidence(report, results);
    for (const file of loaded[0]?.files ?? []) {
      expect(file.text, file.path).toBeUndefined();
      expect(file.error, file.path).toMatch(/not inside the report directory|links outside the report directory/);
    }
    const page = indexHtml(results, loaded);
    expect(page).not.toContain('SECRET');
    expect(page).not.toMatch(/href="[^"#]*secret/);
  });

  test('cuts big files at a line boundary and says so; spots binary content', async () => {
    await mkdir(join(dir, 'artifacts'), { recursive: true });
    const line =
      '1:M 01 Mar 2025 10:15:05.000 - Connection with Node ' + 'a'.repeat(40) + ' at 10.42.0.1:16379 failed: x\n';
    await writeFile(join(dir, 'artifacts', 'redis-0.log'), line.repeat(Math.ceil((600 * 1024) / line.length)));
    await writeFile(join(dir, 'artifacts', 'blob.bin'), Buffer.from([1, 0, 2]));
    const [cell] = await loadEvidence(dir, withArtifacts(['artifacts/redis-0.log', 'artifacts/blob.bin']));
    const [log, blob] = cell?.files ?? [];
    expect(log?.truncated).toBe(true);
    expect(log?.text?.length).toBeLessThanOrEqual(512 * 1024);
    expect(log?.text?.endsWith('failed: x\n')).toBe(true);
    expect(blob).toMatchObject({ kind: 'binary', size: 3 });
    expect(blob?.text).toBeUndefined();
    const page = indexHtml(withArtifacts(['artifacts/redis-0.log', 'artifacts/blob.bin']), cell ? [cell] : []);
    expect(page).toContain('(read the first 512.0 KiB only)');
    expect(page).toContain('<a href="./artifacts/blob.bin" download>blob.bin</a>');
  });
});

describe('logExcerpt', () => {
  test('keeps the order of events and starts a new entry when a different line interrupts a repeat', () => {
    const text = [
      '1:M 01 Mar 2025 10:00:00.000 - Connection with Node ' +
        'a'.repeat(40) +
        ' at 10.42.0.1:16379 failed: Connection refused',
      '1:M 01 Mar 2025 10:00:00.100 * Background saving started',
      '1:M 01 Mar 2025 10:00:00.200 - Connection with Node ' +
        'a'.repeat(40) +
        ' at 10.42.0.1:16379 failed: Connection refused',
      '1:M 01 Mar 2025 10:00:00.300 - Handshake: we already know node ' +
        'b'.repeat(40) +
        ', updating the address if needed.',
      '1:M 01 Mar 2025 10:00:00.400 - Connection with Node ' +
        'a'.repeat(40) +
        ' at 10.42.0.1:16379 failed: Connection refused',
      'not a redis log line',
    ].join('\n');
    const excerpt = logExcerpt(text);
    expect(excerpt.other).toBe(2);
    expect(excerpt.dropped).toBe(0);
    const shown = [...excerpt.html.matchAll(/<span class="([^"]*)">([^<]*)<\/span>/g)].map(
      (m) => `${m[1]}|${(m[2] ?? '').replace(/^1:M 01 Mar 2025 10:00:00\.\d{3} [-*] /, '').slice(0, 24)}`,
    );
    expect(shown).toEqual([
      'ln bad|Connection with Node aaa',
      'ln repeat|    … the same 1 more ti',
      'ln|Handshake: we already kn',
      'ln bad|Connection with Node aaa',
    ]);
  });
});
