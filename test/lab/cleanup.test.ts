// A lab leaves nothing behind when a cell fails halfway, when the run is interrupted with SIGINT
// or SIGTERM, and, after SIGKILL, once `rcnc clean` has run.
import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { CELL_BUDGET_MS } from '../../src/suite/harness.ts';
import { cellPool, defaultWidth } from '../../src/suite/pool.ts';
import { isRcncError } from '../../src/util/errors.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';
import { holdFixture } from './holder.ts';
import { labSkipReason, leftovers, leftoversOf, none } from './leftovers.ts';

const ROOT = join(import.meta.dirname, '..', '..');

const holdLab = () => holdFixture('hold-lab', /[0-9a-f]{6}/);

describe.skipIf(!!labSkipReason)('cleanup', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cleanup-test-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  test('a cell that fails halfway (bootstrap error) leaves nothing behind', async () => {
    const before = await leftovers();
    // A redis-server without the CLUSTER command: every pod starts and turns ready, and the failure
    // lands at the first cluster command, after the topology is up.
    const server = join(scratch, 'redis-server-without-cluster');
    await writeFile(server, '#!/bin/sh\nexec redis-server "$@" --rename-command CLUSTER ""\n');
    await chmod(server, 0o755);
    const cell = natMeetCells().find((c) => c.id === 'netns/flannel-vxlan/nodeport/announce-none')!;
    const err = await runNatMeet(new NetnsProvider(), cell, { redis: { server, cli: 'redis-cli' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    // A teardown that fails as well comes wrapped (`await using`): say what it was, not just its class.
    const disposal = (err as { error?: unknown }).error;
    expect(isRcncError(err), `${String(err)}${disposal ? `; teardown: ${String(disposal)}` : ''}`).toBe(true);
    expect((err as Error).message).toMatch(/ERR unknown command 'cluster'/i);
    expect(await leftovers()).toEqual(before);
  });

  test("cells failing and passing side by side at the pool's full width leave nothing behind", async () => {
    const before = await leftovers();
    const server = join(scratch, 'redis-server-without-cluster-wide');
    await writeFile(server, '#!/bin/sh\nexec redis-server "$@" --rename-command CLUSTER ""\n');
    await chmod(server, 0o755);
    const cell = natMeetCells().find((c) => c.id === 'netns/flannel-vxlan/nodeport/announce-none')!;
    const width = defaultWidth();
    const pool = cellPool(width);
    // Every other cell fails halfway; the rest run to their verdict.
    const outcomes = await Promise.allSettled(
      Array.from({ length: width }, (_, i) =>
        pool.run(
          () =>
            runNatMeet(new NetnsProvider(), cell, {
              redis: { server: i % 2 ? server : 'redis-server', cli: 'redis-cli' },
            }),
          { name: `${cell.id}#${i}`, budgetMs: CELL_BUDGET_MS },
        ),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map((_, i) => (i % 2 ? 'rejected' : 'fulfilled')));
    expect(await leftovers()).toEqual(before);
  });

  test('a lab being torn down refuses new captures, and one still starting when it stops leaves nothing', async () => {
    const before = await leftovers();
    const topo = await new NetnsProvider().start({
      profile: 'flannel-vxlan',
      nodes: 1,
      pods: [{ name: 'a', node: 0, command: ['sleep', '60'] }],
    });
    // What a cell does when its formation fails beside a capture that has not printed `listening on`.
    const capture = topo.capture({ pod: 'a' }, { name: 'late', filter: 'tcp', maxSeconds: 30 });
    await topo.stop();
    await (await capture.catch(() => undefined))?.stop().catch(() => undefined);
    await expect(topo.capture({ pod: 'a' }, { name: 'after', filter: 'tcp', maxSeconds: 30 })).rejects.toThrow(
      /being torn down/,
    );
    expect(await leftovers()).toEqual(before);
  });

  test('a lab stopped while it starts its pods (a shutdown mid-build) leaves no process behind', async () => {
    const before = await leftovers();
    // A sleep no other process on the machine runs: its argv finds the pods.
    const seconds = String(86_400 + (process.pid % 10_000));
    const marker = `^sleep ${seconds}$`;
    const starting = new NetnsProvider()
      .start({
        profile: 'flannel-vxlan',
        nodes: 1,
        pods: Array.from({ length: 30 }, (_, i) => ({ name: `p${i}`, node: 0, command: ['sleep', seconds] })),
      })
      .catch(() => undefined);
    // What a signal's shutdown does: stop every tracked resource, this lab while it still builds,
    // as soon as its first pod process exists and the others are still being spawned.
    await waitFor({
      target: 'the first pod process',
      timeoutMs: 30_000,
      intervalMs: 5,
      check: async () => ({ done: (await run(['pgrep', '-f', marker], { reject: false })).stdout !== '', state: '' }),
    });
    const shutdown = (globalThis as Record<symbol, { live: Set<{ stop(): Promise<void> }> } | undefined>)[
      Symbol.for('rcnc.shutdown')
    ]!;
    await Promise.all([...shutdown.live].map((r) => r.stop()));
    // It may fail or finish its start, depending on how far it got; either way nothing may remain.
    await (await starting)?.stop();
    expect((await run(['pgrep', '-af', marker], { reject: false })).stdout).toBe('');
    expect(await leftovers()).toEqual(before);
  });

  test('a pod that cannot start fails the start with its log line, and leaves nothing', async () => {
    const before = await leftovers();
    const err = await new NetnsProvider()
      .start({
        profile: 'flannel-vxlan',
        nodes: 1,
        pods: [
          { name: 'bad', node: 0, command: ['redis-server', '--no-such-option'], readiness: ['redis-cli', 'ping'] },
        ],
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/pod bad exited with code 1/);
    expect(await leftovers()).toEqual(before);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} tears the lab down before the process exits`, async () => {
      const { child, ready } = holdLab();
      const id = await ready;
      const held = await leftoversOf(id);
      expect(held.namespaces.length).toBe(5); // hub, 2 nodes, 2 pods: the lab really was there
      expect(held.dirs).toEqual([`rcnc-${id}`, `rcnc-${id}-p-redis-0`, `rcnc-${id}-p-redis-1`]);
      expect(held.processes.length).toBeGreaterThanOrEqual(2);
      child.kill(signal);
      const r = await child;
      expect(r.exitCode).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(await leftoversOf(id)).toEqual(none);
    });
  }

  test('after SIGKILL the pods die with the runner and `rcnc clean` removes the rest', async () => {
    const { child, ready } = holdLab();
    const id = await ready;
    child.kill('SIGKILL');
    await child;
    const orphaned = await leftoversOf(id);
    expect(orphaned.namespaces.length).toBe(5);
    expect(orphaned.dirs).toEqual([`rcnc-${id}`, `rcnc-${id}-p-redis-0`, `rcnc-${id}-p-redis-1`]);
    const clean = await execa('node', ['bin/rcnc.mjs', 'clean'], { cwd: ROOT, reject: false });
    expect(clean.exitCode).toBe(0);
    expect(clean.stdout).toContain(`removed lab ${id}`);
    expect(await leftoversOf(id)).toEqual(none);
  });
});
