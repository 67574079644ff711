// Reading DIR: which names analyze reads, and reading one file safely. A file is looked at before
// it is opened (stat, not read-then-count): only regular files are read, symlinks only when they
// lead to one, and nothing larger than MAX_FILE_BYTES. A device (a link to /dev/zero), a FIFO or a
// socket would block or never end; they are refused by what they are.
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { UsageError } from '../util/errors.ts';
import { decodeTranscript } from './transcript-text.ts';

const MIB = 1024 * 1024;
export const MAX_FILE_BYTES = 64 * MIB;

export type PodFileKind =
  | 'cluster-nodes'
  | 'ss'
  | 'netstat'
  | 'proc-net-tcp'
  | 'tcpdump'
  | 'log'
  | 'info-replication'
  | 'sentinel-replicas'
  | 'sentinel-sentinels'
  | 'sentinel-master';
export type NodeFileKind = 'ip-addr' | 'ifconfig';
export const TABLES = ['pods.txt', 'nodes.txt', 'services.txt', 'podcidrs.txt'] as const;
export type TableName = (typeof TABLES)[number];

const POD_FILES: [PodFileKind, RegExp][] = [
  ['cluster-nodes', /^(.+)\.cluster-nodes\.txt$/],
  ['ss', /^(.+)\.ss\.txt$/],
  ['netstat', /^(.+)\.netstat\.txt$/],
  ['proc-net-tcp', /^(.+)\.proc-net-tcp\.txt$/],
  ['info-replication', /^(.+)\.info-replication\.txt$/],
  ['tcpdump', /^(.+)\.tcpdump\.txt$/],
  ['log', /^(.+)\.log(?:\.txt)?$/],
  ['info-replication', /^(.+)\.info-replication\.txt$/],
  ['sentinel-replicas', /^(.+)\.sentinel-replicas\.txt$/],
  ['sentinel-sentinels', /^(.+)\.sentinel-sentinels\.txt$/],
  ['sentinel-master', /^(.+)\.sentinel-master\.txt$/],
];
const NODE_FILES: [NodeFileKind, RegExp][] = [
  ['ip-addr', /^(.+)\.ip-addr\.txt$/],
  ['ifconfig', /^(.+)\.ifconfig\.txt$/],
];
// Files that belong in an example or artifact directory but are not evidence.
const IGNORED = /^(?:README(?:\..*)?|expected\.json|\..*)$/i;

/** One line, for errors and the exit-2 message. */
export const EXPECTED_FILES =
  '<pod>.cluster-nodes.txt, <pod>.ss.txt, <pod>.netstat.txt, <pod>.proc-net-tcp.txt, <pod>.tcpdump.txt, <pod>.log, <pod>.info-replication.txt, <sentinel>.sentinel-replicas.txt, <sentinel>.sentinel-sentinels.txt, <sentinel>.sentinel-master.txt, pods.txt, nodes.txt, services.txt, podcidrs.txt, <node>.ip-addr.txt, <node>.ifconfig.txt';

export type FileRole =
  | { role: 'table'; table: TableName }
  | { role: 'pod'; kind: PodFileKind; pod: string }
  | { role: 'node'; kind: NodeFileKind; node: string }
  | { role: 'ignored' }
  | { role: 'unknown'; problem: string };

/** What a file name says the file is. */
export function fileRole(name: string): FileRole {
  if (IGNORED.test(name)) {
    return { role: 'ignored' };
  }
  const table = TABLES.find((t) => t === name);
  if (table) {
    return { role: 'table', table };
  }
  for (const [kind, re] of POD_FILES) {
    const m = re.exec(name);
    if (m) {
      return { role: 'pod', kind, pod: m[1]! };
    }
  }
  for (const [kind, re] of NODE_FILES) {
    const m = re.exec(name);
    if (m) {
      return { role: 'node', kind, node: m[1]! };
    }
  }
  return {
    role: 'unknown',
    problem: name.endsWith('.pcap')
      ? 'pcap files are not read; add its text: tcpdump -r FILE -nn -tt -v > <pod>.tcpdump.txt'
      : `not a file rcnc analyze reads (expected ${EXPECTED_FILES})`,
  };
}

/** The names in DIR that are not directories, sorted. Throws UsageError when DIR cannot be listed. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) {
      throw new UsageError(`${dir} is a file, not a directory; pass the directory that holds the collected files`);
    }
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => !e.isDirectory())
      .map((e) => e.name)
      .sort();
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
