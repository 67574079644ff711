// A deploy that failed half way takes down what it made before it reports: the providers that
// deploy onto a cluster they do not own (k3d's shared clusters, a kubeconfig's namespace) share
// this one rollback so both say the same about a failure and about a teardown that failed too.
import { isRcncError, TopologyError } from '../util/errors.ts';
import type { Teardown } from '../util/teardown.ts';

/**
 * Runs `teardown` after the deploy failed with `error`, then rejects: with `error` itself when it
 * is rcnc's own and nothing of the rollback failed (it already says what went wrong); else with a
 * TopologyError `<where>: <what failed>`, naming the teardown's failure too.
 */
export async function rollBack(
  teardown: Teardown,
  error: unknown,
  where: string,
  describe: (e: unknown) => string = (e) => (e as Error).message,
): Promise<never> {
  const undo = await teardown.run().then(
    () => '',
    (te: unknown) => `; tearing it down also failed: ${(te as Error).message}`,
  );
  if (isRcncError(error) && !undo) {
    throw error;
  }
  throw new TopologyError(`${where}: ${describe(error)}${undo}`, { cause: error });
}
