// Phase timings of a cell: how long each step took, in ms, for results.json and the bench.
export function phaseTimer(onPhase?: (name: string) => void) {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  let mark = t0;
  return {
    timings,
    /** Closes the phase that ran since the previous call. */
    phase(name: string): void {
      const now = performance.now();
      timings[name] = Math.round(now - mark);
      mark = now;
      onPhase?.(name);
    },
    /** Every phase plus the total since the timer started. */
    all(): Record<string, number> {
      return { ...timings, total: Math.round(performance.now() - t0) };
    },
  };
}
