// The run-state directory: records of what a live rcnc process owns (labs, runs, daemons), kept
// under /run/rcnc whatever TMPDIR the owner or a sweeper has. A record names its owner by PID and
// that process's start time, so a PID reused after the owner died does not keep a dead record
// "alive". Records are written atomically (write, then rename); one that cannot be read is
// reported, never fatal.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** On tmpfs, root-only, the same for every environment. */
export const RUN_STATE_DIR = '/run/rcnc';

/**
 * Where this user's records live: RUN_STATE_DIR for root; otherwise (k3d and kubeconfig runs need
 * no root) the user's runtime dir, else a dir in their cache. `rcnc clean` run by the same user
 * reads the same place.
 */
export function runStateRoot(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (uid === 0) {
    return RUN_STATE_DIR;
  }
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'rcnc') : join(homedir(), '.cache', 'rcnc', 'run');
}

export interface Owner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot when the owner started. */
  startTime: number;
}

export interface RecordProblem {
  id: string;
  file: string;
  problem: string;
}

/** The start time of a process, or undefined when it does not exist. */
export async function processStartTime(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

/** This process as an owner. */
export async function self(): Promise<Owner> {
  const startTime = await processStartTime(process.pid);
  if (startTime === undefined) {
    throw new Error('cannot read /proc/self/stat: rcnc needs Linux with /proc');
  }
  return { pid: process.pid, startTime };
}

/** A process with this PID exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive: the PID exists and started when the record says (so it is the owner, not a reuse). */
export const ownerAlive = async (o: Owner): Promise<boolean> => (await processStartTime(o.pid)) === o.startTime;

/** Records of one kind (`labs`, `runs`, …), one JSON file per id. */
export class StateRecords<T extends Owner> {
  readonly dir: string;
  constructor(
    kind: string,
    private readonly validate: (id: string, data: Record<string, unknown>) => string | undefined,
    root = RUN_STATE_DIR,
  ) {
    this.dir = join(root, kind);
  }

  file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  async write(id: string, record: T): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${id}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, JSON.stringify(record) + '\n', { mode: 0o600 });
    await rename(tmp, this.file(id));
  }

  remove(id: string): Promise<void> {
    return rm(this.file(id), { force: true });
  }

  /** Every record, and the ones that could not be read. */
  async readAll(): Promise<{ records: (T & { id: string })[]; problems: RecordProblem[] }> {
    const records: (T & { id: string })[] = [];
    const problems: RecordProblem[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\.json$/.exec(name);
      if (!m) {
        continue;
      }
      const id = m[1]!;
      const file = join(this.dir, name);
      const parsed = await this.read(id, file);
      if (typeof parsed === 'string') {
        problems.push({ id, file, problem: parsed });
      } else {
        records.push({ ...parsed, id });
      }
    }
    return { records, problems };
  }

  private async read(id: string, file: string): Promise<T | string> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      return `is unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return `is not JSON (${(e as Error).message.split('\n')[0]})`;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return 'is not a JSON object';
    }
    const r = data as Record<string, unknown>;
    if (!Number.isInteger(r.pid) || !Number.isFinite(r.startTime)) {
      return 'has no owner pid and start time';
    }
    const problem = this.validate(id, r);
    return problem ?? (r as unknown as T);
  }
}
