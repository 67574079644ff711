// One form for every pointer to a command's help, wherever a message is written:
// `see 'rcnc <cmd> --help'` (or `see 'rcnc --help'` for the list of commands). Not `see npx rcnc
// analyze --help`, not `run 'rcnc --help'`, not `try: npx rcnc …`: the user meets one form and can
// copy it as it is.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every mention of a command's help in the product's code, comments aside, with its file and line. */
async function helpMentions(): Promise<{ where: string; text: string }[]> {
  const files = (await execa('git', ['ls-files', 'src', 'scenarios', 'bin', 'scripts'], { cwd: ROOT })).stdout
    .split('\n')
    .filter((file) => /\.(ts|mjs)$/.test(file) && !file.endsWith('.test.ts'));
  const mentions: { where: string; text: string }[] = [];
  for (const file of files) {
    const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\/?\*)/.test(line)) {
        return;
      }
      // "rcnc", maybe a command or placeholder, then --help: and the words just before it.
      for (const m of line.matchAll(/(?:\S+\s+)?['"`]?(?:npx\s+)?rcnc(?:\s+[\w<>${}.-]+)?\s+--help['"`]?/g)) {
        // Without what opens the string or the parenthesis the hint stands in.
        mentions.push({ where: `${file}:${i + 1}`, text: m[0].replace(/^[^A-Za-z]+/, '') });
      }
    });
  }
  return mentions;
}

test("every pointer to a command's help reads see 'rcnc <cmd> --help'", async () => {
  const mentions = await helpMentions();
  // The check finds the parse() hint every command's bad flags end with.
  expect(mentions.map((m) => m.text)).toContain("see 'rcnc ${command} --help'");
  const other = mentions.filter((m) => !/^[Ss]ee 'rcnc(?: [\w<>${}.-]+)? --help'$/.test(m.text));
  expect(other).toEqual([]);
});
