import { describe, expect, test } from 'vitest';
import { synGiveUpMs } from './syn-timeout.ts';

describe('synGiveUpMs', () => {
  test('classic kernels: 6 retries at 1, 2, 4, … 32 s, then the 64 s timer: 127 s', () => {
    expect(synGiveUpMs(6, 0)).toBe(127_000);
  });

  test('Linux 6.5+ with 4 linear timeouts: 1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64 s: 131 s', () => {
    // As measured in the lab: a pinned reconnect's SYNs left at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s.
    expect(synGiveUpMs(6, 4)).toBe(131_000);
  });

  test('the RTO is capped at 120 s', () => {
    // 1, 2, 4, … 64 s, then 120 s four times.
    expect(synGiveUpMs(10, 0)).toBe(607_000);
  });
});
