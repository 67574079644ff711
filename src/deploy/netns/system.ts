// What the lab needs from the machine, how to check it, and how to install what is missing.
import { existsSync } from 'node:fs';
import { RequirementError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import type { Requirement } from '../provider.ts';

/** Command → the Debian package that ships it. */
export const LAB_COMMANDS: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  ss: 'iproute2',
  'iptables-restore': 'iptables',
  ipset: 'ipset',
  tcpdump: 'tcpdump',
  netstat: 'net-tools',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  // Debian ships the sentinel entry point in its own package (the sentinel scenario runs it).
  'redis-sentinel': 'redis-sentinel',
  setpriv: 'util-linux',
  sysctl: 'procps',
};

const onPath = (cmd: string): boolean =>
  (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => existsSync(`${dir}/${cmd}`));

/** Installed when missing, but not required: the browser test skips without it. */
export const OPTIONAL_COMMANDS: Record<string, string> = { chromium: 'chromium' };

export const missingPackages = (): string[] =>
  [...new Set(Object.entries(LAB_COMMANDS).flatMap(([cmd, pkg]) => (onPath(cmd) ? [] : [pkg])))].sort();

/**
 * Installs missing lab packages with apt-get when running as root on Debian; otherwise throws a
 * RequirementError that names the packages. Returns what was installed.
 */
export async function ensurePackages(log: (line: string) => void = () => {}): Promise<string[]> {
  const missing = missingPackages();
  const isRoot = process.getuid?.() === 0;
  const optional = Object.entries(OPTIONAL_COMMANDS).flatMap(([cmd, pkg]) => (onPath(cmd) ? [] : [pkg]));
  if (missing.length === 0) {
    if (optional.length && isRoot && onPath('apt-get')) {
      // Best effort: some distributions ship chromium only as a snap shim.
      log(`rcnc setup: installing optional ${optional.join(' ')} with apt-get`);
      const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
      await run([...env, 'apt-get', 'update', '-qq'], { timeoutMs: 300_000, reject: false });
      const r = await run([...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...optional], {
        timeoutMs: 600_000,
        reject: false,
      });
      return r.exitCode === 0 ? optional : [];
    }
    return [];
  }
  if (!isRoot || !onPath('apt-get')) {
    throw new RequirementError(
      `missing system packages: ${missing.join(' ')}; install them (Debian: sudo apt-get install -y ${missing.join(' ')}) and run again`,
    );
  }
  log(`rcnc setup: installing ${missing.join(' ')} with apt-get`);
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
  await run([...env, 'apt-get', 'update', '-qq'], { timeoutMs: 300_000 });
  await run([...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { timeoutMs: 600_000 });
  if (optional.length) {
    await run([...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...optional], {
      timeoutMs: 600_000,
      reject: false,
    });
  }
  const still = missingPackages();
  if (still.length > 0) {
    throw new RequirementError(`apt-get did not provide: ${still.join(' ')}; install them by hand`);
  }
  return missing;
}

/** Everything the netns provider needs; unmet entries carry the reason cells are skipped with. */
export async function labRequirements(): Promise<Requirement[]> {
  const reqs: Requirement[] = [];
  const missing = missingPackages();
  reqs.push({
    name: 'system packages',
    met: missing.length === 0,
    detail: missing.length ? `missing packages: ${missing.join(' ')} (run: npm run setup)` : undefined,
  });
  const root = process.getuid?.() === 0;
  reqs.push({
    name: 'root',
    met: root,
    detail: root
      ? undefined
      : 'the netns lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces',
  });
  if (root && onPath('ip')) {
    const probe = `rcnc-probe-${process.pid}`;
    const add = await run(['ip', 'netns', 'add', probe], { reject: false });
    if (add.exitCode === 0) {
      await run(['ip', 'netns', 'del', probe], { reject: false });
    }
    reqs.push({
      name: 'network namespaces',
      met: add.exitCode === 0,
      detail: add.exitCode === 0 ? undefined : `cannot create network namespaces: ${add.stderr.trim()}`,
    });
  }
  if (!existsSync('/proc/sys/net/bridge') && root) {
    await run(['modprobe', 'br_netfilter'], { reject: false });
  }
  reqs.push({
    name: 'br_netfilter',
    met: existsSync('/proc/sys/net/bridge'),
    detail: existsSync('/proc/sys/net/bridge')
      ? undefined
      : 'kernel module br_netfilter is not available (modprobe br_netfilter)',
  });
  if (onPath('iptables-restore')) {
    const v = await run(['iptables-restore', '--version'], { reject: false });
    const nft = /nf_tables/.test(v.stdout + v.stderr);
    reqs.push({
      name: 'iptables nft backend',
      met: nft,
      detail: nft
        ? undefined
        : `iptables is not the nf_tables variant (${v.stdout.trim()}); run: update-alternatives --set iptables /usr/sbin/iptables-nft`,
    });
  }
  return reqs;
}
