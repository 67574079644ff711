import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { compatibilityMarkdown, nothingRanText } from './markdown.ts';
import { buildResults, readResults } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));

/** The lines of one `## heading` section, up to the next one. */
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

const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';
const CLASSIC_LINK = '(index.html#cell-netns_flannel-vxlan_nodeport_announce-none)';

describe('compatibilityMarkdown', () => {
  let results: ResultsFile;
  let markdown: string;

  beforeAll(async () => {
    results = await readResults(FIXTURE);
    markdown = compatibilityMarkdown(results);
  });

  test('starts with title, run id, date, the environment header and the verdict counts', () => {
    const head = markdown.split('\n## ')[0] ?? '';
    expect(head).toMatch(/^# .+\n/);
    expect(head).toContain('`20250301-101500-a1b2`');
    expect(head).toContain('2025-03-01 10:15:00 UTC');
    expect(head).toContain(
      '**Environment:** rcnc `0.1.0 (commit db996d6)` · kernel `6.8.0-45-generic` · iptables `v1.8.9 (nf_tables)` · ' +
        'kube-proxy `iptables (rendered by the netns lab)` · Redis `7.0.15` · Node `v20.19.0` · host `ci-runner-7`',
    );
    expect(head).toContain('**Verdicts: 9 passed, 2 failed, 1 skipped.**');
  });

  test('gives one line per profile with its provenance, its words per family and its verdicts', () => {
    const glance = section(markdown, 'At a glance').filter((line) => line.startsWith('| '));
    expect(glance).toEqual([
      '| Profile | Results from | nat-meet | snat | recovery | Verdicts |',
      '| --- | --- | --- | --- | --- | --- |',
      '| flannel-vxlan (netns) | netns lab emulation of flannel VXLAN | 🟢 2 works · 🟡 1 works-with-announce | — | ' +
        '🟢 1 heals · 🟡 1 heals-after-remediation | ✅ 5 pass |',
      '| flannel-vxlan (k3d) | k3d: flannel VXLAN | ⚪ 1 not observed | — | — | ⏭️ 1 skipped |',
      '| calico-vxlan (netns) | netns lab emulation of Calico VXLAN (vxlanMode Always) | 🔴 1 breaks | — | ' +
        '🔴 1 does-not-heal | ❌ 2 FAIL |',
      '| no-nat (netns) | netns lab emulation of routed pods without NAT | — | 🟢 1 kept · 🟡 2 rewritten · 🔴 1 dropped | — | ✅ 4 pass |',
    ]);
  });

  test('compares a cell that ran on the lab and on a real cluster, or says why it could not', () => {
    // The sample's k3d cell is the twin of a lab cell, and was skipped.
    const rows = section(markdown, 'The lab against real Kubernetes').filter((l) => l.startsWith('| flannel'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^\| flannel-vxlan\/nodeport\/announce-none \| .* \| not compared: skipped on k3d: .* \|$/);
  });

  test('has one section per scenario family, with its question and a legend of its words', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## At a glance',
      '## The lab against real Kubernetes',
      '## nat-meet',
      '## snat',
      '## recovery',
    ]);
    const snat = section(markdown, 'snat');
    expect(snat[2]).toBe('_Which source address does a Redis server see on each path?_');
    expect(snat[4]).toMatch(/^🟢 `kept`: the server sees the true source · 🟡 `rewritten`: .* · 🔴 `dropped`: /);
  });

  test('puts each cell in its profile × exposure × announce slot, provenance under the profile', () => {
    const natMeet = table(markdown, 'nat-meet');
    expect([...(natMeet.values().next().value?.keys() ?? [])]).toEqual([
      'pod-ip / announce-none',
      'nodeport / announce-none',
      'nodeport / announce-ip',
    ]);
    // Two providers in the family: the row label tells them apart, and says where the results come from.
    expect([...natMeet.keys()]).toEqual([
      'flannel-vxlan (netns)<br><sub>netns lab emulation of flannel VXLAN</sub>',
      'flannel-vxlan (k3d)<br><sub>k3d: flannel VXLAN</sub>',
      'calico-vxlan (netns)<br><sub>netns lab emulation of Calico VXLAN (vxlanMode Always)</sub>',
    ]);
    const row = 'flannel-vxlan (netns)<br><sub>netns lab emulation of flannel VXLAN</sub>';
    expect(slot(markdown, 'nat-meet', row, 'nodeport / announce-none')).toBe(
      `[🟡 works-with-announce]${CLASSIC_LINK} ✅`,
    );
    expect(slot(markdown, 'nat-meet', row, 'pod-ip / announce-none')).toBe(
      '[🟢 works](index.html#cell-netns_flannel-vxlan_pod-ip_announce-none) ✅',
    );
    expect(
      slot(markdown, 'nat-meet', 'flannel-vxlan (k3d)<br><sub>k3d: flannel VXLAN</sub>', 'pod-ip / announce-none'),
    ).toBe('—');
  });

  test('shows the skip reason and the first line of a failure next to the word, with | escaped', () => {
    expect(
      slot(markdown, 'nat-meet', 'flannel-vxlan (k3d)<br><sub>k3d: flannel VXLAN</sub>', 'nodeport / announce-none'),
    ).toBe('⏭️ [skipped](index.html#cell-k3d_flannel-vxlan_nodeport_announce-none) (no Docker daemon answers)');
    const calico = 'calico-vxlan (netns)<br><sub>netns lab emulation of Calico VXLAN (vxlanMode Always)</sub>';
    expect(slot(markdown, 'nat-meet', calico, 'nodeport / announce-none')).toBe(
      '[🔴 breaks](index.html#cell-netns_calico-vxlan_nodeport_announce-none) ❌ FAIL ' +
        '(unexpected ghost class tunnel \\| expected node-ip)',
    );
    expect(markdown).not.toContain('Object.is equality');
  });

  test('adds the policy axis only to families with Local cells, and lists variants with <br>', () => {
    expect(section(markdown, 'nat-meet').join('\n')).not.toContain('/ Cluster');
    const snat = table(markdown, 'snat');
    const row = 'no-nat (2 nodes)<br><sub>netns lab emulation of routed pods without NAT</sub>';
    expect([...snat.keys()]).toEqual([row]);
    expect(slot(markdown, 'snat', row, 'nodeport / announce-none / Cluster')).toBe(
      '[🟡 rewritten to node-ip](index.html#cell-netns_no-nat_nodeport_announce-none) ✅<br>' +
        'pod-nodeport-remote: [🟡 rewritten to node-ip](index.html#cell-netns_no-nat_nodeport_announce-none_pod-nodeport-remote) ✅',
    );
    expect(slot(markdown, 'snat', row, 'nodeport / announce-none / Local')).toBe(
      'dial node-0: [🟢 kept](index.html#cell-netns_no-nat_nodeport_announce-none_local_dial-node-0) ✅<br>' +
        'dial node-1: [🔴 dropped](index.html#cell-netns_no-nat_nodeport_announce-none_local_dial-node-1) ✅',
    );
  });

  test('writes each answer once with the cells it applies to, addresses generalised', () => {
    const snat = answers(markdown, 'snat');
    expect(snat).toEqual([
      '- Redis nodes reached over this path record &lt;node IP&gt; (eth0@&lt;node&gt;): set cluster-announce-ip/port/bus-port on every node (2 cells):',
      '  - [`netns/no-nat/nodeport/announce-none`](index.html#cell-netns_no-nat_nodeport_announce-none) 🟡 rewritten to node-ip: 172.18.0.2, eth0@node-0',
      '  - [`netns/no-nat/nodeport/announce-none/pod-nodeport-remote`](index.html#cell-netns_no-nat_nodeport_announce-none_pod-nodeport-remote) 🟡 rewritten to node-ip: 172.18.0.3, eth0@node-1',
      expect.stringMatching(/^- dial the NodePort on a node that hosts an endpoint of the Service .* \(1 cell\):$/),
      '  - [`netns/no-nat/nodeport/announce-none/local/dial-node-1`](index.html#cell-netns_no-nat_nodeport_announce-none_local_dial-node-1) 🔴 dropped',
    ]);
  });

  test('keeps a multi-line answer in a block to paste, and lists bad cells without an answer', () => {
    const natMeet = answers(markdown, 'nat-meet');
    expect(section(markdown, 'nat-meet').join('\n')).toContain(
      '- Set (1 cell):\n\n  ```\n  cluster-announce-ip <node IP>\n  cluster-announce-port <client NodePort>\n' +
        '  cluster-announce-bus-port <bus NodePort>\n  ```\n\n' +
        `  - [\`${CLASSIC}\`]${CLASSIC_LINK} 🟡 works-with-announce`,
    );
    expect(natMeet).toContain('- _No known answer recorded_ (1 cell):');
    expect(natMeet.join('\n')).not.toContain('pod-ip/announce-none');
    expect(answers(markdown, 'recovery')).toEqual([
      expect.stringMatching(/^- after every pod restarts at once, CLUSTER MEET every node .* \(1 cell\):$/),
      expect.stringContaining('[`netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart`]'),
      '- _No known answer recorded_ (1 cell):',
      expect.stringContaining('[`netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link`]'),
    ]);
  });

  test('folds one evidence line per cell worth one, each id linking to index.html', () => {
    const natMeet = section(markdown, 'nat-meet');
    expect(natMeet).toContain('<details><summary>Evidence (2 cells)</summary>');
    expect(natMeet.filter((line) => line.startsWith('- [') && line.includes('ghost'))).toEqual([
      '- [`netns/calico-vxlan/nodeport/announce-none`](index.html#cell-netns_calico-vxlan_nodeport_announce-none): ' +
        'ghost `10.244.1.0:6379@16379` seen by redis-0, redis-1 (tunnel: vxlan.calico@node-1); ' +
        'failed dial-back to `10.244.1.0:16379` from redis-0',
      `- [\`${CLASSIC}\`]${CLASSIC_LINK}: ghost \`10.42.0.1:6379@16379\` seen by redis-0 ` +
        '(bridge-gateway: cni0@node-0); failed dial-back to `10.42.0.1:16379` from redis-0',
    ]);
    expect(section(markdown, 'snat')).toContain(
      '- [`netns/no-nat/nodeport/announce-none/local/dial-node-1`](index.html#cell-netns_no-nat_nodeport_announce-none_local_dial-node-1): ' +
        'external `172.18.0.1` → `172.18.0.3:30000`, never reached the server',
    );
  });

  test('is deterministic whatever order the cells come in', () => {
    const shuffled = { ...results, cells: [...results.cells].reverse() };
    expect(compatibilityMarkdown(shuffled)).toBe(markdown);
  });

  test('escapes table text and keeps one cell on one line', () => {
    const base = results.cells.find((cell) => cell.id === 'k3d/flannel-vxlan/nodeport/announce-none');
    expect(base).toBeDefined();
    const cell = {
      ...(base as CellResult),
      verdict: { status: 'skip', reason: 'docker | k3d missing <see doctor> & retry\nsecond line' },
    } as CellResult;
    const text = compatibilityMarkdown(single(cell));
    expect(text).toContain('(docker \\| k3d missing &lt;see doctor&gt; &amp; retry) |');
    expect(text).not.toContain('second line');
  });

  test('says so when no cell ran, and prints only the environment facts it has', () => {
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
    expect(text).toContain('**Environment:** kernel `6` · Node `v20` · host `h`\n');
  });

  describe('a run in which every cell was skipped', () => {
    const MISSING = 'missing packages: redis-server (run: sudo npx rcnc setup)';
    const skipped = (cell: CellResult, reason = MISSING) =>
      ({ ...cell, verdict: { status: 'skip', reason } }) as CellResult;
    const natMeet = () => results.cells.filter((cell) => cell.family === 'nat-meet');
    const run = (cells: CellResult[]) =>
      buildResults({
        runId: 'r',
        startedAt: new Date(0),
        finishedAt: new Date(0),
        cells,
        environment: results.environment,
      });

    test('says nothing ran, with the reason, instead of "every cell works"', () => {
      const cells = natMeet().map((cell) => skipped(cell));
      const text = compatibilityMarkdown(run(cells));
      expect(text).toContain(
        `**Nothing ran:** all ${cells.length} cells were skipped: ${MISSING}. This run tested nothing;`,
      );
      expect(section(text, 'nat-meet')).toContain(
        '_No cell of this family ran here (every one was skipped), so there is nothing to set._',
      );
      expect(text).not.toContain('Every cell works as deployed');
    });

    test('names the commonest reason and counts the others', () => {
      const [first, ...rest] = natMeet();
      const cells = [skipped(first!, 'no Docker daemon answers'), ...rest.map((cell) => skipped(cell))];
      expect(nothingRanText(run(cells))).toBe(
        `all ${cells.length} cells were skipped: ${MISSING} (and 1 other reason)`,
      );
      expect(nothingRanText(run([skipped(first!, 'no Docker daemon answers.')]))).toBe(
        'the one cell was skipped: no Docker daemon answers',
      );
    });

    test('a passing cell beside skipped ones: the report reads as before', () => {
      const works = results.cells.find((cell) => cell.id === 'netns/flannel-vxlan/pod-ip/announce-none')!;
      const skip = results.cells.find((cell) => cell.id === 'k3d/flannel-vxlan/nodeport/announce-none')!;
      expect(works.verdict.status).toBe('pass');
      const text = compatibilityMarkdown(run([works, skipped(skip)]));
      expect(text).not.toContain('Nothing ran');
      expect(section(text, 'nat-meet')).toContain('_Every cell works as deployed; nothing to set._');
    });
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

/** The lines of a family's "How to make it work" list. */
function answers(markdown: string, family: string): string[] {
  const lines = section(markdown, family);
  const start = lines.indexOf('### How to make it work');
  const end = lines.findIndex((line, i) => i > start && line.startsWith('<details>'));
  return lines.slice(start + 2, end === -1 ? undefined : end).filter((line) => line.trim() !== '');
}
