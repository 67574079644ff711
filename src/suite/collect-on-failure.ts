// `rcnc run --collect-on-failure`: a failed cell leaves what `rcnc collect` would have gathered from
// its pods, as one bundle (secrets redacted) in the cell's artifacts, named in its record. A cell's
// verdict is known only after its runner returns, and the runner tears its topology down before
// that (scenarios/<family>/run.ts, `await using`): so the files are collected at every teardown,
// into the cell's artifacts, and once vitest has the verdict they are bundled (a failure) or
// removed (a pass, a skip). Collection goes through the provider contract only, so it works on
// every provider a cell starts topologies on: the lab as well as kube, kubeconfig, k3d and docker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import type { Bundle } from '../analyze/bundle.ts';
import { bundleCollection, collectForBundle } from '../analyze/collect.ts';
import type { Provider, StartedTopology, TopologySpec } from '../deploy/provider.ts';
import type { AnyCell } from '../model/cell.ts';
import type { CellRecord } from '../model/results.ts';
import { ArtifactSink } from './artifacts.ts';
import type { RunConfig } from './run-config.ts';

/** A collection that hangs (an API server gone) must not hold the cell's teardown for long. */
export const COLLECT_TIMEOUT_MS = 90_000;

/** The bundle's name in the cell's artifacts folder. */
export const BUNDLE_NAME = 'collect-on-failure.tar.gz';

/** What the teardown collected, or why it could not. */
type Collected =
  { ok: true; files: string[]; notes: string[]; versions: Record<string, unknown> } | { ok: false; why: string };

/** One topology's collection: where it went, and what it got. */
interface Gathered {
  dir: string;
  got: Collected;
  /** How long the collection held the teardown. */
  ms?: number;
}

export interface CollectDeps {
  collect: (topo: StartedTopology, dir: string) => Promise<Extract<Collected, { ok: true }>>;
  bundle: typeof bundleCollection;
  timeoutMs: number;
}

const DEFAULTS: CollectDeps = {
  collect: async (topo, dir) => ({ ok: true, ...(await collectForBundle(topo, { dir })) }),
  bundle: bundleCollection,
  timeoutMs: COLLECT_TIMEOUT_MS,
};

/** The part of vitest's TestContext this needs (a fake in the unit test). */
export type CollectContext = Pick<TestContext, 'onTestFinished'> & {
  task: { meta: { rcnc?: CellRecord }; result?: { state?: string } };
};

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Rejects after `ms` with what was being waited for. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** `target` with some members replaced; the others forwarded, methods bound to it. */
function forwarding<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(overrides, key)) {
        return overrides[key as keyof T];
      }
      const v: unknown = Reflect.get(t, key, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** `topo`, collecting (once) before it stops, however it is stopped. */
function collectingTopology(
  topo: StartedTopology,
  sink: ArtifactSink,
  gathered: Gathered[],
  deps: CollectDeps,
): StartedTopology {
  let once: Promise<void> | undefined;
  const before = () =>
    (once ??= (async () => {
      // One folder per topology the cell started (a cell may start more than one).
      const entry: Gathered = {
        dir: sink.dir(`collect-on-failure/${gathered.length + 1}`).abs,
        got: { ok: false, why: 'collection still running' },
      };
      gathered.push(entry);
      const t0 = performance.now();
      entry.got = await within(deps.collect(topo, entry.dir), deps.timeoutMs, `collecting from ${topo.id}`).catch(
        (e: unknown) => ({ ok: false as const, why: message(e) }),
      );
      entry.ms = Math.round(performance.now() - t0);
    })());
  return forwarding(topo, {
    stop: async () => (await before(), topo.stop()),
    [Symbol.asyncDispose]: async () => (await before(), topo[Symbol.asyncDispose]()),
  });
}

/**
 * The provider a cell's runner gets under --collect-on-failure: its topologies collect before they
 * stop. Registers, on the test, what happens once the verdict is known. `forget` removes what was
 * collected; the harness calls it when the cell is skipped (vitest then runs no finish hook).
 */
export function collectingOnFailure(
  ctx: CollectContext,
  cell: AnyCell,
  config: Pick<RunConfig, 'reportDir' | 'runId'>,
  provider: Provider,
  deps: CollectDeps = DEFAULTS,
): { provider: Provider; forget: () => Promise<void> } {
  const sink = new ArtifactSink(join(config.reportDir, config.runId), cell.id);
  const gathered: Gathered[] = [];
  let started = 0;
  const wrapped = forwarding(provider, {
    start: async (spec: TopologySpec) => {
      const topo = await provider.start(spec);
      started++;
      return collectingTopology(topo, sink, gathered, deps);
    },
  });
  const forget = () => rm(sink.dir('collect-on-failure').abs, { recursive: true, force: true });
  ctx.onTestFinished(async () => {
    try {
      if (ctx.task.result?.state === 'fail') {
        await settleFailure(ctx, sink, gathered, started, deps);
      }
    } finally {
      await forget();
    }
  });
  return { provider: wrapped, forget };
}

/** Bundles what was collected into the cell's artifacts and names it in the record. */
async function settleFailure(
  ctx: CollectContext,
  sink: ArtifactSink,
  gathered: Gathered[],
  started: number,
  deps: CollectDeps,
): Promise<void> {
  const record = ctx.task.meta.rcnc;
  if (!record) {
    return;
  }
  if (started === 0) {
    record.collected = { note: 'nothing collected: the cell failed before its topology started' };
    return;
  }
  const notes: string[] = [];
  let bundle: string | undefined;
  for (const [i, { dir, got, ms }] of gathered.entries()) {
    if (!got.ok) {
      notes.push(`not collected: ${got.why}`);
      continue;
    }
    const name = gathered.length === 1 ? BUNDLE_NAME : BUNDLE_NAME.replace('.tar.gz', `-${i + 1}.tar.gz`);
    const { abs, rel } = sink.dir(name);
    try {
      const b = await deps.bundle({ file: abs, dir, files: got.files, versions: got.versions });
      sink.track(rel);
      record.artifacts = [...(record.artifacts ?? []), rel];
      bundle ??= rel;
      notes.push(
        `${bundleSummary(b.bundle)}; collected in ${((ms ?? 0) / 1000).toFixed(1)} s before teardown`,
        ...got.notes,
      );
    } catch (e) {
      notes.push(`no bundle: ${message(e)}`);
    }
  }
  if (gathered.length < started) {
    notes.push(`${started - gathered.length} topology(ies) were not stopped by the cell; not collected`);
  }
  record.collected = { ...(bundle ? { bundle } : {}), note: notes.join('; ') };
}

/** What a bundle holds, in a few words (its path is beside it in the record). */
function bundleSummary(b: Bundle): string {
  const redacted = b.files.reduce((n, f) => n + f.redactions, 0);
  const collected = b.files.filter((f) => f.path.startsWith('collected/')).length;
  const left = b.leftOut.length ? `, ${b.leftOut.length} binary file(s) left out` : '';
  return `${collected} collected files and the analysis, ${redacted} value(s) redacted${left}`;
}
