// The cell pool's admission: places per cell, cells wider than the pool, exclusive cells.
import { describe, expect, test } from 'vitest';
import { cellPool } from './pool.ts';

/** Runs the cells through a pool of `width`; returns the most places ever in use and who overlapped. */
async function admit(width: number, cells: { name: string; slots?: number; exclusive?: boolean }[]) {
  const pool = cellPool(width);
  let inUse = 0;
  let most = 0;
  const running = new Set<string>();
  const beside: Record<string, string[]> = {};
  await Promise.all(
    cells.map((c) =>
      pool.run(
        async () => {
          inUse += Math.min(c.slots ?? 1, width);
          most = Math.max(most, inUse);
          beside[c.name] = [...running];
          running.forEach((other) => beside[other]!.push(c.name));
          running.add(c.name);
          await new Promise((r) => setTimeout(r, 30));
          running.delete(c.name);
          inUse -= Math.min(c.slots ?? 1, width);
        },
        { ...(c.slots ? { slots: c.slots } : {}), exclusive: c.exclusive ?? false },
      ),
    ),
  );
  return { most, beside };
}

describe('cell pool', () => {
  test('a cell taking three places shares a pool of four with one ordinary cell at a time', async () => {
    const { most, beside } = await admit(4, [
      { name: 'scale-30', slots: 3 },
      { name: 'a' },
      { name: 'b' },
      { name: 'c' },
    ]);
    expect(most).toBe(4);
    expect(beside['scale-30']).toEqual(['a']);
  });

  test('a cell wider than the pool takes all of it, and runs with nothing beside it', async () => {
    const { beside } = await admit(6, [{ name: 'a' }, { name: 'scale-100', slots: 10 }, { name: 'b' }]);
    expect(beside['scale-100']).toEqual([]);
    expect(beside['a']).not.toContain('scale-100');
  });

  test('an exclusive cell runs alone; ordinary cells fill the pool', async () => {
    const { most, beside } = await admit(3, [
      { name: 'failover', exclusive: true },
      { name: 'a' },
      { name: 'b' },
      { name: 'c' },
      { name: 'd' },
    ]);
    expect(beside['failover']).toEqual([]);
    expect(most).toBe(3);
  });
});
