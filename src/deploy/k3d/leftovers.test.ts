// Which k3d clusters and kubeconfig namespaces `rcnc clean` removes: only those whose run-state
// record proves the owner gone (and, for namespaces, that still carry the record's run id); a live
// run's, or one nobody recorded, is kept and named. Real records in a temp run-state dir; the
// owners are this process (alive) and a process that has exited (gone); k3d's listing is a
// fixture in its JSON format, and the API server a fake.
import type { V1Namespace } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { self, type Owner } from '../../util/run-state.ts';
import { judgeNamespace, namespaceRecords, sweepNamespaces } from '../kubeconfig/leftovers.ts';
import { clusterRecords, parseClusterList, selectStaleClusters, sweepK3dClusters } from './leftovers.ts';

const listing = readFileSync(new URL('../../../test/fixtures/k8s/k3d-cluster-list.json', import.meta.url), 'utf8');

/** An owner whose process has exited: its pid no longer runs with that start time. */
function goneOwner(): Owner {
  const pid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
  return { pid, startTime: 1 };
}

let root = '';
// Every root a test made, not only the last: a test may start over with a fresh one.
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));
const freshRoot = () => roots.push((root = mkdtempSync(join(tmpdir(), 'rcnc-leftovers-'))));

test('k3d cluster list -o json: each cluster with the run id its nodes carry, or none', () => {
  expect(parseClusterList(listing)).toEqual([
    { name: 'rcnc-0a1b2c', runId: '20250301-101500-dead' },
    { name: 'rcnc-3d4e5f', runId: '20250301-102000-live' },
    { name: 'rcnc-778899', runId: '20240101-000000-old0' },
    { name: 'dev', runId: undefined },
  ]);
  expect(parseClusterList('')).toEqual([]);
  expect(() => parseClusterList('{}')).toThrow(/JSON array/);
});

describe('k3d clusters', () => {
  const listed = parseClusterList(listing);
  const records = [
    { cluster: 'rcnc-0a1b2c', runId: '20250301-101500-dead', pid: 11, alive: false },
    { cluster: 'rcnc-3d4e5f', runId: '20250301-102000-live', pid: 22, alive: true },
    { cluster: 'rcnc-vanish', runId: 'x', pid: 33, alive: false },
  ];

  test('a gone owner’s cluster goes; a live run’s and an unrecorded one stay, named; a user’s is never looked at', () => {
    const pick = selectStaleClusters(listed, records, []);
    expect(pick.remove).toEqual([
      { name: 'rcnc-0a1b2c', runId: '20250301-101500-dead', why: 'its owner (pid 11) is gone' },
    ]);
    expect(pick.keep).toEqual([
      { name: 'rcnc-3d4e5f', why: 'its owner of run 20250301-102000-live (pid 22) is still alive' },
      { name: 'rcnc-778899', why: expect.stringMatching(/^run 20240101-000000-old0 left no record .* --all/) },
    ]);
    expect(pick.forget).toEqual(['rcnc-vanish']);
    expect(JSON.stringify(pick)).not.toContain('"dev"');
  });

  test('an unreadable record keeps its cluster; --all removes every rcnc cluster and still not the user’s', () => {
    const damaged = selectStaleClusters(listed, [], [{ id: 'rcnc-0a1b2c', problem: 'is not JSON' }]);
    expect(damaged.keep[0]).toEqual({
      name: 'rcnc-0a1b2c',
      why: 'its record is not JSON; remove it with --all once no run uses it',
    });
    const all = selectStaleClusters(listed, records, [], { all: true });
    expect(all.remove.map((c) => c.name)).toEqual(['rcnc-0a1b2c', 'rcnc-3d4e5f', 'rcnc-778899']);
  });

  test('sweep: deletes what the records allow, with real records; asks nothing of k3d without records', async () => {
    freshRoot();
    const store = clusterRecords(root);
    const now = new Date().toISOString();
    await store.write('rcnc-0a1b2c', { ...goneOwner(), cluster: 'rcnc-0a1b2c', runId: 'r1', createdAt: now });
    await store.write('rcnc-3d4e5f', { ...(await self()), cluster: 'rcnc-3d4e5f', runId: 'r2', createdAt: now });
    const deleted: string[] = [];
    const k3d = { listClusters: async () => listing, deleteCluster: async (n: string) => void deleted.push(n) };
    const lines = await sweepK3dClusters(async () => k3d, { root });
    expect(deleted).toEqual(['rcnc-0a1b2c']);
    expect(lines).toEqual([
      expect.stringMatching(
        /^removed k3d cluster rcnc-0a1b2c of run 20250301-101500-dead: its owner \(pid \d+\) is gone$/,
      ),
      expect.stringMatching(/^kept k3d cluster rcnc-3d4e5f: its owner of run r2 \(pid \d+\) is still alive$/),
      expect.stringMatching(/^kept k3d cluster rcnc-778899: run 20240101-000000-old0 left no record/),
    ]);
    expect((await store.readAll()).records.map((r) => r.cluster)).toEqual(['rcnc-3d4e5f']);

    freshRoot();
    let asked = false;
    expect(
      await sweepK3dClusters(
        async () => {
          asked = true;
          return k3d;
        },
        { root },
      ),
    ).toEqual([]);
    expect(asked).toBe(false);
  });

  test('sweep: when k3d cannot list, every recorded cluster is kept with the reason', async () => {
    freshRoot();
    const now = new Date().toISOString();
    await clusterRecords(root).write('rcnc-0a1b2c', {
      ...goneOwner(),
      cluster: 'rcnc-0a1b2c',
      runId: 'r1',
      createdAt: now,
    });
    const lines = await sweepK3dClusters(async () => Promise.reject(new Error('k3d not found: set K3D_BIN')), { root });
    expect(lines).toEqual(['kept k3d cluster rcnc-0a1b2c: cannot list k3d clusters (k3d not found: set K3D_BIN)']);
  });
});

describe('kubeconfig namespaces', () => {
  const ns = (runId?: string): V1Namespace => ({
    metadata: { name: 'rcnc-abc123', labels: runId ? { 'rcnc.io/run-id': runId } : {} },
  });
  const record = { namespace: 'rcnc-abc123', runId: 'run-1', pid: 44 };

  test('judged by owner liveness, existence and the run-id label', () => {
    expect(judgeNamespace(record, true, ns('run-1'))).toEqual({
      action: 'keep',
      why: 'its owner of run run-1 (pid 44) is still alive',
    });
    expect(judgeNamespace(record, false, ns('run-1'))).toEqual({ action: 'delete', why: 'its owner (pid 44) is gone' });
    expect(judgeNamespace(record, false, undefined).action).toBe('forget');
    expect(judgeNamespace(record, false, ns('run-2'))).toMatchObject({
      action: 'not-ours',
      why: expect.stringContaining("rcnc.io/run-id=run-2, not the record's run-1"),
    });
    expect(judgeNamespace(record, false, ns()).action).toBe('not-ours');
    expect(judgeNamespace(record, true, ns('run-1'), { all: true }).action).toBe('delete');
  });

  test('sweep: deletes the gone run’s namespace, never another run’s, never asks about a live one', async () => {
    freshRoot();
    const store = namespaceRecords(root);
    const now = new Date().toISOString();
    const gone = goneOwner();
    await store.write('rcnc-dead01', {
      ...gone,
      namespace: 'rcnc-dead01',
      runId: 'run-1',
      context: 'k3d-x',
      createdAt: now,
    });
    await store.write('rcnc-other', { ...gone, namespace: 'rcnc-other', runId: 'run-1', createdAt: now });
    await store.write('rcnc-live01', { ...(await self()), namespace: 'rcnc-live01', runId: 'run-2', createdAt: now });
    const live: Record<string, V1Namespace> = {
      'rcnc-dead01': { metadata: { name: 'rcnc-dead01', labels: { 'rcnc.io/run-id': 'run-1' } } },
      'rcnc-other': { metadata: { name: 'rcnc-other', labels: { 'rcnc.io/run-id': 'someone-else' } } },
    };
    const asked: string[] = [];
    const deleted: string[] = [];
    const api = {
      read: async (n: string) => (asked.push(n), live[n]),
      delete: async (n: string) => void deleted.push(n),
    };
    const lines = await sweepNamespaces(async () => api, { root });
    expect(deleted).toEqual(['rcnc-dead01']);
    expect(asked).not.toContain('rcnc-live01');
    expect(lines).toContainEqual(
      expect.stringMatching(/^removed namespace rcnc-dead01 \(k3d-x of the default kubeconfig\) of run run-1/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^kept namespace rcnc-other .*not ours to delete$/));
    expect(lines).toContainEqual(expect.stringMatching(/^kept namespace rcnc-live01: its owner of run run-2/));
    expect((await store.readAll()).records.map((r) => r.namespace)).toEqual(['rcnc-live01']);
  });
});
