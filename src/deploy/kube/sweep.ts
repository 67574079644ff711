// Taking a kube cluster down from what its run dir says, without the process that started it:
// `rcnc kube down` (a cluster `rcnc kube up` left running on purpose) and `rcnc clean` (one a
// killed run left). Same order as the live teardown: daemons, then every process left in the
// nodes' namespaces and cgroups, then mounts, namespaces, cgroups and the dir.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../util/exec.ts';
import { ownerAlive } from '../../util/run-state.ts';
import { waitFor } from '../../util/wait.ts';
import { labRoots } from '../netns/names.ts';
import { alive, readDaemonRecords, stopPid } from './daemons.ts';
import { cgroupHierarchies, ownMemoryCgroup, pidsUnder, removeCgroupDirs } from './host.ts';
import { isKubeId, KUBE_DIR_PREFIX, KUBE_NS_PREFIX, kubeNames, type KubeClusterState } from './names.ts';

export interface FoundCluster {
  id: string;
  dir?: string;
  state?: KubeClusterState;
  namespaces: string[];
  /** The cgroup folder of the cluster, from its record or found in a hierarchy. */
  cgroupBase?: string;
}

async function netnsList(): Promise<string[]> {
  const r = await run(['ip', 'netns', 'list'], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

/** Every kube cluster of ours on this machine: by run dir and by namespace name. */
export async function findClusters(): Promise<FoundCluster[]> {
  const byId = new Map<string, FoundCluster>();
  const get = (id: string) => byId.get(id) ?? byId.set(id, { id, namespaces: [] }).get(id)!;
  for (const root of labRoots()) {
    for (const name of existsSync(root) ? readdirSync(root) : []) {
      const id = name.slice(KUBE_DIR_PREFIX.length);
      if (name.startsWith(KUBE_DIR_PREFIX) && isKubeId(id)) {
        const c = get(id);
        c.dir = join(root, name);
        c.state = await readFile(join(c.dir, 'cluster.json'), 'utf8')
          .then((t) => JSON.parse(t) as KubeClusterState)
          .catch(() => undefined);
      }
    }
  }
  // A cluster killed before its record was written, or whose dir is gone, still has cgroups.
  for (const parent of [...new Set([await ownMemoryCgroup(), '/'])]) {
    for (const h of cgroupHierarchies({ withUnified: true })) {
      const dir = join('/sys/fs/cgroup', h, parent);
      for (const name of existsSync(dir) ? readdirSync(dir) : []) {
        const id = name.slice(KUBE_DIR_PREFIX.length);
        if (name.startsWith(KUBE_DIR_PREFIX) && isKubeId(id)) {
          get(id).cgroupBase ??= join(parent, name);
        }
      }
    }
  }
  for (const ns of await netnsList()) {
    const m = new RegExp(`^${KUBE_NS_PREFIX}([0-9a-f]{6})-`).exec(ns);
    if (m) {
      get(m[1]!).namespaces.push(ns);
    }
  }
  return [...byId.values()].map((c) => ({ ...c, cgroupBase: c.state?.cgroupBase ?? c.cgroupBase }));
}

/**
 * Whether a cluster is in use: its starting process lives (a run), or, for one `rcnc kube up`
 * left on purpose, its API server does.
 */
export async function clusterLive(c: FoundCluster): Promise<boolean> {
  if (!c.state) {
    return false;
  }
  if (!c.state.persist) {
    return ownerAlive({ pid: c.state.pid, startTime: c.state.startTime });
  }
  const daemons = c.dir ? await readDaemonRecords(join(c.dir, 'daemons.jsonl')) : [];
  return daemons.some((d) => d.name === 'kube-apiserver' && alive(d.pid));
}

export async function killAll(pids: () => Promise<number[]>, what: string): Promise<void> {
  await waitFor({
    target: `every process of ${what} to be gone`,
    timeoutMs: 20_000,
    intervalMs: 100,
    check: async () => {
      const left = (await pids()).filter((p) => p !== process.pid);
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
      }
      return { done: left.length === 0, state: `${left.length} left: ${left.slice(0, 8).join(' ')}` };
    },
  });
}

/** Pids in the cluster's cgroups and in its nodes' network namespaces. */
export async function clusterPids(c: FoundCluster): Promise<number[]> {
  const pids = new Set<number>();
  const base = c.cgroupBase ?? c.state?.cgroupBase;
  if (base) {
    for (const h of cgroupHierarchies({ withUnified: true })) {
      pidsUnder(join('/sys/fs/cgroup', h, base)).forEach((p) => pids.add(p));
    }
  }
  for (const ns of c.namespaces) {
    const r = await run(['ip', 'netns', 'pids', ns], { reject: false });
    r.stdout
      .split('\n')
      .filter(Boolean)
      .forEach((p) => pids.add(Number(p)));
  }
  return [...pids];
}

/** Takes a cluster down from its run dir; idempotent, and each step runs even if one before failed. */
export async function removeCluster(c: FoundCluster): Promise<string[]> {
  const problems: string[] = [];
  const step = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  const daemons = c.dir ? await readDaemonRecords(join(c.dir, 'daemons.jsonl')) : [];
  for (const d of [...daemons].reverse()) {
    await step(`stop ${d.name}`, () => stopPid(d.pid, d.name, 5_000));
  }
  await step('kill what is left', () => killAll(() => clusterPids(c), `kube cluster ${c.id}`));
  if (c.dir) {
    const names = kubeNames(c.id, join(c.dir, '..'));
    const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    for (const line of mounts.split('\n').reverse()) {
      const target = line.split(' ')[4];
      if (target && (target === names.nsDir || target.startsWith(`${names.nsDir}/`))) {
        await step(`unmount ${target}`, () => run(['umount', '-l', target]));
      }
    }
  }
  for (const ns of c.namespaces) {
    await step(`delete namespace ${ns}`, () => run(['ip', 'netns', 'delete', ns]));
  }
  const base = c.cgroupBase ?? c.state?.cgroupBase;
  if (base) {
    await step('remove cgroups', () =>
      removeCgroupDirs(cgroupHierarchies({ withUnified: true }).map((h) => join('/sys/fs/cgroup', h, base))),
    );
  }
  if (c.dir) {
    await step(`remove ${c.dir}`, () => rm(c.dir!, { recursive: true, force: true }));
  }
  return problems;
}

/**
 * `rcnc clean`'s part: every kube cluster of a run that is gone (and, with `all`, every one). A
 * cluster a live run uses, or one `rcnc kube up` left on purpose and whose API server still runs,
 * is kept and named.
 */
export async function sweepKubeClusters(o: { all?: boolean } = {}): Promise<string[]> {
  const lines: string[] = [];
  for (const c of await findClusters()) {
    if (!o.all && (await clusterLive(c))) {
      lines.push(
        c.state?.persist
          ? `kept kube cluster ${c.id}: rcnc kube up started it and it runs; remove it with rcnc kube down ${c.id}`
          : `kept kube cluster ${c.id}: its run ${c.state?.runId ?? '?'} (pid ${c.state?.pid}) is still alive; use --all to remove it`,
      );
      continue;
    }
    const problems = await removeCluster(c);
    lines.push(
      problems.length
        ? `kube cluster ${c.id}: removed what could be; ${problems.join('; ')}`
        : `removed kube cluster ${c.id}: ${c.namespaces.length} namespace(s)${c.dir ? `, ${c.dir}` : ''}`,
    );
  }
  return lines;
}

/**
 * What a cluster of this id left on the machine: namespaces, mounts, cgroup dirs, processes (empty
 * once it is stopped or swept). The kube tests assert on it, and the owner of a run's shared
 * cluster checks it after the stop no test can watch (src/suite/kube-shared-setup.ts).
 */
export async function clusterTraces(id: string): Promise<string[]> {
  const found: string[] = [];
  const ns = (await run(['ip', 'netns', 'list'])).stdout;
  found.push(...ns.split('\n').filter((l) => l.startsWith(`${KUBE_NS_PREFIX}${id}-`)));
  found.push(
    ...readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`${KUBE_DIR_PREFIX}${id}`)),
  );
  const cg = await run(['find', '/sys/fs/cgroup', '-maxdepth', '5', '-name', `${KUBE_DIR_PREFIX}${id}`], {
    reject: false,
  });
  found.push(...cg.stdout.split('\n').filter(Boolean));
  const ps = await run(['ps', '-eo', 'pid,args'], { reject: false });
  found.push(...ps.stdout.split('\n').filter((l) => l.includes(`${KUBE_DIR_PREFIX}${id}`)));
  return found;
}
