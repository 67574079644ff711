// What people actually send to `rcnc analyze`: other encodings, line ends and junk, and things that
// are not files at all. Fuzzed with seeded helpers, so a failure reproduces from its seed.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { garbageLine, seededRandom, shuffled, type Random } from '../../test/support/fuzz.ts';
import { analyzeCommand, analyzeDir, type AnalyzeReport } from './analyze.ts';
import { MAX_FILE_BYTES } from './read-dir.ts';
import { decodeTranscript } from './transcript-text.ts';
import { WARNINGS_PER_FILE } from './warnings.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const NAT_MEET = join(EXAMPLES, 'flannel-nodeport-nat-meet');
// eslint-disable-next-line no-control-regex -- what must never reach a terminal
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

let scratch: string;
let original: AnalyzeReport;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'analyze-bad-input-'));
  original = await analyzeDir(NAT_MEET);
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

let dirs = 0;
async function copyOfExample(): Promise<string> {
  const dir = join(scratch, `example-${dirs++}`);
  await cp(NAT_MEET, dir, { recursive: true });
  return dir;
}
async function emptyDir(): Promise<string> {
  const dir = join(scratch, `empty-${dirs++}`);
  await mkdir(dir);
  return dir;
}

type Encoding = 'utf-8' | 'utf-8 BOM' | 'utf-16le' | 'utf-16le BOM' | 'utf-16be' | 'utf-16be BOM';
const ENCODINGS: Encoding[] = ['utf-8', 'utf-8 BOM', 'utf-16le', 'utf-16le BOM', 'utf-16be', 'utf-16be BOM'];

function encode(text: string, encoding: Encoding, crlf: boolean): Buffer {
  const body = (encoding.endsWith('BOM') ? '\ufeff' : '') + (crlf ? text.replace(/\n/g, '\r\n') : text);
  if (encoding.startsWith('utf-8')) {
    return Buffer.from(body, 'utf8');
  }
  const le = Buffer.from(body, 'utf16le');
  return encoding.startsWith('utf-16be') ? le.swap16() : le;
}

const randomBytes = (rand: Random, length: number) =>
  Buffer.from(Array.from({ length }, () => Math.floor(rand() * 256)));

/** analyzeCommand, with how long it took. */
async function timed(dir: string) {
  const start = Date.now();
  const result = await analyzeCommand(dir, false);
  return { ...result, ms: Date.now() - start };
}

describe('decodeTranscript', () => {
  const text = 'line one\nline two: 10.42.0.1:16379\n';
  it.each(ENCODINGS)('decodes %s, with LF or CRLF, to the same text', (encoding) => {
    for (const crlf of [false, true]) {
      expect(decodeTranscript(encode(text, encoding, crlf))).toMatchObject({ text });
    }
  });

  it('keeps UTF-8 annotations, drops control characters, survives a cut UTF-16 character', () => {
    expect(
      decodeTranscript(Buffer.from('a // master-1 被 NAT 之后的地址\n\u001b[31mred\u001b[0m\u0000\n')),
    ).toMatchObject({
      text: 'a // master-1 被 NAT 之后的地址\nred\n',
    });
    expect(
      decodeTranscript(Buffer.concat([encode('abc\n', 'utf-16le BOM', false), Buffer.from([0x41])])),
    ).toMatchObject({ text: 'abc\n', encoding: 'utf-16le' });
  });

  it('calls random bytes not text, whatever the seed', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rand = seededRandom(seed);
      const bytes = randomBytes(rand, 256 + Math.floor(rand() * 4096));
      expect(decodeTranscript(bytes), `seed ${seed}`).toEqual({ problem: 'unreadable: not text' });
    }
  });
});

describe('analyze over other encodings and line ends (fuzzed)', () => {
  it.each(['utf-16le BOM', 'utf-16be BOM', 'utf-16le', 'utf-16be'] as const)(
    'every file in %s gives the same report as UTF-8',
    async (encoding) => {
      const dir = await copyOfExample();
      for (const f of original.files) {
        await writeFile(join(dir, f), encode(await readFile(join(NAT_MEET, f), 'utf8'), encoding, true));
      }
      expect(await analyzeDir(dir)).toEqual(original);
      const { exitCode, output } = await analyzeCommand(dir, false);
      expect(exitCode).toBe(1);
      expect(output).toContain(`Problems (${original.problems.length}):`);
    },
  );

  it.each([1, 2, 3, 4, 5, 6])('seed %i: a random mix of encodings and line ends changes nothing', async (seed) => {
    const rand = seededRandom(seed);
    const dir = await copyOfExample();
    for (const f of shuffled(original.files, rand)) {
      const encoding = ENCODINGS[Math.floor(rand() * ENCODINGS.length)]!;
      await writeFile(join(dir, f), encode(await readFile(join(NAT_MEET, f), 'utf8'), encoding, rand() < 0.5));
    }
    const r = await analyzeDir(dir);
    expect(r.problems).toEqual(original.problems);
    expect(r).toEqual(original);
  });
});

describe('analyze over files that are not transcripts (fuzzed)', () => {
  const NAMES = ['redis-0.cluster-nodes.txt', 'redis-0.log', 'redis-1.netstat.txt', 'pods.txt', 'node-0.ip-addr.txt'];

  it.each([1, 2, 3, 4])('seed %i: random bytes are "unreadable: not text" once each, exit 2', async (seed) => {
    const rand = seededRandom(seed);
    const dir = await emptyDir();
    const names = shuffled(NAMES, rand).slice(0, 1 + Math.floor(rand() * NAMES.length));
    for (const name of names) {
      await writeFile(join(dir, name), randomBytes(rand, 256 + Math.floor(rand() * 256 * 1024)));
    }
    const r = await analyzeDir(dir);
    expect(r.files).toEqual([]);
    expect(r.warnings).toEqual([...names].sort().map((file) => ({ file, line: 0, problem: 'unreadable: not text' })));
    const { output, exitCode } = await analyzeCommand(dir, false);
    expect(exitCode).toBe(2);
    expect(output.trimEnd().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^rcnc: nothing usable in .*: .* unreadable: not text/);
    expect(output).not.toMatch(CONTROL);
  });

  it('random bytes among good files: one warning for that file, the rest still analyzed (exit 1)', async () => {
    const dir = await copyOfExample();
    await writeFile(join(dir, 'redis-2.ss.txt'), randomBytes(seededRandom(7), 100_000));
    const r = await analyzeDir(dir);
    expect(r.warnings).toEqual([{ file: 'redis-2.ss.txt', line: 0, problem: 'unreadable: not text' }]);
    expect(r.problems).toEqual(original.problems);
    expect((await analyzeCommand(dir, false)).exitCode).toBe(1);
  });

  it.each([1, 2, 3])(
    'seed %i: a file of text junk gives a few warnings and a count, never control characters',
    async (seed) => {
      const rand = seededRandom(seed);
      const dir = await copyOfExample();
      const lines = Array.from({ length: 2000 }, () => garbageLine(rand) + '\u001b[2J\u0007');
      await writeFile(join(dir, 'redis-1.cluster-nodes.txt'), lines.join('\n'));
      const r = await analyzeDir(dir);
      const mine = r.warnings.filter((w) => w.file === 'redis-1.cluster-nodes.txt');
      expect(mine.length).toBeLessThanOrEqual(WARNINGS_PER_FILE + 2);
      expect(mine.at(-1)!.problem).toMatch(/^and \d+ more like these \(lines \d+–2000\)$/);
      const { output } = await analyzeCommand(dir, false);
      expect(output).not.toMatch(CONTROL);
      expect(output.length).toBeLessThan(20_000);
    },
  );
});

describe('analyze refuses what is not a regular file, before reading it', () => {
  const sockets: Server[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));

  /** Each bad entry, alone in a directory (exit 2) and added to the example (exit 1). */
  const CASES: [string, string, (path: string) => Promise<void>, RegExp][] = [
    ['a link to /dev/zero', 'redis-9.log', (p) => symlink('/dev/zero', p), /^refused: a link to a character device/],
    [
      'a sparse file over the size limit',
      'redis-9.tcpdump.txt',
      async (p) => {
        await writeFile(p, '');
        await truncate(p, MAX_FILE_BYTES + 1);
      },
      /^refused: 64\.1 MiB, over the 64 MiB limit; cut it down/,
    ],
    ['a FIFO', 'redis-9.ss.txt', async (p) => void execFileSync('mkfifo', [p]), /^refused: a FIFO/],
    [
      'a link to a FIFO',
      'node-9.ip-addr.txt',
      async (p) => {
        execFileSync('mkfifo', [`${p}.fifo`]);
        await symlink(`${p}.fifo`, p);
      },
      /^refused: a link to a FIFO/,
    ],
    [
      'a socket',
      'redis-9.netstat.txt',
      (p) =>
        new Promise<void>((resolve) => {
          const s = createServer().listen(p, () => resolve());
          sockets.push(s);
        }),
      /^refused: a socket/,
    ],
    ['a link to a directory', 'podcidrs.txt', (p) => symlink('/', p), /^refused: a link to a directory/],
  ];

  it('follows a link to a regular file', async () => {
    const dir = await emptyDir();
    await symlink(join(NAT_MEET, 'redis-0.cluster-nodes.txt'), join(dir, 'redis-0.cluster-nodes.txt'));
    const r = await analyzeDir(dir);
    expect(r.files).toEqual(['redis-0.cluster-nodes.txt']);
    expect(r.ghosts).toHaveLength(1);
  });

  it.each(CASES)(
    '%s: one warning, exit 2 alone, exit 1 among good files, no waiting',
    async (_what, name, make, problem) => {
      for (const [dir, exit] of [
        [await emptyDir(), 2],
        [await copyOfExample(), 1],
      ] as const) {
        const path = join(dir, name);
        await rm(path, { force: true });
        await make(path);
        const r = await analyzeDir(dir);
        expect(r.warnings.filter((w) => w.file === name)).toEqual([
          { file: name, line: 0, problem: expect.stringMatching(problem) },
        ]);
        const { exitCode, output, ms } = await timed(dir);
        expect(exitCode).toBe(exit);
        expect(ms).toBeLessThan(5_000);
        if (exit === 2) {
          expect(output.trimEnd().split('\n')).toHaveLength(1);
          expect(output).toContain(`nothing usable in ${dir}: ${name} refused:`);
        } else {
          expect(r.problems).toEqual(original.problems);
        }
      }
    },
  );
});
