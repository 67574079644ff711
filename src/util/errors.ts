// A small error hierarchy. Every message says what is wrong and what to do about it; `exitCode`
// is what the CLI exits with when the error reaches it.
const BRAND = Symbol.for('rcnc.error');

export class RcncError extends Error {
  readonly [BRAND] = true;
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
Object.defineProperty(RcncError.prototype, 'name', { value: 'RcncError', enumerable: false });

/** Bad input from the user: exit 2, nothing started. */
export class UsageError extends RcncError {
  override readonly exitCode = 2;
}
Object.defineProperty(UsageError.prototype, 'name', { value: 'UsageError', enumerable: false });

/** The machine lacks something the run needs (a package, a capability): exit 2. */
export class RequirementError extends RcncError {
  override readonly exitCode = 2;
}
Object.defineProperty(RequirementError.prototype, 'name', { value: 'RequirementError', enumerable: false });

/** Building or tearing down a topology failed. */
export class TopologyError extends RcncError {}
Object.defineProperty(TopologyError.prototype, 'name', { value: 'TopologyError', enumerable: false });

/** Deploying or bootstrapping Redis failed. */
export class DeployError extends RcncError {}
Object.defineProperty(DeployError.prototype, 'name', { value: 'DeployError', enumerable: false });

/** A probe could not read what it was asked to read. */
export class ProbeError extends RcncError {}
Object.defineProperty(ProbeError.prototype, 'name', { value: 'ProbeError', enumerable: false });

/** A wait ran out of time; the message names the target, the bound and the last state seen. */
export class WaitTimeoutError extends RcncError {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
    readonly lastState: string,
    options?: { cause?: unknown },
  ) {
    super(`timed out after ${timeoutMs}ms waiting for ${target} (last: ${lastState})`, options);
  }
}
Object.defineProperty(WaitTimeoutError.prototype, 'name', { value: 'WaitTimeoutError', enumerable: false });

/** Works across module copies and realms, where `instanceof` would not. */
export const isRcncError = (e: unknown): e is RcncError =>
  typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;

/** An error as vitest reports it (serialized), or a live one. */
interface ErrorLike {
  message?: unknown;
  /** SuppressedError (`await using`): the error thrown while disposing … */
  error?: unknown;
  /** … and the one it suppressed, thrown before (the cell's own). */
  suppressed?: unknown;
}

/**
 * What went wrong, in words. A SuppressedError has an empty message: when a cell throws and then a
 * teardown step throws too, `await using` reports both inside it, and the report would otherwise
 * say the cell failed "without an error message". Both messages are told, the cell's first.
 */
export function errorText(e: unknown): string {
  if (e === null || typeof e !== 'object') {
    return e === undefined ? '' : String(e);
  }
  const x = e as ErrorLike;
  const own = typeof x.message === 'string' ? x.message : '';
  if (own.trim() || !('suppressed' in x || 'error' in x)) {
    return own;
  }
  const first = errorText(x.suppressed);
  const then = errorText(x.error);
  return [first, then && `then, tearing down: ${then}`].filter(Boolean).join('; ');
}
