// The pod-name check every provider shares: DNS labels within the provider's length, each once.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { checkPodNames, isDnsLabel } from './pod-names.ts';

describe('isDnsLabel', () => {
  test('lower-case letters, digits and inner hyphens, at most 63 chars or the given bound', () => {
    expect(isDnsLabel('redis-0')).toBe(true);
    expect(isDnsLabel('a')).toBe(true);
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    expect(isDnsLabel('a'.repeat(41), 40)).toBe(false);
    expect(isDnsLabel('a'.repeat(64), 100)).toBe(false);
    for (const bad of ['', 'Redis-0', '-redis', 'redis-', 'redis_0', 'redis.0']) {
      expect(isDnsLabel(bad), bad).toBe(false);
    }
  });
});

describe('checkPodNames', () => {
  test('returns the names when every one is a label within the bound, used once', () => {
    expect(checkPodNames([{ name: 'redis-0' }, { name: 'client' }], 32)).toEqual(new Set(['redis-0', 'client']));
  });

  test('names the first pod that is not a label within the bound', () => {
    const long = 'a'.repeat(33);
    expect(() => checkPodNames([{ name: 'ok' }, { name: long }], 32)).toThrow(
      new UsageError(`pod name "${long}" is not a DNS label of at most 32 chars`),
    );
    expect(() => checkPodNames([{ name: 'Redis' }], 56)).toThrow(
      'pod name "Redis" is not a DNS label of at most 56 chars',
    );
    expect(() => checkPodNames([{ name: 'Redis' }], 56)).toThrow(UsageError);
  });

  test('refuses a name used twice', () => {
    expect(() => checkPodNames([{ name: 'redis-0' }, { name: 'redis-0' }], 32)).toThrow(
      new UsageError('pod name "redis-0" is used twice'),
    );
  });
});
