// The hard rule: the lab never touches the root network namespace. A snapshot of root's
// addresses, links, routes, rules, firewall and sysctls is identical before and after real cells,
// and `ip monitor` on root sees no lab event while they run. The monitor is paired with a control
// that proves the same pipeline sees events when there are some.
import { describe, expect, test } from 'vitest';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { CELL_BUDGET_MS } from '../../src/suite/harness.ts';
import { cellPool, defaultWidth } from '../../src/suite/pool.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';
import { labSkipReason } from './leftovers.ts';
import { monitor, rootSnapshot } from './root.ts';

const LAB_TRACES = /rcnc-|10\.42\.|10\.43\.|172\.18\.|flannel\.1|cni0|\bvn[0-9a-f]{6}|\bvp[0-9a-f]{6}|br-[0-9a-f]{6}/;

describe.skipIf(!!labSkipReason)('network safety', () => {
  test('the monitor pipeline sees link, address and route events (control)', async () => {
    const ns = `rcnc-safety-control-${process.pid}`;
    await run(['ip', 'netns', 'add', ns]);
    try {
      const mon = await monitor(ns);
      await run(['ip', '-n', ns, '-b', '-'], {
        input:
          'link add d0 type bridge\nlink set d0 up\naddr add 10.42.99.1/24 dev d0\nroute add 10.43.99.0/24 via 10.42.99.2\n',
      });
      await waitFor({
        target: 'control events',
        timeoutMs: 5000,
        check: async () => ({
          done: mon.lines.filter((l) => LAB_TRACES.test(l)).length >= 2,
          state: mon.lines.join(' | '),
        }),
      });
      const lines = await mon.stop();
      expect(lines.some((l) => /d0/.test(l))).toBe(true);
      expect(lines.some((l) => /10\.43\.99\.0\/24/.test(l))).toBe(true);
    } finally {
      await run(['ip', 'netns', 'del', ns], { reject: false });
    }
  });

  test("real cells, side by side at the pool's full width, leave root as they found it and touch it at no time", async () => {
    const before = await rootSnapshot();
    const mon = await monitor();
    // As many cells at once as a run puts side by side on this machine, over every NATing profile.
    const width = defaultWidth();
    const natting = natMeetCells().filter(
      (c) => c.expectation.meet === 'fails' && c.dims.nodes <= 3 && !c.dims.variant?.startsWith('scale-'),
    );
    const cells = Array.from({ length: width }, (_, i) => natting[i % natting.length]!);
    expect(new Set(cells.map((c) => c.dims.profile)).size).toBeGreaterThanOrEqual(Math.min(width, 3));
    const pool = cellPool(width);
    const runs = await Promise.all(
      cells.map((cell) =>
        pool.run(() => runNatMeet(new NetnsProvider(), cell, { redis: { server: 'redis-server', cli: 'redis-cli' } }), {
          name: cell.id,
          budgetMs: CELL_BUDGET_MS,
        }),
      ),
    );
    // The datapaths really ran, with their NAT.
    expect(runs.map((r) => r.record.observation?.meet)).toEqual(cells.map(() => 'fails'));
    const events = await mon.stop();
    expect(events.filter((l) => LAB_TRACES.test(l))).toEqual([]);
    expect(await rootSnapshot()).toEqual(before);
  });
});
