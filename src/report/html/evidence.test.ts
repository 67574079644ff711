// Reading a cell's artifact files: what each name holds, text read and cut at a line boundary,
// captures kept as links, and nothing read or linked outside the report directory.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../../model/results.ts';
import { readResults } from '../write.ts';
import { classifyArtifact, indexHtml, loadEvidence } from './index.ts';

const FIXTURE_DIR = fileURLToPath(new URL('../../../test/fixtures/report/', import.meta.url));
const CLASSIC = 'netns/flannel-vxlan/nodeport/announce-none';

let sample: ResultsFile;
beforeAll(async () => {
  sample = await readResults(join(FIXTURE_DIR, 'results.sample.json'));
});

describe('classifyArtifact', () => {
  test.each([
    ['artifacts/c/redis-0.cluster-nodes.txt', { kind: 'cluster-nodes', member: 'redis-0' }],
    ['artifacts/c/cluster/redis-0.cluster-nodes.txt', { kind: 'cluster-nodes', member: 'redis-0' }],
    ['artifacts/c/redis-0.cluster-nodes.ghost.txt', { kind: 'cluster-nodes', member: 'redis-0', stage: 'ghost' }],
    [
      'artifacts/c/redis-1.cluster-nodes.after-fix.txt',
      { kind: 'cluster-nodes', member: 'redis-1', stage: 'after-fix' },
    ],
    ['artifacts/c/redis-2.log', { kind: 'log', member: 'redis-2' }],
    ['artifacts/c/cluster/redis-2.log.txt', { kind: 'log', member: 'redis-2' }],
    ['artifacts/c/bus.pcap', { kind: 'pcap' }],
    ['artifacts/c/node-0.cni0.pcap', { kind: 'pcap', member: 'node-0' }],
    ['artifacts/c/redis-3.tcpdump.txt', { kind: 'capture-text', member: 'redis-3' }],
    ['artifacts/c/redis-0.sockets.txt', { kind: 'sockets', member: 'redis-0' }],
    ['artifacts/c/cluster/redis-0.ss.txt', { kind: 'sockets', member: 'redis-0' }],
    ['artifacts/c/node-0.netstat.txt', { kind: 'sockets', member: 'node-0' }],
    ['artifacts/c/node-0.conntrack.txt', { kind: 'nat', member: 'node-0' }],
    ['artifacts/c/nat-map.json', { kind: 'nat' }],
    ['artifacts/c/add-node.txt', { kind: 'text' }],
    ['artifacts/c/cluster/nodes.txt', { kind: 'text' }],
    ['artifacts/c/cluster/node-0.ip-addr.txt', { kind: 'text' }],
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
    results.cells = [{ ...(results.cells.find((cell) => cell.id === CLASSIC) as CellResult), artifacts }];
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
    expect(page).toContain('not inside the report directory; not linked');
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
