// rcnc collect's password and TLS flags, REDISCLI_AUTH from the environment, and the Secrets they
// name (read through a stand-in here: the real API path runs in test/kube/collect.e2e.test.ts);
// then the command itself with bad input and without a kubeconfig: exit 2, one line, the fix.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { accessRequest, resolveAccess } from './collect-access.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rcnc-collect-flags-test-'));
  await writeFile(join(scratch, 'ca.crt'), CA);
  await writeFile(join(scratch, 'tls.key'), KEY);
  await writeFile(join(scratch, 'tls.der'), Buffer.from([0x30, 0x82, 0x01]));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

const request = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  accessRequest(parse('collect', [...args, '-n', 'shop', 'DIR']).values, env);

/** Secrets as the API would return them, by name. */
const secrets = (all: Record<string, Record<string, string>>) => async (name: string) => {
  const s = all[name];
  if (!s) {
    throw new UsageError(`Secret ${name} is not in namespace shop`);
  }
  return new Map(Object.entries(s).map(([k, v]) => [k, Buffer.from(v)]));
};

describe('the password', () => {
  test('from REDISCLI_AUTH when no flag names one; a flag wins; an empty variable counts as unset', async () => {
    expect((await request([], { REDISCLI_AUTH: 'from-env' })).password).toEqual({
      value: 'from-env',
      from: 'REDISCLI_AUTH',
    });
    expect((await request(['--password', 'typed'], { REDISCLI_AUTH: 'from-env' })).password).toEqual({
      value: 'typed',
      from: '--password',
    });
    expect((await request([], { REDISCLI_AUTH: '' })).password).toBeUndefined();
    expect((await request(['--password-secret', 'redis/redis-password'], { REDISCLI_AUTH: 'x' })).password).toEqual({
      secret: 'redis',
      key: 'redis-password',
      from: '--password-secret redis/redis-password',
    });
  });

  test('read from its Secret; where it came from is said, never what it is', async () => {
    const req = await request(['--password-secret', 'redis/redis-password', '--user', 'app']);
    const got = await resolveAccess(req, secrets({ redis: { 'redis-password': 's3cret' } }));
    expect(got).toEqual({
      access: { user: 'app', password: 's3cret' },
      from: 'password from --password-secret redis/redis-password, user app',
    });
    await expect(resolveAccess(req, secrets({ redis: { password: 'x' } }))).rejects.toThrow(
      "Secret redis has no key redis-password (it has: password); see 'rcnc collect --help'",
    );
    await expect(resolveAccess(req, secrets({ redis: { 'redis-password': 'a\nb' } }))).rejects.toThrow(
      /holds a line break/,
    );
  });

  test.each([
    [['--password', 'a', '--password-secret', 'r/k'], /^--password and --password-secret are alternatives/],
    [['--password-secret', 'redis'], /^--password-secret redis: give NAME\/KEY/],
    [['--user', 'app'], /^--user needs a password/],
    [['--password', ''], /^--password is empty/],
  ])('%j: refused', async (args, message) => {
    await expect(request(args)).rejects.toThrow(message);
  });
});

describe('TLS', () => {
  test('files in the pod, a Secret, local files, or only --tls', async () => {
    expect((await request(['--tls-dir', '/opt/bitnami/redis/certs'])).tls).toEqual({
      given: { dir: '/opt/bitnami/redis/certs' },
      from: 'TLS with ca.crt, tls.crt, tls.key in /opt/bitnami/redis/certs of the pod',
    });
    const local = await request([
      '--cacert',
      join(scratch, 'ca.crt'),
      '--cert',
      join(scratch, 'ca.crt'),
      '--key',
      join(scratch, 'tls.key'),
    ]);
    expect(local.tls).toMatchObject({ given: { ca: CA, cert: CA, key: KEY } });
    expect((await request(['--tls'])).tls).toEqual({ given: {}, from: "TLS with the system's CAs" });
    expect((await request([])).tls).toBeUndefined();

    const fromSecret = await resolveAccess(
      await request(['--tls-secret', 'redis-crt']),
      secrets({ 'redis-crt': { 'ca.crt': CA, 'tls.crt': CA, 'tls.key': KEY } }),
    );
    expect(fromSecret).toEqual({
      access: { tls: { ca: CA, cert: CA, key: KEY } },
      from: 'TLS with the certificates of Secret redis-crt',
    });
  });

  test.each([
    [
      ['--tls-dir', '/certs', '--tls-secret', 's'],
      /^--tls-dir, --tls-secret and --cacert\/--cert\/--key are alternatives/,
    ],
    [['--cert', '/x'], /^--cert and --key go together/],
    [['--tls-dir', 'certs'], /^--tls-dir certs: give the absolute path in the pod/],
    [['--cacert', '/nonexistent/ca.crt'], /^--cacert \/nonexistent\/ca\.crt: no such file/],
  ])('%j: refused', async (args, message) => {
    await expect(request(args)).rejects.toThrow(message);
  });

  test('a DER file is not PEM; a Secret without certificates names its keys', async () => {
    await expect(request(['--cacert', join(scratch, 'tls.der')])).rejects.toThrow(/is not PEM \(no -----BEGIN line\)/);
    await expect(
      resolveAccess(await request(['--tls-secret', 'x']), secrets({ x: { 'tls.key': KEY } })),
    ).rejects.toThrow('Secret x has neither ca.crt nor tls.crt (it has: tls.key)');
  });
});

// The command itself (a node process each, seconds on a loaded machine: one after the other).
describe('rcnc collect without a kubeconfig: exit 2, one line, nothing left behind', { timeout: 60_000 }, () => {
  const collect = (env: Record<string, string>, dir: string) =>
    execa('node', ['bin/rcnc.mjs', 'collect', '-n', 'shop', dir], {
      cwd: ROOT,
      reject: false,
      extendEnv: false,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NO_COLOR: '1', ...env },
    });

  test('none anywhere: names $KUBECONFIG, ~/.kube/config and sudo', async () => {
    const home = await mkdtemp(join(scratch, 'home-'));
    const dir = join(scratch, 'never-1');
    const r = await collect({ HOME: home }, dir);
    expect(r.stderr.trim()).toBe(
      `rcnc: collect cannot reach the cluster: no kubeconfig: $KUBECONFIG is not set and ${home}/.kube/config does not exist (sudo changes $HOME to root's); pass --kubeconfig PATH; see 'rcnc collect --help'`,
    );
    expect(r.exitCode).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });

  test('$KUBECONFIG naming a missing file says so', async () => {
    const r = await collect({ HOME: scratch, KUBECONFIG: '/nonexistent/kubeconfig' }, join(scratch, 'never-2'));
    expect(r.stderr.trim()).toMatch(
      /: \$KUBECONFIG names \/nonexistent\/kubeconfig, which does not exist; pass --kubeconfig PATH; see 'rcnc collect --help'$/,
    );
    expect(r.exitCode).toBe(2);
  });
});
