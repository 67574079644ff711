// Finding and removing what a lab left behind: processes in its namespaces, the namespaces, its
// temp dir. Used by a lab's own teardown and by `rcnc clean` for runs that were killed.
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../util/exec.ts';
import { pidAlive } from '../../util/run-state.ts';
import { waitFor } from '../../util/wait.ts';
import { ETC_NETNS, labIdOf, labRoots, NS_PREFIX } from './names.ts';
import { ownerAlive, readRecords, removeRecord } from './ownership.ts';

const pidsIn = async (ns: string): Promise<number[]> => {
  const r = await run(['ip', 'netns', 'pids', ns], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
};

const kill = (pid: number, sig: NodeJS.Signals = 'SIGKILL') => {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
};

/** SIGKILLs every process in a namespace and waits until none is left. */
export async function killNamespaceProcesses(ns: string): Promise<void> {
  const first = await pidsIn(ns);
  if (first.length === 0) {
    return;
  }
  first.forEach((p) => kill(p));
  await waitFor({
    target: `processes in namespace ${ns} to exit`,
    timeoutMs: 10_000,
    intervalMs: 20,
    check: async () => {
      const left = await pidsIn(ns);
      left.forEach((p) => kill(p));
      return { done: left.length === 0, state: `pids ${left.join(',')}` };
    },
  });
}

export interface LabLeftovers {
  id: string;
  namespaces: string[];
  dir?: string;
  ownerPid?: number;
  runId?: string;
  /** alive: the owner process runs; gone: provably not; unknown: the record could not be read. */
  owner: 'alive' | 'gone' | 'unknown';
  /** Why the owner is unknown (a damaged record), for `rcnc clean` to report. */
  problem?: string;
  /** Its pods' /etc/netns/<ns> dirs (hosts files for headless names), namespace or not. */
  etcDirs?: string[];
}

/** Labs of releases before the run-state records kept their owner in `<lab dir>/owner.json`. */
async function legacyOwner(id: string): Promise<{ dir: string; pid?: number } | undefined> {
  for (const root of labRoots()) {
    const dir = join(root, `${NS_PREFIX}${id}`);
    const text = await readFile(join(dir, 'owner.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      let pid: number | undefined;
      try {
        pid = Number((JSON.parse(text) as { pid?: unknown }).pid) || undefined;
      } catch {
        pid = undefined;
      }
      return { dir, pid };
    }
  }
  return undefined;
}

/** Every lab of ours on this machine, live or not, with what is known of its owner. */
export async function findLabs(): Promise<LabLeftovers[]> {
  const labs = new Map<string, LabLeftovers>();
  const get = (id: string) => {
    let l = labs.get(id);
    if (!l) {
      labs.set(id, (l = { id, namespaces: [], owner: 'gone' }));
    }
    return l;
  };
  const list = await run(['ip', 'netns', 'list'], { reject: false });
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const id = labIdOf(name);
    if (id) {
      get(id).namespaces.push(name);
    }
  }
  const { records, problems } = await readRecords();
  for (const r of records) {
    const lab = get(r.labId);
    Object.assign(lab, { dir: r.dir, ownerPid: r.pid, runId: r.runId });
    lab.owner = (await ownerAlive(r)) ? 'alive' : 'gone';
  }
  for (const p of problems) {
    const lab = get(p.labId);
    lab.owner = 'unknown';
    lab.problem = `its owner record ${p.file} ${p.problem}`;
  }
  for (const lab of labs.values()) {
    if (records.some((r) => r.labId === lab.id) || lab.problem) {
      continue;
    }
    const legacy = await legacyOwner(lab.id);
    if (legacy) {
      lab.dir = legacy.dir;
      lab.ownerPid = legacy.pid;
      lab.owner = legacy.pid && pidAlive(legacy.pid) ? 'alive' : 'gone';
    }
  }
  await addEtcDirs(get);
  // Lab dirs left without namespaces or records (a run killed while building, older releases).
  for (const root of labRoots()) {
    for (const entry of await readdir(root).catch(() => [] as string[])) {
      const id = labIdOf(entry);
      if (id && entry === `${NS_PREFIX}${id}` && !labs.has(id)) {
        const legacy = await legacyOwner(id);
        labs.set(id, {
          id,
          namespaces: [],
          dir: join(root, entry),
          ownerPid: legacy?.pid,
          owner: legacy?.pid && pidAlive(legacy.pid) ? 'alive' : 'gone',
        });
      }
    }
  }
  return [...labs.values()];
}

/** Hosts files of pods whose lab was killed (the namespace may be gone already). */
async function addEtcDirs(get: (id: string) => LabLeftovers): Promise<void> {
  for (const entry of await readdir(ETC_NETNS).catch(() => [] as string[])) {
    const id = labIdOf(entry);
    if (id) {
      const lab = get(id);
      lab.etcDirs = [...(lab.etcDirs ?? []), join(ETC_NETNS, entry)];
    }
  }
}

/** Processes whose working directory is inside a lab dir (host-network pods, detached leftovers). */
async function processesUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
      continue;
    }
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(dir + '/')) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

/** Removes one lab's processes, namespaces, dir and record. Safe on a lab that is half gone. */
export async function removeLab(lab: LabLeftovers): Promise<void> {
  await Promise.all(lab.namespaces.map((ns) => killNamespaceProcesses(ns)));
  if (lab.dir) {
    (await processesUnder(lab.dir)).forEach((p) => kill(p));
  }
  if (lab.namespaces.length) {
    await run(['ip', '-b', '-'], {
      input: lab.namespaces.map((ns) => `netns del ${ns}`).join('\n') + '\n',
      reject: false,
    });
  }
  if (lab.dir) {
    await rm(lab.dir, { recursive: true, force: true });
  }
  await Promise.all((lab.etcDirs ?? []).map((dir) => rm(dir, { recursive: true, force: true })));
  await removeRecord(lab.id);
}

/**
 * Sweeps labs whose owner is provably gone (or every lab with `all`), of every run or of one.
 * Labs whose record cannot be read are kept and reported: nothing proves their owner is gone.
 */
export async function sweep(
  opts: { all?: boolean; runId?: string } = {},
): Promise<{ removed: LabLeftovers[]; kept: LabLeftovers[]; unknown: LabLeftovers[] }> {
  const labs = (await findLabs()).filter((l) => opts.runId === undefined || l.runId === opts.runId);
  const removed: LabLeftovers[] = [];
  const kept: LabLeftovers[] = [];
  const unknown: LabLeftovers[] = [];
  for (const lab of labs) {
    if (!opts.all && lab.owner !== 'gone') {
      (lab.owner === 'alive' ? kept : unknown).push(lab);
      continue;
    }
    await removeLab(lab);
    removed.push(lab);
  }
  return { removed, kept, unknown };
}
