// The in-process RESP client against a real redis-server on a unix socket (no network at all).
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { waitFor } from '../util/wait.ts';
import { renderReply, respCall, RespError, respPipeline } from './resp.ts';

const hasRedis =
  (await execa('redis-server', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;

describe.skipIf(!hasRedis)('RESP over a unix socket', () => {
  let dir: string;
  let socket: string;
  let server: ReturnType<typeof execa>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcnc-resp-test-'));
    socket = join(dir, 'redis.sock');
    server = execa('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--dir', dir], {
      reject: false,
    });
    await waitFor({
      target: `redis-server to answer PING on ${socket}`,
      timeoutMs: 10_000,
      intervalMs: 20,
      check: async () => {
        const reply = await respCall(socket, ['PING'], 500).catch((e: Error) => e.message);
        return { done: reply === 'PONG', state: String(reply) };
      },
    });
  });
  afterAll(async () => {
    server.kill('SIGKILL');
    await server;
    await rm(dir, { recursive: true, force: true });
  });

  test('a pipeline gets every reply, in the order sent, errors included', async () => {
    const commands = [
      ['SET', 'k', 'v'],
      ['GET', 'k'],
      ['NOSUCHCOMMAND'],
      ['RPUSH', 'l', 'a', 'b'],
      ['LRANGE', 'l', '0', '-1'],
    ];
    const replies = await respPipeline(socket, commands);
    expect(replies.slice(0, 2)).toEqual(['OK', 'v']);
    expect(replies[2]).toBeInstanceOf(RespError);
    expect(renderReply(replies[2]!)).toMatch(/^ERR unknown command 'NOSUCHCOMMAND'/);
    expect(replies.slice(3)).toEqual([2, ['a', 'b']]);
  });

  test('a thousand commands in one write come back whole (replies split over reads)', async () => {
    const n = 1000;
    const replies = await respPipeline(
      socket,
      Array.from({ length: n }, (_, i) => ['ECHO', `${i}-${'x'.repeat(100)}`]),
    );
    expect(replies).toHaveLength(n);
    expect(replies.every((r, i) => r === `${i}-${'x'.repeat(100)}`)).toBe(true);
  });

  test('a socket nobody listens on is refused', async () => {
    await expect(respCall(join(dir, 'nobody.sock'), ['PING'])).rejects.toThrow(/ENOENT|ECONNREFUSED/);
  });
});
