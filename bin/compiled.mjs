// Whether the compiled CLI in dist/ (scripts/build.ts) may run: only when it was built from the
// sources as they are now. The build lists every file it read in dist/inputs.json with its size,
// mtime and SHA-256. A file whose size differs is changed; one whose mtime differs (a git
// checkout, an edit, an npm install, which resets every mtime) is hashed, so a file edited back
// to its built content still counts as unchanged. Plain JavaScript: it decides whether tsx is
// needed, so it must run without it. About 200 stats in the common case, a millisecond or two.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const COMPILED_ENTRY = 'cli.js';
export const INPUTS_FILE = 'inputs.json';

/** @returns {{ entry: string } | { stale: string }} */
export function compiledCli(root) {
  const dist = join(root, 'dist');
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(dist, INPUTS_FILE), 'utf8')).inputs;
  } catch {
    return { stale: 'dist/ is not built' };
  }
  for (const input of inputs) {
    const changed = changedSince(join(root, input.path), input);
    if (changed) {
      return { stale: `${input.path} ${changed} since dist/ was built` };
    }
  }
  return { entry: join(dist, COMPILED_ENTRY) };
}

function changedSince(path, built) {
  let info;
  try {
    info = statSync(path);
  } catch {
    return 'is gone';
  }
  if (info.size !== built.size) {
    return 'changed';
  }
  if (info.mtimeMs === built.mtimeMs) {
    return undefined;
  }
  return sha256(path) === built.sha256 ? undefined : 'changed';
}

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** An input as it is now, as the build records it (`path` relative to `root`). */
export function describeInput(root, path) {
  const full = join(root, path);
  const { size, mtimeMs } = statSync(full);
  return { path, size, mtimeMs, sha256: sha256(full) };
}
