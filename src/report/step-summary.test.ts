// The GitHub job summary: failures first, then the matrices; no link (compatibility.md's links go to
// index.html, which is not beside a job summary); never over its size bound, saying what it left out.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { STEP_SUMMARY_MAX_BYTES, stepSummaryMarkdown } from './step-summary.ts';
import { buildResults, readResults } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
const SENTINEL = fileURLToPath(new URL('../../test/fixtures/report/sentinel.results.json', import.meta.url));
const OPTIONS = { reportDir: 'reports/20250301-101500-a1b2' };

/** `copies` of every cell of `results`, each under its own id, `fail` of them failed. */
function grown(results: ResultsFile, copies: number, fail = 0): ResultsFile {
  const cells = Array.from({ length: copies }, (_, n) =>
    results.cells.map((cell) => ({
      ...cell,
      id: `${cell.id}/copy-${n}`,
      dims: { ...cell.dims, variant: `copy-${n}` },
      ...(n < fail ? { verdict: { status: 'fail', reason: `unexpected result number ${n}` } } : {}),
    })),
  ).flat() as CellResult[];
  return buildResults({
    runId: results.runId,
    startedAt: new Date(results.startedAt),
    finishedAt: new Date(results.finishedAt),
    cells,
    environment: results.environment,
  });
}

describe('stepSummaryMarkdown', () => {
  let sample: ResultsFile;
  let sentinel: ResultsFile;
  beforeAll(async () => {
    sample = await readResults(FIXTURE);
    sentinel = await readResults(SENTINEL);
  });

  test('has no link: cells are named in plain text', () => {
    for (const results of [sample, sentinel]) {
      const text = stepSummaryMarkdown(results, OPTIONS);
      expect(text).not.toMatch(/\]\(/);
      expect(text).not.toContain('index.html#');
      expect(text).not.toMatch(/href=/i);
    }
    // A cell that needs an answer is named under it, as in compatibility.md.
    expect(stepSummaryMarkdown(sample, OPTIONS)).toContain(
      '  - `netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart` 🟡 heals after remediation',
    );
  });

  test('lists the failed cells with their word and reason before any matrix', () => {
    const text = stepSummaryMarkdown(sample, OPTIONS);
    const failed = text.indexOf('## ❌ Failed: 2 cells');
    expect(failed).toBeGreaterThan(text.indexOf('**Verdicts: 9 passed, 2 failed, 1 skipped.**'));
    expect(failed).toBeLessThan(text.indexOf('## At a glance'));
    expect(text.indexOf('## At a glance')).toBeLessThan(text.indexOf('## nat-meet\n'));
    expect(text).toContain(
      '- `netns/calico-vxlan/nodeport/announce-none` 🔴 breaks: unexpected ghost class tunnel | expected node-ip\n' +
        '- `netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link` 🔴 does-not-heal: unexpected: the cluster did not heal within 30 s of the partition lifting\n',
    );
    // Skips by reason after the matrices, then the answers.
    expect(text).toContain('- no Docker daemon answers (1 cell: `k3d/flannel-vxlan/nodeport/announce-none`)');
    expect(text.indexOf('## ⏭️ Skipped: 1 cell')).toBeGreaterThan(text.indexOf('## recovery\n'));
    expect(text.indexOf('## nat-meet: how to make it work')).toBeGreaterThan(text.indexOf('## ⏭️ Skipped'));
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      "The full report — compatibility.md, index.html with every cell's evidence, junit.xml, results.json — is in `reports/20250301-101500-a1b2` on the machine that ran; keep it as the job's artifact.",
    );
    expect(text).not.toContain('Left out');
  });

  test('a run without failures has no failed section', () => {
    const passing = sentinel.cells.every((cell) => cell.verdict.status !== 'fail');
    expect(passing).toBe(true);
    expect(stepSummaryMarkdown(sentinel, OPTIONS)).not.toContain('Failed:');
  });

  test('a large run stays under the bound, failures and matrices kept, and says what it left out', () => {
    const big = grown(sample, 400);
    const text = stepSummaryMarkdown(big, OPTIONS);
    expect(Buffer.byteLength(text)).toBeGreaterThan(STEP_SUMMARY_MAX_BYTES * 0.8);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(STEP_SUMMARY_MAX_BYTES);
    expect(text).toContain(`## ❌ Failed: ${big.summary.fail} cells`);
    expect(text).toContain('- `netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link/copy-399` 🔴');
    expect(text).toContain('## At a glance');
    expect(text).toMatch(/^_Left out to keep this summary under 128 KiB: .*the recovery evidence\._$/m);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^The full report — /);
  });

  test('more failures than fit: the first ones, then how many more', () => {
    const text = stepSummaryMarkdown(grown(sample, 100, 100), { ...OPTIONS, maxBytes: 16 * 1024 });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(16 * 1024);
    const shown = text.match(/^- `[^`]+`.*: unexpected result number \d+$/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    expect(text).toContain(`## ❌ Failed: ${100 * 12} cells`);
    expect(text).toContain(`\n- … and ${100 * 12 - shown} more\n`);
    expect(text).toMatch(/^_Left out to keep this summary under 16 KiB: part of the failed cells, the overview, /m);
  });
});
