// readSockets against a pod shaped like the official redis image (no ss, no netstat: the runtime
// answers 127), reading the real /proc/net/tcp{,6} text captured in a lab namespace at the same
// moment as the ss table (test/fixtures/README.md). Both must tell the same story.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { ExecResult } from '../deploy/provider.ts';
import { readSockets } from './socket-table.ts';
import { inbound, parseSs, type SocketEntry } from './sockets.ts';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
const key = (s: SocketEntry) =>
  `${s.state} ${s.local.ip}:${s.local.port} ${s.peer ? `${s.peer.ip}:${s.peer.port}` : '*'}`;
const res = (exitCode: number, stdout = '', stderr = ''): ExecResult => ({ exitCode, stdout, stderr, durationMs: 1 });

function redisImagePod(calls: string[][]) {
  return {
    exec: async (_t: unknown, argv: string[]) => {
      calls.push(argv);
      if (argv[0] === 'cat') {
        return res(0, fixture('proc-net-tcp-all.txt'));
      }
      return res(127, '', `exec: "${argv[0]}": executable file not found in $PATH`);
    },
  };
}

describe('readSockets', () => {
  test('falls back to /proc/net/tcp{,6} and finds the same connections ss saw', async () => {
    const calls: string[][] = [];
    const table = await readSockets(redisImagePod(calls), { pod: 'redis-0' });
    expect(calls.map((c) => c[0])).toEqual(['ss', 'netstat', 'cat']);
    expect(table.tool).toBe('proc');
    expect(table.warnings).toEqual([]);
    const ss = parseSs(fixture('ss-tan.txt')).sockets;
    expect(table.sockets).toHaveLength(ss.length);
    // The one textual difference: ss prints a dual-stack listener as '*', /proc as '::'.
    const norm = (s: SocketEntry) => key(s).replace('LISTEN :::9999', 'LISTEN 0.0.0.0:9999');
    expect(table.sockets.map(norm).sort()).toEqual(ss.map(norm).sort());
    // What the scenarios read: who is connected to 7000's bus port, from where.
    const peers = (list: SocketEntry[]) => inbound(list, 17000).map(key).sort();
    expect(peers(table.sockets).length).toBeGreaterThan(0);
    expect(peers(table.sockets)).toEqual(peers(ss));
  });

  test('uses ss when the pod has it', async () => {
    const table = await readSockets({ exec: async () => res(0, fixture('ss-tan.txt')) }, { node: 0 });
    expect(table.tool).toBe('ss');
    expect(table.sockets.length).toBeGreaterThan(0);
  });

  test('a pod without /proc access is a ProbeError that lists what was tried', async () => {
    await expect(readSockets({ exec: async () => res(1, '', 'cat: not found') }, { pod: 'x' })).rejects.toThrow(
      /cannot read the socket table of \{"pod":"x"\} \(ss: exit 1; netstat: exit 1; cat \/proc\/net\/tcp: exit 1 cat: not found\)/,
    );
  });
});
