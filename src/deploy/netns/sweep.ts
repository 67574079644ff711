// Finding and removing what a lab left behind: processes in its namespaces, the namespaces, its
// temp dir. Used by a lab's own teardown and by `rcnc clean` for runs that were killed.
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../util/exec.ts';
import { waitFor } from '../../util/wait.ts';
import { labIdOf, NS_PREFIX } from './names.ts';

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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface LabLeftovers {
  id: string;
  namespaces: string[];
  dir?: string;
  ownerPid?: number;
  ownerAlive: boolean;
}

/** Every lab of ours on this machine, live or not. */
export async function findLabs(): Promise<LabLeftovers[]> {
  const labs = new Map<string, LabLeftovers>();
  const get = (id: string) => {
    let l = labs.get(id);
    if (!l) {
      labs.set(id, (l = { id, namespaces: [], ownerAlive: false }));
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
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    const id = labIdOf(entry);
    if (id && entry === `${NS_PREFIX}${id}`) {
      get(id).dir = join(tmpdir(), entry);
    }
  }
  for (const lab of labs.values()) {
    if (!lab.dir) {
      continue;
    }
    const owner = await readFile(join(lab.dir, 'owner.json'), 'utf8').catch(() => '');
    const pid = Number((JSON.parse(owner || '{}') as { pid?: number }).pid);
    if (Number.isInteger(pid) && pid > 0) {
      lab.ownerPid = pid;
      lab.ownerAlive = pid !== process.pid && alive(pid);
    }
  }
  return [...labs.values()];
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

/** Removes one lab's processes, namespaces and dir. Safe to call on a lab that is half gone. */
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
}

/** Sweeps labs whose owning process is gone (or every lab with `all`). */
export async function sweep(opts: { all?: boolean } = {}): Promise<{ removed: LabLeftovers[]; kept: LabLeftovers[] }> {
  const labs = await findLabs();
  const removed: LabLeftovers[] = [];
  const kept: LabLeftovers[] = [];
  for (const lab of labs) {
    if (lab.ownerAlive && !opts.all) {
      kept.push(lab);
      continue;
    }
    await removeLab(lab);
    removed.push(lab);
  }
  return { removed, kept };
}
