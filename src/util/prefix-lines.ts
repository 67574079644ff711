// A second process's output beside the first's on one terminal: each of its lines whole and marked,
// so two streams interleave by lines, never inside one.
import { Transform } from 'node:stream';

/** A stream that writes each complete line of its input with `prefix` before it (the rest at the end). */
export function prefixLines(prefix: string): Transform {
  let partial = '';
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      done(null, lines.map((line) => `${prefix}${line}\n`).join(''));
    },
    flush(done) {
      done(null, partial ? `${prefix}${partial}\n` : '');
    },
  });
}
