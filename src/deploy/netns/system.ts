// What the lab needs from the machine, how to check it, and how to install what is missing; and,
// apart from it, what the docker provider needs to run a private daemon (never a lab requirement).
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { RequirementError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import type { Requirement } from '../provider.ts';

/** Command → the Debian package that ships it. */
export const LAB_COMMANDS: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  ss: 'iproute2',
  'iptables-restore': 'iptables',
  // kube-proxy's nftables mode (flannel-vxlan-nftables) is applied with `nft -f`.
  nft: 'nftables',
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

/**
 * What a private dockerd needs (docs/docker.md#the-private-daemon): Debian's docker.io brings
 * dockerd, containerd, runc and docker-proxy; nsenter starts dockerd in its namespace. Installed by
 * `rcnc setup` when missing, required only by the docker provider when no daemon answers.
 */
export const DOCKER_COMMANDS: Record<string, string> = {
  dockerd: 'docker.io',
  containerd: 'docker.io',
  runc: 'docker.io',
  'docker-proxy': 'docker.io',
  nsenter: 'util-linux',
  setpriv: 'util-linux',
};

export const onPath = (cmd: string): boolean =>
  (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => existsSync(`${dir}/${cmd}`));

/** Installed when missing, but not required: the browser test skips without it. */
export const OPTIONAL_COMMANDS: Record<string, string> = { chromium: 'chromium' };

const missingOf = (commands: Record<string, string>): string[] =>
  [...new Set(Object.entries(commands).flatMap(([cmd, pkg]) => (onPath(cmd) ? [] : [pkg])))].sort();

export const missingPackages = (): string[] => missingOf(LAB_COMMANDS);

/** The docker provider's private-daemon commands, one requirement each missing package. */
export function dockerRequirements(): { name: string; met: boolean; detail?: string }[] {
  const missing = missingOf(DOCKER_COMMANDS);
  return [
    {
      name: 'docker.io (dockerd, containerd, runc, docker-proxy)',
      met: missing.length === 0,
      detail: missing.length ? `missing packages: ${missing.join(' ')} (run: sudo npx rcnc setup)` : undefined,
    },
  ];
}

/**
 * Debian's docker.io starts docker.service from its postinst, which would put a daemon (bridges,
 * iptables rules) in the root namespace. A policy-rc.d that answers 101 ("action forbidden") makes
 * invoke-rc.d and deb-systemd-invoke skip the start (init-system-helpers README.policy-rc.d,
 * docs/docker.md#installing-dockerio); one the machine already has is left alone.
 */
export const POLICY_RC_D = '/usr/sbin/policy-rc.d';
export const POLICY_RC_D_DENY =
  '#!/bin/sh\n# written by rcnc setup while installing docker.io; removed right after\nexit 101\n';

export async function installWithoutStarting(packages: string[], install: (pkgs: string[]) => Promise<unknown>) {
  const ours = !existsSync(POLICY_RC_D);
  if (ours) {
    await writeFile(POLICY_RC_D, POLICY_RC_D_DENY, { mode: 0o755 });
  }
  try {
    await install(packages);
  } finally {
    if (ours) {
      await rm(POLICY_RC_D, { force: true });
    }
  }
}

/**
 * Installs missing lab packages with apt-get when running as root on Debian; otherwise throws a
 * RequirementError that names the packages. Returns what was installed.
 */
export async function ensurePackages(log: (line: string) => void = () => {}): Promise<string[]> {
  const lab = await ensureLabPackages(log);
  return [...lab, ...(await ensureDockerPackages(log))];
}

/**
 * docker.io for the docker provider's private daemon, when dockerd is missing and we may install
 * (root, apt-get); best effort: the lab does not need it, and the docker cells skip without it.
 */
async function ensureDockerPackages(log: (line: string) => void): Promise<string[]> {
  const missing = missingOf(DOCKER_COMMANDS);
  if (missing.length === 0 || process.getuid?.() !== 0 || !onPath('apt-get')) {
    return [];
  }
  log(`rcnc setup: installing ${missing.join(' ')} with apt-get (its service is not started)`);
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
  let ok = false;
  await installWithoutStarting(missing, async (pkgs) => {
    await run([...env, 'apt-get', 'update', '-qq'], { timeoutMs: 300_000, reject: false });
    const r = await run([...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
      timeoutMs: 600_000,
      reject: false,
    });
    ok = r.exitCode === 0;
  });
  return ok ? missing : [];
}

async function ensureLabPackages(log: (line: string) => void): Promise<string[]> {
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
    detail: missing.length ? `missing packages: ${missing.join(' ')} (run: sudo npx rcnc setup)` : undefined,
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
    reqs.push(await namespacesRequirement('rcnc-probe'));
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

/** Whether this machine lets us create a network namespace: one is made and deleted at once. */
export async function namespacesRequirement(prefix: string): Promise<Requirement> {
  const probe = `${prefix}-${process.pid}`;
  const add = await run(['ip', 'netns', 'add', probe], { reject: false });
  if (add.exitCode === 0) {
    await run(['ip', 'netns', 'del', probe], { reject: false });
  }
  return {
    name: 'network namespaces',
    met: add.exitCode === 0,
    detail: add.exitCode === 0 ? undefined : `cannot create network namespaces: ${add.stderr.trim()}`,
  };
}
