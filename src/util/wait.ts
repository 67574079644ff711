import { WaitTimeoutError } from './errors.ts';

export interface Probe<T> {
  /** Describes what is awaited, e.g. "redis-0 cluster_state=ok". */
  target: string;
  /** Reads the current state; `done` ends the wait, `state` is reported if the wait times out. */
  check: () => Promise<{ done: boolean; state: string; value?: T }>;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Errors from `check` for which waiting longer cannot help (e.g. the process has exited). */
  isFatal?: (e: unknown) => boolean;
}

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      return reject(signal.reason);
    }
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/**
 * Polls a condition until it holds. Errors thrown by `check` count as "not yet" (a process may
 * not be listening yet) and are reported as the last state if time runs out.
 */
export async function waitFor<T = undefined>(probe: Probe<T>): Promise<{ value: T | undefined; elapsedMs: number }> {
  const start = performance.now();
  const interval = probe.intervalMs ?? 50;
  let last = 'not checked yet';
  let lastError: unknown;
  for (;;) {
    try {
      const r = await probe.check();
      if (r.done) {
        return { value: r.value, elapsedMs: performance.now() - start };
      }
      last = r.state;
      lastError = undefined;
    } catch (e) {
      if (probe.isFatal?.(e)) {
        throw e;
      }
      lastError = e;
      last = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    }
    const elapsed = performance.now() - start;
    if (elapsed >= probe.timeoutMs) {
      throw new WaitTimeoutError(probe.target, probe.timeoutMs, last, { cause: lastError });
    }
    await delay(Math.min(interval, probe.timeoutMs - elapsed), probe.signal);
  }
}
