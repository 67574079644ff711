// `rcnc diff` refuses bad input before reading anything, in its own words: a tolerance below 0 or
// not a whole number of ms, and a file that is not an rcnc results.json at all (the wrong path, not
// a damaged run).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { cmdDiff } from './files.ts';

const SAMPLE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcnc-files-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refusal = (args: string[]) =>
  cmdDiff(args).then(
    () => undefined,
    (e: unknown) => e,
  );

test('a negative or fractional tolerance is refused with what to give', async () => {
  for (const [args, message] of [
    [
      ['--tolerance-ms', '-5'],
      "--tolerance-ms -5: use a whole number of milliseconds, 0 or more; see 'rcnc diff --help'",
    ],
    [
      ['--tolerance-ms=1.5'],
      "--tolerance-ms 1.5: use a whole number of milliseconds, 0 or more; see 'rcnc diff --help'",
    ],
    [
      ['--tolerance-ratio', '-0.1'],
      "--tolerance-ratio -0.1: use a ratio such as 0.25 (25 %), 0 or more; see 'rcnc diff --help'",
    ],
  ] as const) {
    const error = await refusal([SAMPLE, SAMPLE, ...args]);
    expect(error, args.join(' ')).toBeInstanceOf(UsageError);
    expect((error as Error).message, args.join(' ')).toBe(message);
  }
});

test('a file that is not a results.json is named as the wrong file, with what to pass', async () => {
  const hostname = join(dir, 'hostname');
  await writeFile(hostname, 'vm-7f3a\n');
  const error = await refusal([hostname, SAMPLE]);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toBe(
    `${hostname} is not an rcnc results.json (it is not JSON): pass the results.json of a report directory, ` +
      'e.g. reports/latest/results.json, or the directory itself',
  );
});
