import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { compatibilityMarkdown } from './markdown.ts';
import type { CellResult, ResultsFile } from './results.ts';
import { buildResults, readResults } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));

/** The lines of one `## scenario` section, up to the next one. */
function section(markdown: string, scenario: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${scenario}`);
  expect(start, `section ${scenario}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start, end === -1 ? undefined : end);
}

/** The section's table as row label → column label → raw cell text (escapes kept). */
function table(markdown: string, scenario: string): Map<string, Map<string, string>> {
  const rows = section(markdown, scenario)
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  const [header, separator, ...body] = rows;
  expect(separator?.every((cell) => cell === '---')).toBe(true);
  const columns = header?.slice(1) ?? [];
  return new Map(
    body.map((cells) => [cells[0] ?? '', new Map(columns.map((column, i) => [column, cells[i + 1] ?? '']))]),
  );
}

function slot(markdown: string, scenario: string, row: string, column: string): string | undefined {
  return table(markdown, scenario).get(row)?.get(column);
}

describe('compatibilityMarkdown', () => {
  let results: ResultsFile;
  let markdown: string;

  beforeAll(async () => {
    results = await readResults(FIXTURE);
    markdown = compatibilityMarkdown(results);
  });

  test('starts with title, run id, date, environment and the summary line', () => {
    const head = markdown.split('\n## ')[0] ?? '';
    expect(head).toMatch(/^# .+\n/);
    expect(head).toContain('`20250301-101500-a1b2`');
    expect(head).toContain('2025-03-01 10:15:00 UTC');
    expect(head).toContain('Environment: Node v20.19.0, kernel 6.8.0-45-generic, Redis 7.0.15, host ci-runner-7');
    expect(head).toContain('6 passed, 1 failed, 1 skipped');
  });

  test('has one section per scenario family, sorted', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual(['## nat-meet', '## snat']);
  });

  test('puts each cell in its profile × exposure × announce slot', () => {
    const natMeet = table(markdown, 'nat-meet');
    expect([...(natMeet.values().next().value?.keys() ?? [])]).toEqual([
      'pod-ip / announce-none',
      'nodeport / announce-none',
      'nodeport / announce-ip',
    ]);
    // Two providers in the family: the row label tells them apart.
    expect([...natMeet.keys()]).toEqual(['flannel-vxlan (netns)', 'flannel-vxlan (k3d)', 'calico-vxlan (netns)']);
    expect(slot(markdown, 'nat-meet', 'flannel-vxlan (netns)', 'nodeport / announce-none')).toBe('works-with-announce');
    expect(slot(markdown, 'nat-meet', 'flannel-vxlan (netns)', 'pod-ip / announce-none')).toBe('works');
    expect(slot(markdown, 'nat-meet', 'flannel-vxlan (netns)', 'nodeport / announce-ip')).toBe('works');
    expect(slot(markdown, 'nat-meet', 'flannel-vxlan (k3d)', 'pod-ip / announce-none')).toBe('—');
  });

  test('shows the skip reason and the first line of a failure, with | escaped', () => {
    expect(slot(markdown, 'nat-meet', 'flannel-vxlan (k3d)', 'nodeport / announce-none')).toBe(
      'skipped (no Docker daemon answers)',
    );
    expect(slot(markdown, 'nat-meet', 'calico-vxlan (netns)', 'nodeport / announce-none')).toBe(
      'FAIL: unexpected ghost class tunnel \\| expected node-ip',
    );
    expect(markdown).not.toContain('Object.is equality');
  });

  test('adds the policy axis only to families with Local cells, and lists variants with <br>', () => {
    expect(markdown).not.toMatch(/nat-meet[\s\S]*\/ Cluster[\s\S]*## snat/);
    const snat = table(markdown, 'snat');
    expect([...snat.keys()]).toEqual(['no-nat (2 nodes)']);
    expect(slot(markdown, 'snat', 'no-nat (2 nodes)', 'nodeport / announce-none / Cluster')).toBe(
      'works-with-announce',
    );
    expect(slot(markdown, 'snat', 'no-nat (2 nodes)', 'nodeport / announce-none / Local')).toBe(
      'dial node-0: works<br>dial node-1: breaks',
    );
  });

  test('lists the exact fix for every cell that needs one', () => {
    const natMeet = section(markdown, 'nat-meet').join('\n');
    const fixes = natMeet.slice(natMeet.indexOf('**How to make it work**'), natMeet.indexOf('**Evidence**'));
    expect(fixes).toContain('- `netns/flannel-vxlan/nodeport/announce-none` (works-with-announce):');
    // Multi-line fixes keep their exact text in a block (no HTML escaping inside it).
    expect(fixes).toContain(
      '  ```\n  cluster-announce-ip <node IP>\n  cluster-announce-port <client NodePort>\n' +
        '  cluster-announce-bus-port <bus NodePort>\n  ```',
    );
    expect(fixes).not.toContain('pod-ip/announce-none');

    const snat = section(markdown, 'snat').join('\n');
    expect(snat).toContain(
      '- `netns/no-nat/nodeport/announce-none` (works-with-announce): `cluster-announce-ip <node IP>`',
    );
    expect(snat).toContain(
      '- `netns/no-nat/nodeport/announce-none/local/dial-node-1` (breaks): no working configuration recorded',
    );
    expect(snat).not.toContain('dial-node-0`');
  });

  test('gives one evidence line per cell with a ghost or a failed dial-back', () => {
    const evidence = section(markdown, 'nat-meet').filter((line) => line.startsWith('- ') && line.includes('ghost'));
    expect(evidence).toEqual([
      '- `netns/calico-vxlan/nodeport/announce-none`: ghost `10.244.1.0:6379@16379` seen by redis-0, redis-1 ' +
        '(tunnel: vxlan.calico@node-1); failed dial-back to `10.244.1.0:16379` from redis-0',
      '- `netns/flannel-vxlan/nodeport/announce-none`: ghost `10.42.0.1:6379@16379` seen by redis-0 ' +
        '(bridge-gateway: cni0@node-0); failed dial-back to `10.42.0.1:16379` from redis-0',
    ]);
    expect(markdown).toContain(
      '- `netns/no-nat/nodeport/announce-none/local/dial-node-1`: failed dial-back to `172.18.0.3:31379` from redis-0',
    );
  });

  test('is deterministic whatever order the cells come in', () => {
    const shuffled = { ...results, cells: [...results.cells].reverse() };
    expect(compatibilityMarkdown(shuffled)).toBe(markdown);
  });

  test('escapes table text and keeps one cell on one line', () => {
    const base = results.cells.find((cell) => cell.id === 'k3d/flannel-vxlan/nodeport/announce-none');
    expect(base).toBeDefined();
    const cell: CellResult = {
      ...(base as CellResult),
      verdict: { status: 'skip', reason: 'docker | k3d missing <see doctor> & retry\nsecond line' },
    };
    const text = compatibilityMarkdown(single(cell));
    expect(text).toContain('| skipped (docker \\| k3d missing &lt;see doctor&gt; &amp; retry) |');
    expect(text).not.toContain('second line');
  });

  test('says so when no cell ran', () => {
    const empty = buildResults({
      runId: 'empty',
      startedAt: new Date(0),
      finishedAt: new Date(0),
      cells: [],
      environment: { node: 'v20', kernel: '6', hostname: 'h' },
    });
    const text = compatibilityMarkdown(empty);
    expect(text).toContain('0 passed, 0 failed, 0 skipped');
    expect(text).toContain('_No cells ran._');
    expect(text).toContain('Environment: Node v20, kernel 6, host h\n');
  });

  function single(cell: CellResult): ResultsFile {
    return buildResults({
      runId: 'one',
      startedAt: new Date(0),
      finishedAt: new Date(1000),
      cells: [cell],
      environment: results.environment,
    });
  }
});
