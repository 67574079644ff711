// A kube cluster whose starter is SIGKILLed mid-start is left to `rcnc clean`, which removes all of
// it. This file runs in the lab project with the other end-to-end files that kill an owner and
// sweep, one at a time (src/suite/vitest-projects.ts): beside another sweeping file, either's
// `rcnc clean` could remove what the other killed on purpose and means to find.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { findClusters } from '../../src/deploy/kube/sweep.ts';
import { waitFor } from '../../src/util/wait.ts';
import { traces } from './cluster-traces.ts';
import { starter } from './starter.ts';

const config = inject('rcnc');
const root = process.getuid?.() === 0;
const REPO = join(import.meta.dirname, '..', '..');

describe.skipIf(!root)('kube cluster killed (real Kubernetes in namespaces)', { timeout: 600_000 }, () => {
  test('a starter killed with SIGKILL leaves the cluster to rcnc clean, which removes all of it', async () => {
    const { child } = await starter(config, 'e2e-sigkill');
    // Killed once its first node's containerd runs: mid-start, daemons, mounts and cgroups exist.
    const { value: id } = await waitFor({
      target: 'the cluster under test to start its first containerd',
      timeoutMs: 120_000,
      intervalMs: 200,
      check: async () => {
        const c = (await findClusters()).find((x) => x.state?.pid === child.pid);
        const running = c?.dir && existsSync(join(c.dir, 'logs', 'containerd-node-0.log'));
        return { done: !!running, state: c ? `cluster ${c.id}, no containerd yet` : 'no cluster yet', value: c?.id };
      },
    });
    child.kill('SIGKILL');
    await child;
    expect(await traces(id!)).not.toEqual([]);
    const clean = await execa('node', [join(REPO, 'bin', 'rcnc.mjs'), 'clean'], { reject: false, all: true });
    expect(clean.exitCode, clean.all).toBe(0);
    expect(clean.stdout).toContain(`removed kube cluster ${id}`);
    await waitFor({
      target: `every trace of kube cluster ${id} to be gone`,
      timeoutMs: 30_000,
      intervalMs: 200,
      check: async () => {
        const left = await traces(id!);
        return { done: left.length === 0, state: left.slice(0, 3).join(' | ') };
      },
    });
  });
});
