// The sentinel family in every writer, on results a lab run recorded
// (test/fixtures/report/sentinel.results.json: five cells of the default matrix).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { sentinelCompatibility } from '../../scenarios/sentinel/words.ts';
import type { CellResultOf, ResultsFile } from '../model/results.ts';
import { diffResults } from './diff.ts';
import { cellDetails } from './html/cell.ts';
import { junitXml } from './junit.ts';
import { compatibilityMarkdown } from './markdown.ts';
import { validateResults } from './validate.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/sentinel.results.json', import.meta.url));
const results = (): ResultsFile => JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultsFile;
const cell = (r: ResultsFile, id: string) => r.cells.find((c) => c.id === id) as CellResultOf<'sentinel'>;
const NODEPORT = 'netns/flannel-vxlan/nodeport/announce-none/2-nodes/views';
const FAILOVER = 'netns/flannel-vxlan/nodeport/announce-ip/2-nodes/failover';

describe('sentinel cells in the reports', () => {
  test('the recorded file validates, and each stored word is the one its observation supports', () => {
    const r = results();
    expect(validateResults(r)).toEqual([]);
    for (const c of r.cells as CellResultOf<'sentinel'>[]) {
      expect(c.compatibility).toBe(sentinelCompatibility(c.observation!));
    }
    // A stored word that contradicts the observation is refused.
    cell(r, NODEPORT).compatibility = 'works';
    expect(validateResults(r)).toContainEqual(expect.stringMatching(/"works" contradicts the observation/));
  });

  test('compatibility.md: the sentinel matrix with the vantages in the word, the fix once, the evidence', () => {
    const md = compatibilityMarkdown(results());
    expect(md).toMatch(/^## sentinel$/m);
    expect(md).toContain('works; not from outside');
    expect(md).toMatch(
      /replica-announce-ip &lt;node IP \(status\.hostIP\)&gt; and replica-announce-port &lt;its NodePort&gt;/,
    );
    expect(md).toMatch(
      /replicas at `10\.42\.0\.1:6379` recorded by sentinel-0, sentinel-1, sentinel-2 \(bridge-gateway: cni0@node-0\)/,
    );
    expect(md).toMatch(/no good replica to promote/);
    expect(md).toMatch(/promoted after [\d.]+s; client: \d+ of \d+ commands failed over [\d.]+s/);
  });

  test('junit.xml: the failover figures as properties', () => {
    const xml = junitXml(results());
    const f = cell(results(), FAILOVER).observation!.failover!;
    expect(xml).toContain(`<property name="failover.afterMs" value="${f.afterMs}"/>`);
    expect(xml).toContain(`<property name="client.lostWaitConfirmedWrites" value="0"/>`);
    expect(xml).toContain('<testsuite name="sentinel"');
  });

  test('index.html: rewritten records marked, clients per vantage, the failover timeline', () => {
    const np = cellDetails(cell(results(), NODEPORT), 'np', []).join('\n');
    expect(np).toMatch(/<tr class="nat"><td>sentinel-0<\/td><td>replica<\/td><td>10\.42\.0\.1:6379<\/td>/);
    expect(np).toContain('2 replicas listed at 10.42.0.1:6379');
    expect(np).toContain('After the fix: what Sentinel records');
    const fo = cellDetails(cell(results(), FAILOVER), 'fo', []).join('\n');
    expect(fo).toContain('<figure class="picture timeline">');
    expect(fo).toMatch(/switch-master/);
    expect(fo).toMatch(/WAIT-confirmed writes lost<\/th><td>0 of \d+/);
  });

  test('diff: a slower failover is a regression, like a recovery figure', () => {
    const before = results();
    const after = results();
    const f = cell(after, FAILOVER).observation!.failover!;
    f.afterMs = (f.afterMs ?? 0) + 5000;
    expect(diffResults(before, after)).toContainEqual(
      expect.objectContaining({ cellId: FAILOVER, kind: 'figure', subject: 'failover.afterMs', regression: true }),
    );
  });
});
