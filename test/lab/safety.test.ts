// The hard rule: the lab never touches the root network namespace. A snapshot of root's
// addresses, links, routes, rules, firewall and sysctls is identical before and after real cells,
// and `ip monitor` on root sees no lab event while they run. The monitor is paired with a control
// that proves the same pipeline sees events when there are some.
import { execa, type ResultPromise } from 'execa';
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';
import { labSkipReason } from './leftovers.ts';

const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/forwarding',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv4/conf/all/rp_filter',
  'net/ipv4/conf/default/rp_filter',
  'net/bridge/bridge-nf-call-iptables',
  'net/ipv4/ip_local_port_range',
];

async function rootSnapshot(): Promise<Record<string, string>> {
  const cmd = async (argv: string[]) => (await run(argv, { reject: false })).stdout;
  const snap: Record<string, string> = {
    // Lifetimes of dynamic addresses count down by themselves; everything else must not move.
    addr: (await cmd(['ip', 'addr'])).replace(/valid_lft \S+ preferred_lft \S+/g, ''),
    link: (await cmd(['ip', '-o', 'link'])).replace(/\s+link\/.*$/gm, ''),
    route: await cmd(['ip', 'route', 'show', 'table', 'all']),
    route6: await cmd(['ip', '-6', 'route', 'show', 'table', 'all']),
    rule: await cmd(['ip', 'rule']),
    iptables: (await cmd(['iptables-save'])).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, ''),
    nft: await cmd(['nft', 'list', 'ruleset']),
  };
  for (const s of SYSCTLS) {
    snap[s] = await readFile(`/proc/sys/${s}`, 'utf8').catch(() => 'absent');
  }
  return snap;
}

/** `ip -o monitor` in a namespace (root when `ns` is undefined), collecting its lines. */
async function monitor(ns?: string) {
  const argv = [...(ns ? ['-n', ns] : []), '-o', '-t', 'monitor', 'link', 'address', 'route', 'rule'];
  const child: ResultPromise = execa('ip', argv, { reject: false, buffer: false });
  const lines: string[] = [];
  child.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  // ip monitor has no readiness line; its netlink socket is subscribed once the process runs,
  // so wait for the process to have its socket open.
  await waitFor({
    target: 'ip monitor to subscribe',
    timeoutMs: 5000,
    intervalMs: 10,
    check: async () => {
      const fds = await run(['ls', '-l', `/proc/${child.pid}/fd`], { reject: false });
      return { done: /socket:/.test(fds.stdout), state: 'no netlink socket yet' };
    },
  });
  return {
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
      return lines;
    },
  };
}

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
