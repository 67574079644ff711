// The root network namespace as tests see it: a snapshot of everything a run must never change
// (addresses, links, routes, rules, firewall, sysctls), and `ip monitor` to catch changes made and
// undone while a run is in progress.
import { execa, type ResultPromise } from 'execa';
import { readFile } from 'node:fs/promises';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';

const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/forwarding',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv4/conf/all/rp_filter',
  'net/ipv4/conf/default/rp_filter',
  'net/bridge/bridge-nf-call-iptables',
  'net/ipv4/ip_local_port_range',
];

export async function rootSnapshot(): Promise<Record<string, string>> {
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
export async function monitor(ns?: string) {
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
