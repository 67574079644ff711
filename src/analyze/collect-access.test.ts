// Getting into Redis when collecting: the answers are the real redis-cli's, against a real
// redis-server with requirepass and an ACL user on a unix socket, run through the same call collect
// makes (password on stdin); TLS answers are redis-cli 7.0.15's words against a TLS port (recorded
// on this machine, which has no TLS listener outside a network namespace). A collection every pod
// refuses stops before anything is written, and the password never reaches a file.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasRedisServer, startSocketRedis, withoutAuthEnv, type SocketRedis } from '../../test/support/redis-socket.ts';
import type { ExecTarget, StartedTopology } from '../deploy/provider.ts';
import { redisCliCall, type RedisAccess } from '../deploy/redis-cli.ts';
import { UsageError } from '../util/errors.ts';
import { run } from '../util/exec.ts';
import { accessFault, accessFaultMessage, needlessPassword, type CliAnswer } from './collect-access.ts';
import { collectFromCluster } from './collect.ts';

const PASSWORD = 'collect-pass-4711';
const proc = await readFile(new URL('../../test/fixtures/proc-net-tcp.txt', import.meta.url), 'utf8');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rcnc-collect-access-test-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** redis-cli ARGS against `socket`, called the way collect calls it in a pod. */
async function answer(socket: string, args: string[], access?: RedisAccess): Promise<CliAnswer> {
  const call = redisCliCall('redis-cli', ['-s', socket, ...args], access);
  const r = await execa(call.argv[0]!, call.argv.slice(1), { input: call.input, reject: false, ...withoutAuthEnv });
  return { pod: 'redis-0', exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasRedisServer)('the real redis-cli, a password and an ACL user', () => {
  let redis: SocketRedis;
  let open: SocketRedis;
  beforeAll(async () => {
    [redis, open] = await Promise.all([startSocketRedis(['--requirepass', PASSWORD]), startSocketRedis()]);
    const acl = await answer(redis.socket, ['acl', 'setuser', 'viewer', 'on', '>viewer-pass', '+ping'], {
      password: PASSWORD,
    });
    expect(acl.stdout.trim()).toBe('OK');
  });
  afterAll(() => Promise.all([redis.stop(), open.stop()]));

  test('no password: NOAUTH, and the message names --password-secret and REDISCLI_AUTH', async () => {
    const fault = accessFault(await answer(redis.socket, ['cluster', 'nodes']));
    expect(fault).toEqual({ kind: 'noauth', pod: 'redis-0', detail: 'NOAUTH Authentication required.' });
    expect(accessFaultMessage([fault!])).toMatch(
      /^redis-0 answered "NOAUTH Authentication required\.": Redis wants a password; pass --password-secret NAME\/KEY .* or set REDISCLI_AUTH$/,
    );
  });

  test('a wrong password: WRONGPASS, said with where the password came from', async () => {
    const fault = accessFault(await answer(redis.socket, ['info', 'replication'], { password: 'wrong-one' }), {
      password: 'wrong-one',
    });
    expect(fault?.kind).toBe('wrongpass');
    expect(accessFaultMessage([fault!], 'password from REDISCLI_AUTH')).toBe(
      'redis-0: AUTH failed: WRONGPASS invalid username-password pair or user is disabled. (password from REDISCLI_AUTH); check the password and --user',
    );
  });

  test('an ACL user without the rights: NOPERM names what it needs', async () => {
    const access = { user: 'viewer', password: 'viewer-pass' };
    const fault = accessFault(await answer(redis.socket, ['cluster', 'nodes'], access), access);
    expect(fault?.kind).toBe('noperm');
    expect(accessFaultMessage([fault!])).toMatch(/NOPERM .*; the ACL user needs \+cluster\|nodes and \+info$/);
  });

  test('the right password: no fault; a password Redis does not want: a note, no fault', async () => {
    const access = { password: PASSWORD };
    expect(accessFault(await answer(redis.socket, ['info', 'replication'], access), access)).toBeUndefined();
    const needless = await answer(open.socket, ['info', 'replication'], access);
    expect(accessFault(needless, access)).toBeUndefined();
    expect(needlessPassword(needless)).toMatch(/^ERR AUTH <password> called without any password configured/);
    expect(needless.stdout).toContain('role:master');
  });

  /** Pods whose Redis is the socket's: exec runs here, `-p PORT` pointed at the socket. */
  function socketTopology(socket: string, logs: string): StartedTopology {
    const pod = (name: string) => ({ name, node: 0, ip: '10.42.0.5', hostIP: '', hostNetwork: false, generation: 1 });
    return {
      id: 'shop',
      provider: 'kubeconfig',
      profile: 'as-found',
      nodes: [],
      services: [],
      loadBalancers: [],
      pods: () => [pod('redis-0'), pod('redis-1')],
      exec: async (_t: ExecTarget, argv: string[], opts?: { input?: string }) => {
        if (argv[0] === 'cat') {
          return { exitCode: 0, stdout: proc, stderr: '', durationMs: 1 };
        }
        if (argv[0] !== 'redis-cli' && argv[0] !== 'sh') {
          return { exitCode: 127, stdout: '', stderr: `${argv[0]}: not found`, durationMs: 1 };
        }
        const at = argv.indexOf('-p');
        return run([...argv.slice(0, at), '-s', socket, ...argv.slice(at + 2)], { reject: false, input: opts?.input });
      },
      logs: async () => logs,
    } as unknown as StartedTopology;
  }

  test('every pod refuses: collect stops with the fix and writes nothing, not even the dir', async () => {
    const dir = join(scratch, 'refused');
    const run_ = collectFromCluster(socketTopology(redis.socket, ''), { dir, port: 6379 });
    await expect(run_).rejects.toThrow(UsageError);
    await expect(run_).rejects.toThrow(/^redis-0, redis-1 answered "NOAUTH .*; see 'rcnc collect --help'$/);
    expect(existsSync(dir)).toBe(false);
  });

  test('with the password: the views are read, and the password is in no file written', async () => {
    const dir = join(scratch, 'let-in');
    const log = `1:M 01 Jan 2025 00:00:00.000 * a client sent AUTH ${PASSWORD}\n`;
    const got = await collectFromCluster(socketTopology(redis.socket, log), {
      dir,
      port: 6379,
      access: { password: PASSWORD },
    });
    expect(got.files).toContain('redis-0.info-replication.txt');
    expect(await readFile(join(dir, 'redis-1.info-replication.txt'), 'utf8')).toContain('role:master');
    expect(await readFile(join(dir, 'redis-0.log.txt'), 'utf8')).toBe(
      '1:M 01 Jan 2025 00:00:00.000 * a client sent AUTH <redacted>\n',
    );
    for (const f of await readdir(dir)) {
      expect(await readFile(join(dir, f), 'utf8'), f).not.toContain(PASSWORD);
    }
  });
});

describe('TLS answers', () => {
  const failed = (stderr: string): CliAnswer => ({ pod: 'redis-0', exitCode: 1, stdout: '', stderr });

  test('a TLS port asked without TLS: the fix names --tls-dir at Bitnami’s mount and --tls-secret', () => {
    // Its AUTH first fails on the closed connection (I/O error), then the command says why.
    const fault = accessFault(failed('I/O error\n\nI/O error\nError: Connection reset by peer\n'));
    expect(fault?.kind).toBe('needs-tls');
    expect(accessFaultMessage([fault!])).toBe(
      'redis-0 closed the connection ("Error: Connection reset by peer"): the port may want TLS; pass --tls-dir /opt/bitnami/redis/certs (where Bitnami\'s chart mounts its certificates), --tls-secret NAME, or --cacert FILE',
    );
  });

  test('a CA that does not match, a missing client certificate: TLS failed, with redis-cli’s words', () => {
    const tls = { tls: { ca: 'x' } };
    const verify = 'Could not connect to Redis at 127.0.0.1:6379: SSL_connect failed: certificate verify failed\n';
    expect(accessFault(failed(verify), tls)).toEqual({ kind: 'tls-failed', pod: 'redis-0', detail: verify.trim() });
    expect(accessFault(failed('\nI/O error\n'), tls)?.kind).toBe('tls-failed');
    // Without TLS asked for, a refused connection is not about TLS.
    expect(accessFault(failed('Could not connect to Redis at 127.0.0.1:6379: Connection refused\n'))).toBeUndefined();
  });

  test('no sh in the container: says why sh is needed', () => {
    const fault = accessFault({
      pod: 'redis-0',
      exitCode: 127,
      stdout: '',
      stderr: 'exec: "sh": executable file not found in $PATH\n',
    });
    expect(fault?.kind).toBe('no-sh');
  });
});
