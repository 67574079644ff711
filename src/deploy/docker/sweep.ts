// Finding and removing what a private Docker daemon left: its processes (dockerd, containerd,
// shims, docker-proxy, containers), mounts, cgroups, shim sockets, namespaces and directory. Used
// by a topology's own teardown and by `rcnc clean` for runs that were killed. What a SIGKILLed
// daemon leaves, and why each step is needed, is in docs/docker.md#cleanup.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, rm, rmdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { run } from '../../util/exec.ts';
import { ownerAlive, self, StateRecords, type Owner } from '../../util/run-state.ts';
import { waitFor } from '../../util/wait.ts';
import { dockerIdOf, dockerNames, socketLinkPid, TOPOLOGY_LABEL, type DockerNames } from './names.ts';

/** Directories dockerd and containerd create at fixed paths whatever their roots are. */
export const FIXED_RUN_DIRS = ['/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'];

const MACHINERY = /^(dockerd|containerd|containerd-shim.*|docker-proxy|runc)$/;

export interface DockerRecord extends Owner {
  dockerId: string;
  runId?: string;
  /** The private daemon's directory, or the scratch dir of a topology on a daemon rcnc did not start. */
  dir: string;
  /** Fixed-path directories that did not exist before this daemon started. */
  createdRunDirs: string[];
  /** On a daemon rcnc did not start: where it answers (docker --host), to remove by label there. */
  daemon?: string;
  createdAt: string;
}

export const dockerRecords = new StateRecords<DockerRecord>('docker', (id, r) =>
  r.dockerId === id && typeof r.dir === 'string' ? undefined : `names docker host ${String(r.dockerId)}, not ${id}`,
);

export async function ownDockerRecord(
  id: string,
  dir: string,
  runId: string | undefined,
  createdRunDirs: string[],
): Promise<DockerRecord> {
  return {
    ...(await self()),
    dockerId: id,
    ...(runId ? { runId } : {}),
    dir,
    createdRunDirs,
    createdAt: new Date().toISOString(),
  };
}

export const writeDockerRecord = (r: DockerRecord) => dockerRecords.write(r.dockerId, r);
export const removeDockerRecord = (id: string) => dockerRecords.remove(id);

// ---------------------------------------------------------------------------------------------
// What is on the machine.

export interface DockerLeftovers {
  id: string;
  namespaces: string[];
  dirs: string[];
  cgroups: string[];
  runId?: string;
  ownerPid?: number;
  createdRunDirs: string[];
  /** Set for a topology on a daemon rcnc did not start (see DockerRecord). */
  daemon?: string;
  /** alive: the owner runs; gone: provably not; unknown: the record could not be read. */
  owner: 'alive' | 'gone' | 'unknown';
  problem?: string;
}

/** cgroup directories named after a topology: `/sys/fs/cgroup/<ctrl>/rcnc-dk…` (v1) or `/sys/fs/cgroup/rcnc-dk…` (v2). */
async function cgroupDirs(): Promise<string[]> {
  const root = '/sys/fs/cgroup';
  const found: string[] = [];
  const consider = async (dir: string) => {
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (dockerIdOf(entry)) {
        found.push(join(dir, entry));
      }
    }
  };
  await consider(root);
  for (const ctrl of await readdir(root).catch(() => [] as string[])) {
    const s = await lstat(join(root, ctrl)).catch(() => undefined);
    if (s?.isDirectory() && !dockerIdOf(ctrl)) {
      await consider(join(root, ctrl));
    }
  }
  return found;
}

/** Every Docker host of ours on this machine, live or not, with what is known of its owner. */
export async function findDockerHosts(): Promise<DockerLeftovers[]> {
  const hosts = new Map<string, DockerLeftovers>();
  const get = (id: string) => {
    let h = hosts.get(id);
    if (!h) {
      hosts.set(id, (h = { id, namespaces: [], dirs: [], cgroups: [], createdRunDirs: [], owner: 'gone' }));
    }
    return h;
  };
  for (const line of (await run(['ip', 'netns', 'list'], { reject: false })).stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const id = dockerIdOf(name);
    if (id) {
      get(id).namespaces.push(name);
    }
  }
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    const id = dockerIdOf(entry);
    if (id && entry === `rcnc-${id}`) {
      get(id).dirs.push(join(tmpdir(), entry));
    }
  }
  for (const dir of await cgroupDirs()) {
    get(dockerIdOf(basename(dir))!).cgroups.push(dir);
  }
  const { records, problems } = await dockerRecords.readAll();
  for (const r of records) {
    const h = get(r.dockerId);
    Object.assign(h, { runId: r.runId, ownerPid: r.pid, createdRunDirs: r.createdRunDirs ?? [], daemon: r.daemon });
    if (!h.dirs.includes(r.dir) && existsSync(r.dir)) {
      h.dirs.push(r.dir);
    }
    h.owner = (await ownerAlive(r)) ? 'alive' : 'gone';
  }
  for (const p of problems) {
    Object.assign(get(p.id), { owner: 'unknown', problem: `its record ${p.file} ${p.problem}` });
  }
  return [...hosts.values()];
}

/**
 * Which hosts a sweep removes: those whose owner is provably gone (every one with `all`), of every
 * run or of one. A host whose record cannot be read is kept: nothing proves its owner gone.
 */
export function selectForSweep(
  hosts: DockerLeftovers[],
  opts: { all?: boolean; runId?: string } = {},
): { remove: DockerLeftovers[]; kept: DockerLeftovers[]; unknown: DockerLeftovers[] } {
  const mine = hosts.filter((h) => opts.runId === undefined || h.runId === opts.runId);
  return {
    remove: mine.filter((h) => opts.all || h.owner === 'gone'),
    kept: mine.filter((h) => !opts.all && h.owner === 'alive'),
    unknown: mine.filter((h) => !opts.all && h.owner === 'unknown'),
  };
}

// ---------------------------------------------------------------------------------------------
// Removing one.

const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};

const nsPids = async (ns: string): Promise<number[]> =>
  (await run(['ip', 'netns', 'pids', ns], { reject: false })).stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);

/**
 * Docker's own processes started for this host: matched by executable name *and* by the host's
 * directory in the command line (matching the path alone would also hit any shell mentioning it).
 */
async function machineryPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
      continue;
    }
    const exe = basename(await readlink(`/proc/${entry}/exe`).catch(() => ''));
    if (!MACHINERY.test(exe)) {
      continue;
    }
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (cmdline.includes(`${dir}/`)) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

/** Every task in a cgroup tree (a container outlives a SIGKILLed daemon in its own netns). */
async function cgroupTasks(dir: string): Promise<number[]> {
  const tasks = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => ''))
    .split('\n')
    .map(Number)
    .filter((n) => n > 0);
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) {
      tasks.push(...(await cgroupTasks(join(dir, entry.name))));
    }
  }
  return tasks;
}

async function rmdirTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) {
      await rmdirTree(join(dir, entry.name));
    }
  }
  await rmdir(dir).catch(() => undefined);
}

async function killEverything(h: { namespaces: string[]; dirs: string[]; cgroups: string[] }): Promise<void> {
  const pids = async () => {
    const all = await Promise.all([
      ...h.namespaces.map(nsPids),
      ...h.dirs.map(machineryPids),
      ...h.cgroups.map(cgroupTasks),
    ]);
    return [...new Set(all.flat())].filter((p) => p !== process.pid);
  };
  await waitFor({
    target: `the processes of ${h.namespaces[0] ?? h.dirs[0] ?? 'a Docker host'} to exit`,
    timeoutMs: 10_000,
    intervalMs: 50,
    check: async () => {
      const left = await pids();
      left.forEach(kill);
      return { done: left.length === 0, state: `pids ${left.join(',')}` };
    },
  });
}

/** Mount points at or below `dir` (nsfs of the daemon's netns, the data root's bind mount, shm). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  return mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(dir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  for (const m of mountsUnder(info, dir)) {
    const r = await run(['umount', m], { reject: false });
    if (r.exitCode !== 0) {
      await run(['umount', '-l', m], { reject: false });
    }
  }
}

/** containerd 1.6 puts each shim's socket at /run/containerd/s/sha256(<containerd address>/<ns>/<id>). */
export const shimSocket = (execRoot: string, containerId: string): string =>
  join(
    '/run/containerd/s',
    createHash('sha256').update(`${execRoot}/containerd/containerd.sock/moby/${containerId}`).digest('hex'),
  );

/** The shim sockets of the containers a host's data root holds (its dir, wherever TMPDIR put it). */
async function removeShimSockets(dir: string): Promise<void> {
  for (const cid of await readdir(join(dir, 'data', 'containers')).catch(() => [] as string[])) {
    await rm(shimSocket(join(dir, 'exec'), cid), { force: true });
  }
}

/** Fixed-path dirs this host created, when empty and no other dockerd or containerd runs. */
async function removeRunDirs(created: string[]): Promise<void> {
  if (created.length === 0) {
    return;
  }
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const exe = basename(await readlink(`/proc/${entry}/exe`).catch(() => ''));
    if (exe === 'dockerd' || exe === 'containerd') {
      return;
    }
  }
  for (const d of FIXED_RUN_DIRS.filter((x) => created.includes(x))) {
    await rmdir(d).catch(() => undefined);
  }
}

/** Socket links of processes that are gone, or whose daemon is. */
async function removeStaleSocketLinks(): Promise<void> {
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = socketLinkPid(entry);
    const path = join(tmpdir(), entry);
    if (pid !== undefined && pid !== process.pid && !existsSync(path)) {
      await unlink(path).catch(() => undefined);
    }
  }
}

/**
 * A topology's containers, volumes and network on a daemon rcnc did not start, by label, with the
 * docker CLI (a sweep runs in a process that may never have talked to that daemon).
 */
async function removeOnDaemon(daemon: string, id: string): Promise<void> {
  const docker = (args: string[]) => run(['docker', '--host', daemon, ...args], { reject: false, timeoutMs: 60_000 });
  const filter = ['--filter', `label=${TOPOLOGY_LABEL}=${id}`];
  const listed = await docker(['ps', '-aq', ...filter]);
  if (listed.exitCode !== 0) {
    throw new Error(`cannot reach its daemon at ${daemon}: ${(listed.stderr || listed.stdout).trim().split('\n')[0]}`);
  }
  const list = (args: string[]) => docker(args).then((r) => r.stdout.split(/\s+/).filter(Boolean));
  const containers = listed.stdout.split(/\s+/).filter(Boolean);
  if (containers.length) {
    await docker(['rm', '-f', '-v', ...containers]);
  }
  const volumes = await list(['volume', 'ls', '-q', ...filter]);
  if (volumes.length) {
    await docker(['volume', 'rm', '-f', ...volumes]);
  }
  const networks = await list(['network', 'ls', '-q', ...filter]);
  if (networks.length) {
    await docker(['network', 'rm', ...networks]);
  }
}

/**
 * Removes one Docker host: kills its processes, unmounts, removes cgroups, shim sockets,
 * namespaces and its directory. Safe on a host that is half gone; used by the owner's teardown
 * (after dockerd stopped) and by sweeps.
 */
export async function removeDockerHost(h: {
  id: string;
  names?: DockerNames;
  namespaces?: string[];
  dirs?: string[];
  cgroups?: string[];
  createdRunDirs: string[];
  daemon?: string;
}): Promise<void> {
  if (h.daemon) {
    await removeOnDaemon(h.daemon, h.id);
    for (const dir of h.dirs ?? []) {
      await rm(dir, { recursive: true, force: true });
    }
    return;
  }
  const names = h.names ?? dockerNames(h.id);
  const namespaces = h.namespaces ?? [names.hostNs, names.outsideNs];
  const dirs = [...new Set([names.dir, ...(h.dirs ?? [])])];
  const cgroups = h.cgroups ?? (await cgroupDirs()).filter((d) => dockerIdOf(basename(d)) === h.id);
  await killEverything({ namespaces, dirs, cgroups });
  for (const cg of cgroups) {
    await rmdirTree(cg);
  }
  for (const dir of dirs) {
    await removeShimSockets(dir);
    await unmountUnder(dir);
  }
  const present = new Set((await run(['ip', 'netns', 'list'], { reject: false })).stdout.split(/\s+/));
  for (const ns of namespaces.filter((n) => present.has(n))) {
    await run(['ip', 'netns', 'del', ns], { reject: false });
  }
  for (const dir of dirs) {
    await rm(dir, { recursive: true, force: true });
  }
  await removeRunDirs(h.createdRunDirs);
  await removeStaleSocketLinks();
}

/** Sweeps Docker hosts whose owner is gone (every one with `all`), of every run or of one. */
export async function sweepDocker(opts: { all?: boolean; runId?: string } = {}) {
  const chosen = selectForSweep(await findDockerHosts(), opts);
  const removed: DockerLeftovers[] = [];
  for (const h of chosen.remove) {
    try {
      await removeDockerHost(h);
    } catch (e) {
      // Its record stays: the next sweep tries again.
      chosen.unknown.push({ ...h, owner: 'unknown', problem: (e as Error).message });
      continue;
    }
    await removeDockerRecord(h.id);
    removed.push(h);
  }
  return { removed, kept: chosen.kept, unknown: chosen.unknown };
}
