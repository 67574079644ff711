// The compiled CLI (dist/, scripts/build.ts) answers exactly as the sources do, and bin/rcnc.mjs
// runs it only while it was built from the sources as they are now.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compiledCli, describeInput, INPUTS_FILE } from '../../bin/compiled.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILT = existsSync(join(ROOT, 'dist'));
const ABSENT = 'dist/ is absent (npm ci builds it through prepare; so does npm run build): nothing to compare';

const rcnc = (cli: 'sources' | 'compiled', args: string[]) =>
  execa('node', ['bin/rcnc.mjs', ...args], { cwd: ROOT, reject: false, env: { RCNC_CLI: cli, NO_COLOR: '1' } });

describe('the compiled CLI', () => {
  beforeAll(async () => {
    // A dist/ older than the sources (an edit since the last build) is rebuilt, so what is compared
    // is what these sources compile to.
    if (BUILT && 'stale' in compiledCli(ROOT)) {
      await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    }
  }, 120_000);

  test.concurrent.for([
    '--version',
    '--help',
    'analyze examples/flannel-nodeport-nat-meet',
    'run --list --scenario snat',
    'kube --help',
  ])('rcnc %s: the same output and exit code as the sources', async (line, ctx) => {
    if (!BUILT) {
      ctx.skip(ABSENT);
    }
    const args = line.split(' ');
    const [compiled, sources] = await Promise.all([rcnc('compiled', args), rcnc('sources', args)]);
    expect(compiled.stdout.length).toBeGreaterThan(0);
    expect({ out: compiled.stdout, err: compiled.stderr, exit: compiled.exitCode }).toEqual({
      out: sources.stdout,
      err: sources.stderr,
      exit: sources.exitCode,
    });
  });
});

describe('when bin/rcnc.mjs runs dist/', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rcnc-compiled-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** A package root whose dist/ was "built" from src/a.ts as `text` is now. */
  async function builtFrom(text: string): Promise<string> {
    await mkdir(join(root, 'src'), { recursive: true });
    await mkdir(join(root, 'dist'), { recursive: true });
    await writeFile(join(root, 'src/a.ts'), text);
    const inputs = [describeInput(root, 'src/a.ts')];
    await writeFile(join(root, 'dist', INPUTS_FILE), JSON.stringify({ inputs }));
    return join(root, 'src/a.ts');
  }

  test('while every input is as built, even when only its mtime moved (a checkout, an install)', async () => {
    const file = await builtFrom('export const a = 1;\n');
    expect(compiledCli(root)).toEqual({ entry: join(root, 'dist/cli.js') });
    await utimes(file, new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect(compiledCli(root)).toEqual({ entry: join(root, 'dist/cli.js') });
  });

  test('not after an edit, even one that keeps the size, nor once an input is gone', async () => {
    const file = await builtFrom('export const a = 1;\n');
    await writeFile(file, 'export const a = 2;\n');
    expect(compiledCli(root)).toEqual({ stale: 'src/a.ts changed since dist/ was built' });
    await rm(file);
    expect(compiledCli(root)).toEqual({ stale: 'src/a.ts is gone since dist/ was built' });
  });

  test('RCNC_CLI=compiled without a fresh dist/, or an unknown RCNC_CLI: exit 2, one line', async () => {
    await mkdir(join(root, 'bin'), { recursive: true });
    for (const f of ['rcnc.mjs', 'compiled.mjs']) {
      await copyFile(join(ROOT, 'bin', f), join(root, 'bin', f));
    }
    await rm(join(root, 'dist'), { recursive: true, force: true });
    const run = (cli: string) =>
      execa('node', [join(root, 'bin/rcnc.mjs'), '--version'], { reject: false, env: { RCNC_CLI: cli } });
    const compiled = await run('compiled');
    expect([compiled.exitCode, compiled.stderr]).toEqual([
      2,
      'rcnc: RCNC_CLI=compiled, but dist/ is not built; run npm run build',
    ]);
    const bogus = await run('fast');
    expect([bogus.exitCode, bogus.stderr]).toEqual([
      2,
      'rcnc: RCNC_CLI=fast: choose sources or compiled, or leave it unset',
    ]);
  });
});
