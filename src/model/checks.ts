// Named checks: what a family's judge (scenarios/<family>/judge.ts) makes of a cell's expectation
// and what the cell observed. A cell's test asserts that none failed; the reports show the list.
import type { Check } from './results.ts';

/** A value as a check shows it: `—` for nothing, lists comma-separated. */
export function shown(value: unknown): string {
  if (value === undefined || value === null || value === '') {
    return '—';
  }
  if (Array.isArray(value)) {
    return value.length ? value.map(shown).join(', ') : 'none';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export const check = (name: string, expected: unknown, observed: unknown, ok: boolean): Check => ({
  name,
  expected: shown(expected),
  observed: shown(observed),
  ok,
});

/** The observed value is the expected one (lists: the same items in the same order). */
export const same = (name: string, expected: unknown, observed: unknown): Check =>
  check(name, expected, observed, shown(expected) === shown(observed) && typeof expected === typeof observed);

/** Every item passes: observed names the ones that do not (`all` when none). */
export const allPass = (name: string, expected: string, offenders: readonly string[]): Check =>
  check(name, expected, offenders.length ? `not: ${offenders.join(', ')}` : 'all', offenders.length === 0);

export const failedChecks = (checks: readonly Check[]): Check[] => checks.filter((c) => !c.ok);

/**
 * The failed checks in one line (`2 of 14 checks failed: meet: expected fails, observed ok; …`),
 * then, when given, what the cell noted: the first lines a failed cell's verdict shows.
 */
export function failedChecksText(checks: readonly Check[], context?: string): string {
  const failed = failedChecks(checks);
  const line =
    `${failed.length} of ${checks.length} checks failed: ` +
    failed.map((c) => `${c.name}: expected ${c.expected}, observed ${c.observed}`).join('; ');
  return context ? `${line}\n${context}` : line;
}
