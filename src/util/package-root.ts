// Where rcnc's package lives (the directory of its package.json): `rcnc run` hands vitest the
// scenario files and the reporter from there, and `--version` reads package.json there. This module runs from src/util/ or, compiled, from a chunk
// in dist/ (scripts/build.ts), so the root is the first directory upwards with a package.json
// rather than a fixed number of levels up.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRootAbove(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      return undefined;
    }
  }
}

const here = dirname(fileURLToPath(import.meta.url));
// Without a package.json anywhere above, `--version` says so ("version unknown").
export const PACKAGE_ROOT = packageRootAbove(here) ?? here;
