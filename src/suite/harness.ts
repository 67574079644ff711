// What scenario files share: this run's cells of a family, the provider for a cell (or the reason
// the cell cannot run here), the record a cell starts with, and what a scenario runner gets from
// the run (Redis binaries, where its evidence goes). A provider required by the run config turns
// "cannot run here" into a failure. Providers are built once per worker (one per test file, as
// vitest isolates files) and closed after the file by worker-setup.ts: that is the lifetime of
// what they share between cells (k3d: one cluster per profile).
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { REDIS_IMAGE_BINARIES } from '../deploy/k8s/versions.ts';
import { NetnsProvider } from '../deploy/netns/netns.ts';
import { capabilityGaps, describeUnmet, type Capability, type Provider } from '../deploy/provider.ts';
import { filterCells, type AnyCell, type Cell } from '../model/cell.ts';
import { profileLabel, type Family, type ProviderName } from '../model/dimensions.ts';
import type { CellRecord, CellRecordOf, Provenance } from '../model/results.ts';
import { isCapabilityError, RequirementError } from '../util/errors.ts';
import { ArtifactSink } from './artifacts.ts';
import { currentRunConfig, requireVariable, type Matrix, type RunConfig } from './run-config.ts';

/** What a scenario runner needs from the run: the Redis binaries and where evidence goes. */
export interface ScenarioContext {
  redis: { server: string; cli: string };
  /** Absent when nothing is to be kept (reproduce, bench). */
  artifacts?: ArtifactSink;
  onPhase?: (phase: string) => void;
}

export const scenarioContext = (cell: AnyCell, config: RunConfig): ScenarioContext => ({
  redis: redisFor(cell, config),
  artifacts: new ArtifactSink(join(config.reportDir, config.runId), cell.id),
});

/** The Redis binaries a cell's pods run: the lab runs this machine's, Kubernetes the image's. */
export const redisFor = (cell: AnyCell, config: RunConfig): ScenarioContext['redis'] =>
  cell.dims.provider === 'netns' ? { server: config.redis.server, cli: config.redis.cli } : { ...REDIS_IMAGE_BINARIES };

interface Checked {
  provider: Provider;
  skipReason?: string;
  /** What the provider declared it cannot do here, with the reason. */
  gaps: Partial<Record<Capability, string>>;
}

// On globalThis: should the setup file that closes providers after each file (worker-setup.ts)
// get its own copy of this module, it must still see the providers the test file built.
const CHECKED_KEY = Symbol.for('rcnc.providers');
const checked: Map<string, Promise<Checked>> = ((globalThis as Record<symbol, unknown>)[CHECKED_KEY] ??=
  new Map()) as Map<string, Promise<Checked>>;

// The Kubernetes providers pull in @kubernetes/client-node and testcontainers, which take seconds
// to load: only runs that use them pay for it.
async function build(cell: AnyCell, config: RunConfig): Promise<Provider> {
  const runId = config.runId;
  switch (cell.dims.provider) {
    case 'netns':
      return new NetnsProvider({ runId });
    case 'k3d': {
      const { K3dProvider } = await import('../deploy/k3d/k3d.ts');
      return K3dProvider.forProfile(cell.dims.profile, { runId });
    }
    case 'kubeconfig': {
      const { KubeconfigProvider } = await import('../deploy/kubeconfig/kubeconfig.ts');
      return new KubeconfigProvider({ kubeconfig: config.kube.kubeconfig, context: config.kube.context, runId });
    }
    case 'docker':
      throw new RequirementError('the docker provider is not part of this build of rcnc');
  }
}

/** The provider for a cell, checked once per run; unmet requirements become the skip reason. */
export function providerFor(cell: AnyCell, config: RunConfig): Promise<Checked> {
  // k3d providers differ per profile (flannel vs Calico clusters); the others are one per run.
  const key = cell.dims.provider === 'k3d' ? `k3d/${cell.dims.profile}` : cell.dims.provider;
  let p = checked.get(key);
  if (!p) {
    p = (async () => {
      const provider = await build(cell, config);
      const reqs = await provider.check();
      const reason = describeUnmet(reqs);
      if (reason && config.require[cell.dims.provider]) {
        throw new RequirementError(
          `${requireVariable(cell.dims.provider)}=1 but provider ${cell.dims.provider} cannot run here: ${reason}`,
        );
      }
      return { provider, skipReason: reason || undefined, gaps: capabilityGaps(reqs) };
    })();
    checked.set(key, p);
  }
  return p;
}

/**
 * Closes every provider this process built (k3d deletes the clusters its cells shared) and forgets
 * them. Every failure is reported, none swallowed.
 */
export async function closeProviders(): Promise<void> {
  const all = [...checked.values()];
  checked.clear();
  const results = await Promise.allSettled(
    all.map(async (p) => {
      // A provider whose check failed built nothing; its error was its cells' to report.
      const c = await p.catch(() => undefined);
      await c?.provider.close?.();
    }),
  );
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (errors.length === 1) {
    throw errors[0];
  }
  if (errors.length > 1) {
    throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  }
}

/** Where a cell's result comes from, before the provider adds versions of a real system. */
export function provenanceFor(cell: AnyCell): Provenance {
  const what = profileLabel(cell.dims.profile);
  const provider: ProviderName = cell.dims.provider;
  return provider === 'netns'
    ? { provider, emulation: true, label: `netns lab emulation of ${what}` }
    : { provider, emulation: false, label: `${provider}: ${what}` };
}

/** The record a cell starts with, so even a cell that fails early reaches the report. */
export function initialRecord<F extends Family>(cell: Cell<F, unknown>): CellRecordOf<F> {
  return {
    id: cell.id,
    title: cell.title,
    family: cell.family,
    dims: cell.dims,
    expectation: cell.expectation,
    provenance: provenanceFor(cell as AnyCell),
    timings: {},
    artifacts: [],
  } as CellRecordOf<F>;
}

/** The providers the run asked for (the CLI's --provider), netns by default. */
export const providersOf = (config: RunConfig): ProviderName[] =>
  config.filter.provider?.length ? (config.filter.provider as ProviderName[]) : ['netns'];

/** This run's cells of one scenario family: every provider it asked for, filtered. */
export function cellsFor<F extends Family, O>(
  make: (provider: ProviderName, matrix: Matrix) => Cell<F, O>[],
  config: RunConfig,
): Cell<F, O>[] {
  return filterCells(
    providersOf(config).flatMap((p) => make(p, config.matrix)),
    config.filter,
  );
}

/**
 * Starts a cell in a test: records it (so even an early failure reaches the report) and returns
 * its provider, or skips the test with the reason the provider cannot run here.
 */
export async function cellProvider(ctx: TestContext, cell: AnyCell, config: RunConfig): Promise<Provider> {
  const record = initialRecord(cell) as CellRecord;
  ctx.task.meta.rcnc = record;
  const { provider, skipReason } = await providerFor(cell, config);
  if (skipReason) {
    record.skipReason = skipReason;
    ctx.skip(skipReason);
  }
  return provider;
}

/**
 * The reason to skip for a CapabilityError whose capability the provider declared missing in
 * `check()`; undefined for anything else (an undeclared gap, or another error): that fails.
 */
export function declaredGap(e: unknown, gaps: Partial<Record<Capability, string>>): string | undefined {
  if (!isCapabilityError(e)) {
    return undefined;
  }
  const declared = gaps[e.capability];
  return declared && (e.message === declared ? declared : `${e.message} (${declared})`);
}

/**
 * Runs a cell; when it needs a capability its provider declared missing in `check()` (node access,
 * packet capture, a program in a pod's namespace), the cell is skipped with the declared reason.
 * Anything else fails the cell: a CapabilityError the provider did not declare, or any error while
 * the run config requires the provider (REQUIRE_K3D=1, …: every skip becomes a failure).
 */
export async function orSkipMissingCapability<T>(ctx: TestContext, cell: AnyCell, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isCapabilityError(e)) {
      const config = currentRunConfig();
      const reason = declaredGap(e, (await providerFor(cell, config)).gaps);
      if (reason) {
        await skipPart(ctx, cell, reason, { whole: true, config });
      }
    }
    throw e;
  }
}

/**
 * A part of a cell cannot run here for a reason its provider declared in `check()`: the whole test
 * skips (`whole`) or the reason is noted on it and the rest runs. When the run config requires the
 * provider (REQUIRE_K3D=1, …) it is a failure instead.
 */
export async function skipPart(
  ctx: Pick<TestContext, 'skip' | 'annotate' | 'task'>,
  cell: AnyCell,
  reason: string,
  opts: { whole?: boolean; config?: RunConfig } = {},
): Promise<void> {
  const provider = cell.dims.provider;
  if ((opts.config ?? currentRunConfig()).require[provider]) {
    throw new RequirementError(`${requireVariable(provider)}=1 but this cell cannot fully run here: ${reason}`);
  }
  if (opts.whole) {
    ctx.task.meta.rcnc!.skipReason = reason;
    ctx.skip(reason);
  }
  await ctx.annotate(reason);
}
