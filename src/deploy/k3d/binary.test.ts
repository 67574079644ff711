// Binary resolution against temp dirs with small executables standing in for k3d (and for the
// unrelated npm `k3d`); the download is injected, so no network is involved.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { RequirementError } from '../../util/errors.ts';
import { assetFor, resolveK3d, runK3dPassthrough } from './binary.ts';

const root = mkdtempSync(join(tmpdir(), 'rcnc-k3d-bin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function dir(): string {
  const d = join(root, `d${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

const K3D_SCRIPT = (version: string) =>
  `#!/bin/sh\nif [ "$1" = version ]; then echo "k3d version ${version}"; echo "k3s version v1.31.5-k3s1 (default)"; exit 0; fi\n` +
  // `cluster list` exits 3 so the passthrough test can see the exit code come back.
  `if [ "$1" = cluster ]; then exit 3; fi\nexit 0\n`;

function exe(d: string, name: string, body: string): string {
  const p = join(d, name);
  writeFileSync(p, body);
  chmodSync(p, 0o755);
  return p;
}

const noDownload = vi.fn(async (): Promise<Buffer> => {
  throw new Error('no download expected');
});
const base = (env: NodeJS.ProcessEnv, cacheDir = dir()) => ({ env, cacheDir, download: noDownload });

describe('resolveK3d', () => {
  test('K3D_BIN wins over PATH', async () => {
    const a = exe(dir(), 'k3d', K3D_SCRIPT('v5.8.3'));
    const onPath = dir();
    exe(onPath, 'k3d', K3D_SCRIPT('v5.9.0'));
    expect(await resolveK3d(base({ K3D_BIN: a, PATH: onPath }))).toEqual({
      path: a,
      source: 'K3D_BIN',
      version: 'v5.8.3',
    });
  });

  test('a K3D_BIN that is not executable is an error, not a reason to use another k3d', async () => {
    const onPath = dir();
    exe(onPath, 'k3d', K3D_SCRIPT('v5.9.0'));
    await expect(resolveK3d(base({ K3D_BIN: join(root, 'missing'), PATH: onPath }))).rejects.toThrow(
      /K3D_BIN=.*missing is not an executable file/,
    );
  });

  test('PATH: skips a `k3d` that is not k3d (the npm plotting package) and takes the real one after it', async () => {
    const impostor = dir();
    exe(impostor, 'k3d', '#!/bin/sh\necho "k3d plot server listening"\n');
    const real = dir();
    const p = exe(real, 'k3d', K3D_SCRIPT('v5.9.0'));
    expect(await resolveK3d(base({ PATH: [impostor, real].join(':') }))).toEqual({
      path: p,
      source: 'PATH',
      version: 'v5.9.0',
    });
  });

  test('falls back to the cache dir', async () => {
    const cache = dir();
    const p = exe(cache, 'k3d-v5.9.0', K3D_SCRIPT('v5.9.0'));
    expect(await resolveK3d(base({ PATH: dir() }, cache))).toMatchObject({ path: p, source: 'cache' });
  });

  test('nothing found and no opt-in: a one-line reason naming every way out, and no download', async () => {
    noDownload.mockClear();
    const impostor = dir();
    exe(impostor, 'k3d', '#!/bin/sh\necho nope\nexit 1\n');
    const err = await resolveK3d(base({ PATH: impostor })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequirementError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(/^k3d not found \(.*does not answer `version` like k3d \(nope\)\)/);
    expect(msg).toMatch(/K3D_BIN=/);
    expect(msg).toMatch(/K3D_AUTO_INSTALL=1/);
    expect(noDownload).not.toHaveBeenCalled();
  });

  test('K3D_AUTO_INSTALL=1 downloads the pinned asset, checks its sha256 and caches it', async () => {
    const body = Buffer.from(K3D_SCRIPT('v5.9.0'));
    const sum = createHash('sha256').update(body).digest('hex');
    const download = vi.fn(async () => body);
    const cache = join(dir(), 'nested');
    const r = await resolveK3d({
      env: { PATH: dir(), K3D_AUTO_INSTALL: '1' },
      cacheDir: cache,
      platform: 'linux',
      arch: 'x64',
      download,
      pins: { 'linux-amd64': sum },
    });
    expect(download).toHaveBeenCalledWith('https://github.com/k3d-io/k3d/releases/download/v5.9.0/k3d-linux-amd64');
    expect(r).toEqual({ path: join(cache, 'k3d-v5.9.0'), source: 'download', version: 'v5.9.0' });
    expect(statSync(r.path).mode & 0o111).not.toBe(0);
    // The next resolution finds it in the cache without downloading again.
    expect(await resolveK3d({ env: { PATH: '' }, cacheDir: cache, download: noDownload })).toMatchObject({
      source: 'cache',
    });
  });

  test('a download whose checksum does not match is refused and leaves nothing behind', async () => {
    const cache = dir();
    const err = await resolveK3d({
      env: { PATH: '', K3D_AUTO_INSTALL: '1' },
      cacheDir: cache,
      platform: 'linux',
      arch: 'arm64',
      download: async () => Buffer.from('tampered'),
      pins: { 'linux-arm64': '0'.repeat(64) },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/has sha256 [0-9a-f]{64}, expected 0{64}; not installing it/);
    expect(readdirSync(cache)).toEqual([]);
  });

  test('asset names follow k3d’s release naming', () => {
    expect(assetFor('linux', 'x64')).toBe('linux-amd64');
    expect(assetFor('darwin', 'arm64')).toBe('darwin-arm64');
    expect(assetFor('win32', 'x64')).toBeUndefined();
  });
});

describe('runK3dPassthrough', () => {
  test('runs the resolved k3d and returns its exit code', async () => {
    const d = dir();
    exe(d, 'k3d', K3D_SCRIPT('v5.9.0'));
    expect(await runK3dPassthrough(['cluster', 'list'], { env: { PATH: `${d}:/usr/bin:/bin` }, cacheDir: dir() })).toBe(
      3,
    );
    expect(await runK3dPassthrough(['version'], { env: { PATH: `${d}:/usr/bin:/bin` }, cacheDir: dir() })).toBe(0);
  });

  test('without k3d: exit 2 and one line on stderr', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      expect(
        await runK3dPassthrough(['version'], { env: { PATH: dir() }, cacheDir: dir(), download: noDownload }),
      ).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^rcnc: k3d not found: .*K3D_AUTO_INSTALL=1/);
  });
});
