// The provider list: one module per provider name, each with the traits the suite looks up.
import { describe, expect, test } from 'vitest';
import { PROVIDERS } from '../model/dimensions.ts';
import { PROVIDER_MODULES, providerModule, traitsOf } from './providers.ts';

describe('the provider list', () => {
  test('every provider name has its module, under its own name', () => {
    expect(Object.keys(PROVIDER_MODULES).sort()).toEqual([...PROVIDERS].sort());
    for (const p of PROVIDERS) {
      expect(providerModule(p).name).toBe(p);
    }
  });

  test('each provider has its own switch that makes a run require it', () => {
    const switches = PROVIDERS.map((p) => traitsOf(p).require.variable);
    expect(new Set(switches).size).toBe(PROVIDERS.length);
    expect(traitsOf('netns').require.variable).toBe('RCNC_REQUIRE_LAB');
    expect(traitsOf('k3d').require.variable).toBe('REQUIRE_K3D');
  });

  test('the Docker host is the only node of a docker topology; the lab and k3d have several', () => {
    expect(traitsOf('docker').maxNodes).toBe(1);
    expect(traitsOf('netns').maxNodes).toBeGreaterThanOrEqual(3);
    expect(traitsOf('k3d').maxNodes).toBeGreaterThanOrEqual(3);
  });

  test('the lab is an emulation and runs this machine’s Redis; real clusters run the image’s', () => {
    expect(traitsOf('netns')).toMatchObject({ emulation: true, redis: 'run-binaries' });
    for (const p of ['k3d', 'kubeconfig'] as const) {
      expect(traitsOf(p).emulation).toBe(false);
      expect(traitsOf(p).redis).toEqual({ image: { server: 'redis-server', cli: 'redis-cli' } });
    }
  });

  test('providers that share one runtime or cluster per process run one topology at a time', () => {
    expect(traitsOf('k3d').topologiesAtOnce).toBe(1);
    expect(traitsOf('docker').topologiesAtOnce).toBe(1);
    expect(traitsOf('netns').topologiesAtOnce).toBeUndefined();
  });
});
