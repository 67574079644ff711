// Resident memory of a set of processes, read from /proc and summed by kind. RSS (VmRSS) counts a
// page once per process that maps it, so three kubelets count the same binary text three times;
// PSS (smaps_rollup) splits each shared page among its sharers, so PSS sums to what the set costs
// the machine. Both are given: RSS is what `ps` and `top` show, PSS is what adds up.
import { readFile } from 'node:fs/promises';

export interface KindMemory {
  processes: number;
  rssBytes: number;
  pssBytes: number;
}

export type MemoryByKind = Record<string, KindMemory>;

const kb = (text: string, key: string): number | undefined => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
};

/** RSS and PSS of one process, or undefined when it is gone (or a kernel thread, which has none). */
async function processMemory(pid: number): Promise<{ rss: number; pss: number } | undefined> {
  try {
    const [status, rollup] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/smaps_rollup`, 'utf8'),
    ]);
    const rss = kb(status, 'VmRSS');
    const pss = kb(rollup, 'Pss');
    return rss === undefined || pss === undefined ? undefined : { rss, pss };
  } catch {
    return undefined;
  }
}

/** The command name of a process (comm: at most 15 characters), or undefined when it is gone. */
export const commOf = (pid: number): Promise<string | undefined> =>
  readFile(`/proc/${pid}/comm`, 'utf8').then(
    (t) => t.trim(),
    () => undefined,
  );

/** Memory of every process by the kind it is given; processes gone meanwhile are left out. */
export async function memoryByKind(kinds: Map<number, string>): Promise<MemoryByKind> {
  const byKind: MemoryByKind = {};
  for (const [pid, kind] of kinds) {
    const m = await processMemory(pid);
    if (m) {
      const k = (byKind[kind] ??= { processes: 0, rssBytes: 0, pssBytes: 0 });
      k.processes += 1;
      k.rssBytes += m.rss;
      k.pssBytes += m.pss;
    }
  }
  return byKind;
}

export const totalOf = (m: MemoryByKind): KindMemory =>
  Object.values(m).reduce(
    (a, k) => ({
      processes: a.processes + k.processes,
      rssBytes: a.rssBytes + k.rssBytes,
      pssBytes: a.pssBytes + k.pssBytes,
    }),
    { processes: 0, rssBytes: 0, pssBytes: 0 },
  );
