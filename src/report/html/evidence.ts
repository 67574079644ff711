// The artifact files of each cell, read once before rendering so the page builder stays a pure
// function of results.json plus these texts. Only files inside the report directory are read.
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import type { ResultsFile } from '../../model/results.ts';

export type ArtifactKind = 'cluster-nodes' | 'log' | 'sockets' | 'nat' | 'capture-text' | 'pcap' | 'text' | 'binary';

export interface EvidenceFile {
  /** As listed in the cell's `artifacts`: relative to the report directory. */
  path: string;
  kind: ArtifactKind;
  /** The pod the file is about, from its name (`redis-0.log` → `redis-0`). */
  member?: string;
  /** For CLUSTER NODES views: `ghost` (when the dial-back failed), `after-fix`; none = after the join. */
  stage?: string;
  size?: number;
  /** The text, cut at MAX_TEXT_BYTES; absent for captures, binary files and files that could not be read. */
  text?: string;
  truncated?: boolean;
  /** Why the file is not shown (missing, outside the report directory). */
  error?: string;
}

export interface CellEvidence {
  cellId: string;
  files: EvidenceFile[];
}

/** A Redis log of a long run can be hundreds of MB; the page shows a filtered excerpt anyway. */
export const MAX_TEXT_BYTES = 512 * 1024;

/**
 * Reads every artifact the cells list, relative to `dir` (the run's report directory). Paths that
 * leave `dir` (`../`, absolute, symlinks out) are not read: a results.json handed to `rcnc report`
 * must not be able to copy arbitrary files of this machine into a page that gets shared.
 */
export async function loadEvidence(dir: string, results: ResultsFile): Promise<CellEvidence[]> {
  const root = await realpath(resolve(dir)).catch(() => resolve(dir));
  const evidence: CellEvidence[] = [];
  // Cell by cell, files in parallel: bounded file handles however many cells a run has.
  for (const cell of results.cells) {
    const paths = [...new Set(cell.artifacts)];
    evidence.push({ cellId: cell.id, files: await Promise.all(paths.map((path) => loadFile(root, path))) });
  }
  return evidence;
}

async function loadFile(root: string, path: string): Promise<EvidenceFile> {
  const file: EvidenceFile = { path, ...classifyArtifact(path) };
  if (!isSafeRelative(path)) {
    return { ...file, error: 'not inside the report directory; not read' };
  }
  let real: string;
  try {
    real = await realpath(resolve(root, path));
  } catch {
    return { ...file, error: 'missing from the report directory' };
  }
  const rel = relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { ...file, error: 'links outside the report directory; not read' };
  }
  const info = await stat(real);
  if (!info.isFile()) {
    return { ...file, error: 'not a regular file' };
  }
  file.size = info.size;
  return file.kind === 'pcap' ? file : readText(real, info.size, file);
}

async function readText(real: string, size: number, file: EvidenceFile): Promise<EvidenceFile> {
  const handle = await open(real, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(size, MAX_TEXT_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.includes(0)) {
      // A NUL means binary; other kinds keep their name-given kind but are not shown as text.
      return file.kind === 'text' ? { ...file, kind: 'binary' } : { ...file, error: 'binary content; not shown' };
    }
    let text = new TextDecoder('utf-8').decode(bytes);
    if (size > bytesRead) {
      // Cut at the last full line so the excerpt never ends in half a line (or half a character).
      const lastNewline = text.lastIndexOf('\n');
      text = lastNewline > 0 ? text.slice(0, lastNewline + 1) : text;
      file.truncated = true;
    }
    file.text = text;
    return file;
  } finally {
    await handle.close();
  }
}

/**
 * What a file holds, from the names scenarios give artifacts (scenarios/<family>/run.ts, and the
 * `cluster/` layout `rcnc analyze` reads): `redis-0.cluster-nodes[.ghost].txt`, `redis-0.log`,
 * `redis-0.log.txt`, `redis-0.ss.txt`, `redis-3.tcpdump.txt`, `bus.pcap`, …
 */
export function classifyArtifact(path: string): Pick<EvidenceFile, 'kind' | 'member' | 'stage'> {
  const name = posix.basename(path.replace(/\\/g, '/'));
  const view = /^(.+?)\.(?:cluster-)?nodes(?:\.([A-Za-z0-9_-]+))?\.txt$/.exec(name);
  if (view) {
    return { kind: 'cluster-nodes', member: view[1], ...(view[2] ? { stage: view[2] } : {}) };
  }
  const log = /^(.+?)\.log(?:\.txt)?$/.exec(name);
  if (log) {
    return { kind: 'log', member: log[1] };
  }
  if (/\.pcap(?:ng)?$/.test(name)) {
    return { kind: 'pcap', ...memberOf(name, /^(.+?)\.[^.]+\.pcap(?:ng)?$/) };
  }
  const capture = /^(.+?)\.tcpdump\.txt$/.exec(name);
  if (capture) {
    return { kind: 'capture-text', member: capture[1] };
  }
  const sockets = /^(?:(.+?)\.)?(?:sockets|ss|netstat|proc-net-tcp6?)(?:\.[A-Za-z0-9_-]+)?\.txt$/.exec(name);
  if (sockets) {
    return { kind: 'sockets', ...(sockets[1] ? { member: sockets[1] } : {}) };
  }
  const nat = /^(?:(.+?)\.)?(?:nat|nat-map|conntrack)(?:\.[A-Za-z0-9_-]+)?\.(?:txt|json)$/.exec(name);
  if (nat) {
    return { kind: 'nat', ...(nat[1] ? { member: nat[1] } : {}) };
  }
  return { kind: 'text' };
}

function memberOf(name: string, pattern: RegExp): { member?: string } {
  const m = pattern.exec(name);
  return m?.[1] ? { member: m[1] } : {};
}

export function isSafeRelative(path: string): boolean {
  if (typeof path !== 'string' || path === '' || path.includes('\0') || path.includes('\\')) {
    return false;
  }
  if (isAbsolute(path) || posix.isAbsolute(path) || /^[A-Za-z]:/.test(path)) {
    return false;
  }
  const normal = posix.normalize(path);
  return normal !== '..' && !normal.startsWith('../') && normal !== '.';
}

/**
 * A link that stays relative whatever the path looks like: `./` keeps `javascript:x` or `c:x`
 * from reading as a URL scheme, and each segment is percent-encoded.
 */
export function artifactHref(path: string): string {
  return './' + posix.normalize(path).split('/').map(encodeURIComponent).join('/');
}
