// The cluster's long-running programs (etcd, the API server, containerd, kubelet, flanneld,
// kube-proxy, the relays), each started inside the run's namespaces with nsenter, its output in a
// log file of the run dir, its pid recorded there for `rcnc kube down` and `rcnc clean`. Inside a
// run they die with their starter (pdeathsig); `rcnc kube up` starts them to outlive the command.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TopologyError } from '../../util/errors.ts';
import { waitFor } from '../../util/wait.ts';

export interface DaemonPlace {
  /** Network namespace name (under /run/netns). */
  netns: string;
  /** A persistent mount namespace file, for node daemons. */
  mountNs?: string;
}

export interface DaemonRecord {
  name: string;
  pid: number;
  log: string;
}

/** argv that runs a command in a place: nsenter opens the namespace files before entering any. */
export const inPlace = (place: DaemonPlace, argv: string[]): string[] => [
  'nsenter',
  `--net=/run/netns/${place.netns}`,
  ...(place.mountNs ? [`--mount=${place.mountNs}`] : []),
  '--',
  ...argv,
];

export const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !isZombie(pid);

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Why a daemon ended, from its log: the first panic or fatal line (a Go panic's stack would push
 * it out of any tail) and the last lines.
 */
export async function logTail(log: string, lines = 4): Promise<string> {
  const all = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n');
  const fatal = all.find((l) => /^panic: |^F\d{4} |level=fatal|^E\d{4} .*(failed|error)/i.test(l));
  const tail = all.slice(-lines);
  return [...(fatal && !tail.includes(fatal) ? [fatal, '…'] : []), ...tail].join(' | ');
}

export class Daemons {
  private readonly started: DaemonRecord[] = [];

  constructor(
    private readonly logDir: string,
    private readonly opts: { persist: boolean; record: string },
  ) {}

  get records(): readonly DaemonRecord[] {
    return this.started;
  }

  /** Starts argv in `place`, or with `null` in this machine's namespaces (only the loopback relay). */
  async start(
    name: string,
    place: DaemonPlace | null,
    argv: string[],
    env: Record<string, string> = {},
  ): Promise<DaemonRecord> {
    await mkdir(this.logDir, { recursive: true });
    const log = join(this.logDir, `${name}.log`);
    const fd = openSync(log, 'a');
    // pdeathsig survives nsenter's exec: a killed run takes its daemons along.
    const full = [
      ...(this.opts.persist ? [] : ['setpriv', '--pdeathsig', 'KILL']),
      ...(place ? inPlace(place, argv) : argv),
    ];
    try {
      const child = spawn(full[0]!, full.slice(1), {
        stdio: ['ignore', fd, fd],
        detached: true,
        // TMPDIR in the cluster's own dir: what a daemon writes there (containerd's stack dumps,
        // kubelet's scratch files) goes with the cluster instead of outliving it in /tmp.
        env: { ...process.env, TMPDIR: this.logDir, ...env },
      });
      if (child.pid === undefined) {
        throw new TopologyError(`could not start ${name} (${argv[0]})`);
      }
      child.on('error', () => {});
      child.unref();
      const rec = { name, pid: child.pid, log };
      this.started.push(rec);
      await appendFile(this.opts.record, `${JSON.stringify(rec)}\n`);
      return rec;
    } finally {
      closeSync(fd);
    }
  }

  /** Throws with the log's last lines when a daemon has exited. */
  async assertRunning(name: string): Promise<void> {
    const rec = this.started.find((r) => r.name === name);
    if (rec && !alive(rec.pid)) {
      throw new TopologyError(`${name} exited: ${await logTail(rec.log)} (log: ${rec.log})`);
    }
  }

  /**
   * Forgets the named daemons and returns their records: a node stopped on purpose (its processes
   * are killed with the rest of the node), so neither assertRunning nor stopAll looks for them.
   */
  forget(names: readonly string[]): DaemonRecord[] {
    const gone = this.started.filter((r) => names.includes(r.name));
    this.started.splice(0, this.started.length, ...this.started.filter((r) => !names.includes(r.name)));
    return gone;
  }

  /**
   * Stops every daemon at once: SIGTERM, then SIGKILL after `graceMs`. All at once, not one after
   * another: the cluster is being thrown away, so no daemon needs another to outlive it, and a
   * dozen Go daemons each taking seconds to exit on a loaded machine added up past the bound a
   * signalled process has for its whole teardown.
   */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(this.started.map((rec) => stopPid(rec.pid, rec.name, graceMs)));
    this.started.length = 0;
  }
}

export async function stopPid(pid: number, name: string, graceMs: number): Promise<void> {
  if (!alive(pid)) {
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const gone = await waitFor({
    target: `${name} (pid ${pid}) to exit after SIGTERM`,
    timeoutMs: graceMs,
    intervalMs: 50,
    check: async () => ({ done: !alive(pid), state: alive(pid) ? 'running' : 'gone' }),
  }).then(
    () => true,
    () => false,
  );
  if (!gone) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Daemon records of a cluster dir (one JSON line each), for down and clean. */
export async function readDaemonRecords(file: string): Promise<DaemonRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as DaemonRecord];
      } catch {
        return [];
      }
    });
}
