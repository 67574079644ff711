// Named checks: a value is the expected one only when it reads the same and is of the same kind,
// and a failed list says in one line which checks failed and why.
import { describe, expect, test } from 'vitest';
import { allPass, check, failedChecks, failedChecksText, same, shown } from './checks.ts';

describe('checks', () => {
  test('show nothing, lists and objects the way a reader reads them', () => {
    expect([shown(undefined), shown(''), shown([]), shown(['a', 'b']), shown({ a: 1 }), shown(0)]).toEqual([
      '—',
      '—',
      'none',
      'a, b',
      '{"a":1}',
      '0',
    ]);
  });

  test('same: equal text of the same kind; a string is not the number it spells, nothing is not empty', () => {
    expect(same('x', 'ok', 'ok').ok).toBe(true);
    expect(same('x', ['pod'], ['pod']).ok).toBe(true);
    expect(same('x', ['pod'], ['pod', 'node-ip']).ok).toBe(false);
    expect(same('x', 0, '0').ok).toBe(false);
    expect(same('x', undefined, '').ok).toBe(false);
    expect(same('x', undefined, undefined).ok).toBe(true);
  });

  test('allPass names the items that did not pass', () => {
    expect(allPass('records listed', 'all', [])).toEqual({
      name: 'records listed',
      expected: 'all',
      observed: 'all',
      ok: true,
    });
    expect(allPass('records listed', 'all', ['a', 'b'])).toMatchObject({ observed: 'not: a, b', ok: false });
  });

  test('the failed checks in one line, then the context', () => {
    const checks = [same('meet', 'fails', 'ok'), check('peers', '> 0', 3, true), same('class', 'tunnel', undefined)];
    expect(failedChecks(checks).map((c) => c.name)).toEqual(['meet', 'class']);
    expect(failedChecksText(checks, 'joiner never replicated')).toBe(
      '2 of 3 checks failed: meet: expected fails, observed ok; class: expected tunnel, observed —\njoiner never replicated',
    );
  });
});
