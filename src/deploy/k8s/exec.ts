// Running argv in a pod container through the API server (client-node Exec), with the exit code.
//
// client-node's Exec resolves when the web socket *opens*, not when the command ends (client-node
// issues #704, #162). The command's end is the status frame (channel 3), after which the handler
// ends the output streams and closes the socket; a socket that closes without one means the pod
// went away or the connection dropped, and the exit code is unknown (docs/kubernetes.md#commands-in-pods).
import { Exec, type V1Status } from '@kubernetes/client-node';
import { Readable, Writable } from 'node:stream';
import { CommandError } from '../../util/exec.ts';
import type { ExecOptions, ExecResult } from '../provider.ts';

export interface PodExecRequest {
  namespace: string;
  pod: string;
  container: string;
  argv: string[];
  input?: string | Buffer;
  timeoutMs?: number;
  /** Receives stdout instead of it being collected (binary streams such as a pcap). */
  stdoutSink?: Writable;
  /** Sees every stderr chunk as it arrives (e.g. to notice tcpdump's "listening on"). */
  onStderr?: (text: string) => void;
}

export interface PodExecOutcome {
  /** undefined when the socket closed without a status frame or the call timed out. */
  exitCode: number | undefined;
  status?: V1Status;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** Exit code 124 is what `timeout(1)` and util/exec.ts report for a command that ran too long. */
export const TIMEOUT_EXIT_CODE = 124;
/** Like ssh's 255: the transport failed, so the command's own exit code is unknown. */
export const NO_STATUS_EXIT_CODE = 255;

const DEFAULT_TIMEOUT_MS = 30_000;
// ws's readyState for a closed socket.
const CLOSED = 3;

/**
 * The command's exit code from the status frame. `Failure` without an ExitCode cause means the
 * runtime could not start the command at all; shells use 127 for "not found" and 126 for "found
 * but not runnable", and so does this, so callers can tell "no such tool" from a real failure.
 */
export function exitCodeFromStatus(status: V1Status): number {
  if (status.status === 'Success') {
    return 0;
  }
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  if (cause && Number.isInteger(code)) {
    return code;
  }
  return /executable file not found|no such file or directory|not found/i.test(status.message ?? '') ? 127 : 126;
}

function collector(onChunk?: (text: string) => void) {
  const chunks: Buffer[] = [];
  // A Writable whose write() stores synchronously: everything written before the socket's close
  // event is in `chunks` when the close handler runs (a PassThrough would deliver it later).
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      onChunk?.(chunk.toString('utf8'));
      cb();
    },
  });
  // A frame after the status frame would be a write after end(); it carries nothing we need.
  stream.on('error', () => {});
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function execInPod(exec: Exec, req: PodExecRequest): Promise<PodExecOutcome> {
  const started = performance.now();
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const out = collector();
  const err = collector(req.onStderr);
  let status: V1Status | undefined;
  const stdin = req.input === undefined ? null : Readable.from([Buffer.from(req.input)]);
  const ws = await exec.exec(
    req.namespace,
    req.pod,
    req.container,
    req.argv,
    req.stdoutSink ?? out.stream,
    err.stream,
    stdin,
    false,
    (s) => {
      status = s;
    },
  );
  let timedOut = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      ws.close();
      resolve();
    }, timeoutMs);
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    if (ws.readyState === CLOSED) {
      clearTimeout(timer);
      resolve();
    }
  });
  // Without a status frame nobody ended the streams; a file sink must be closed either way.
  if (req.stdoutSink && !req.stdoutSink.writableEnded) {
    req.stdoutSink.end();
  }
  return {
    exitCode: status && !timedOut ? exitCodeFromStatus(status) : undefined,
    status,
    stdout: out.text(),
    stderr: err.text(),
    durationMs: performance.now() - started,
    timedOut,
  };
}

/**
 * The provider-contract result for an outcome: a timeout is 124, a close without status 255, and
 * the reason is appended to stderr; a non-zero exit throws a CommandError unless `reject: false`.
 */
export function toExecResult(outcome: PodExecOutcome, argv: string[], opts: ExecOptions = {}): ExecResult {
  let exitCode = outcome.exitCode;
  let stderr = outcome.stderr;
  if (outcome.timedOut) {
    exitCode = TIMEOUT_EXIT_CODE;
    stderr = `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS}ms\n${stderr}`;
  } else if (exitCode === undefined) {
    exitCode = NO_STATUS_EXIT_CODE;
    stderr += 'exec ended without an exit status (the pod was deleted or the API server connection dropped)\n';
  } else if (outcome.status?.status !== 'Success' && !outcome.status?.details?.causes?.length) {
    // The runtime's own error (e.g. executable not found) is in the status, not in stderr.
    stderr += `${outcome.status?.message ?? 'exec failed'}\n`;
  }
  const result: ExecResult = { exitCode, stdout: outcome.stdout, stderr, durationMs: outcome.durationMs };
  if (exitCode !== 0 && opts.reject !== false) {
    throw new CommandError(argv, result);
  }
  return result;
}
