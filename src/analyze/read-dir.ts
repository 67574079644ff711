// Reading DIR: which names analyze reads, and reading one file safely. A file is looked at before
// it is opened (stat, not read-then-count): only regular files are read, symlinks only when they
// lead to one, and nothing larger than MAX_FILE_BYTES. A device (a link to /dev/zero), a FIFO or a
// socket would block or never end; they are refused by what they are.
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../util/errors.ts';
import { decodeTranscript } from './transcript-text.ts';

const MIB = 1024 * 1024;
export const MAX_FILE_BYTES = 64 * MIB;

/** What a file's name suggests: a kind (only a hint, content decides) and whose file it is. */
export interface NameHint {
  kind?: string;
  /** The word that gave the kind, e.g. `netstat` of `redis-0.netstat.txt`. */
  word?: string;
  /** What is left of the name, e.g. `redis-0`: a pod or node name when a kind word was found. */
  owner?: string;
  /** Whether the kind word was in the name itself, not only its extension (`.log`). */
  named?: true;
}

// Trailing words of a file name and the kind each suggests; longest first, so `sentinel-replicas`
// wins over `replicas`. `nodes` alone is `kubectl get nodes`, as in pods.txt / nodes.txt.
const NAME_WORDS: [string, string][] = (
  [
    ['cluster-nodes', 'cluster-nodes'],
    ['cluster_nodes', 'cluster-nodes'],
    ['nodes.conf', 'nodes-conf'],
    ['cluster-info', 'cluster-info'],
    ['cluster-shards', 'cluster-shards'],
    ['cluster-slots', 'cluster-slots'],
    ['info-replication', 'info'],
    ['replication', 'info'],
    ['info', 'info'],
    ['roles', 'role'],
    ['role', 'role'],
    ['sentinel-replicas', 'sentinel-replicas'],
    ['sentinel-slaves', 'sentinel-replicas'],
    ['sentinel-sentinels', 'sentinel-sentinels'],
    ['sentinel-masters', 'sentinel-masters'],
    ['sentinel-master', 'sentinel-master-addr'],
    ['sentinel-get-master-addr', 'sentinel-master-addr'],
    ['sentinel.conf', 'sentinel-conf'],
    ['redis.conf', 'redis-conf'],
    ['proc-net-tcp', 'sockets'],
    ['netstat', 'sockets'],
    ['ss', 'sockets'],
    ['tcpdump', 'tcpdump'],
    ['logs', 'log'],
    ['log', 'log'],
    ['ip-addr', 'interfaces'],
    ['ifconfig', 'interfaces'],
    ['pods', 'kube-pods'],
    ['pod-wide', 'kube-pods'],
    ['nodes', 'kube-nodes'],
    ['services', 'kube-services'],
    ['svc', 'kube-services'],
    ['podcidrs', 'kube-podcidrs'],
  ] as [string, string][]
).sort((a, b) => b[0].length - a[0].length);

// Files that belong in an example or artifact directory but are not evidence.
const IGNORED = /^(?:README(?:\..*)?|expected\.json|\..*)$/i;
export const isPcap = (name: string): boolean => /\.pcap(?:ng)?$/i.test(name);
// How deep, and how many files, a directory is read: enough for a collected tree, bounded for a mistake.
const MAX_DEPTH = 6;
const MAX_FILES = 5000;

/** The hint in a file's name: `redis-0.cluster-nodes.txt`, `redis-0-cluster-nodes.txt`, `redis-0.log`. */
export function nameHint(path: string): NameHint {
  let stem = path.split('/').at(-1)!;
  const hint: NameHint = {};
  for (let m = /\.(txt|out|log|json|ya?ml)$/i.exec(stem); m; m = /\.(txt|out|log|json|ya?ml)$/i.exec(stem)) {
    const ext = m[1]!.toLowerCase();
    hint.kind ??= ext === 'log' ? 'log' : ext === 'json' ? 'kube-json' : ext.startsWith('y') ? 'kube-yaml' : undefined;
    stem = stem.slice(0, m.index);
    if (ext === 'log') {
      hint.word = 'log';
    }
  }
  const lower = stem.toLowerCase();
  const word = NAME_WORDS.find(([w]) => lower === w || new RegExp(`[._-]${w.replace('.', '\\.')}$`).test(lower));
  if (word) {
    stem = stem.slice(0, stem.length - word[0].length).replace(/[._-]$/, '');
    hint.kind = word[1];
    hint.word = word[0];
    hint.named = true;
  }
  if (hint.word && stem !== '') {
    hint.owner = stem;
  }
  if (hint.kind === undefined) {
    delete hint.kind;
  }
  return hint;
}

/** Whether a file in DIR is left alone: READMEs, expected.json, dot files. */
export const isIgnored = (name: string): boolean => IGNORED.test(name);

/** One line, for errors and the exit-2 message. */
export const EXPECTED_FILES =
  'the output of redis-cli cluster nodes (and cluster info, role, info replication), the Redis logs, ss/netstat, and kubectl get pods/nodes/svc -o wide (e.g. pods.txt), in files of any name or one transcript';

/**
 * The files under DIR (subfolders too, not links to folders), as paths relative to DIR, sorted.
 * Throws UsageError when DIR cannot be listed.
 */
export async function listDir(dir: string): Promise<string[]> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) {
      throw new UsageError(`${dir} is a file, not a directory; pass the directory that holds the collected files`);
    }
    const out: string[] = [];
    const walk = async (rel: string, depth: number): Promise<void> => {
      const entries = await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true });
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.name.startsWith('.') || out.length >= MAX_FILES) {
          continue;
        }
        if (e.isDirectory()) {
          if (depth < MAX_DEPTH && e.name !== 'node_modules') {
            await walk(path, depth + 1);
          }
        } else {
          out.push(path);
        }
      }
    };
    await walk('', 0);
    return out.sort();
  } catch (e) {
    if (e instanceof UsageError) {
      throw e;
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${dir} does not exist; pass the directory that holds the collected files (${EXPECTED_FILES})`
        : `cannot read directory ${dir} (${code ?? (e as Error).message}); check its permissions`,
      { cause: e },
    );
  }
}

function whatItIs(s: Stats): string {
  if (s.isCharacterDevice()) {
    return 'a character device';
  }
  if (s.isBlockDevice()) {
    return 'a block device';
  }
  if (s.isFIFO()) {
    return 'a FIFO';
  }
  if (s.isSocket()) {
    return 'a socket';
  }
  return s.isDirectory() ? 'a directory' : 'not a regular file';
}

/** Why a file must not be read, from its stat; undefined when it may be. */
async function refusal(path: string): Promise<string | undefined> {
  const link = await lstat(path);
  const s = await stat(path);
  const via = link.isSymbolicLink() ? 'a link to ' : '';
  if (!s.isFile()) {
    return `refused: ${via}${whatItIs(s)}, not a regular file; save the command's output to a file`;
  }
  if (s.size > MAX_FILE_BYTES) {
    return `refused: ${via}${Math.ceil((s.size / MIB) * 10) / 10} MiB, over the ${MAX_FILE_BYTES / MIB} MiB limit; cut it down (e.g. grep the bus port)`;
  }
  return undefined;
}

/** Reads at most MAX_FILE_BYTES + 1 bytes: a file that grew since stat is still bounded. */
async function readBounded(path: string): Promise<Buffer | string> {
  // O_NONBLOCK: should the path have become a FIFO since stat, open does not wait for a writer.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    if (!(await handle.stat()).isFile()) {
      return 'refused: not a regular file';
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(MIB), 0, MIB, null);
      if (bytesRead === 0) {
        return Buffer.concat(chunks, total);
      }
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_FILE_BYTES) {
        return `refused: over the ${MAX_FILE_BYTES / MIB} MiB limit; cut it down (e.g. grep the bus port)`;
      }
    }
  } finally {
    await handle.close();
  }
}

/** The file's text, decoded and normalised; or why it cannot be used. Never throws. */
export async function readTranscript(path: string): Promise<string | { problem: string }> {
  try {
    const refused = await refusal(path);
    if (refused) {
      return { problem: refused };
    }
    const bytes = await readBounded(path);
    if (typeof bytes === 'string') {
      return { problem: bytes };
    }
    const decoded = decodeTranscript(bytes);
    return 'problem' in decoded ? decoded : decoded.text;
  } catch (e) {
    return { problem: `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}
