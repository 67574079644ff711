import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { expect, test } from 'vitest';
import { prefixLines } from './prefix-lines.ts';

test('each line is prefixed once, however the input is cut into chunks', async () => {
  const chunks = ['fir', 'st\nsec', 'ond\n\nthi', 'rd'];
  const out = await text(Readable.from(chunks).pipe(prefixLines('k │ ')));
  expect(out).toBe('k │ first\nk │ second\nk │ \nk │ third\n');
});

test('nothing in, nothing out', async () => {
  expect(await text(Readable.from([]).pipe(prefixLines('k │ ')))).toBe('');
});
