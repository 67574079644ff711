import { execa } from 'execa';
import { RcncError } from './errors.ts';

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  /** Resolve with a non-zero exit code instead of throwing. */
  reject?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class CommandError extends RcncError {
  constructor(
    readonly argv: string[],
    readonly result: ExecResult,
  ) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    super(`command failed (exit ${result.exitCode}): ${argv.join(' ')}${detail ? `: ${detail}` : ''}`);
  }
}
Object.defineProperty(CommandError.prototype, 'name', { value: 'CommandError', enumerable: false });

/** Runs an argv array (never a shell string) and collects its output. */
export async function run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) {
    throw new RcncError('run() needs a non-empty argv');
  }
  const started = performance.now();
  const r = await execa(file, args, {
    input: opts.input,
    timeout: opts.timeoutMs ?? 30_000,
    reject: false,
    stripFinalNewline: false,
    cleanup: true,
    env: { LC_ALL: 'C' },
  });
  const result: ExecResult = {
    exitCode: r.exitCode ?? (r.timedOut ? 124 : 1),
    stdout: String(r.stdout ?? ''),
    stderr: r.timedOut
      ? `timed out after ${opts.timeoutMs ?? 30_000}ms\n${String(r.stderr ?? '')}`
      : String(r.stderr ?? ''),
    durationMs: performance.now() - started,
  };
  if (result.exitCode !== 0 && opts.reject !== false) {
    throw new CommandError(argv, result);
  }
  return result;
}
