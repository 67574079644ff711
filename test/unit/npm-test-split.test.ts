// `npm test` runs vitest twice side by side (scripts/test.ts), each with some of the projects: a
// project left out of the split would never run in `npm test`, one in both would run twice.
import { expect, test } from 'vitest';
import { runConfigFromEnv } from '../../src/suite/run-config.ts';
import { allProjects, NPM_TEST_SPLIT } from '../../src/suite/vitest-projects.ts';

test("npm test's two vitests run every project once", () => {
  const names = allProjects(runConfigFromEnv({}), '/repo').map((p) => p.test?.name);
  const split = NPM_TEST_SPLIT.flat();
  expect([...split].sort()).toEqual([...names].sort());
  expect(new Set(split).size).toBe(split.length);
});

test('the sweeping files run in neither the lab nor the end-to-end project', () => {
  const projects = allProjects(runConfigFromEnv({}), '/repo');
  const sweeping = projects.find((p) => p.test?.name === 'sweeping')!.test!.include!;
  for (const p of projects.filter((p) => p.test?.name !== 'sweeping')) {
    const name = JSON.stringify(p.test!.name);
    const include = p.test!.include ?? [];
    const exclude = p.test!.exclude ?? [];
    // Listed by name in no other include, and excluded wherever a glob of theirs could match them.
    expect(
      sweeping.filter((f) => include.includes(f)),
      name,
    ).toEqual([]);
    const dirs = include.filter((g) => g.includes('**')).map((g) => g.slice(0, g.indexOf('**')));
    const matchable = sweeping.filter((f) => dirs.some((d) => f.startsWith(d)));
    expect(
      matchable.filter((f) => !exclude.includes(f)),
      name,
    ).toEqual([]);
  }
});
