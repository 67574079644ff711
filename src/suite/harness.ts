// What scenario files share: this run's cells of a family, the provider for a cell (or the reason
// the cell cannot run here), the record a cell starts with, and what a scenario runner gets from
// the run (Redis binaries, where its evidence goes). A provider required by the run config turns
// "cannot run here" into a failure. Providers are built once per worker and test file and closed
// after the file by worker-setup.ts: that is the lifetime of what they share between cells (k3d:
// one cluster per profile). What differs by provider (how it is built, budgets, Redis binaries,
// provenance) is looked up in its traits (deploy/providers.ts), never switched on by name.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import {
  describeUnmet,
  isCapabilityError,
  type Gaps,
  type Provider,
  type StartedTopology,
  type TopologySpec,
} from '../deploy/provider.ts';
import { inRun, providerModule, traitsOf } from '../deploy/providers.ts';
import type { Capability } from '../model/capabilities.ts';
import { filterCells, type AnyCell, type Cell } from '../model/cell.ts';
import type { Family, ProviderName } from '../model/dimensions.ts';
import { CELL_STARTED, type CellRecord, type CellRecordOf, type Provenance } from '../model/results.ts';
import { RequirementError } from '../util/errors.ts';
import { ArtifactSink } from './artifacts.ts';
import { collectingOnFailure } from './collect-on-failure.ts';
import { cellPool, providerGate } from './pool.ts';
import { currentRunConfig, requireVariable, type Matrix, type RunConfig } from './run-config.ts';

/** What a scenario runner needs from the run: the Redis binaries and where evidence goes. */
export interface ScenarioContext {
  redis: { server: string; cli: string };
  /** Absent when nothing is to be kept (reproduce, bench). */
  artifacts?: ArtifactSink;
  onPhase?: (phase: string) => void;
  /**
   * `rcnc reproduce --keep`: the topology outlives the run (its provider keeps it), so the runner
   * leaves what it found as it found it: no fix is applied.
   */
  keep?: boolean;
}

export const scenarioContext = (cell: AnyCell, config: RunConfig): ScenarioContext => ({
  redis: redisFor(cell, config),
  artifacts: new ArtifactSink(join(config.reportDir, config.runId), cell.id),
});

/** The Redis binaries a cell's pods run: the image's, by name, where its provider says so; else the run's. */
export const redisFor = (cell: AnyCell, config: RunConfig): ScenarioContext['redis'] => {
  const redis = traitsOf(cell.dims.provider).redis;
  return redis === 'run-binaries' ? { server: config.redis.server, cli: config.redis.cli } : { ...redis.image };
};

// On globalThis: should the setup file that closes providers after each file (worker-setup.ts)
// get its own copy of this module, it must still see the providers the test file built.
const CHECKED_KEY = Symbol.for('rcnc.providers');
const checked = ((globalThis as Record<symbol, unknown>)[CHECKED_KEY] ??= new Map()) as Map<
  string,
  Promise<{ provider: Provider; skipReason?: string }>
>;

/** Providers that differ per profile (k3d: flannel vs Calico clusters; docker: the proxy mode) are checked per profile. */
export const providerKey = (cell: AnyCell): string =>
  traitsOf(cell.dims.provider).perProfile ? `${cell.dims.provider}/${cell.dims.profile}` : cell.dims.provider;

// What started topologies said about themselves (versions of a real system), by provider/profile.
const contributed = new Map<string, Provenance>();

/** The provider, recording the provenance each topology it starts contributes. */
function recordingProvenance(provider: Provider): Provider {
  // A getter, not a copy: a provider learns its gaps in check(), after this wrapper exists.
  return {
    name: provider.name,
    get gaps() {
      return provider.gaps;
    },
    topologiesAtOnce: traitsOf(provider.name).topologiesAtOnce,
    get nodeLimit() {
      return provider.nodeLimit;
    },
    check: () => provider.check(),
    attach: provider.attach?.bind(provider),
    close: provider.close?.bind(provider),
    start: async (spec: TopologySpec): Promise<StartedTopology> => {
      const topo = await provider.start(spec);
      const p = topo.provenance?.();
      if (p) {
        contributed.set(`${provider.name}/${topo.profile}`, p);
      }
      return topo;
    },
  };
}

/** The provider for a cell, checked once per run; unmet requirements become the skip reason. */
export function providerFor(cell: AnyCell, config: RunConfig): Promise<{ provider: Provider; skipReason?: string }> {
  const key = providerKey(cell);
  let p = checked.get(key);
  if (!p) {
    p = (async () => {
      const built = await providerModule(cell.dims.provider).create(config, cell.dims.profile);
      const provider = recordingProvenance(built);
      const reason = describeUnmet(await provider.check());
      if (reason && config.require[cell.dims.provider]) {
        throw new RequirementError(
          `${requireVariable(cell.dims.provider)}=1 but provider ${cell.dims.provider} cannot run here: ${reason}`,
        );
      }
      return { provider, skipReason: reason || undefined };
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

/**
 * Where a cell's result comes from: what a topology of its provider and profile said about itself
 * (a real system's versions), or, before one started, what the dimensions say.
 */
export function provenanceFor(cell: AnyCell): Provenance {
  const said = contributed.get(`${cell.dims.provider}/${cell.dims.profile}`);
  if (said) {
    return said;
  }
  const traits = traitsOf(cell.dims.provider);
  return { provider: cell.dims.provider, emulation: traits.emulation, label: traits.label(cell.dims.profile) };
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

/**
 * Runs a cell's body in the run's pool: at most `config.concurrency` cells at a time, and a cell
 * that must run alone (`runAlone`) with no other. The test learns when its cell really started and
 * how long it ran (`meta.rcncRanMs`): its own duration also counts the wait for a place.
 */
/** Why a cell queued behind a failure under --fail-fast did not run. */
export const NOT_STARTED = 'not run: --fail-fast stopped the run at the first failed cell';

/**
 * Skips the test when --fail-fast has stopped the run. Cells check this as they take their place in
 * the pool; a cell that builds something shared before that (snat's lab for a group of cells) checks
 * it first, or a run stopped by an earlier failure would still start, and fail, that build.
 */
export function skipIfRunStopped(ctx: Pick<TestContext, 'skip' | 'task'>, config: RunConfig): void {
  if (config.stopFile && existsSync(config.stopFile)) {
    if (ctx.task.meta.rcnc) {
      ctx.task.meta.rcnc.skipReason = NOT_STARTED;
    }
    ctx.skip(NOT_STARTED);
  }
}

/**
 * Under --fail-fast, records that `cell` failed so that no cell starts after it. A cell that fails
 * outside the pool (snat's shared lab failing to start) calls it itself: the cells sharing that
 * build would otherwise each fail on it in turn.
 */
export function stopRunAfter(cell: AnyCell, config: RunConfig): void {
  if (config.stopFile) {
    writeFileSync(config.stopFile, `${cell.id}\n`);
  }
}

export const inPool = <T>(
  at: {
    ctx: TestContext;
    cell: AnyCell;
    config: RunConfig;
    provider?: Pick<Provider, 'name' | 'topologiesAtOnce'>;
  },
  body: () => Promise<T>,
): Promise<T> => {
  const { ctx, cell, config, provider } = at;
  const timed = async () => {
    skipIfRunStopped(ctx, config);
    const t = performance.now();
    await ctx.annotate(cell.id, CELL_STARTED);
    try {
      return await body();
    } catch (e) {
      // Before the slot is released, or the next queued cell would start before the CLI hears.
      stopRunAfter(cell, config);
      throw e;
    } finally {
      ctx.task.meta.rcncRanMs = Math.round(performance.now() - t);
      if (shared) {
        ctx.task.meta.rcncSharedCores = `asks to run alone (${cell.runAlone}), but this run let it share the cores (--timing-cells shared): its timings were measured beside other cells`;
      }
    }
  };
  const shared = cell.runAlone !== undefined && config.timingCells === 'shared';
  const run = () =>
    cellPool(config.concurrency).run(timed, {
      exclusive: cell.runAlone !== undefined && !shared,
      ...(cell.slots ? { slots: cell.slots } : {}),
      budgetMs: cellBudgetMs(cell),
      name: cell.id,
    });
  // A provider that runs fewer topologies at once than the pool is wide gates its cells first, so
  // they do not hold pool slots while they wait for it.
  return provider?.topologiesAtOnce ? providerGate(provider.name, provider.topologiesAtOnce).run(run) : run();
};

/**
 * How long one cell may run once started, by where it runs (its provider's traits); a scenario
 * test's own timeout covers its queueing too.
 */
export const cellBudgetMs = (cell: AnyCell): number => traitsOf(cell.dims.provider).cellBudgetMs;

/** The budget of a cell where nothing slower than the lab comes first (lab tests bound theirs by it). */
export { CELL_BUDGET_MS } from '../deploy/provider.ts';

/**
 * vitest's timeout for a scenario test: its cell's budget plus the time it may wait for a slot.
 * Generous: a real cluster's cells queue one at a time behind a cluster start (k3d), and every
 * running cell is bounded by its own budget anyway.
 */
export const SCENARIO_TEST_TIMEOUT_MS = 3 * 60 * 60_000;

/** The providers the run asked for (the CLI's --provider), netns by default. */
export const providersOf = (config: RunConfig): ProviderName[] =>
  config.filter.provider?.length ? (config.filter.provider as ProviderName[]) : ['netns'];

/** This run's cells of one scenario family: every provider it asked for, filtered. */
export function cellsFor<F extends Family, O>(
  make: (provider: ProviderName, matrix: Matrix) => Cell<F, O>[],
  config: RunConfig,
): Cell<F, O>[] {
  // Cells that must run alone go first: queued behind others, each would wait for the whole pool
  // to drain, leaving cores idle meanwhile.
  const cells = filterCells(
    providersOf(config).flatMap((p) => make(p, config.matrix).filter((c) => inRun(c, config.filter))),
    config.filter,
  );
  return [...cells.filter((c) => c.runAlone), ...cells.filter((c) => !c.runAlone)];
}

/**
 * Starts a cell in a test: records it (so even an early failure reaches the report) and returns
 * its provider, or skips the test with the reason the provider cannot run here, or with the
 * declared reason of a gap in what the cell needs (`needs`) — before anything is built.
 */
export async function cellProvider(
  ctx: Pick<TestContext, 'skip' | 'annotate' | 'task'>,
  cell: AnyCell,
  config: RunConfig,
  find: typeof providerFor = providerFor,
): Promise<Provider> {
  const record = initialRecord(cell) as CellRecord;
  ctx.task.meta.rcnc = record;
  // Before anything of the cell is built: a run --fail-fast stopped starts nothing more.
  skipIfRunStopped(ctx, config);
  const { provider, skipReason } = await find(cell, config);
  if (skipReason) {
    record.skipReason = skipReason;
    ctx.skip(skipReason);
  }
  const gap = neededGap(cell, provider.gaps) ?? tooFewNodes(cell, provider);
  if (gap) {
    await skipPart(ctx, cell, gap, { whole: true, config });
  }
  return provider;
}

/** Why the cell cannot run where check() found fewer nodes than it needs, if it cannot. */
export const tooFewNodes = (cell: AnyCell, provider: Pick<Provider, 'name' | 'nodeLimit'>): string | undefined =>
  provider.nodeLimit !== undefined && cell.dims.nodes > provider.nodeLimit
    ? `the ${provider.name} cluster has ${provider.nodeLimit} node(s) to schedule on; this cell needs ${cell.dims.nodes}`
    : undefined;

/** The declared reason of the first capability the cell needs that its provider lacks, if any. */
export const neededGap = (cell: Pick<AnyCell, 'needs'>, gaps: Gaps): string | undefined =>
  (cell.needs ?? []).map((c) => gaps[c]).find((reason) => reason !== undefined);

/**
 * The reason to skip for a CapabilityError whose capability the provider declared among its gaps
 * (known after check()): the declared reason, whatever the error's message says. Undefined for
 * anything else (a capability not declared, or another error): that fails.
 */
export function declaredGap(e: unknown, gaps: Gaps): string | undefined {
  return isCapabilityError(e) ? gaps[e.capability] : undefined;
}

/** The reason of the cell's provider for `capability` where it is one of its gaps; undefined where it has it. */
export async function providerGap(
  cell: AnyCell,
  capability: Capability,
  config?: RunConfig,
): Promise<string | undefined> {
  return (await providerFor(cell, config ?? currentRunConfig())).provider.gaps[capability];
}

/**
 * Runs a cell; when it needs a capability its provider declared among its gaps (node access,
 * packet capture, a program in a pod's namespace), the cell is skipped with the declared reason.
 * Anything else fails the cell: a CapabilityError for a capability the provider did not declare,
 * or any error while the run config requires the provider (REQUIRE_K3D=1, …: every skip becomes a
 * failure).
 */
export async function orSkipMissingCapability<T>(ctx: TestContext, cell: AnyCell, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isCapabilityError(e)) {
      const config = currentRunConfig();
      const reason = declaredGap(e, (await providerFor(cell, config)).provider.gaps);
      if (reason) {
        await skipPart(ctx, cell, reason, { whole: true, config });
      }
    }
    throw e;
  }
}

/**
 * A scenario test's cell, start to end: its provider (or the skip that says why there is none),
 * its place in the pool, a skip for a capability the provider declared a gap, and its record on
 * the test for the reporter. Returns what the scenario's runner returned.
 */
export async function runScenarioCell<C extends AnyCell, R extends { record: CellRecord }>(
  ctx: TestContext,
  cell: C,
  config: RunConfig,
  runner: (provider: Provider, cell: C, sctx: ScenarioContext) => Promise<R>,
): Promise<R> {
  const provider = await cellProvider(ctx, cell, config);
  // --collect-on-failure: its topologies collect before they stop; kept only if the cell fails.
  const collecting = config.collectOnFailure ? collectingOnFailure(ctx, cell, config, provider) : undefined;
  try {
    const run = await inPool({ ctx, cell, config, provider }, () =>
      orSkipMissingCapability(ctx, cell, () =>
        runner(collecting?.provider ?? provider, cell, scenarioContext(cell, config)),
      ),
    );
    ctx.task.meta.rcnc = run.record;
    return run;
  } catch (e) {
    // A skip runs no finish hook: what was collected goes now.
    if (isSkip(e)) {
      await collecting?.forget();
    }
    throw e;
  }
}

/** vitest's error for `ctx.skip()` (a PendingError). */
const isSkip = (e: unknown): boolean => (e as { code?: unknown } | undefined)?.code === 'VITEST_PENDING';

/**
 * A part of a cell cannot run here for a reason its provider declared: the whole test skips
 * (`whole`) or the reason is noted on it and the rest runs. When the run config requires the
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

/**
 * The part of a cell that needs `capability` is skipped (noted on the test, a failure when the run
 * requires the provider) where its provider declared it a gap; true then. False where the
 * provider has it: the part runs, and a failure of it is the cell's.
 */
export async function skipPartWithout(
  ctx: Pick<TestContext, 'skip' | 'annotate' | 'task'>,
  cell: AnyCell,
  capability: Capability,
  part: string,
): Promise<boolean> {
  const reason = await providerGap(cell, capability);
  if (reason) {
    await skipPart(ctx, cell, `${part}: ${reason}`);
  }
  return reason !== undefined;
}
