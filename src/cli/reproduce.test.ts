// `rcnc reproduce FAMILY|CELL` chooses what to run before any lab is built: a family's classic
// cell from the flags, or a netns cell by id in a family that tells a story; anything else is a
// usage error that names the families that can.
import { describe, expect, test, vi } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { cmdReproduce, reproducible, reproducibleList } from './reproduce.ts';

describe('rcnc reproduce: what to run', () => {
  test("a family name runs its classic cell, with the flags' profile and size", () => {
    expect(reproducible(['nat-meet'], {}).cell.id).toBe('netns/flannel-vxlan/nodeport/announce-none/add-node');
    expect(reproducible(['nat-meet'], { profile: 'calico-vxlan', nodes: '3' }).cell.id).toBe(
      'netns/calico-vxlan/nodeport/announce-none/3-nodes/dial-own-node',
    );
  });

  test("--provider kubeconfig: the same classic cell, the cluster's", () => {
    expect(reproducible(['nat-meet'], { provider: 'kubeconfig' }).cell.id).toBe(
      'kubeconfig/flannel-vxlan/nodeport/announce-none/add-node',
    );
    expect(reproducible(['kubeconfig/flannel-vxlan/pod-ip/announce-none'], { provider: 'kubeconfig' }).cell.id).toBe(
      'kubeconfig/flannel-vxlan/pod-ip/announce-none',
    );
  });

  test('--keep and the cluster flags go with --provider kubeconfig only', async () => {
    await expect(cmdReproduce(['nat-meet', '--keep'])).rejects.toThrow(
      /^--keep go\(es\) with --provider kubeconfig \(a cluster that outlives the command; rcnc kube up starts one\)$/,
    );
    await expect(cmdReproduce(['nat-meet', '--provider', 'kube'])).rejects.toThrow(
      '--provider kube: reproduce runs on netns or kubeconfig',
    );
    await expect(
      cmdReproduce(['nat-meet', '--provider', 'kubeconfig', '--kubeconfig', '/nonexistent']),
    ).rejects.toThrow(UsageError);
  });

  test('a cell id runs that cell', () => {
    const { cell, reproduction } = reproducible(['netns/calico-crosssubnet/pod-ip/announce-none/2-nodes'], {});
    expect(cell).toMatchObject({ family: 'nat-meet', dims: { profile: 'calico-crosssubnet', exposure: 'pod-ip' } });
    expect(reproduction.run).toBeTypeOf('function');
  });

  test('refuses what it cannot run, naming the families that tell a story', () => {
    const refused =
      (args: string[], flags = {}) =>
      () =>
        reproducible(args, flags);
    expect(refused(['recovery'])).toThrow(/recovery has no story to reproduce: .*FAMILY one of nat-meet/);
    expect(refused(['netns/flannel-vxlan/pod-ip/announce-none/3-nodes/whole-restart'])).toThrow(
      /no netns cell .* in a family that tells a story \(nat-meet, cases\)/,
    );
    expect(refused(['netns/calico-crosssubnet/pod-ip/announce-none/2-nodes'], { nodes: '2' })).toThrow(
      /--profile and --nodes choose a family's cell/,
    );
    expect(refused([])).toThrow(UsageError);
    expect(refused(['nat-meet', 'snat'])).toThrow(/give one family or cell id/);
  });

  test('a case name runs that case on the lab; --list names every case with its thread', () => {
    const { cell } = reproducible(['flannel-1059'], {});
    expect(cell.family).toBe('cases');
    expect(cell.dims.variant).toBe('flannel-1059');
    expect(() => reproducible(['flannel-1059'], { provider: 'kubeconfig' })).toThrow(/no kubeconfig cell flannel-1059/);
    expect(() => reproducible(['cases'], {})).toThrow(/name a case: .*rcnc reproduce --list/);
    const list = reproducibleList();
    expect(list).toMatch(/^ {2}flannel-1059 +flannel-io\/flannel#1059: /m);
    expect(list.match(/^ {2}\S+ +[\w.-]+\/[\w.-]+#\d+: /gm)!.length).toBeGreaterThanOrEqual(10);
    expect(list).not.toMatch(/^ {2}cases$/m);
  });

  test('a --redis-server that is no redis-server is refused before any lab is looked at or built', async () => {
    const said = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // /bin/true answers --version with coreutils' banner, and exits 0.
      await expect(cmdReproduce(['nat-meet', '--redis-server', '/bin/true'])).rejects.toThrow(
        /^--redis-server \/bin\/true: `\/bin\/true --version` printed "true \(GNU coreutils\) [^"]*", not a redis-server version; pass a redis-server binary$/,
      );
      expect(said.mock.calls.flat().join('\n')).not.toMatch(/building/);
    } finally {
      said.mockRestore();
    }
  });
});
