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

// Started resources register here so SIGINT/SIGTERM tear them down before the process exits.
const live = new Set<{ stop(): Promise<void> }>();
let installed = false;

const onSignal = (signal: NodeJS.Signals) => {
  const code = 128 + (signal === 'SIGINT' ? 2 : 15);
  const all = [...live].reverse();
  live.clear();
  // A second signal while tearing down means "now": exit without waiting.
  process.once(signal, () => process.exit(code));
  const bounded = Promise.race([
    Promise.allSettled(all.map((r) => r.stop())),
    new Promise((resolve) => setTimeout(resolve, 20_000).unref()),
  ]);
  void bounded.then(() => process.exit(code));
};

export function trackForSignals(resource: { stop(): Promise<void> }): () => void {
  if (!installed) {
    installed = true;
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  live.add(resource);
  return () => live.delete(resource);
}
