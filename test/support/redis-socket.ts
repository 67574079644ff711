// A real redis-server on a unix socket in a temp dir (no network at all), for tests of what
// redis-cli answers: started with extra argv (e.g. --requirepass), ready once PING gets any reply.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/util/wait.ts';

export const hasRedisServer =
  (await execa('redis-server', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;

/**
 * execa options for a redis-cli that must not see rcnc's REDISCLI_AUTH: even an empty one makes it
 * send AUTH "" (and Redis answer WRONGPASS instead of NOAUTH).
 */
export const withoutAuthEnv = {
  extendEnv: false,
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDISCLI_AUTH')),
};

export interface SocketRedis extends AsyncDisposable {
  socket: string;
  stop(): Promise<void>;
}

export async function startSocketRedis(extra: string[] = []): Promise<SocketRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'rcnc-redis-socket-'));
  const socket = join(dir, 'redis.sock');
  const server = execa('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--dir', dir, ...extra], {
    reject: false,
  });
  const stop = async () => {
    server.kill('SIGKILL');
    await server;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor({
      target: `redis-server to answer on ${socket}`,
      timeoutMs: 10_000,
      intervalMs: 50,
      check: async () => {
        const r = await execa('redis-cli', ['-s', socket, 'ping'], { reject: false, ...withoutAuthEnv });
        return { done: /PONG|NOAUTH/.test(r.stdout), state: r.stdout || r.stderr };
      },
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { socket, stop, [Symbol.asyncDispose]: stop };
}
