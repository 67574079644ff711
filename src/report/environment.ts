// What the reporter records in `results.environment`: which rcnc (version and commit), which
// kernel, firewall and kube-proxy mode, which Redis, on which host. Each fact is read once at the
// end of a run; a fact that cannot be read is left out, never a reason to lose the report.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { join, resolve } from 'node:path';
import { kubeProxyMode, PROFILES } from '../model/profiles.ts';
import type { CellRecord, Environment } from '../model/results.ts';
import type { RunConfig } from '../suite/run-config.ts';
import { PACKAGE_ROOT } from '../util/package-root.ts';
import { firstLine } from '../util/text.ts';

/** Runs a command and gives its stdout, or undefined when it is missing or fails. */
export type CommandOutput = (argv: string[]) => Promise<string | undefined>;

export interface EnvironmentOptions {
  /** The checkout or installed package rcnc runs from (holds package.json). */
  packageRoot?: string;
  /** How commands are run; tests pass a stub. */
  command?: CommandOutput;
}

/** The kube-proxy mode the netns lab renders for most profiles (src/deploy/netns/kube-proxy.ts). */
export const NETNS_KUBE_PROXY_MODE = 'iptables (rendered by the netns lab)';

/**
 * The kube-proxy mode the lab rendered in these cells, each profile's own (its `kubeProxy.mode`):
 * one mode alone, or each mode with its profiles when a run held both
 * (`iptables for flannel-vxlan; nftables for flannel-vxlan-nftables (rendered by the netns lab)`).
 */
export function netnsKubeProxyMode(cells: readonly Pick<CellRecord, 'dims'>[]): string | undefined {
  const profiles = PROFILES.filter((p) => cells.some((c) => c.dims.provider === 'netns' && c.dims.profile === p));
  const modes = [...new Set(profiles.map(kubeProxyMode))];
  if (modes.length <= 1) {
    return modes[0] && `${modes[0]} (rendered by the netns lab)`;
  }
  const each = modes.map((m) => `${m} for ${profiles.filter((p) => kubeProxyMode(p) === m).join(', ')}`);
  return `${each.join('; ')} (rendered by the netns lab)`;
}

// node's execFile rather than util/exec.ts: `rcnc --version` asks git for the commit, and loading
// execa would take longer than the rest of that command.
const defaultCommand: CommandOutput = (argv) =>
  new Promise((done) => {
    const [file = '', ...args] = argv;
    execFile(file, args, { timeout: 5_000, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout) =>
      done(error ? undefined : stdout),
    );
  });

/**
 * The environment of a run: node, kernel and hostname always; Redis from the run config; rcnc's
 * version from package.json and its commit when rcnc runs from a git checkout; `iptables
 * --version` (e.g. `v1.8.9 (nf_tables)`); kube-proxy's mode when a netns cell ran (the lab renders
 * each profile's mode; real clusters are asked by their provider, not here).
 */
export async function gatherEnvironment(
  config: Pick<RunConfig, 'redis'>,
  cells: readonly Pick<CellRecord, 'dims'>[],
  options: EnvironmentOptions = {},
): Promise<Environment> {
  const root = options.packageRoot ?? PACKAGE_ROOT;
  const command = options.command ?? defaultCommand;
  const [rcnc, iptables] = await Promise.all([rcncVersion(root, command), iptablesVersion(command)]);
  const redis = config.redis.version;
  const lab = netnsKubeProxyMode(cells);
  return {
    node: process.version,
    kernel: release(),
    hostname: hostname(),
    ...(redis ? { redis } : {}),
    ...(rcnc ? { rcnc } : {}),
    ...(iptables ? { iptables } : {}),
    ...(lab ? { kubeProxyMode: lab } : {}),
  };
}

/** rcnc's version, and its commit when it runs from its own git checkout (`rcnc --version`). */
export async function rcncVersion(
  root: string = PACKAGE_ROOT,
  command: CommandOutput = defaultCommand,
): Promise<Environment['rcnc']> {
  let version: unknown;
  try {
    version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version?: unknown }).version;
  } catch {
    return undefined;
  }
  if (typeof version !== 'string' || version === '') {
    return undefined;
  }
  // Outside a git checkout git fails or is missing, and an install inside someone else's repository
  // (node_modules/rcnc) finds their checkout: only a checkout whose top level is rcnc's own counts.
  const [top = '', commit = ''] =
    (await command(['git', '-C', root, 'rev-parse', '--show-toplevel', '--short', 'HEAD']))?.trim().split('\n') ?? [];
  const ownCheckout = resolve(top.trim()) === resolve(root);
  return ownCheckout && /^[0-9a-f]{4,40}$/.test(commit.trim()) ? { version, commit: commit.trim() } : { version };
}

/** `iptables v1.8.9 (nf_tables)` → `v1.8.9 (nf_tables)`. */
async function iptablesVersion(command: CommandOutput): Promise<string | undefined> {
  const line = firstLine(await command(['iptables', '--version']));
  return line ? line.replace(/^iptables\s+/, '') : undefined;
}
