// redis-cli with a password and TLS material that never enter its argv: the call is run here by the
// same shells pods have (dash, bash, busybox), against a stand-in redis-cli that prints what it got,
// and against the real redis-cli and a real redis-server with requirepass on a unix socket.
import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasRedisServer, startSocketRedis, withoutAuthEnv, type SocketRedis } from '../../test/support/redis-socket.ts';
import { accessSecrets, redisCliCall } from './redis-cli.ts';

const PASSWORD = 'pa ss\\w$rd"1';
const pem = (what: string) =>
  `-----BEGIN ${what}-----\nMIIBszCCAVmgAwIBAgIU${what.length}x$HOME\`id\`\nAAAA==\n-----END ${what}-----\n`;
const CA = pem('CERTIFICATE');
const KEY = pem('PRIVATE KEY');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcnc-redis-cli-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A redis-cli stand-in: prints each option's file as it reads it, its other args, and REDISCLI_AUTH. */
async function standIn(): Promise<string> {
  const path = join(dir, 'show-args');
  await writeFile(
    path,
    `#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in
    --cacert|--cert|--key) echo "$1 $2:"; cat "$2"; shift 2;;
    *) echo "arg $1"; shift;;
  esac
done
echo "auth [$REDISCLI_AUTH]"
`,
  );
  await chmod(path, 0o755);
  return path;
}

describe('the call', () => {
  test('nothing secret: redis-cli argv as given, with TLS files in the pod and the ACL user', () => {
    expect(redisCliCall('redis-cli', ['-p', '6379', 'cluster', 'nodes'])).toEqual({
      argv: ['redis-cli', '-p', '6379', 'cluster', 'nodes'],
    });
    expect(redisCliCall('redis-cli', ['ping'], { tls: { dir: '/opt/bitnami/redis/certs/' } }).argv).toEqual([
      'redis-cli',
      '--tls',
      '--cacert',
      '/opt/bitnami/redis/certs/ca.crt',
      '--cert',
      '/opt/bitnami/redis/certs/tls.crt',
      '--key',
      '/opt/bitnami/redis/certs/tls.key',
      'ping',
    ]);
  });

  test('a password and PEMs go to stdin; the argv holds none of them', () => {
    const call = redisCliCall('redis-cli', ['ping'], {
      password: PASSWORD,
      user: 'app',
      tls: { ca: CA, cert: CA, key: KEY },
    });
    expect(call.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(call.argv.slice(3)).toEqual(['rcnc-redis-cli', 'pack', 'redis-cli', '--tls', '--user', 'app', 'ping']);
    const argv = call.argv.join('\n');
    for (const secret of [PASSWORD, 'PRIVATE KEY', 'MIIBszCCAVmgAwIBAgIU']) {
      expect(argv).not.toContain(secret);
    }
    expect(call.input).toBe(`${PASSWORD}\n${CA}.\n${CA}.\n${KEY}.\n`);
    expect(accessSecrets({ password: PASSWORD, tls: { key: KEY } })).toEqual([PASSWORD, KEY]);
  });
});

describe.each([['sh'], ['bash'], ['busybox', 'sh']])('run by %s', (...shell) => {
  test('redis-cli gets the password in REDISCLI_AUTH and each PEM on its own fd, byte for byte', async () => {
    const cli = await standIn();
    const call = redisCliCall(cli, ['-p', '6379', 'cluster', 'nodes'], {
      password: PASSWORD,
      tls: { ca: CA, cert: pem('CERTIFICATE'), key: KEY },
    });
    const r = await execa(shell[0]!, [...shell.slice(1), ...call.argv.slice(1)], { input: call.input });
    expect(r.stdout).toBe(
      [
        `--key /dev/fd/5:\n${KEY}`,
        `--cert /dev/fd/4:\n${pem('CERTIFICATE')}`,
        `--cacert /dev/fd/3:\n${CA}`,
        'arg --tls\narg -p\narg 6379\narg cluster\narg nodes\n',
        `auth [${PASSWORD}]`,
      ].join(''),
    );
  });

  test('only what was given: the password alone, a CA alone', async () => {
    const cli = await standIn();
    const run = async (access: Parameters<typeof redisCliCall>[2]) => {
      const call = redisCliCall(cli, ['ping'], access);
      return (await execa(shell[0]!, [...shell.slice(1), ...call.argv.slice(1)], { input: call.input })).stdout;
    };
    expect(await run({ password: PASSWORD })).toBe(`arg ping\nauth [${PASSWORD}]`);
    expect(await run({ tls: { ca: CA } })).toBe(`--cacert /dev/fd/3:\n${CA}arg --tls\narg ping\nauth []`);
  });
});

describe.skipIf(!hasRedisServer)('the real redis-cli against a redis-server with requirepass (unix socket)', () => {
  let redis: SocketRedis;
  beforeAll(async () => {
    redis = await startSocketRedis(['--requirepass', PASSWORD]);
  });
  afterAll(() => redis.stop());

  test('with the password on stdin it answers; without it, NOAUTH', async () => {
    const call = redisCliCall('redis-cli', ['-s', redis.socket, 'ping'], { password: PASSWORD });
    const r = await execa(call.argv[0]!, call.argv.slice(1), { input: call.input, ...withoutAuthEnv });
    expect(r.stdout.trim()).toBe('PONG');
    const bare = redisCliCall('redis-cli', ['-s', redis.socket, 'ping']);
    const without = await execa(bare.argv[0]!, bare.argv.slice(1), withoutAuthEnv);
    expect(without.stdout.trim()).toBe('NOAUTH Authentication required.');
  });
});
