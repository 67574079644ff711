import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CellDims } from '../model/dimensions.ts';
import { gatherEnvironment, NETNS_KUBE_PROXY_MODE, netnsKubeProxyMode, type CommandOutput } from './environment.ts';

const dims = (provider: CellDims['provider'], profile: CellDims['profile'] = 'flannel-vxlan') => ({
  dims: {
    provider,
    profile,
    exposure: 'nodeport',
    announce: 'none',
    policy: 'Cluster',
    nodes: 1,
  } as CellDims,
});

describe('gatherEnvironment', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rcnc-env-'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'rcnc', version: '1.2.3' }));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('records rcnc with its commit, iptables, Redis and the lab kube-proxy mode', async () => {
    const asked: string[][] = [];
    const command: CommandOutput = async (argv) => {
      asked.push(argv);
      return argv[0] === 'git' ? `${root}\nabc1234\n` : 'iptables v1.8.9 (nf_tables)\n';
    };
    const env = await gatherEnvironment({ redis: { server: 's', cli: 'c', version: '7.0.15' } }, [dims('netns')], {
      packageRoot: root,
      command,
    });
    expect(env).toEqual({
      node: process.version,
      kernel: expect.any(String),
      hostname: expect.any(String),
      redis: '7.0.15',
      rcnc: { version: '1.2.3', commit: 'abc1234' },
      iptables: 'v1.8.9 (nf_tables)',
      kubeProxyMode: NETNS_KUBE_PROXY_MODE,
    });
    expect(asked).toContainEqual(['git', '-C', root, 'rev-parse', '--show-toplevel', '--short', 'HEAD']);
  });

  test('leaves out what it cannot know, and never throws', async () => {
    const failing: CommandOutput = async () => undefined;
    const env = await gatherEnvironment({ redis: { server: 's', cli: 'c' } }, [dims('k3d')], {
      packageRoot: join(root, 'missing'),
      command: failing,
    });
    expect(Object.keys(env).sort()).toEqual(['hostname', 'kernel', 'node']);
  });

  test('does not take the commit of a repository rcnc is merely installed in', async () => {
    const command: CommandOutput = async (argv) => (argv[0] === 'git' ? '/home/user/project\nfff0000\n' : undefined);
    const env = await gatherEnvironment({ redis: { server: 's', cli: 'c' } }, [], { packageRoot: root, command });
    expect(env.rcnc).toEqual({ version: '1.2.3' });
  });

  test('reads this checkout', async () => {
    const env = await gatherEnvironment({ redis: { server: 's', cli: 'c' } }, [dims('netns')]);
    expect(env.rcnc?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(env.kubeProxyMode).toBe(NETNS_KUBE_PROXY_MODE);
  });
});

describe("the lab's kube-proxy mode", () => {
  test("each lab profile's own: one mode alone, each mode with its profiles when a run held both", () => {
    expect(netnsKubeProxyMode([dims('netns'), dims('netns', 'no-nat')])).toBe(NETNS_KUBE_PROXY_MODE);
    expect(netnsKubeProxyMode([dims('netns', 'flannel-vxlan-nftables')])).toBe('nftables (rendered by the netns lab)');
    expect(
      netnsKubeProxyMode([dims('netns', 'flannel-vxlan-nftables'), dims('netns', 'calico-vxlan'), dims('netns')]),
    ).toBe('iptables for flannel-vxlan, calico-vxlan; nftables for flannel-vxlan-nftables (rendered by the netns lab)');
    // Other providers' cells say nothing of the lab.
    expect(netnsKubeProxyMode([dims('kube', 'flannel-vxlan-nftables')])).toBeUndefined();
  });
});
