// The cell pool: cells of a run share the machine side by side, each in its own lab, at most
// `width` at a time. A cell that measures timing-sensitive figures (a client's error window
// during a failover) asks to run alone: it waits until every running cell is done and holds the
// whole pool while it runs. The pool is process-wide (one per worker), whatever copy of this
// module a test file loaded.
import { availableParallelism, totalmem } from 'node:os';
import { RcncError } from '../util/errors.ts';

interface Waiter {
  exclusive: boolean;
  /** Places the cell asks for; it takes at most the pool's width. */
  slots: number;
  start: (taken: number) => void;
}

class CellPool {
  private running = 0;
  private exclusiveRunning = false;
  private readonly queue: Waiter[] = [];

  constructor(public width: number) {}

  /**
   * Runs `fn` once a slot is free. `budgetMs` bounds the cell from the moment it starts, not while
   * it waits for a slot: a cell queued behind others must not run out of time before it begins.
   */
  async run<T>(
    fn: () => Promise<T>,
    opts: { exclusive?: boolean; slots?: number; budgetMs?: number; name?: string } = {},
  ): Promise<T> {
    const exclusive = opts.exclusive === true;
    const slots = await new Promise<number>((start) => {
      this.queue.push({ exclusive, slots: Math.max(1, opts.slots ?? 1), start });
      this.pump();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!opts.budgetMs) {
        return await fn();
      }
      const budget = opts.budgetMs;
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new CellTimeoutError(`${opts.name ?? 'the cell'} did not finish within ${budget} ms of starting`)),
            budget,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.running -= slots;
      this.exclusiveRunning &&= !exclusive;
      this.pump();
    }
  }

  /**
   * Starts queued cells in order; one at the head that does not fit (exclusive, or more slots than
   * are free) blocks those behind it. A cell wider than the pool takes the whole pool.
   */
  private pump(): void {
    while (this.queue.length) {
      const head = this.queue[0]!;
      const slots = Math.min(head.slots, this.width);
      const fits = head.exclusive ? this.running === 0 : !this.exclusiveRunning && this.running + slots <= this.width;
      if (!fits) {
        return;
      }
      this.queue.shift();
      this.running += slots;
      this.exclusiveRunning = head.exclusive;
      head.start(slots);
    }
  }
}

export class CellTimeoutError extends RcncError {}
Object.defineProperty(CellTimeoutError.prototype, 'name', { value: 'CellTimeoutError', enumerable: false });

const KEY = Symbol.for('rcnc.cell-pool');
const shared = globalThis as Record<symbol, CellPool | undefined>;

/**
 * A provider's own gate: at most `width` of its topologies at once in this process, whatever the
 * pool's width (testcontainers, for one, keeps one runtime per process).
 */
export function providerGate(provider: string, width: number): CellPool {
  const key = Symbol.for(`rcnc.provider-gate.${provider}`);
  const gates = globalThis as Record<symbol, CellPool | undefined>;
  return (gates[key] ??= new CellPool(width));
}

/** The process's pool, sized on first use (later calls may resize it). */
export function cellPool(width: number): CellPool {
  const pool = (shared[KEY] ??= new CellPool(width));
  pool.width = width;
  return pool;
}

/**
 * How many cells run side by side when the run does not say: lab cells spend most of their time
 * waiting on Redis timers, so a few per core keep the cores busy; each needs about 150 MB
 * (redis-servers, tcpdump, redis-cli) at most, so memory bounds it on small machines.
 */
export function defaultWidth(cores = availableParallelism(), memoryBytes = totalmem()): number {
  return Math.max(1, Math.min(cores * 3, Math.floor(memoryBytes / (512 * 1024 * 1024)), 12));
}
