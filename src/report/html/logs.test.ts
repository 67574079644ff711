import { describe, expect, test } from 'vitest';
import { logExcerpt } from './logs.ts';

const node = (c: string) => c.repeat(40);

/** Each shown line as `class|message`, the time prefix dropped. */
function shown(html: string): string[] {
  return [...html.matchAll(/(?:<span class="([^"]*)">)?([^<\n]*)(?:<\/span>)?\n/g)].map(
    (m) => `${m[1] ?? ''}|${(m[2] ?? '').replace(/^1:M 01 Mar 2025 10:00:0\d\.\d{3} [-*] /, '').slice(0, 40)}`,
  );
}

describe('logExcerpt', () => {
  test('keeps the order of events and starts a new entry when a different line interrupts a repeat', () => {
    const text = [
      `1:M 01 Mar 2025 10:00:00.000 - Connection with Node ${node('a')} at 10.42.0.1:16379 failed: Connection refused`,
      '1:M 01 Mar 2025 10:00:00.100 * Background saving started',
      `1:M 01 Mar 2025 10:00:00.200 - Connection with Node ${node('a')} at 10.42.0.1:16379 failed: Connection refused`,
      `1:M 01 Mar 2025 10:00:00.300 - Handshake: we already know node ${node('b')}, updating the address if needed.`,
      `1:M 01 Mar 2025 10:00:00.400 - Connection with Node ${node('a')} at 10.42.0.1:16379 failed: Connection refused`,
      'not a redis log line',
    ].join('\n');
    const excerpt = logExcerpt(text);
    expect(excerpt).toMatchObject({ other: 2, dropped: 0, entries: 3 });
    expect(shown(excerpt.html)).toEqual([
      'ln bad|Connection with Node aaaaaaaaaaaaaaaaaaa',
      'ln repeat|    … the same 1 more time until 01 Mar ',
      '|Handshake: we already know node bbbbbbbb',
      'ln bad|Connection with Node aaaaaaaaaaaaaaaaaaa',
    ]);
  });

  test('counts bus connections from one address that differ only in the source port as one line', () => {
    const text = [40122, 40188, 40190]
      .map((port, i) => `1:M 01 Mar 2025 10:00:0${i}.000 - Accepting cluster node connection from 10.42.0.1:${port}`)
      .join('\n');
    const excerpt = logExcerpt(text, new Map([['10.42.0.1', 'bridge-gateway']]));
    expect(shown(excerpt.html)).toEqual([
      'ln nat|Accepting cluster node connection from 1',
      'ln repeat|    … 2 more like it (other source ports',
    ]);
  });

  test('shows at most 20 relevant lines and counts the rest', () => {
    const text = Array.from(
      { length: 25 },
      (_, i) => `1:M 01 Mar 2025 10:00:00.000 - Connection with Node ${node('a')} at 10.42.0.${i}:16379 failed: x`,
    ).join('\n');
    expect(logExcerpt(text)).toMatchObject({ entries: 20, dropped: 5, other: 0 });
  });
});
