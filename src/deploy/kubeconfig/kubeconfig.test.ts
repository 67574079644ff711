// The kubeconfig provider's requirements, with real kubeconfig files and a real (closed) port:
// nothing answers at the fixture's API address on this machine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RequirementError } from '../../util/errors.ts';
import { rewriteKubeconfig } from '../k3d/config.ts';
import { KubeconfigProvider, kubeconfigGaps } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcnc-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function kubeconfigFile(): Promise<string> {
  const yaml = readFileSync(new URL('../../../test/fixtures/k8s/k3d-kubeconfig.yaml', import.meta.url), 'utf8');
  const file = join(dir, `config-${Math.random().toString(16).slice(2)}`);
  const port = await closedPort();
  writeFileSync(file, rewriteKubeconfig(yaml).replace(':39745', `:${port}`));
  return file;
}

describe('KubeconfigProvider.check', () => {
  test('a missing file is one unmet requirement saying so', async () => {
    const reqs = await new KubeconfigProvider({ kubeconfig: join(dir, 'nope') }).check();
    expect(reqs).toEqual([
      { name: 'kubeconfig', met: false, detail: `kubeconfig ${join(dir, 'nope')} does not exist` },
    ]);
  });

  test('an unknown context lists the ones there are', async () => {
    const reqs = await new KubeconfigProvider({ kubeconfig: await kubeconfigFile(), context: 'prod' }).check();
    expect(reqs[0]).toMatchObject({
      met: false,
      detail: 'context prod is not in the kubeconfig (contexts: k3d-rcnc-5e1f0a)',
    });
  });

  test('a cluster that does not answer: the kubeconfig is fine, the API server is unmet with the address', async () => {
    const file = await kubeconfigFile();
    const reqs = await new KubeconfigProvider({ kubeconfig: file, context: 'k3d-rcnc-5e1f0a' }).check();
    expect(reqs[0]).toEqual({ name: 'kubeconfig', met: true, detail: 'context k3d-rcnc-5e1f0a' });
    expect(reqs[1]).toMatchObject({
      name: 'API server',
      met: false,
      detail: expect.stringMatching(
        /^cannot reach the API server https:\/\/127\.0\.0\.1:\d+ \(context k3d-rcnc-5e1f0a\): /,
      ),
    });
  });

  test('start() fails with the same kind of reason, before creating anything', async () => {
    await expect(
      new KubeconfigProvider({ kubeconfig: join(dir, 'nope') }).start({ profile: 'flannel-vxlan', nodes: 1, pods: [] }),
    ).rejects.toBeInstanceOf(RequirementError);
  });
});

describe('what the kubeconfig provider declares it cannot do', () => {
  test('node commands, faults, signals from a node, host programs in pods, and capture unless debug containers are allowed', () => {
    expect(Object.keys(kubeconfigGaps()).sort()).toEqual([
      'capture',
      'host-netns',
      'kill-container',
      'node-exec',
      'node-faults',
    ]);
    expect(kubeconfigGaps(true)).not.toHaveProperty('capture');
    // Declared before any cluster is asked: the provider's `gaps` hold every reason.
    expect(new KubeconfigProvider().gaps).toEqual(kubeconfigGaps());
  });
});
