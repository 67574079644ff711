// What a case collected while it failed, and two ways people paste the same output: the analyze
// checks of cases.test.ts and of the Docker runs (test/lab/docker.test.ts) read all three.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { asRenamed, asTranscript, type NamedText } from '../../src/analyze/any-name.ts';
import { cellSlug } from '../../src/model/cell.ts';

/**
 * The files the cell collected while it failed (`failure/`, rcnc collect's layout), and beside them
 * two ways people paste the same output, kept as artifacts: `pasted/renamed/` (arbitrary names in
 * subfolders, each after its command's prompt) and `pasted/session/` (all of it as one transcript).
 */
export async function pastedForms(runDir: string, cellId: string) {
  const cellDir = join(runDir, 'artifacts', cellSlug(cellId));
  const collected = join(cellDir, 'failure');
  const entries = await readdir(collected, { withFileTypes: true });
  // Text only: a capture's pcap is not something people paste.
  const files: NamedText[] = await Promise.all(
    entries
      .filter((e) => e.isFile() && !e.name.endsWith('.pcap'))
      .map(async (e) => ({ name: e.name, text: await readFile(join(collected, e.name), 'utf8') })),
  );
  const renamed = join(cellDir, 'pasted', 'renamed');
  for (const f of asRenamed(files)) {
    await mkdir(dirname(join(renamed, f.name)), { recursive: true });
    await writeFile(join(renamed, f.name), f.text);
  }
  const transcript = join(cellDir, 'pasted', 'session');
  await mkdir(transcript, { recursive: true });
  await writeFile(join(transcript, 'terminal.log'), asTranscript(files));
  return { collected, renamed, transcript };
}
