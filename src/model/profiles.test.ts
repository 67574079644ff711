// The profile table: one device classifier for the probes and the analysis, and NodePort rewrites
// that agree with the devices they leave by.
import { describe, expect, test } from 'vitest';
import {
  deviceClass,
  expectsAs,
  isCniDevice,
  kubeProxyMode,
  kubeProxyVariantsOf,
  kubernetesProfiles,
  NODE_DEVICE,
  nodePortRewrite,
  PROFILE_FACTS,
  profileFacts,
  profileLabel,
  PROFILES,
  profilesWithServices,
  servesServices,
  variantSource,
  type ProfileFacts,
} from './profiles.ts';

describe('deviceClass', () => {
  // Every device either classifier knew before they became one, and the names it goes by.
  test.each([
    ['cni0', 'bridge-gateway'],
    ['cni1', 'bridge-gateway'],
    ['flannel.1', 'tunnel'],
    ['flannel-wg', 'tunnel'],
    ['vxlan.calico', 'tunnel'],
    ['vxlan-v6.calico', 'tunnel'],
    ['docker0', 'bridge-gateway'],
    ['br-0123456789ab', 'bridge-gateway'],
    ['cbr0', 'bridge-gateway'],
    ['kube-bridge', 'bridge-gateway'],
    ['virbr0', 'bridge-gateway'],
    ['cilium_host', 'bridge-gateway'],
    ['weave', 'bridge-gateway'],
    ['tunl0', 'tunnel'],
    ['cilium_vxlan', 'tunnel'],
    ['cilium_geneve', 'tunnel'],
    ['genev_sys_6081', 'tunnel'],
    ['wireguard.cali', 'tunnel'],
  ])('%s is a %s device', (dev, cls) => {
    expect(deviceClass(dev)).toBe(cls);
    expect(isCniDevice(dev)).toBe(true);
  });

  test.each([
    [NODE_DEVICE, "the node's own interface"],
    ['lo', 'loopback'],
    ['eth1', 'another uplink'],
    ['br-0123', 'too short an id for a Docker bridge'],
    ['cali1a2b3c4d5e6', 'a Calico workload veth (it has no IPv4 address)'],
    ['vethabc123', 'a pod veth'],
  ])('%s is no CNI device: %s', (dev) => {
    expect(deviceClass(dev)).toBe('unknown');
    expect(isCniDevice(dev)).toBe(false);
  });

  test('each profile device is classed by its own name', () => {
    for (const p of PROFILES) {
      for (const d of PROFILE_FACTS[p].devices) {
        expect(d.names.test(d.name) || d.name.includes('<'), `${p} ${d.name}`).toBe(true);
        expect(deviceClass(d.name.replace('<id>', '0123456789ab'))).toBe(d.class);
      }
    }
  });
});

describe('NodePort rewrites', () => {
  test('the class is the one of the device the connection leaves by', () => {
    for (const p of profilesWithServices()) {
      for (const end of ['local', 'remote'] as const) {
        const r = nodePortRewrite(p, end);
        const device = PROFILE_FACTS[p].devices.find((d) => d.name === r.leavesBy);
        // A device of the profile gives its own class; eth0 or an address-less veth the node IP
        // (docs/datapath.md#device-walk-fallback).
        expect(r.class, `${p} ${end}`).toBe(device ? device.class : 'node-ip');
      }
    }
  });

  test('as docs/datapath.md#masquerade-source-address tabulates them', () => {
    const classes = (p: (typeof PROFILES)[number]) =>
      servesServices(p) ? [nodePortRewrite(p, 'local').class, nodePortRewrite(p, 'remote').class] : undefined;
    expect(Object.fromEntries(PROFILES.map((p) => [p, classes(p)]))).toEqual({
      'flannel-vxlan': ['bridge-gateway', 'tunnel'],
      'flannel-vxlan-nftables': ['bridge-gateway', 'tunnel'],
      'calico-vxlan': ['node-ip', 'tunnel'],
      'calico-crosssubnet': ['node-ip', 'node-ip'],
      'no-nat': undefined,
      'docker-userland-proxy': undefined,
      'docker-iptables': undefined,
    });
  });
});

describe('the table', () => {
  test('names, labels and platforms', () => {
    expect(PROFILES).toEqual([
      'flannel-vxlan',
      'flannel-vxlan-nftables',
      'calico-vxlan',
      'calico-crosssubnet',
      'no-nat',
      'docker-userland-proxy',
      'docker-iptables',
    ]);
    expect(profileLabel('calico-vxlan')).toBe('Calico VXLAN (vxlanMode Always)');
    expect(kubernetesProfiles()).toEqual([
      'flannel-vxlan',
      'flannel-vxlan-nftables',
      'calico-vxlan',
      'calico-crosssubnet',
      'no-nat',
    ]);
    expect(profilesWithServices()).toEqual([
      'flannel-vxlan',
      'flannel-vxlan-nftables',
      'calico-vxlan',
      'calico-crosssubnet',
    ]);
  });

  test("kube-proxy's mode: iptables unless a profile is another's variant in another mode", () => {
    expect(Object.fromEntries(PROFILES.map((p) => [p, kubeProxyMode(p)]))).toEqual({
      'flannel-vxlan': 'iptables',
      'flannel-vxlan-nftables': 'nftables',
      'calico-vxlan': 'iptables',
      'calico-crosssubnet': 'iptables',
      'no-nat': 'iptables',
      'docker-userland-proxy': 'iptables',
      'docker-iptables': 'iptables',
    });
    expect(kubeProxyVariantsOf('flannel-vxlan')).toEqual(['flannel-vxlan-nftables']);
    expect(kubeProxyVariantsOf('calico-vxlan')).toEqual([]);
    for (const p of PROFILES) {
      const kp = profileFacts(p).kubeProxy;
      if (kp) {
        // A variant is the profile it expects as, datapath and all, with only kube-proxy's mode changed.
        const { label: _l, kubeProxy: _k, k3d: _d, ...rest } = PROFILE_FACTS[p] as ProfileFacts;
        const { label: _l2, k3d: _d2, ...other } = profileFacts(expectsAs(p));
        expect(PROFILES, p).toContain(kp.expectsAs);
        expect(kp.mode, p).not.toBe(kubeProxyMode(expectsAs(p)));
        expect(rest, p).toEqual(other);
        expect(variantSource(p, 'S')).toBe(`${kp.source}; the iptables-mode rules it mirrors: S`);
      } else {
        expect(variantSource(p, 'S')).toBe('S');
      }
    }
  });

  test('Kubernetes profiles run on k3d or say why not; Docker ones say how the daemon publishes', () => {
    for (const p of PROFILES) {
      const f = PROFILE_FACTS[p];
      expect('unsupported' in f.k3d ? f.k3d.unsupported : f.k3d.cni, p).toMatch(/\S/);
      expect('docker' in f, p).toBe(f.platform === 'docker');
    }
  });
});
