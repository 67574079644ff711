// The private Docker daemon: when no daemon answers and rcnc runs as root on Linux, a topology
// gets its own dockerd in a network namespace of its own (the Docker host), linked by a veth to a
// second namespace that stands for a machine outside it. Its data and exec roots, config file,
// pid file, socket and containers' cgroups all live under names that carry the topology id, and
// it is stopped at teardown. Nothing here creates a link in, or changes, the root namespace, and
// no daemon ever starts there (docs/docker.md#the-private-daemon).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { TopologyError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import type { Teardown } from '../../util/teardown.ts';
import { waitFor } from '../../util/wait.ts';
import { dockerNames, HOST_LINK, processSocketLink, type DockerNames } from './names.ts';
import { FIXED_RUN_DIRS, ownDockerRecord, removeDockerHost, removeDockerRecord, writeDockerRecord } from './sweep.ts';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * dockerd's settings, all in its own config file: with `--config-file` it reads neither
 * /etc/docker/daemon.json nor writes /etc/docker/key.json (`deprecated-key-path` is a config-file
 * key in 20.10; the flag is rejected), and with `cgroup-parent` the containers' cgroups carry the
 * topology id (docs/docker.md#the-private-daemon).
 */
export function daemonConfig(names: DockerNames, userlandProxy: boolean): Record<string, unknown> {
  return {
    'data-root': names.dataRoot,
    'exec-root': names.execRoot,
    pidfile: names.pidFile,
    hosts: [`unix://${names.socket}`],
    'storage-driver': 'vfs',
    'cgroup-parent': names.cgroupParent,
    'deprecated-key-path': `${names.dir}/key.json`,
    'userland-proxy': userlandProxy,
  };
}

/**
 * The daemon's argv. `nsenter --net` and not `ip netns exec`: the latter also unshares the mount
 * namespace and mounts a fresh /sys, which hides /sys/fs/cgroup ("Devices cgroup isn't mounted").
 * The parent-death signal makes dockerd shut down (and stop its containers) if rcnc dies first.
 */
export const dockerdArgv = (names: DockerNames): string[] => [
  'setpriv',
  '--pdeathsig',
  'TERM',
  '--',
  'nsenter',
  `--net=/run/netns/${names.hostNs}`,
  'dockerd',
  '--config-file',
  names.configFile,
];

/**
 * `ip -b` lines for the two namespaces: the veth is created inside the Docker host's namespace
 * with its peer moved straight into the outside one, so it never exists in the root namespace.
 */
export function hostLinkBatch(names: DockerNames): { host: string[]; outside: string[] } {
  const cidr = (ip: string) => `${ip}/${HOST_LINK.prefix}`;
  return {
    host: [
      'link set lo up',
      `link add eth0 type veth peer name eth0 netns ${names.outsideNs}`,
      `addr add ${cidr(HOST_LINK.host)} dev eth0`,
      'link set eth0 up',
      `route add default via ${HOST_LINK.outside}`,
    ],
    outside: ['link set lo up', `addr add ${cidr(HOST_LINK.outside)} dev eth0`, 'link set eth0 up'],
  };
}

const ipBatch = (ns: string, lines: string[]) => run(['ip', '-n', ns, '-b', '-'], { input: lines.join('\n') + '\n' });

export interface PrivateDaemon {
  names: DockerNames;
  /** The Docker host's address on the link: what the outside machine (and announce) dials. */
  hostIP: string;
  outsideIP: string;
  /** The unix socket testcontainers is pointed at (a link to this daemon's socket). */
  dockerHost: string;
  pid: number;
}

/**
 * Starts the daemon; every step registers its undo on `teardown` right after it happens, so a
 * failure half-way (or a signal) removes exactly what exists.
 */
export async function startPrivateDaemon(
  id: string,
  opts: { userlandProxy: boolean; runId?: string },
  teardown: Teardown,
): Promise<PrivateDaemon> {
  const names = dockerNames(id);
  const dockerHost = processSocketLink();
  if (existsSync(dockerHost)) {
    throw new TopologyError(
      'this process already runs a private Docker daemon for another topology; testcontainers keeps one runtime ' +
        'per process (docs/docker.md#one-runtime-per-process), so stop that topology first',
    );
  }
  // The record comes first and goes last: nothing of this daemon exists without a record that
  // proves its owner alive to another process's sweep.
  const createdRunDirs = FIXED_RUN_DIRS.filter((d) => !existsSync(d));
  await writeDockerRecord(await ownDockerRecord(id, names.dir, opts.runId, createdRunDirs));
  teardown.defer('remove docker run-state record', () => removeDockerRecord(id));
  teardown.defer('remove the Docker host (processes, mounts, cgroups, namespaces, dirs)', () =>
    removeDockerHost({ id, names, createdRunDirs }),
  );
  await mkdir(names.dir, { recursive: true, mode: 0o700 });
  await run(['ip', '-b', '-'], { input: `netns add ${names.hostNs}\nnetns add ${names.outsideNs}\n` });
  const link = hostLinkBatch(names);
  await ipBatch(names.hostNs, link.host.slice(0, 2));
  await ipBatch(names.outsideNs, link.outside);
  await ipBatch(names.hostNs, link.host.slice(2));
  await writeFile(names.configFile, JSON.stringify(daemonConfig(names, opts.userlandProxy), null, 2) + '\n');

  const child = launch(names);
  teardown.defer('stop dockerd', () => stopDaemon(child));
  await awaitReady(names, child);

  await unlink(dockerHost).catch(() => undefined);
  await symlink(names.socket, dockerHost);
  teardown.defer('remove the process socket link', () => unlink(dockerHost).catch(() => undefined));
  return { names, hostIP: HOST_LINK.host, outsideIP: HOST_LINK.outside, dockerHost, pid: child.pid! };
}

function launch(names: DockerNames): ChildProcess {
  const fd = openSync(names.log, 'a');
  try {
    const argv = dockerdArgv(names);
    // detached: its own process group, so a terminal's Ctrl-C reaches rcnc, whose teardown stops it.
    // TMPDIR in the host's own dir: what dockerd and its containerd write there (a containerd
    // stack dump) goes with the host instead of outliving it in /tmp.
    return spawn(argv[0]!, argv.slice(1), {
      cwd: names.dir,
      stdio: ['ignore', fd, fd],
      detached: true,
      env: { ...process.env, TMPDIR: names.dir },
    });
  } finally {
    closeSync(fd);
  }
}

const logTail = async (names: DockerNames) =>
  (await readFile(names.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');

async function awaitReady(names: DockerNames, child: ChildProcess): Promise<void> {
  await waitFor({
    target: `dockerd in ${names.hostNs} to print "API listen on"`,
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 25,
    isFatal: (e) => e instanceof TopologyError,
    check: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new TopologyError(
          `dockerd exited (${child.exitCode ?? child.signalCode}) before it was ready: ${await logTail(names)}`,
        );
      }
      const log = await readFile(names.log, 'utf8').catch(() => '');
      return { done: log.includes('API listen on'), state: (await logTail(names)) || 'its log is empty' };
    },
  }).catch(async (e: unknown) => {
    if (e instanceof TopologyError) {
      throw e;
    }
    throw new TopologyError(`${(e as Error).message}; log: ${names.log}`, { cause: e });
  });
}

/** SIGTERM (dockerd stops its containers and containerd), then SIGKILL after the bound. */
async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
