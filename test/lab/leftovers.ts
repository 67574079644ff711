// What of a lab is still on the machine: namespaces, temp dir and /etc/netns dirs, processes. Tests compare this
// before and after runs that pass, fail, or are interrupted.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { runRecords } from '../../src/cli/run-vitest.ts';
import { dockerRecords } from '../../src/deploy/docker/sweep.ts';
import { KUBE_DIR_PREFIX } from '../../src/deploy/kube/names.ts';
import { ETC_NETNS, labRoots } from '../../src/deploy/netns/names.ts';
import { ownerAlive, readRecords } from '../../src/deploy/netns/ownership.ts';
import { run } from '../../src/util/exec.ts';
import type { Owner } from '../../src/util/run-state.ts';

export interface Leftovers {
  namespaces: string[];
  dirs: string[];
  /** Owner records under /run/rcnc/labs (by lab id). */
  records: string[];
  /** pid + cmdline of processes whose cwd is under a lab dir or that run redis-server/tcpdump in a lab namespace. */
  processes: string[];
}

/** Ancestors of a pid, itself included (from /proc/<pid>/stat's ppid). */
async function ancestry(pid: number): Promise<number[]> {
  const chain: number[] = [];
  for (let p = pid; p > 1 && chain.length < 64;) {
    chain.push(p);
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return chain;
}

/**
 * Names of labs, runs and Docker hosts that live processes other than this test's own (itself and
 * what it started) are using: other sessions' runs on the same machine, whose labs come and go while a
 * test compares before with after. What a dead owner left still counts.
 */
async function othersLive(): Promise<Set<string>> {
  const names = new Set<string>();
  const { records } = await readRecords();
  const runs = await runRecords.readAll();
  // A Docker host (rcnc-dk…) of a test beside this one, e.g. test/lab/docker.test.ts in another worker.
  const docker = await dockerRecords.readAll();
  const owners: [string[], Owner][] = [
    ...records.map((r): [string[], Owner] => [[`rcnc-${r.labId}`], r]),
    ...runs.records.map((r): [string[], Owner] => [[`rcnc-run-${r.runId}`, basename(r.tmpDir)], r]),
    ...docker.records.map((r): [string[], Owner] => [[`rcnc-${r.dockerId}`], r]),
  ];
  for (const [prefixes, owner] of owners) {
    if ((await ownerAlive(owner)) && !(await ancestry(owner.pid)).includes(process.pid)) {
      prefixes.forEach((p) => names.add(p));
    }
  }
  return names;
}

/**
 * A name rcnc gives: a lab's `rcnc-<6 hex>`, a docker host's `rcnc-dk<6 hex>`, a run's `rcnc-run-…`,
 * each alone or followed by `-…`. Not any name that starts with `rcnc-`: a checkout made with
 * `mktemp -d /tmp/rcnc-ci.XXXX` is the cwd of the test runner's own processes.
 */
const rcncName = (n: string) => /^rcnc-(?:(?:dk)?[0-9a-f]{6}(?:-|$)|run-)/.test(n);

/** Ours: an rcnc name that no other live run is using. */
const oursGiven = (others: Set<string>) => (n: string) =>
  rcncName(n) && ![...others].some((o) => n === o || n.startsWith(`${o}-`));

/**
 * Another run's lab can be created or torn down while the listing is taken. Its record is written
 * before its first namespace and removed after its last, so a name seen in the listing belongs to a
 * record that existed before the listing or still exists after it: both are read.
 */
export async function leftovers(given?: (name: string) => boolean): Promise<Leftovers> {
  if (given) {
    return listing(given);
  }
  const othersBefore = await othersLive();
  const seen = await listing(rcncName);
  const others = new Set([...othersBefore, ...(await othersLive())]);
  const ours = oursGiven(others);
  const name = (entry: string) =>
    entry
      .split(' ')
      .pop()!
      .split('/')
      .find((part) => rcncName(part)) ?? '';
  return {
    namespaces: seen.namespaces.filter(ours),
    dirs: seen.dirs.filter(ours),
    records: seen.records.filter((id) => ours(`rcnc-${id}`)),
    processes: seen.processes.filter((p) => ours(name(p))),
  };
}

async function listing(filter: (name: string) => boolean): Promise<Leftovers> {
  const ns = (await run(['ip', 'netns', 'list'], { reject: false })).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n && filter(n));
  // Temp dirs, and the pods' /etc/netns/<ns> dirs (their names are pod namespaces' names).
  const inRoots = (await Promise.all(labRoots().map((r) => readdir(r).catch(() => [] as string[])))).flat();
  const dirs = [...new Set([...inRoots, ...(await readdir(ETC_NETNS).catch(() => [] as string[]))])]
    .filter((d) => filter(d))
    .sort();
  const processes: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const root = labRoots().find((r) => cwd.startsWith(r + '/'));
    if (root && filter(cwd.slice(root.length + 1).split('/')[0] ?? '')) {
      processes.push(`${pid} ${cwd}`);
    }
  }
  for (const n of ns) {
    const pids = (await run(['ip', 'netns', 'pids', n], { reject: false })).stdout.trim();
    if (pids) {
      processes.push(...pids.split('\n').map((p) => `${p} in ${n}`));
    }
  }
  const { records, problems } = await readRecords();
  const ids = [...records.map((r) => r.labId), ...problems.map((p) => p.labId)]
    .filter((id) => filter(`rcnc-${id}`))
    .sort();
  return { namespaces: ns.sort(), dirs, records: ids, processes };
}

export const none: Leftovers = { namespaces: [], dirs: [], records: [], processes: [] };

/** Only what belongs to lab `id`. */
export const leftoversOf = (id: string) => leftovers((n) => n.startsWith(`rcnc-${id}`));

export const labRoot = process.getuid?.() === 0;
export const labSkipReason = labRoot ? undefined : 'the netns lab needs root';

/** What of the docker provider's Docker hosts is on the machine (all of them, or one id's). */
export interface DockerLeftovers {
  namespaces: string[];
  dirs: string[];
  records: string[];
  cgroups: string[];
  mounts: string[];
  /** Docker's processes (dockerd, containerd, shims, docker-proxy) and anything mentioning a host dir. */
  processes: string[];
  socketLinks: string[];
}

export async function dockerLeftovers(id = 'dk'): Promise<DockerLeftovers> {
  const mine = (name: string) => name.includes(`rcnc-${id}`);
  const ns = (await run(['ip', 'netns', 'list'], { reject: false })).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(mine);
  const dirs = (await readdir(tmpdir())).filter(mine).sort();
  const records = (await readdir('/run/rcnc/docker').catch(() => [] as string[])).filter((f) => f.startsWith(id));
  const cgroups: string[] = [];
  for (const ctrl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const inCtrl = await readdir(`/sys/fs/cgroup/${ctrl}`).catch(() => [] as string[]);
    cgroups.push(...inCtrl.filter(mine).map((d) => `${ctrl}/${d}`));
  }
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter(mine);
  const processes: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) {
      continue;
    }
    const exe = (await readlink(`/proc/${pid}/exe`).catch(() => '')).split('/').pop() ?? '';
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    // A kube cluster's containerd and shims name its own dir (rcnc-kube-<id>): the kube provider's,
    // not a Docker host's (one of `rcnc kube up`, or of another run, may be live meanwhile).
    const docker =
      /^(dockerd|containerd|containerd-shim.*|docker-proxy)$/.test(exe) && !cmdline.includes(KUBE_DIR_PREFIX);
    if ((docker && id === 'dk') || mine(cmdline)) {
      processes.push(`${pid} ${cmdline}`);
    }
  }
  const socketLinks = (await readdir(tmpdir())).filter((d) => /^rcnc-docker-\d+\.sock$/.test(d) && id === 'dk');
  return { namespaces: ns.sort(), dirs, records, cgroups, mounts, processes, socketLinks };
}

export const noDocker: DockerLeftovers = {
  namespaces: [],
  dirs: [],
  records: [],
  cgroups: [],
  mounts: [],
  processes: [],
  socketLinks: [],
};
