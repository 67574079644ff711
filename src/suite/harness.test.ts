// Which errors skip a cell and which fail it: only a CapabilityError for a capability the provider
// declared among its gaps in check() skips, and not even that when the run requires the provider.
// A cell that needs a declared gap is skipped before anything is built.
import { describe, expect, test } from 'vitest';
import { K3D_START_BUDGET_MS, K8S_CELL_BUDGET_MS } from '../deploy/k3d/budgets.ts';
import { CapabilityError, type Gaps, type Provider } from '../deploy/provider.ts';
import type { AnyCell } from '../model/cell.ts';
import { ProbeError, RequirementError } from '../util/errors.ts';
import {
  CELL_BUDGET_MS,
  cellBudgetMs,
  cellProvider,
  declaredGap,
  inPool,
  provenanceFor,
  providerKey,
  redisFor,
  skipPart,
  type providerFor,
} from './harness.ts';
import { runConfigFromEnv } from './run-config.ts';

const k3dCell = { dims: { provider: 'k3d' } } as AnyCell;
const gaps: Gaps = {
  'node-faults': 'one Docker host is the only node: there is no node to stop or partition from',
  capture: 'capturing from the host needs root',
};

describe('declaredGap', () => {
  test('a capability error the provider declared is a skip with the declared reason', () => {
    expect(declaredGap(new CapabilityError('capture', gaps.capture!), gaps)).toBe(gaps.capture);
  });

  test('matched by capability: an error whose message differs from the declared reason still skips', () => {
    // As docker's node faults say what was asked before the declared reason.
    const e = new CapabilityError('node-faults', `stopping a node: ${gaps['node-faults']}`);
    expect(declaredGap(e, gaps)).toBe(gaps['node-faults']);
  });

  test('a capability the provider did not declare, or any other error, is a failure', () => {
    // The message is a declared reason word for word: it is not what decides.
    expect(declaredGap(new CapabilityError('node-exec', gaps.capture!), gaps)).toBeUndefined();
    expect(declaredGap(new CapabilityError('capture', gaps.capture!), {})).toBeUndefined();
    expect(declaredGap(new ProbeError(gaps.capture!), gaps)).toBeUndefined();
    expect(declaredGap(new Error('boom'), gaps)).toBeUndefined();
  });
});

describe('a cell that needs a capability its provider lacks', () => {
  const fakeCtx = () => {
    const seen = { skipped: '', notes: [] as string[] };
    const c = {
      task: { meta: {} as { rcnc?: { skipReason?: string } } },
      skip: (reason: string) => {
        seen.skipped = reason;
        throw new Error('skipped');
      },
      annotate: async (note: string) => void seen.notes.push(note),
    };
    return { c: c as typeof c & Parameters<typeof cellProvider>[0], seen };
  };
  // A provider that counts its starts: a skip before the cell runs must build nothing.
  const provider = (learned: { nodeLimit?: number } = {}) => {
    const starts: unknown[] = [];
    const p = {
      name: 'docker',
      gaps,
      ...learned,
      check: async () => [],
      start: async (spec: unknown) => {
        starts.push(spec);
        throw new Error('started');
      },
    } as unknown as Provider;
    const find = (async () => ({ provider: p })) as typeof providerFor;
    return { find, starts };
  };
  const cell = (needs: AnyCell['needs']) =>
    ({
      id: 'docker/docker-iptables/nodeport/announce-none',
      dims: { provider: 'docker', profile: 'docker-iptables' },
      needs,
    }) as AnyCell;

  test('is skipped with the declared reason before anything starts', async () => {
    const { c, seen } = fakeCtx();
    const { find, starts } = provider();
    const config = runConfigFromEnv({});
    await expect(cellProvider(c, cell(['capture', 'node-faults']), config, find)).rejects.toThrow('skipped');
    expect(seen.skipped).toBe(gaps.capture);
    expect(c.task.meta.rcnc?.skipReason).toBe(gaps.capture);
    expect(starts).toEqual([]);
  });

  test('runs where nothing it needs is a gap', async () => {
    const { c, seen } = fakeCtx();
    const { find } = provider();
    const p = await cellProvider(c, cell(['node-exec']), runConfigFromEnv({}), find);
    expect(p.name).toBe('docker');
    expect(seen.skipped).toBe('');
  });

  test('on a cluster check() found too small, is skipped saying so before anything starts', async () => {
    const { c, seen } = fakeCtx();
    const { find, starts } = provider({ nodeLimit: 3 });
    const tenNodes = { ...cell(undefined), dims: { ...cell(undefined).dims, nodes: 10 } } as AnyCell;
    await expect(cellProvider(c, tenNodes, runConfigFromEnv({}), find)).rejects.toThrow('skipped');
    expect(seen.skipped).toBe('the docker cluster has 3 node(s) to schedule on; this cell needs 10');
    expect(starts).toEqual([]);
    const { c: c3, seen: seen3 } = fakeCtx();
    const threeNodes = { ...tenNodes, dims: { ...tenNodes.dims, nodes: 3 } } as AnyCell;
    await cellProvider(c3, threeNodes, runConfigFromEnv({}), find);
    expect(seen3.skipped).toBe('');
  });

  test('fails instead when the run requires the provider', async () => {
    const { c, seen } = fakeCtx();
    const { find, starts } = provider();
    const config = runConfigFromEnv({ REQUIRE_DOCKER: '1' });
    await expect(cellProvider(c, cell(['node-faults']), config, find)).rejects.toThrow(
      new RequirementError(`REQUIRE_DOCKER=1 but this cell cannot fully run here: ${gaps['node-faults']}`),
    );
    expect(seen.skipped).toBe('');
    expect(starts).toEqual([]);
  });
});

describe('skipPart', () => {
  const ctx = () => {
    const seen = { skipped: '', notes: [] as string[] };
    const c = {
      task: { meta: { rcnc: {} } },
      skip: (reason: string) => {
        seen.skipped = reason;
        throw new Error('skipped');
      },
      annotate: async (note: string) => void seen.notes.push(note),
    };
    return { c: c as unknown as Parameters<typeof skipPart>[0], seen };
  };

  test('notes a part, or skips the whole test, with the reason', async () => {
    const { c, seen } = ctx();
    await skipPart(c, k3dCell, 'packet assertions skipped: no root', { config: runConfigFromEnv({}) });
    expect(seen.notes).toEqual(['packet assertions skipped: no root']);
    await expect(skipPart(c, k3dCell, 'no root', { whole: true, config: runConfigFromEnv({}) })).rejects.toThrow(
      'skipped',
    );
    expect(seen.skipped).toBe('no root');
  });

  test('REQUIRE_K3D=1 turns it into a failure that names the switch and the reason', async () => {
    const { c, seen } = ctx();
    const err = await skipPart(c, k3dCell, 'no root', { whole: true, config: runConfigFromEnv({ REQUIRE_K3D: '1' }) })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequirementError);
    expect((err as Error).message).toBe('REQUIRE_K3D=1 but this cell cannot fully run here: no root');
    expect(seen.skipped).toBe('');
    const kube = { dims: { provider: 'kubeconfig' } } as AnyCell;
    await expect(
      skipPart(c, kube, 'no capture', { config: runConfigFromEnv({ REQUIRE_KUBECONFIG: '1' }) }),
    ).rejects.toThrow(/^REQUIRE_KUBECONFIG=1 but/);
  });
});

test('pods on Kubernetes run the image’s Redis by name, the lab this machine’s binaries', () => {
  const config = runConfigFromEnv({}, { redis: { server: '/opt/redis/bin/redis-server', cli: '/usr/bin/redis-cli' } });
  expect(redisFor(k3dCell, config)).toEqual({ server: 'redis-server', cli: 'redis-cli' });
  expect(redisFor({ dims: { provider: 'netns' } } as AnyCell, config)).toEqual({
    server: '/opt/redis/bin/redis-server',
    cli: '/usr/bin/redis-cli',
  });
});

test('a k3d cell may start the cluster it shares: its budget holds the whole bounded start', () => {
  expect(cellBudgetMs(k3dCell)).toBe(K3D_START_BUDGET_MS + K8S_CELL_BUDGET_MS);
  expect(cellBudgetMs({ dims: { provider: 'kubeconfig' } } as AnyCell)).toBe(K8S_CELL_BUDGET_MS);
  expect(cellBudgetMs({ dims: { provider: 'netns' } } as AnyCell)).toBe(CELL_BUDGET_MS);
  expect(cellBudgetMs({ dims: { provider: 'docker' } } as AnyCell)).toBe(CELL_BUDGET_MS);
});

test('providers built per profile are checked per profile; the others once', () => {
  const of = (provider: string, profile: string) => ({ dims: { provider, profile } }) as AnyCell;
  expect(providerKey(of('k3d', 'calico-vxlan'))).toBe('k3d/calico-vxlan');
  expect(providerKey(of('docker', 'docker-iptables'))).toBe('docker/docker-iptables');
  expect(providerKey(of('netns', 'calico-vxlan'))).toBe('netns');
  expect(providerKey(of('kubeconfig', 'flannel-vxlan'))).toBe('kubeconfig');
});

test('before a topology says more, a cell comes from an emulation or a real system by its provider', () => {
  const of = (provider: string) => ({ dims: { provider, profile: 'flannel-vxlan' } }) as AnyCell;
  expect(provenanceFor(of('netns'))).toEqual({
    provider: 'netns',
    emulation: true,
    label: 'netns lab emulation of flannel VXLAN',
  });
  expect(provenanceFor(of('k3d'))).toEqual({ provider: 'k3d', emulation: false, label: 'k3d: flannel VXLAN' });
});

describe('timing cells in the pool', () => {
  // A fake test context (the boundary to vitest); the pool and the harness are the real ones.
  const fakeCtx = () =>
    ({
      task: { meta: {} as Record<string, unknown> },
      skip: () => {
        throw new Error('skipped');
      },
      annotate: async () => {},
    }) as unknown as Parameters<typeof inPool>[0]['ctx'];
  const cell = (id: string, runAlone?: string) =>
    ({ id, dims: { provider: 'netns' }, ...(runAlone ? { runAlone } : {}) }) as unknown as AnyCell;

  /** Runs a timing cell and an ordinary one, queued at once; returns whether their bodies overlapped. */
  async function overlap(timingCells: 'alone' | 'shared') {
    const config = { ...runConfigFromEnv({}), concurrency: 4, timingCells };
    const spans: Record<string, [number, number]> = {};
    const body = (name: string) => async () => {
      const start = performance.now();
      // Long enough for the other cell to be started by the pool if it may.
      await new Promise((r) => setTimeout(r, 50));
      spans[name] = [start, performance.now()];
    };
    const timing = fakeCtx();
    await Promise.all([
      inPool({ ctx: timing, cell: cell('timing', 'it measures a failover window'), config }, body('timing')),
      inPool({ ctx: fakeCtx(), cell: cell('other'), config }, body('other')),
    ]);
    const [a, b] = [spans['timing']!, spans['other']!];
    return { overlapped: a[0] < b[1] && b[0] < a[1], meta: timing.task.meta };
  }

  test('alone (the default): nothing runs beside a timing cell, and its record is not marked', async () => {
    const { overlapped, meta } = await overlap('alone');
    expect(overlapped).toBe(false);
    expect(meta['rcncSharedCores']).toBeUndefined();
  });

  test('shared: it runs beside others and says so, with the reason it asked to run alone', async () => {
    const { overlapped, meta } = await overlap('shared');
    expect(overlapped).toBe(true);
    expect(meta['rcncSharedCores']).toMatch(
      /asks to run alone \(it measures a failover window\).*--timing-cells shared/,
    );
  });

  test('the full matrix shares by default; RCNC_TIMING_CELLS overrides; anything else is refused', () => {
    expect(runConfigFromEnv({}).timingCells).toBe('alone');
    expect(runConfigFromEnv({ RCNC_MATRIX: 'full' }).timingCells).toBe('shared');
    expect(runConfigFromEnv({ RCNC_MATRIX: 'full', RCNC_TIMING_CELLS: 'alone' }).timingCells).toBe('alone');
    expect(() => runConfigFromEnv({ RCNC_TIMING_CELLS: 'sometimes' })).toThrow(
      /RCNC_TIMING_CELLS sometimes: choose alone or shared/,
    );
  });
});

describe('runConfigFromEnv', () => {
  test('takes the kube provider variables the docs name, and still refuses a typo', () => {
    const config = runConfigFromEnv({ RCNC_KUBE_BIN: '/opt/kube/bin', RCNC_CACHE_DIR: '/var/cache/rcnc' });
    expect(config.kubeCluster?.bin).toBe('/opt/kube/bin');
    expect(() => runConfigFromEnv({ RCNC_KUBE_BINS: '/opt/kube/bin' })).toThrow('RCNC_KUBE_BINS: not a setting');
  });
});
