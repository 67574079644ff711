// Packet capture with tcpdump in another network namespace (or any argv prefix that enters one).
// Discipline from cilium's sniffer (style.md example 10): tcpdump runs under `timeout`, writes a
// pcap file, counts as live only once it printed `listening on`, and is stopped exactly once.
//
// How long a tcpdump can live — the bound:
// - normally until `stop()` (SIGINT, then SIGKILL to its process group after STOP_GRACE_MS);
// - if this process exits without stopping it (a forgotten capture, `process.exit` from a signal
//   handler such as trackForSignals'), the 'exit' hook below SIGKILLs it;
// - lab teardown kills every process in the lab's namespaces, this one included;
// - if this process is SIGKILLed, `timeout` still ends tcpdump after `maxSeconds`.
// So no tcpdump outlives its capture by more than `maxSeconds` in the worst case.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ProbeError, UsageError } from '../util/errors.ts';
import { run } from '../util/exec.ts';
import { waitFor } from '../util/wait.ts';
import type { Capture, CaptureOptions, CaptureResult } from './provider.ts';

/** How long tcpdump may take to print `listening on` before the start counts as failed. */
export const READY_TIMEOUT_MS = 5000;
/** How long tcpdump gets to flush and exit after SIGINT before its process group is SIGKILLed. */
export const STOP_GRACE_MS = 3000;
// GNU timeout exits 124 when the command timed out.
const TIMED_OUT = 124;
// Only the tail of stderr matters for errors; a chatty tcpdump must not grow memory.
const STDERR_KEEP = 16_384;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    // detached: the child leads its own process group (timeout also calls setpgid(0,0)), so the
    // negative pid reaches timeout and tcpdump together.
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a kill is, waiting is not possible here.
  process.on('exit', () => {
    for (const child of live) {
      killGroup(child, 'SIGKILL');
    }
  });
}

/** The argv that runs the capture (exported for tests and for the report's "how was this taken"). */
export function tcpdumpArgv(prefix: string[], opts: CaptureOptions, file: string): string[] {
  return [
    ...prefix,
    'timeout',
    String(opts.maxSeconds),
    'tcpdump',
    '-i',
    opts.iface ?? 'any',
    '-nn',
    '-U',
    // Without immediate mode libpcap (TPACKET_V3) hands packets over in blocks retired after up to
    // a second; packets still in an open block when SIGINT arrives never reach the file (seen in
    // the lab: a PING/PONG right before stop() left 0 of 10 packets), which would make "the
    // endpoint saw no packet" lie.
    '--immediate-mode',
    '-w',
    file,
    ...(opts.maxPackets ? ['-c', String(opts.maxPackets)] : []),
    ...opts.filter.split(/\s+/).filter(Boolean),
  ];
}

function validate(opts: CaptureOptions & { dir: string }): void {
  if (!NAME.test(opts.name)) {
    throw new UsageError(
      `capture name "${opts.name}" must be 1-100 letters, digits, '.', '_' or '-' (it names the pcap file)`,
    );
  }
  if (!Number.isInteger(opts.maxSeconds) || opts.maxSeconds < 1) {
    throw new UsageError(`capture ${opts.name}: maxSeconds must be a positive whole number, got ${opts.maxSeconds}`);
  }
  if (opts.maxPackets !== undefined && (!Number.isInteger(opts.maxPackets) || opts.maxPackets < 1)) {
    throw new UsageError(`capture ${opts.name}: maxPackets must be a positive whole number, got ${opts.maxPackets}`);
  }
}

const tail = (s: string, lines = 4) => s.trim().split('\n').slice(-lines).join(' | ');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running tcpdump: its stderr tail and how it ended, once it has. */
interface TcpdumpProcess {
  child: ChildProcess;
  argv: string[];
  stderr: () => string;
  exit: () => Exit | undefined;
  spawnError: () => Error | undefined;
  exited: Promise<void>;
}

function spawnTcpdump(argv: string[]): TcpdumpProcess {
  installExitHook();
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
    env: { ...process.env, LC_ALL: 'C' },
  });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  let exit: Exit | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      spawnError = e;
      live.delete(child);
      resolve();
    });
  });
  return { child, argv, stderr: () => stderr, exit: () => exit, spawnError: () => spawnError, exited };
}

/** Resolves once tcpdump printed `listening on`; kills it and rejects when it never does. */
async function awaitListening(proc: TcpdumpProcess, name: string): Promise<void> {
  const argv = proc.argv.join(' ');
  try {
    await waitFor({
      target: `tcpdump for capture "${name}" to print 'listening on'`,
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 10,
      isFatal: (e) => e instanceof ProbeError,
      check: async () => {
        if (proc.stderr().includes('listening on')) {
          return { done: true, state: 'listening' };
        }
        const spawnError = proc.spawnError();
        if (spawnError) {
          throw new ProbeError(`could not run ${argv}: ${spawnError.message}`, { cause: spawnError });
        }
        const exit = proc.exit();
        if (exit) {
          const how = exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`;
          throw new ProbeError(
            `tcpdump for capture "${name}" exited (${how}) before it was listening: ${tail(proc.stderr()) || '(no stderr)'}; argv: ${argv}`,
          );
        }
        return { done: false, state: `stderr: ${tail(proc.stderr(), 2) || '(empty)'}` };
      },
    });
  } catch (e) {
    killGroup(proc.child, 'SIGKILL');
    await proc.exited;
    if (e instanceof ProbeError) {
      throw e;
    }
    throw new ProbeError(`${(e as Error).message}; argv: ${argv}`, { cause: e });
  }
}

/** Ends the capture (unless it already ended), then reads the pcap back as text. */
async function stopTcpdump(
  proc: TcpdumpProcess,
  prefix: string[],
  opts: CaptureOptions,
  file: string,
): Promise<CaptureResult> {
  const ranOut = proc.exit() !== undefined;
  if (!ranOut) {
    // SIGINT goes to `timeout` (what `ip netns exec` exec'd into), which forwards it to tcpdump;
    // tcpdump then flushes the pcap and exits 0.
    try {
      process.kill(proc.child.pid!, 'SIGINT');
    } catch {
      /* exited in between */
    }
    const timer = setTimeout(() => killGroup(proc.child, 'SIGKILL'), STOP_GRACE_MS);
    await proc.exited;
    clearTimeout(timer);
  }
  const endedBy = proc.exit();
  // Not only when it ran out before stop(): tcpdump can be gone while `timeout` is not reaped yet,
  // and GNU timeout exits 124 once its bound fired even if our SIGINT reached it afterwards.
  if (endedBy?.code === TIMED_OUT) {
    throw new ProbeError(
      `capture "${opts.name}" hit its bound of ${opts.maxSeconds}s before stop(); packets after that are missing ` +
        `(the pcap is ${file}). Raise maxSeconds or stop it sooner.`,
    );
  }
  if (ranOut && endedBy?.code !== 0) {
    const how = endedBy?.code != null ? `code ${endedBy.code}` : `signal ${endedBy?.signal}`;
    throw new ProbeError(
      `tcpdump for capture "${opts.name}" died (${how}) before stop(): ${tail(proc.stderr()) || '(no stderr)'}`,
    );
  }
  return readCapture(prefix, file);
}

/**
 * Starts tcpdump through `prefix` (e.g. `['ip','netns','exec','rcnc-abc123-n0']`) writing
 * `<dir>/<name>.pcap`. Resolves once tcpdump is listening, so traffic started afterwards is seen.
 */
export async function startTcpdump(prefix: string[], opts: CaptureOptions & { dir: string }): Promise<Capture> {
  validate(opts);
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const file = join(opts.dir, `${opts.name}.pcap`);
  if (existsSync(file)) {
    throw new UsageError(`a capture named "${opts.name}" already exists in ${opts.dir}; capture names must be unique`);
  }
  const proc = spawnTcpdump(tcpdumpArgv(prefix, opts, file));
  await awaitListening(proc, opts.name);
  let stopping: Promise<CaptureResult> | undefined;
  return {
    name: opts.name,
    stop: () => (stopping ??= stopTcpdump(proc, prefix, opts, file)),
  };
}

/**
 * `tcpdump -r <file> -nn -tt -v`. Read through the same prefix when possible: with `-i any` the
 * pcap stores interface *indexes* and tcpdump names them with if_indextoname() of the namespace
 * it runs in, so reading in the root namespace would print root's interface names. When the
 * namespace is gone already, the addresses are still right; the interface names may not be.
 */
export async function readCapture(prefix: string[], file: string): Promise<CaptureResult> {
  const size = await stat(file).then(
    (s) => s.size,
    () => -1,
  );
  if (size <= 0) {
    throw new ProbeError(`capture file ${file} is ${size < 0 ? 'missing' : 'empty'}: tcpdump never wrote its header`);
  }
  const read = ['tcpdump', '-r', file, '-nn', '-tt', '-v'];
  let r = await run([...prefix, ...read], { reject: false, timeoutMs: 30_000 });
  if (r.exitCode !== 0 && prefix.length > 0 && /Cannot open network namespace|No such file/i.test(r.stderr)) {
    r = await run(read, { reject: false, timeoutMs: 30_000 });
  }
  // A capture killed mid-write ends in a partial record; tcpdump prints everything before it.
  if (r.exitCode !== 0 && !/truncated dump file/.test(r.stderr)) {
    throw new ProbeError(`could not read capture ${file}: ${tail(r.stderr) || `exit ${r.exitCode}`}`);
  }
  return { file, text: r.stdout };
}
