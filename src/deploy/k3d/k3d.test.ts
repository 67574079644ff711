// The provider's requirements on this machine, for real: whether a Docker daemon answers is asked
// of testcontainers and cross-checked with the docker CLI; k3d comes from a temp PATH.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RequirementError, UsageError } from '../../util/errors.ts';
import { describeUnmet, unmet } from '../provider.ts';
import { k3dCniFor, K3dProvider } from './k3d.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcnc-k3d-provider-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fakeK3d = join(dir, 'k3d');
writeFileSync(fakeK3d, '#!/bin/sh\n[ "$1" = version ] && echo "k3d version v5.9.0"\nexit 0\n');
chmodSync(fakeK3d, 0o755);

/** What the docker CLI says: does a daemon answer here? */
function daemonAnswers(): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

const withK3d = { binary: { env: { K3D_BIN: fakeK3d }, cacheDir: dir } };
const withoutK3d = { binary: { env: { PATH: dir + '/none' }, cacheDir: dir } };

describe('K3dProvider.check', () => {
  test('reports the Docker daemon as the docker CLI sees it, with testcontainers’ reason when absent', async () => {
    const reqs = await new K3dProvider(withK3d).check();
    const dockerReq = reqs.find((r) => r.name === 'Docker daemon')!;
    expect(dockerReq.met).toBe(daemonAnswers());
    if (!dockerReq.met) {
      expect(dockerReq.detail).toBe(
        'no Docker daemon answers (testcontainers: Could not find a working container runtime strategy)',
      );
      expect(describeUnmet(reqs)).not.toContain('\n');
    }
    expect(reqs.find((r) => r.name === 'k3d binary')).toMatchObject({
      met: true,
      detail: expect.stringContaining('v5.9.0'),
    });
  });

  test('no k3d: unmet with how to get it', async () => {
    const reqs = await new K3dProvider(withoutK3d).check();
    expect(reqs.find((r) => r.name === 'k3d binary')).toMatchObject({
      met: false,
      detail: expect.stringMatching(/^k3d not found: .*K3D_BIN=.*K3D_AUTO_INSTALL=1/),
    });
  });

  test('profile no-nat is an unmet requirement with its reason', async () => {
    const reqs = await K3dProvider.forProfile('no-nat', withK3d).check();
    expect(unmet(reqs)[0]).toMatchObject({
      name: 'profile no-nat on k3d',
      detail: expect.stringMatching(/netns-lab control/),
    });
  });
});

describe('K3dProvider.start (no cluster is created here)', () => {
  const spec = { profile: 'flannel-vxlan' as const, nodes: 1, pods: [] };

  test.skipIf(daemonAnswers())('without a Docker daemon it fails at once with the one-line reason', async () => {
    const err = await new K3dProvider(withK3d).start(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequirementError);
    expect((err as Error).message).toMatch(/^no Docker daemon answers/);
  });

  test('rejects what k3d cannot be: no-nat, a provider fixed to another CNI, more nodes than agents', async () => {
    await expect(new K3dProvider(withK3d).start({ ...spec, profile: 'no-nat' })).rejects.toBeInstanceOf(
      RequirementError,
    );
    await expect(
      new K3dProvider({ ...withK3d, cni: 'calico', calicoMode: 'CrossSubnet' }).start(spec),
    ).rejects.toBeInstanceOf(UsageError);
    // The server is never a topology node: a 4-node topology does not fit 3 agents.
    await expect(new K3dProvider(withK3d).start({ ...spec, nodes: 4 })).rejects.toThrow(
      /1 to 3 agents \(the server runs the API and takes no pods or faults\)/,
    );
  });
});

test('profile → CNI', () => {
  expect(k3dCniFor('flannel-vxlan')).toEqual({ cni: 'flannel' });
  expect(k3dCniFor('calico-vxlan')).toEqual({ cni: 'calico', calicoMode: 'Always' });
  expect(k3dCniFor('calico-crosssubnet')).toEqual({ cni: 'calico', calicoMode: 'CrossSubnet' });
  expect(k3dCniFor('no-nat')).toHaveProperty('unsupported');
});
