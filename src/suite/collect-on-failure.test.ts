// The wiring of `rcnc run --collect-on-failure`: a cell's topology collects before it stops, and
// once vitest has the verdict a failure keeps a bundle in the cell's artifacts, named in its record,
// while a pass keeps nothing. The provider and the topology are fakes (the lab end to end is in
// test/lab/collect.test.ts); the bundle is the real one (analysis and tar).
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { bundleCollection } from '../analyze/collect.ts';
import type { Provider, StartedTopology } from '../deploy/provider.ts';
import type { AnyCell } from '../model/cell.ts';
import type { CellRecord } from '../model/results.ts';
import { BUNDLE_NAME, collectingOnFailure, type CollectContext, type CollectDeps } from './collect-on-failure.ts';

const CELL = { id: 'netns/flannel-vxlan/pod-ip/announce-none' } as AnyCell;
const SLUG = 'netns_flannel-vxlan_pod-ip_announce-none';
const RUN = 'r1';
const NODES = 'a1 10.42.0.2:6379@16379 myself,master - 0 0 1 connected 0-16383\n';

let reportDir: string;
beforeEach(async () => {
  reportDir = await mkdtemp(join(tmpdir(), 'rcnc-collect-on-failure-'));
});
afterEach(() => rm(reportDir, { recursive: true, force: true }));

/** A test context whose finish hooks the test runs itself, with the verdict it chooses. */
function fakeContext() {
  const hooks: (() => unknown)[] = [];
  const record = { id: CELL.id, artifacts: ['artifacts/x/cluster/redis-0.log'] } as CellRecord;
  const ctx = {
    onTestFinished: (fn: () => unknown) => void hooks.push(fn),
    task: { meta: { rcnc: record }, result: { state: 'pass' } },
  };
  const finish = async (state: 'pass' | 'fail') => {
    ctx.task.result.state = state;
    for (const h of hooks) {
      await h();
    }
  };
  return { ctx: ctx as unknown as CollectContext, record, finish };
}

/** A provider whose topology records what happened in which order. */
function fakeProvider(events: string[]): Provider {
  const topo = {
    id: 'topo-1',
    stop: async () => void events.push('stop'),
    [Symbol.asyncDispose]: async () => void events.push('dispose'),
    pods: () => [],
  } as unknown as StartedTopology;
  return {
    name: 'netns',
    gaps: {},
    check: async () => [],
    start: async () => (events.push('start'), topo),
  };
}

/** A collection that writes one CLUSTER NODES file, as collect would. */
const writingOne =
  (events: string[]): CollectDeps['collect'] =>
  async (topo, dir) => {
    events.push(`collect ${topo.id}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'redis-0.cluster-nodes.txt'), NODES);
    return { ok: true, files: ['redis-0.cluster-nodes.txt'], notes: ['a note'], versions: { redis: '7.0.15' } };
  };

const deps = (collect: CollectDeps['collect'], timeoutMs = 5_000): CollectDeps => ({
  collect,
  timeoutMs,
  bundle: bundleCollection,
});

describe('--collect-on-failure', () => {
  test('the topology collects before it stops, once; a failed cell keeps the bundle, named in its record', async () => {
    const events: string[] = [];
    const { ctx, record, finish } = fakeContext();
    const { provider } = collectingOnFailure(
      ctx,
      CELL,
      { reportDir, runId: RUN },
      fakeProvider(events),
      deps(writingOne(events)),
    );
    const topo = await provider.start({ profile: 'flannel-vxlan', nodes: 1, pods: [] });
    expect(topo.id).toBe('topo-1');
    await topo.stop();
    await topo[Symbol.asyncDispose]();
    expect(events).toEqual(['start', 'collect topo-1', 'stop', 'dispose']);

    await finish('fail');
    const rel = `artifacts/${SLUG}/${BUNDLE_NAME}`;
    expect(record.collected).toEqual({
      bundle: rel,
      note: expect.stringMatching(
        /^1 collected files and the analysis, 0 value\(s\) redacted; collected in \d+\.\d s before teardown; a note$/,
      ),
    });
    expect(record.artifacts).toEqual(['artifacts/x/cluster/redis-0.log', rel]);
    const listed = await execa('tar', ['tzf', join(reportDir, RUN, rel)]);
    expect(listed.stdout.split('\n').sort()).toEqual(
      expect.arrayContaining([
        'collect-on-failure/analysis.txt',
        'collect-on-failure/collected/redis-0.cluster-nodes.txt',
        'collect-on-failure/manifest.json',
        'collect-on-failure/versions.json',
      ]),
    );
    // Only the bundle stays: the collected folder is gone.
    expect(await readdir(join(reportDir, RUN, 'artifacts', SLUG))).toEqual([BUNDLE_NAME]);
  });

  test('a passing cell keeps nothing and its record names no bundle', async () => {
    const events: string[] = [];
    const { ctx, record, finish } = fakeContext();
    const { provider } = collectingOnFailure(
      ctx,
      CELL,
      { reportDir, runId: RUN },
      fakeProvider(events),
      deps(writingOne(events)),
    );
    await using _topo = await provider.start({ profile: 'flannel-vxlan', nodes: 1, pods: [] });
    expect(existsSync(join(reportDir, RUN, 'artifacts', SLUG, 'collect-on-failure'))).toBe(false);
    await _topo[Symbol.asyncDispose]();
    expect(existsSync(join(reportDir, RUN, 'artifacts', SLUG, 'collect-on-failure', '1'))).toBe(true);
    await finish('pass');
    expect(record.collected).toBeUndefined();
    expect(record.artifacts).toEqual(['artifacts/x/cluster/redis-0.log']);
    expect(existsSync(join(reportDir, RUN, 'artifacts', SLUG, 'collect-on-failure'))).toBe(false);
  });

  test('a collection that hangs is given up after its bound; the topology still stops and the record says why', async () => {
    const events: string[] = [];
    const { ctx, record, finish } = fakeContext();
    const { provider } = collectingOnFailure(
      ctx,
      CELL,
      { reportDir, runId: RUN },
      fakeProvider(events),
      deps(() => new Promise(() => {}), 50),
    );
    const topo = await provider.start({ profile: 'flannel-vxlan', nodes: 1, pods: [] });
    await topo.stop();
    expect(events).toEqual(['start', 'stop']);
    await finish('fail');
    expect(record.collected).toEqual({ note: 'not collected: collecting from topo-1 did not finish within 0.05 s' });
  });

  test('a cell that failed before its topology started says there was nothing to collect', async () => {
    const { ctx, record, finish } = fakeContext();
    collectingOnFailure(ctx, CELL, { reportDir, runId: RUN }, fakeProvider([]), deps(writingOne([])));
    await finish('fail');
    expect(record.collected).toEqual({ note: 'nothing collected: the cell failed before its topology started' });
  });
});
