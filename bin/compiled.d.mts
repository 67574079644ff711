// Types of bin/compiled.mjs, for scripts/build.ts and the tests.

/** One file the build read, as it was when dist/ was built. */
export interface CompiledInput {
  /** Relative to the package root. */
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export const COMPILED_ENTRY: string;
export const INPUTS_FILE: string;

/** dist/'s entry module when it was built from the sources as they are now; else why not. */
export function compiledCli(root: string): { entry: string } | { stale: string };

/** An input as it is now, as the build records it (`path` relative to `root`). */
export function describeInput(root: string, path: string): CompiledInput;
