// The provider list: one module per provider name, each with the traits the suite looks up.
import { describe, expect, test } from 'vitest';
import { PROFILES, PROVIDERS } from '../model/dimensions.ts';
import { kubeProxyMode } from '../model/profiles.ts';
import type { KubeProvider } from './kube/provider.ts';
import { fitsProvider, inRun, profileGap, PROVIDER_MODULES, providerModule, traitsOf } from './providers.ts';

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

describe("kube-proxy's mode as a profile", () => {
  test('kube runs real kube-proxy in nftables mode and the lab renders it; the others are told where to go', () => {
    expect(PROVIDERS.filter((p) => profileGap(p, 'flannel-vxlan-nftables') === undefined)).toEqual(['netns', 'kube']);
    expect(profileGap('k3d', 'flannel-vxlan-nftables')).toBe(
      'profile flannel-vxlan-nftables needs kube-proxy in nftables mode, which the k3d provider does not run; run it with --provider netns or --provider kube',
    );
    // iptables-mode profiles are no provider's gap on this account.
    for (const p of PROVIDERS) {
      expect(PROFILES.filter((f) => kubeProxyMode(f) === 'iptables' && profileGap(p, f) !== undefined)).toEqual([]);
    }
  });

  test("a profile a provider cannot run is not part of its matrix, whatever the cell's size", () => {
    const cell = { profile: 'flannel-vxlan-nftables', nodes: 1 } as const;
    expect(fitsProvider({ ...cell, provider: 'kube' })).toBe(true);
    expect(fitsProvider({ ...cell, provider: 'netns' })).toBe(true);
    expect(fitsProvider({ ...cell, provider: 'k3d' })).toBe(false);
    expect(fitsProvider({ ...cell, profile: 'flannel-vxlan', provider: 'netns' })).toBe(true);
  });

  test("the lab's nftables-mode cells run only when the run names them; kube's are in its matrix", () => {
    const id = 'netns/flannel-vxlan-nftables/nodeport/announce-none';
    const cell = { id, dims: { provider: 'netns', profile: 'flannel-vxlan-nftables', nodes: 1 } } as const;
    expect(inRun(cell)).toBe(false);
    expect(inRun(cell, { profile: ['flannel-vxlan'] })).toBe(false);
    expect(inRun(cell, { cells: ['netns/flannel-vxlan-nftables/*'] })).toBe(false);
    expect(inRun(cell, { profile: ['flannel-vxlan', 'flannel-vxlan-nftables'] })).toBe(true);
    expect(inRun(cell, { cells: [id] })).toBe(true);
    expect(inRun({ ...cell, dims: { ...cell.dims, profile: 'flannel-vxlan' } })).toBe(true);
    expect(inRun({ id, dims: { ...cell.dims, provider: 'kube' } })).toBe(true);
    expect(inRun({ id, dims: { ...cell.dims, provider: 'k3d' } }, { profile: ['flannel-vxlan-nftables'] })).toBe(false);
  });

  test("the kube provider starts each profile's cluster with the profile's kube-proxy mode", async () => {
    const settings = { runId: 'unit', redis: { server: 'redis-server', cli: 'redis-cli' }, kube: {} };
    const modeOf = async (profile: 'flannel-vxlan' | 'flannel-vxlan-nftables') =>
      ((await providerModule('kube').create(settings, profile)) as KubeProvider).proxyMode;
    expect(await modeOf('flannel-vxlan-nftables')).toBe('nftables');
    expect(await modeOf('flannel-vxlan')).toBe('iptables');
  });
});
