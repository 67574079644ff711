// The one deploy rollback (k3d and kubeconfig): what was made goes, and the error says what failed.
import { describe, expect, test } from 'vitest';
import { DeployError, TopologyError } from '../util/errors.ts';
import { Teardown } from '../util/teardown.ts';
import { rollBack } from './rollback.ts';

const made = () => {
  const undone: string[] = [];
  const teardown = new Teardown();
  teardown.defer('namespace', () => void undone.push('namespace'));
  teardown.defer('record', () => void undone.push('record'));
  return { teardown, undone };
};

const failure = (p: Promise<never>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('rollBack', () => {
  test("tears down what was made, latest first, and rethrows rcnc's own error as it was", async () => {
    const { teardown, undone } = made();
    const e = new DeployError('pod redis-0 cannot start: ImagePullBackOff');
    expect(await failure(rollBack(teardown, e, 'could not deploy on k3d cluster rcnc-x'))).toBe(e);
    expect(undone).toEqual(['record', 'namespace']);
  });

  test('any other error becomes a TopologyError saying where, described by the caller, with its cause', async () => {
    const { teardown, undone } = made();
    const e = new Error('HTTP 403');
    const err = await failure(rollBack(teardown, e, 'could not deploy on ctx', (x) => `API: ${(x as Error).message}`));
    expect(err).toBeInstanceOf(TopologyError);
    expect(err?.message).toBe('could not deploy on ctx: API: HTTP 403');
    expect(err?.cause).toBe(e);
    expect(undone).toEqual(['record', 'namespace']);
  });

  test('a teardown that fails too is named, even after an error of rcnc', async () => {
    const { teardown, undone } = made();
    teardown.defer('leftover', () => {
      throw new Error('namespace stuck terminating');
    });
    const e = new DeployError('bootstrap failed');
    const err = await failure(rollBack(teardown, e, 'could not deploy on k3d cluster rcnc-x'));
    expect(err).toBeInstanceOf(TopologyError);
    expect(err?.message).toBe(
      'could not deploy on k3d cluster rcnc-x: bootstrap failed; tearing it down also failed: teardown step "leftover" failed: namespace stuck terminating',
    );
    expect(undone).toEqual(['record', 'namespace']);
  });
});
