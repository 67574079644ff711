// errorText: a cell that throws and whose teardown throws too fails with both messages, not with
// the empty message of the SuppressedError `await using` wraps them in.
import { describe, expect, test } from 'vitest';
import { errorText } from './errors.ts';

/** What `await using` gives when the body throws and so does the disposal. */
async function bothThrow(): Promise<unknown> {
  try {
    await using _topo = {
      [Symbol.asyncDispose]: () => Promise.reject(new Error('stopping node-1: kubelet did not start')),
    };
    throw new Error('redis-1 never became master within 60 s');
  } catch (e) {
    return e;
  }
}

describe('errorText', () => {
  test("a SuppressedError tells the cell's error, then the teardown's", async () => {
    const e = await bothThrow();
    expect((e as Error).message).toBe('');
    expect(errorText(e)).toBe(
      'redis-1 never became master within 60 s; then, tearing down: stopping node-1: kubelet did not start',
    );
    // As vitest hands it to the reporter: own properties serialized, nested errors as plain objects.
    const serialized: unknown = JSON.parse(JSON.stringify(e, ['message', 'name', 'error', 'suppressed']));
    expect(errorText(serialized)).toBe(errorText(e));
  });

  test('an ordinary error is its message; nothing is nothing', () => {
    expect(errorText(new Error('meet bound of 30 s passed'))).toBe('meet bound of 30 s passed');
    expect(errorText({ message: '' })).toBe('');
    expect(errorText(undefined)).toBe('');
    expect(errorText('plain')).toBe('plain');
  });
});
