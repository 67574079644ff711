// index.html from the sample results and the artifact files under test/fixtures/report/: what a
// reader must find in it (words and verdicts apart, provenance, legends, links), that it never
// reaches the network, and that hostile results.json content stays text. The drill-downs are
// checked in cell.test.ts, the rendering in a real browser by test/browser/report.browser.test.ts.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../../model/results.ts';
import { readResults } from '../write.ts';
import { indexHtml, loadEvidence, type CellEvidence } from './index.ts';

const FIXTURE_DIR = fileURLToPath(new URL('../../../test/fixtures/report/', import.meta.url));

let sample: ResultsFile;
let evidence: CellEvidence[];
let html: string;

beforeAll(async () => {
  sample = await readResults(join(FIXTURE_DIR, 'results.sample.json'));
  evidence = await loadEvidence(FIXTURE_DIR, sample);
  html = indexHtml(sample, evidence);
});

/** The slot of a cell in its matrix: tone and status classes, and its text with tags dropped. */
function matrixSlot(page: string, cellId: string): { tone: string; status: string; text: string } {
  const re = new RegExp(
    `<a class="slot t-([a-z-]+) s-([a-z]+)" href="#[^"]+" data-cell="${cellId.replace(/\//g, '\\/')}"[^>]*>(.*?)</a>`,
  );
  const m = re.exec(page);
  expect(m, `no matrix slot for ${cellId}`).not.toBeNull();
  return {
    tone: m?.[1] ?? '',
    status: m?.[2] ?? '',
    text: (m?.[3] ?? '').replace(/<\/span>/g, '|').replace(/<[^>]+>/g, ''),
  };
}

describe('indexHtml', () => {
  test('shows in every slot the word, coloured by its tone, and the verdict apart from it', () => {
    const expected: Record<string, [string, string, string]> = {
      'k3d/flannel-vxlan/nodeport/announce-none': ['none', 'skip', 'skipped|'],
      'netns/calico-vxlan/nodeport/announce-none': ['bad', 'fail', 'breaks|FAIL|'],
      'netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link': [
        'bad',
        'fail',
        'partition-link:|does-not-heal|FAIL|',
      ],
      'netns/flannel-vxlan/nodeport/announce-ip': ['good', 'pass', 'works|pass|'],
      'netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover': ['good', 'pass', 'failover:|heals|pass|'],
      'netns/flannel-vxlan/nodeport/announce-none': ['needs-setting', 'pass', 'works-with-announce|pass|'],
      'netns/flannel-vxlan/pod-ip/announce-none': ['good', 'pass', 'works|pass|'],
      'netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart': [
        'needs-setting',
        'pass',
        'whole-restart:|heals after remediation|pass|',
      ],
      'netns/no-nat/nodeport/announce-none': ['needs-setting', 'pass', 'rewritten to node-ip|pass|'],
      'netns/no-nat/nodeport/announce-none/local/dial-node-0': ['good', 'pass', 'dial node-0:|kept|pass|'],
      'netns/no-nat/nodeport/announce-none/local/dial-node-1': ['bad', 'pass', 'dial node-1:|dropped|pass|'],
      'netns/no-nat/nodeport/announce-none/pod-nodeport-remote': [
        'needs-setting',
        'pass',
        'pod-nodeport-remote:|rewritten to node-ip|pass|',
      ],
    };
    expect(sample.cells.map((cell) => cell.id).sort()).toEqual(Object.keys(expected).sort());
    for (const [id, [tone, status, text]] of Object.entries(expected)) {
      expect(matrixSlot(html, id), id).toEqual({ tone, status, text });
    }
  });

  test('has one section per family in the vocabulary order, each with its question and legend', () => {
    expect(html.match(/<table class="matrix">/g)).toHaveLength(3);
    expect(html).toMatch(/<h2>nat-meet<\/h2>[\s\S]*<h2>snat<\/h2>[\s\S]*<h2>recovery<\/h2>/);
    const snat = html.slice(
      html.indexOf('<h2>snat</h2>'),
      html.indexOf('<div class="matrix-box">', html.indexOf('<h2>snat</h2>')),
    );
    expect(snat).toContain('<p class="question">Which source address does a Redis server see on each path?</p>');
    expect(
      [...snat.matchAll(/<dt><span class="word t-([a-z-]+)">([a-z-]+)<\/span><\/dt>/g)].map((m) => `${m[2]}:${m[1]}`),
    ).toEqual(['kept:good', 'rewritten:needs-setting', 'dropped:bad']);
  });

  test('says on every row and in every cell header where the results come from', () => {
    const rows = [
      ...html.matchAll(
        /<th scope="row">([^<]+)<span class="prov-label"><span class="tag (\w+)">([^<]+)<\/span> ([^<]+)<\/span>/g,
      ),
    ];
    expect(rows.map((m) => `${m[1]} | ${m[3]} | ${m[4]}`)).toEqual([
      'flannel-vxlan (netns) | emulation | netns lab emulation of flannel VXLAN',
      'flannel-vxlan (k3d) | real system | k3d: flannel VXLAN',
      'calico-vxlan (netns) | emulation | netns lab emulation of Calico VXLAN (vxlanMode Always)',
      'no-nat (2 nodes) | emulation | netns lab emulation of routed pods without NAT',
      'flannel-vxlan (3 nodes) | emulation | netns lab emulation of flannel VXLAN',
      'calico-vxlan (3 nodes) | emulation | netns lab emulation of Calico VXLAN (vxlanMode Always)',
    ]);
    const headers = [...html.matchAll(/<p class="provenance"><span class="tag (\w+)">/g)];
    expect(headers).toHaveLength(sample.cells.length);
  });

  test('opens with the environment, the verdict counts and legend, and one line per profile', () => {
    expect(html).toContain('<div><dt>rcnc</dt><dd>0.1.0 (commit db996d6)</dd></div>');
    expect(html).toContain('<div><dt>iptables</dt><dd>v1.8.9 (nf_tables)</dd></div>');
    expect(html).toContain('<div><dt>kube-proxy</dt><dd>iptables (rendered by the netns lab)</dd></div>');
    expect(html).toMatch(
      /Verdicts: <span class="status s-pass">pass<\/span> 9 · <span class="status s-fail">FAIL<\/span> 2/,
    );
    const glance = html.slice(
      html.indexOf('<table class="glance">'),
      html.indexOf('</table>', html.indexOf('<table class="glance">')),
    );
    expect(glance).toContain(
      '<tr><th scope="row">no-nat (netns)</th><td>netns lab emulation of routed pods without NAT</td><td>—</td>' +
        '<td><span class="word t-good">1 kept</span> <span class="word t-needs-setting">2 rewritten</span> ' +
        '<span class="word t-bad">1 dropped</span></td><td>—</td>',
    );
  });

  test('links every slot and every bar of the duration chart to a drill-down', () => {
    const targets = [...html.matchAll(/<a class="slot [^"]*" href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets).toHaveLength(sample.cells.length);
    for (const target of targets) {
      expect(html, target).toMatch(new RegExp(`<details class="cell t-[a-z-]+ s-[a-z]+" id="${target}"`));
    }
    const bars = [...html.matchAll(/<a href="#(cell-[^"]+)">\n<title>/g)].map((m) => m[1]);
    expect(bars.sort()).toEqual([...targets].sort());
  });

  test('fetches nothing: no external URL, only anchors and relative artifact links, and a CSP that says so', () => {
    const urls = [
      ...html.matchAll(/\s(src|href|action|srcset|poster|data|formaction|xlink:href)\s*=\s*"([^"]*)"/gi),
    ].map((m) => ({ attr: m[1], url: m[2] ?? '' }));
    expect(urls.length).toBeGreaterThan(10);
    for (const { attr, url } of urls) {
      expect(attr, url).toBe('href');
      expect(url, url).toMatch(/^(#cell-[\w.-]+|\.\/artifacts\/[^:]+)$/);
    }
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|video|audio|source|image|use|foreignObject)\b/i);
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
    expect(bare).toContain('<h4>Ghost entries</h4>');
    // Without evidence every artifact is still listed, folded.
    expect(bare).toContain('<summary>Artifacts (11)</summary>');
  });

  test('is deterministic', () => {
    expect(indexHtml(sample, evidence)).toBe(html);
  });
});
