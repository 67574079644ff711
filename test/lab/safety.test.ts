// The hard rule: the lab never touches the root network namespace. A snapshot of root's
// addresses, links, routes, rules, firewall and sysctls is identical before and after real cells,
// and `ip monitor` on root sees no lab event while they run. The monitor is paired with a control
// that proves the same pipeline sees events when there are some.
import { describe, expect, test } from 'vitest';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
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

  test('real cells leave the root namespace exactly as they found it, and touch it at no time', async () => {
    const before = await rootSnapshot();
    const mon = await monitor();
    const cells = natMeetCells().filter((c) =>
      [
        'netns/flannel-vxlan/nodeport/announce-none',
        'netns/flannel-vxlan/nodeport/announce-none/3-nodes/dial-own-node',
      ].includes(c.id),
    );
    expect(cells).toHaveLength(2);
    for (const cell of cells) {
      const r = await runNatMeet(new NetnsProvider(), cell, { redis: { server: 'redis-server', cli: 'redis-cli' } });
      expect(r.record.observation?.meet).toBe('fails'); // the datapath really ran, with its NAT
    }
    const events = await mon.stop();
    expect(events.filter((l) => LAB_TRACES.test(l))).toEqual([]);
    expect(await rootSnapshot()).toEqual(before);
  });
});
