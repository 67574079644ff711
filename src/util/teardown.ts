// LIFO teardown that survives failures and signals: every resource registers its undo step right
// after it is created; `run()` undoes in reverse order, keeps going past errors, and is idempotent.
export type Undo = () => Promise<void> | void;

export class Teardown {
  private readonly steps: { name: string; undo: Undo }[] = [];
  private running: Promise<void> | undefined;

  defer(name: string, undo: Undo): void {
    if (this.running) {
      throw new Error(`teardown already started; cannot defer "${name}"`);
    }
    this.steps.push({ name, undo });
  }

  run(): Promise<void> {
    this.running ??= this.runOnce();
    return this.running;
  }

  private async runOnce(): Promise<void> {
    const errors: Error[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.undo();
      } catch (e) {
        errors.push(new Error(`teardown step "${step.name}" failed: ${(e as Error).message}`, { cause: e }));
      }
    }
    if (errors.length === 1) {
      throw errors[0];
    }
    if (errors.length > 1) {
      throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
    }
  }
}

// Started resources register here so the process tears them down before it exits: on SIGINT or
// SIGTERM, and, in a worker forked by the test runner, when its parent goes away (the IPC channel
// closes even when the parent was SIGKILLed). Once shutdown begins no new resource may start.
// Kept on globalThis: a test runner may evaluate this module more than once in one process (a
// setup file and a test file each get their own module graph), and every copy must share one
// registry, or the first copy to see a signal exits before another copy's labs are torn down.
interface ShutdownState {
  live: Set<{ stop(): Promise<void> }>;
  installed: boolean;
  shuttingDown?: string;
}
const STATE_KEY = Symbol.for('rcnc.shutdown');
const shared = globalThis as Record<symbol, ShutdownState | undefined>;
const state: ShutdownState = (shared[STATE_KEY] ??= { live: new Set(), installed: false });
const live = state.live;

// A hung step must not keep a signalled process alive forever, but a 100-pod lab on a loaded
// machine takes tens of seconds to delete its namespaces; what a cut-short teardown leaves is
// swept by `rcnc clean`.
const TEARDOWN_BOUND_MS = 60_000;

/** Why the process is shutting down, or undefined while it is not. */
export const shutdownReason = (): string | undefined => state.shuttingDown;

function shutdown(reason: string, code: number, again: 'exit-now' | 'ignore' = 'exit-now'): void {
  if (state.shuttingDown) {
    // A second signal while tearing down means "now": exit without waiting.
    if (again === 'exit-now') {
      process.exit(code);
    }
    return;
  }
  state.shuttingDown = reason;
  const all = [...live].reverse();
  live.clear();
  const bounded = Promise.race([
    Promise.allSettled(all.map((r) => r.stop())),
    new Promise((resolve) => setTimeout(resolve, TEARDOWN_BOUND_MS).unref()),
  ]);
  void bounded.then(() => exitProcess(code));
}

/**
 * process.exit, or the end of the process all the same where a test runner refuses it: vitest's
 * workers replace process.exit with one that throws while a test runs, and a worker whose runner
 * was SIGKILLed then lingered with whatever still held its event loop. Everything is torn down by
 * now, so nothing is lost by the harder way out.
 */
function exitProcess(code: number): void {
  try {
    process.exit(code);
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}

/** Installs the handlers once; safe to call from every resource and from a worker's setup file. */
export function installShutdownHooks(): void {
  if (state.installed) {
    return;
  }
  state.installed = true;
  process.on('SIGINT', () => shutdown('SIGINT', 130));
  process.on('SIGTERM', () => shutdown('SIGTERM', 143));
  if (process.connected) {
    const parentGone = () => shutdown('the process that started this worker went away', 143, 'ignore');
    process.once('disconnect', parentGone);
    // A forked test worker exits at the first send that fails on the closed channel (its own
    // 'error' handler), before 'disconnect' is even seen; that handler is replaced by one that
    // tears the labs down first.
    process.removeAllListeners('error');
    process.on('error', (e: NodeJS.ErrnoException) => {
      if (e?.code === 'ERR_IPC_CHANNEL_CLOSED' || e?.code === 'EPIPE') {
        parentGone();
      }
    });
  }
}

export function trackForSignals(resource: { stop(): Promise<void> }): () => void {
  installShutdownHooks();
  live.add(resource);
  return () => live.delete(resource);
}
