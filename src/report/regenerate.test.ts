// `rcnc report DIR` on a copied report: the derived files come back from results.json and the
// artifacts, results.json and the artifacts stay byte-identical, and bad input is a UsageError.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ResultsFile } from '../model/results.ts';
import { UsageError } from '../util/errors.ts';
import { compatibilityMarkdown } from './markdown.ts';
import { regenerateReports } from './regenerate.ts';

const FIXTURE_DIR = fileURLToPath(new URL('../../test/fixtures/report/', import.meta.url));

describe('regenerateReports', () => {
  let dir: string;
  let sampleText: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcnc-regen-'));
    sampleText = await readFile(join(FIXTURE_DIR, 'results.sample.json'), 'utf8');
    await writeFile(join(dir, 'results.json'), sampleText);
    await cp(join(FIXTURE_DIR, 'artifacts'), join(dir, 'artifacts'), { recursive: true });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('rewrites compatibility.md, junit.xml and index.html next to results.json', async () => {
    await writeFile(join(dir, 'compatibility.md'), 'stale\n');
    const artifactsBefore = await snapshot(join(dir, 'artifacts'));

    const { files } = await regenerateReports(dir);

    expect(files).toEqual(['compatibility.md', 'junit.xml', 'index.html'].map((name) => join(dir, name)));
    const sample = JSON.parse(sampleText) as ResultsFile;
    expect(await readFile(join(dir, 'compatibility.md'), 'utf8')).toBe(compatibilityMarkdown(sample));
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite name="nat-meet"');
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<span class="ln ghost"');
    // Inputs are only read.
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toBe(sampleText);
    expect(await snapshot(join(dir, 'artifacts'))).toEqual(artifactsBefore);
    expect((await readdir(dir)).sort()).toEqual(
      ['artifacts', 'compatibility.md', 'index.html', 'junit.xml', 'results.json'].sort(),
    );
  });

  test('accepts the results.json path itself', async () => {
    const { files } = await regenerateReports(join(dir, 'results.json'));
    expect(files).toContain(join(dir, 'index.html'));
  });

  test('says in one line what is wrong, as a UsageError (exit 2)', async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['missing dir', () => regenerateReports(join(dir, 'nope')), /nope: no such report directory; pass the folder/],
      [
        'not a report',
        async () => {
          await writeFile(join(dir, 'notes.txt'), '');
          return regenerateReports(join(dir, 'notes.txt'));
        },
        /notes\.txt is not a report directory/,
      ],
      [
        'no results.json',
        async () => {
          await mkdir(join(dir, 'empty'));
          return regenerateReports(join(dir, 'empty'));
        },
        /cannot read .*results\.json .*run `rcnc run` first/,
      ],
      [
        'not JSON',
        async () => {
          await writeFile(join(dir, 'results.json'), '{"schemaVersion": 2,');
          return regenerateReports(dir);
        },
        /is not JSON/,
      ],
      [
        'invalid',
        async () => {
          await writeFile(join(dir, 'results.json'), JSON.stringify({ ...JSON.parse(sampleText), cells: 3 }));
          return regenerateReports(dir);
        },
        /not a valid rcnc results file: cells: expected an array/,
      ],
    ];
    for (const [name, run, message] of cases) {
      const error: unknown = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode, name).toBe(2);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message, name).not.toContain('\n');
    }
    // Nothing was derived from the broken inputs.
    await expect(stat(join(dir, 'index.html'))).rejects.toThrow(/ENOENT/);
  });
});

async function snapshot(root: string): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const entry of entries) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files[path] = (await readFile(path)).toString('base64');
    }
  }
  return files;
}
