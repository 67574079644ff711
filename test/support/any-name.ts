// A folder of collected files as people paste them, for tests: the pure parts are
// src/analyze/any-name.ts (which scenario cells can use too); this reads the folder and writes the
// renamed copies and the one-transcript form into another.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { asRenamed, asTranscript, type NamedText } from '../../src/analyze/any-name.ts';

export { commandFor, diagnosisOf } from '../../src/analyze/any-name.ts';

/** Files that describe a folder rather than being evidence in it. */
const NOT_EVIDENCE = new Set(['README.md', 'expected.json', 'EXPECTED.md', 'SOURCE.md']);

/** The evidence files of `dir` (its own description files left out), with their text. */
export async function readEvidence(dir: string): Promise<NamedText[]> {
  const names = (await readdir(dir)).filter((f) => !NOT_EVIDENCE.has(f)).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

/** `dir`'s files as one transcript. */
export const transcriptOf = async (dir: string): Promise<string> => asTranscript(await readEvidence(dir));

/** Writes `dir`'s files as ONE transcript, `session/terminal-2024-05-01.log` under `to`. */
export async function writeTranscript(dir: string, to: string): Promise<void> {
  await mkdir(join(to, 'session'), { recursive: true });
  await writeFile(join(to, 'session', 'terminal-2024-05-01.log'), await transcriptOf(dir));
}

/** Writes each of `dir`'s files under `to` with an arbitrary name in a subfolder, after its own prompt. */
export async function writeRenamed(dir: string, to: string): Promise<void> {
  for (const f of asRenamed(await readEvidence(dir))) {
    await mkdir(dirname(join(to, f.name)), { recursive: true });
    await writeFile(join(to, f.name), f.text);
  }
}
