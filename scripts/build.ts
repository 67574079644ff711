// npm run build (and `prepare`, which npm runs on `npm ci` and on installs from git): compiles the
// CLI into dist/ so `rcnc` starts without compiling TypeScript through tsx on every call.
//   - One ESM chunk per lazily imported command (splitting), packages left to node_modules, so a
//     command loads only its own code: `--version` and `analyze` never load the Kubernetes client,
//     testcontainers or vitest.
//   - dist/inputs.json lists every source file the build compiled, with its size, mtime and SHA-256;
//     bin/compiled.mjs runs dist/ only while every one of them is unchanged, so an edited source
//     is never run stale. It is written last, and removed first, so a half-written dist/ is never
//     taken for a fresh one.
// Only the CLI is compiled: vitest runs the scenario files, the reporter and the load client's
// worker from the sources, as it does under `npm test`.
import { build, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { COMPILED_ENTRY, describeInput, INPUTS_FILE, type CompiledInput } from '../bin/compiled.mjs';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
// Files that shape the output without being imported by it.
const BUILD_INPUTS = ['scripts/build.ts', 'tsconfig.json'];

/**
 * Records every source file as esbuild compiles it: its bytes are hashed as read, so the record is
 * of exactly what went into dist/ even when a file is edited during the build (its mtime, taken
 * before the read, then differs and bin/compiled.mjs compares the hash).
 */
function recordInputs(inputs: CompiledInput[]): Plugin {
  return {
    name: 'record-inputs',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const { mtimeMs } = await stat(args.path);
        const contents = await readFile(args.path);
        const path = relative(ROOT, args.path);
        inputs.push({
          path,
          size: contents.length,
          mtimeMs,
          sha256: createHash('sha256').update(contents).digest('hex'),
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

const started = Date.now();
await rm(join(DIST, INPUTS_FILE), { force: true });
const inputs: CompiledInput[] = BUILD_INPUTS.map((path) => describeInput(ROOT, path));
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { [COMPILED_ENTRY.replace(/\.js$/, '')]: 'src/cli.ts' },
  outdir: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
  plugins: [recordInputs(inputs)],
});
// Chunks of earlier builds that this one did not write.
const written = new Set(Object.keys(result.metafile.outputs).map((o) => relative(DIST, join(ROOT, o))));
for (const name of await readdir(DIST)) {
  if (!written.has(name)) {
    await rm(join(DIST, name), { recursive: true, force: true });
  }
}
inputs.sort((a, b) => a.path.localeCompare(b.path));
await writeFile(join(DIST, INPUTS_FILE), JSON.stringify({ inputs }, null, 1) + '\n');
console.error(`build: dist/ from ${inputs.length} files in ${Date.now() - started} ms`);
