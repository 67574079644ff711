// validateResults on the checks a cell's test recorded: optional (older files have none), and each
// one named, with expected and observed as text and ok as a boolean.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { ResultsFile } from '../model/results.ts';
import { validateResults } from './validate.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
const sample = (): ResultsFile => JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultsFile;

describe('validateResults: checks', () => {
  test('accepts cells with checks and cells without', () => {
    const results = sample();
    expect(results.cells.some((cell) => cell.checks) && results.cells.some((cell) => !cell.checks)).toBe(true);
    expect(validateResults(results)).toEqual([]);
  });

  test('names the check that is malformed', () => {
    const results = sample();
    const at = results.cells.findIndex((cell) => cell.checks);
    const checks = results.cells[at]!.checks!;
    checks[1] = { ...checks[1]!, ok: 'yes' as unknown as boolean };
    checks[2] = { ...checks[2]!, name: '' };
    expect(validateResults(results)).toEqual([
      `cells[${at}].checks[1].ok: expected a boolean, got "yes"`,
      `cells[${at}].checks[2].name: expected a non-empty string, got ""`,
    ]);
  });
});
