// The Exec helper against a fake API-server web socket: the real client-node Exec and
// WebSocketHandler run unchanged; only the socket underneath is scripted, frame by frame, the way
// the API server's channel protocol sends them (1 stdout, 2 stderr, 3 status).
import { Exec, KubeConfig } from '@kubernetes/client-node';
// Not re-exported by the package index; it is the handler Exec uses when given none.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import { CommandError } from '../../util/exec.ts';
import { execInPod, exitCodeFromStatus, NO_STATUS_EXIT_CODE, toExecResult } from './exec.ts';

class FakeSocket extends EventEmitter {
  onopen?: () => void;
  onmessage?: (ev: { data: unknown }) => void;
  onerror?: (e: unknown) => void;
  readyState = 0;
  protocol = 'v5.channel.k8s.io';
  readonly sent: Buffer[] = [];
  closeCalls = 0;
  constructor(readonly uri: string) {
    super();
  }
  send(b: Buffer) {
    this.sent.push(Buffer.from(b));
  }
  close() {
    this.closeCalls++;
    if (this.readyState === 3) {
      return;
    }
    this.readyState = 3;
    setImmediate(() => this.emit('close', 1000, ''));
  }
  // --- the server's side ---
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(channel: number, data: string) {
    this.onmessage?.({ data: Buffer.concat([Buffer.from([channel]), Buffer.from(data)]) });
  }
  /** The connection drops: no status frame, just a close. */
  drop() {
    this.readyState = 3;
    this.emit('close', 1006, '');
  }
}

type Factory = NonNullable<ConstructorParameters<typeof WebSocketHandler>[1]>;

function fakeCluster(script: (s: FakeSocket) => void) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://api.test:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const sockets: FakeSocket[] = [];
  const factory = ((uri: string) => {
    const s = new FakeSocket(uri);
    sockets.push(s);
    setImmediate(() => {
      s.open();
      // Frames arrive after Exec's promise has resolved, as they do over a real connection.
      setTimeout(() => script(s), 5);
    });
    return s;
  }) as unknown as Factory;
  return { exec: new Exec(kc, new WebSocketHandler(kc, factory)), sockets };
}

const req = { namespace: 'ns', pod: 'redis-0', container: 'main', argv: ['redis-cli', '-p', '6379', 'ping'] };

describe('execInPod', () => {
  test('collects stdout and stderr and reads exit 0 from a Success status', async () => {
    const { exec, sockets } = fakeCluster((s) => {
      s.frame(1, 'PO');
      s.frame(2, 'warning: x\n');
      s.frame(1, 'NG\n');
      s.frame(3, JSON.stringify({ metadata: {}, status: 'Success' }));
    });
    const r = await execInPod(exec, req);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'PONG\n', stderr: 'warning: x\n', timedOut: false });
    // The command went to the pod's exec endpoint as repeated command= parameters (argv, no shell).
    const url = new URL(sockets[0]!.uri);
    expect(url.pathname).toBe('/api/v1/namespaces/ns/pods/redis-0/exec');
    expect(url.searchParams.getAll('command')).toEqual(['redis-cli', '-p', '6379', 'ping']);
    expect(url.searchParams.get('container')).toBe('main');
    expect(toExecResult(r, req.argv)).toMatchObject({ exitCode: 0, stdout: 'PONG\n' });
  });

  test('reads a non-zero exit code from the NonZeroExitCode status', async () => {
    const { exec } = fakeCluster((s) => {
      s.frame(2, 'Could not connect to Redis at 127.0.0.1:6379: Connection refused\n');
      s.frame(
        3,
        JSON.stringify({
          status: 'Failure',
          message: 'command terminated with non-zero exit code: error executing command [redis-cli], exit code 1',
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: '1' }] },
        }),
      );
    });
    const r = await execInPod(exec, req);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Connection refused');
    expect(() => toExecResult(r, req.argv)).toThrow(CommandError);
    expect(toExecResult(r, req.argv, { reject: false })).toMatchObject({ exitCode: 1 });
  });

  test('a command the runtime cannot start maps to 127 with the reason in stderr', async () => {
    const message =
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "ss": executable file not found in $PATH: unknown';
    const { exec } = fakeCluster((s) => s.frame(3, JSON.stringify({ status: 'Failure', message })));
    const r = toExecResult(await execInPod(exec, { ...req, argv: ['ss', '-tan'] }), ['ss', '-tan'], { reject: false });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('executable file not found');
  });

  test('a socket that closes without a status frame keeps the output and reports no exit code', async () => {
    const { exec } = fakeCluster((s) => {
      s.frame(1, 'partial output\n');
      s.drop();
    });
    const r = await execInPod(exec, req);
    expect(r).toMatchObject({ exitCode: undefined, stdout: 'partial output\n', timedOut: false });
    const mapped = toExecResult(r, req.argv, { reject: false });
    expect(mapped.exitCode).toBe(NO_STATUS_EXIT_CODE);
    expect(mapped.stderr).toMatch(/without an exit status/);
    expect(() => toExecResult(r, req.argv)).toThrow(/exit 255/);
  });

  test('a command that outlives its timeout is abandoned: the socket is closed and 124 reported', async () => {
    const { exec, sockets } = fakeCluster((s) => s.frame(1, 'still running\n'));
    const r = await execInPod(exec, { ...req, timeoutMs: 60 });
    expect(r).toMatchObject({ timedOut: true, exitCode: undefined, stdout: 'still running\n' });
    expect(sockets[0]!.closeCalls).toBeGreaterThan(0);
    expect(toExecResult(r, req.argv, { reject: false, timeoutMs: 60 })).toMatchObject({ exitCode: 124 });
  });

  test('input is sent on the stdin channel and closed with a v5 close frame', async () => {
    const { exec, sockets } = fakeCluster((s) => {
      setTimeout(() => s.frame(3, JSON.stringify({ status: 'Success' })), 20);
    });
    const r = await execInPod(exec, { ...req, argv: ['cat'], input: 'hello' });
    expect(r.exitCode).toBe(0);
    const sent = sockets[0]!.sent;
    expect(sent[0]).toEqual(Buffer.from([0, ...Buffer.from('hello')]));
    // 255 = close, 0 = stdin: the server sees EOF without the socket closing (k8s ≥ 1.30).
    expect(sent.at(-1)).toEqual(Buffer.from([255, 0]));
  });
});

describe('exitCodeFromStatus', () => {
  test('uses the ExitCode cause, and shell conventions when the command never started', () => {
    expect(exitCodeFromStatus({ status: 'Success' })).toBe(0);
    expect(
      exitCodeFromStatus({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '137' }] } }),
    ).toBe(137);
    expect(exitCodeFromStatus({ status: 'Failure', message: 'exec: "x": executable file not found in $PATH' })).toBe(
      127,
    );
    expect(exitCodeFromStatus({ status: 'Failure', message: 'permission denied' })).toBe(126);
  });
});
