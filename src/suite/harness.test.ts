// Which errors skip a cell and which fail it: only a CapabilityError for a capability the provider
// declared missing in check() skips, and not even that when the run requires the provider.
import { describe, expect, test } from 'vitest';
import type { AnyCell } from '../model/cell.ts';
import { CapabilityError, ProbeError, RequirementError } from '../util/errors.ts';
import { declaredGap, redisFor, skipPart } from './harness.ts';
import { runConfigFromEnv } from './run-config.ts';

const k3dCell = { dims: { provider: 'k3d' } } as AnyCell;
const declared = { capture: 'capturing from the host needs root' };

describe('declaredGap', () => {
  test('a declared capability is a skip with the provider’s reason', () => {
    expect(declaredGap(new CapabilityError('capture', declared.capture), declared)).toBe(declared.capture);
    expect(declaredGap(new CapabilityError('capture', 'cannot capture in pod redis-0'), declared)).toBe(
      `cannot capture in pod redis-0 (${declared.capture})`,
    );
  });

  test('an undeclared capability, or any other error, is a failure', () => {
    expect(declaredGap(new CapabilityError('node-exec', 'no node access'), declared)).toBeUndefined();
    expect(declaredGap(new ProbeError('tcpdump ended before listening'), declared)).toBeUndefined();
    expect(declaredGap(new Error('boom'), declared)).toBeUndefined();
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
