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
    expect(switches).toEqual(['RCNC_REQUIRE_LAB', 'REQUIRE_K3D', 'REQUIRE_KUBECONFIG', 'REQUIRE_DOCKER']);
  });

  test('the Docker host is the only node of a docker topology; the lab and k3d have several', () => {
    expect(traitsOf('docker').maxNodes).toBe(1);
    expect(traitsOf('netns').maxNodes).toBeGreaterThanOrEqual(3);
    expect(traitsOf('k3d').maxNodes).toBeGreaterThanOrEqual(3);
  });

  test('only the lab is an emulation; only real clusters run the image’s Redis', () => {
    expect(PROVIDERS.filter((p) => traitsOf(p).emulation)).toEqual(['netns']);
    expect(PROVIDERS.filter((p) => traitsOf(p).redis !== 'run-binaries')).toEqual(['k3d', 'kubeconfig']);
  });

  test('providers that share one runtime or cluster per process run one topology at a time', () => {
    expect(PROVIDERS.filter((p) => traitsOf(p).topologiesAtOnce === 1)).toEqual(['k3d', 'docker']);
  });
});
