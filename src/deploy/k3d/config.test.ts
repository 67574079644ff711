import { KubeConfig, loadYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  apiHostFor,
  k3dConfig,
  nodeContainer,
  renderK3dConfig,
  rewriteKubeconfig,
  type K3dSimpleConfig,
} from './config.ts';

const base = { name: 'rcnc-5e1f0a', runId: '20250101-abc', agents: 2 };
const args = (c: K3dSimpleConfig) => c.options.k3s.extraArgs.map((a) => a.arg);

describe('k3dConfig', () => {
  test('calico: flannel and the k3s network-policy controller are off, cluster CIDR matches Calico’s pool', () => {
    const c = k3dConfig({ ...base, cni: 'calico' });
    expect(args(c)).toEqual(
      expect.arrayContaining(['--flannel-backend=none', '--disable-network-policy', '--cluster-cidr=192.168.0.0/16']),
    );
    // Server flags: they must reach the k3s server process, the only one that runs flannel there.
    for (const a of c.options.k3s.extraArgs) {
      expect(a.nodeFilters).toEqual(['server:*']);
    }
  });

  test('flannel: k3s’ default CNI, nothing disabled but the add-ons', () => {
    const a = args(k3dConfig({ ...base, cni: 'flannel' }));
    expect(a.some((x) => x.startsWith('--flannel-backend'))).toBe(false);
    expect(a).not.toContain('--disable-network-policy');
    expect(a.some((x) => x.startsWith('--cluster-cidr'))).toBe(false);
    expect(a).toContain('--disable=traefik,servicelb,metrics-server');
    expect(a).toContain('--service-node-port-range=30000-32767');
  });

  test('ServiceLB stays on for topologies with LoadBalancer Services, and only for them', () => {
    expect(args(k3dConfig({ ...base, cni: 'flannel', serviceLb: true }))).toContain('--disable=traefik,metrics-server');
    expect(args(k3dConfig({ ...base, cni: 'calico', serviceLb: false }))).toContain(
      '--disable=traefik,servicelb,metrics-server',
    );
  });

  test('agents, run-id labels on every node, no load balancer, user kubeconfig untouched', () => {
    const c = k3dConfig({ ...base, cni: 'flannel', runtimeLabels: { 'org.testcontainers.session-id': 's1' } });
    expect(c).toMatchObject({
      apiVersion: 'k3d.io/v1alpha5',
      kind: 'Simple',
      servers: 1,
      agents: 2,
      ports: [],
      volumes: [],
    });
    expect(c.options.runtime.labels).toEqual([
      { label: 'rcnc.run-id=20250101-abc', nodeFilters: ['server:*', 'agent:*'] },
      { label: 'org.testcontainers.session-id=s1', nodeFilters: ['server:*', 'agent:*'] },
    ]);
    expect(c.options.k3d.disableLoadbalancer).toBe(true);
    expect(c.options.kubeconfig).toEqual({ updateDefaultKubeconfig: false, switchCurrentContext: false });
    expect(c.image).toMatch(/^rancher\/k3s:v\d+\.\d+\.\d+-k3s\d+$/);
  });

  test('the shared data dir is mounted at the same path on every node', () => {
    expect(k3dConfig({ ...base, cni: 'flannel', sharedDataDir: '/tmp/rcnc-k3d-x' }).volumes).toEqual([
      { volume: '/tmp/rcnc-k3d-x:/var/lib/rcnc-data', nodeFilters: ['server:*', 'agent:*'] },
    ]);
  });

  test('publishes exactly the NodePorts asked for, on server-0', () => {
    const c = k3dConfig({ ...base, cni: 'flannel', publishNodePorts: [30000, 31000] });
    expect(c.ports).toEqual([
      { port: '30000:30000', nodeFilters: ['server:0'] },
      { port: '31000:31000', nodeFilters: ['server:0'] },
    ]);
  });

  test('rejects names k3d would reject and agent counts out of range', () => {
    expect(() => k3dConfig({ ...base, cni: 'flannel', name: 'x'.repeat(33) })).toThrow(/at most 32/);
    expect(() => k3dConfig({ ...base, cni: 'flannel', name: 'Bad_Name' })).toThrow(/DNS label/);
    expect(() => k3dConfig({ ...base, cni: 'flannel', agents: -1 })).toThrow(/0 to 9 agents/);
  });

  test('renders YAML that reads back as the same config', () => {
    const o = { ...base, cni: 'calico' as const };
    expect(loadYaml(renderK3dConfig(o))).toEqual(k3dConfig(o));
  });

  test('node container names are k3d’s, and also the Kubernetes node names', () => {
    expect([0, 1, 2].map((i) => nodeContainer('rcnc-5e1f0a', i))).toEqual([
      'k3d-rcnc-5e1f0a-server-0',
      'k3d-rcnc-5e1f0a-agent-0',
      'k3d-rcnc-5e1f0a-agent-1',
    ]);
  });
});

describe('rewriteKubeconfig', () => {
  const original = readFileSync(new URL('../../../test/fixtures/k8s/k3d-kubeconfig.yaml', import.meta.url), 'utf8');

  test('points https://0.0.0.0:PORT at 127.0.0.1:PORT and changes nothing else', () => {
    const rewritten = rewriteKubeconfig(original);
    const kc = new KubeConfig();
    kc.loadFromString(rewritten);
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:39745');
    const before = loadYaml<{ clusters: { cluster: Record<string, string> }[] }>(original);
    const after = loadYaml<{ clusters: { cluster: Record<string, string> }[] }>(rewritten);
    before.clusters[0]!.cluster.server = 'https://127.0.0.1:39745';
    expect(after).toEqual(before);
    expect(rewriteKubeconfig(rewritten)).toBe(rewritten);
  });

  test('uses the Docker daemon’s host when Docker is remote, bracketing IPv6', () => {
    expect(apiHostFor({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBe('10.0.0.5');
    expect(apiHostFor({ DOCKER_HOST: 'unix:///var/run/docker.sock' })).toBe('127.0.0.1');
    expect(apiHostFor({})).toBe('127.0.0.1');
    const kc = new KubeConfig();
    kc.loadFromString(rewriteKubeconfig(original, '::1'));
    expect(kc.getCurrentCluster()?.server).toBe('https://[::1]:39745');
  });
});
