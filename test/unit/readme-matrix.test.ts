// The README's matrix excerpt comes from a run's results.json through scripts/readme-matrix.ts,
// never typed by hand.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BEGIN, END, excerpt, replaceExcerpt } from '../../scripts/readme-matrix.ts';
import { readResults } from '../../src/report/write.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'test/fixtures/report/results.sample.json');

describe('README matrix excerpt', () => {
  test('names its run and holds a row per profile and the nat-meet matrix', async () => {
    const results = await readResults(SAMPLE);
    const block = excerpt(results);
    expect(block.startsWith(BEGIN) && block.endsWith(END)).toBe(true);
    expect(block).toContain(`From run \`${results.runId}\``);
    expect(block).toContain(`${results.cells.length} cells, ${results.summary.pass} passed`);
    for (const profile of new Set(results.cells.map((c) => c.dims.profile))) {
      expect(block).toMatch(new RegExp(`^\\| ${profile}`, 'm'));
    }
    expect(block).toContain('**nat-meet** on the netns lab:');
    // Links into index.html mean nothing in the README.
    expect(block).not.toContain('index.html#');
  });

  test('the README holds an excerpt the script made, which it can replace', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const current = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    expect(current).toMatch(/^From run `\d{8}-\d{6}-[0-9a-f]{4}` \(/m);
    const replaced = replaceExcerpt(readme, excerpt(await readResults(SAMPLE)));
    expect(replaced.replace(/<!-- matrix excerpt[\s\S]*<!-- end of matrix excerpt -->/, '')).toBe(
      readme.replace(current, ''),
    );
    expect(() => replaceExcerpt('# no markers\n', 'x')).toThrow(/no matrix excerpt markers/);
  });
});
