// What scenario files share: the provider for a cell, or the reason the cell cannot run here.
// `RCNC_REQUIRE_LAB=1` (netns) and `REQUIRE_K3D=1` (k3d) turn "cannot run here" into a failure.
import type { TestContext } from 'vitest';
import { filterCells, filterFromEnv, type Cell, type CellFilter } from '../cells.ts';
import { NetnsProvider } from '../deploy/netns/netns.ts';
import { describeUnmet, type Provider, type ProviderName } from '../deploy/provider.ts';
import type { CellRecord } from '../report/results.ts';
import { isCapabilityError, RequirementError } from '../util/errors.ts';

const checked = new Map<string, Promise<{ provider: Provider; skipReason?: string }>>();

const REQUIRED: Record<ProviderName, string | undefined> = {
  netns: 'RCNC_REQUIRE_LAB',
  k3d: 'REQUIRE_K3D',
  kubeconfig: 'REQUIRE_K3D',
};

// The Kubernetes providers pull in @kubernetes/client-node and testcontainers, which take seconds
// to load: only runs that use them pay for it.
async function build(cell: Cell<unknown>): Promise<Provider> {
  const runId = process.env.RCNC_RUN_ID;
  switch (cell.dims.provider) {
    case 'netns':
      return new NetnsProvider({ runId });
    case 'k3d': {
      const { K3dProvider } = await import('../deploy/k3d/k3d.ts');
      return K3dProvider.forProfile(cell.dims.profile, { runId });
    }
    case 'kubeconfig': {
      const { KubeconfigProvider } = await import('../deploy/kubeconfig/kubeconfig.ts');
      return new KubeconfigProvider({
        kubeconfig: process.env.RCNC_KUBECONFIG,
        context: process.env.RCNC_KUBE_CONTEXT,
        runId,
      });
    }
  }
}

export function providerFor(cell: Cell<unknown>): Promise<{ provider: Provider; skipReason?: string }> {
  // k3d providers differ per profile (flannel vs Calico clusters); the others are one per run.
  const key = cell.dims.provider === 'k3d' ? `k3d/${cell.dims.profile}` : cell.dims.provider;
  let p = checked.get(key);
  if (!p) {
    p = (async () => {
      const provider = await build(cell);
      const reason = describeUnmet(await provider.check());
      const required = REQUIRED[cell.dims.provider];
      if (reason && required && process.env[required] === '1') {
        throw new RequirementError(`${required}=1 but provider ${cell.dims.provider} cannot run here: ${reason}`);
      }
      return { provider, skipReason: reason || undefined };
    })();
    checked.set(key, p);
  }
  return p;
}

/** The providers the run asked for (the CLI's --provider), netns by default. */
export const providersOf = (f: CellFilter): ProviderName[] =>
  f.provider?.length ? (f.provider as ProviderName[]) : ['netns'];

/** The record a cell starts with, so even a cell that fails early reaches the report. */
export const initialRecord = (cell: Cell<unknown>): CellRecord => ({
  id: cell.id,
  title: cell.title,
  dims: cell.dims,
  expectation: cell.expectation,
  timings: {},
  artifacts: [],
});

/** This run's cells of one scenario family: every provider it asked for, filtered. */
export function cellsFor<O>(make: (provider: ProviderName) => Cell<O>[]): Cell<O>[] {
  const filter = filterFromEnv();
  // Not flatMap(make): flatMap would pass the index as make's second argument.
  return filterCells(
    providersOf(filter).flatMap((p) => make(p)),
    filter,
  );
}

/**
 * Starts a cell in a test: records it (so even an early failure reaches the report) and returns
 * its provider, or skips the test with the reason the provider cannot run here.
 */
export async function cellProvider(ctx: TestContext, cell: Cell<unknown>): Promise<Provider> {
  ctx.task.meta.rcnc = initialRecord(cell);
  const { provider, skipReason } = await providerFor(cell);
  if (skipReason) {
    ctx.task.meta.rcnc.skipReason = skipReason;
    ctx.skip(skipReason);
  }
  return provider;
}

/**
 * Runs a cell; when the provider lacks a capability the cell needs (node access, a restart delay,
 * packet capture), the cell is skipped with that reason. On the lab every capability exists, so
 * there the error fails the cell.
 */
export async function orSkipMissingCapability<T>(
  ctx: TestContext,
  cell: Cell<unknown>,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (cell.dims.provider !== 'netns' && isCapabilityError(e)) {
      ctx.task.meta.rcnc!.skipReason = e.message;
      ctx.skip(e.message);
    }
    throw e;
  }
}
