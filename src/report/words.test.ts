// The vocabulary cannot contradict itself: over the sample results, every writer shows for every
// cell the word its own observation supports (its family's words, scenarios/<family>/words.ts),
// whatever the record claims, and shows the verdict (pass / FAIL / skipped) as a separate label
// next to it.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { familyModule } from '../../scenarios/registry.ts';
import type { CellRecord, CellResult, ResultsFile } from '../model/results.ts';
import { indexHtml } from './html/index.ts';
import { junitXml } from './junit.ts';
import { compatibilityMarkdown, STATUS_MARK, TONE_MARK } from './markdown.ts';
import { STATUS_LABEL, toneOf, wordLabelOf } from './words.ts';
import { readResults, validateResults } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));

let sample: ResultsFile;
beforeAll(async () => {
  sample = await readResults(FIXTURE);
});

/** The word the observation supports, from the family's words alone. */
const compatibilityFor = (cell: CellRecord) =>
  cell.observation && familyModule(cell.family).words.compatibility(cell.observation);

/** The label the observation supports, from the family's words alone. */
function supported(cell: CellRecord): string | undefined {
  const compatibility = compatibilityFor(cell);
  const label = familyModule(cell.family).words.label;
  return compatibility === undefined ? undefined : label ? label(compatibility, cell.observation) : compatibility;
}

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every cell's record claims the word of another family member it does not support (a record
 * that went stale, or a hand-edited file), so a writer that read the stored word would show it.
 */
function withWrongWords(results: ResultsFile): ResultsFile {
  const copy = structuredClone(results);
  for (const cell of copy.cells) {
    const words = Object.keys(familyModule(cell.family).words.words);
    const word = words.find((candidate) => candidate !== compatibilityFor(cell));
    (cell as { compatibility?: string }).compatibility = word;
  }
  return copy;
}

describe('the compatibility word', () => {
  test('is the one each observation supports, in every writer, even when the record claims another', () => {
    const results = withWrongWords(sample);
    // The validator refuses such a file…
    expect(validateResults(results).filter((problem) => problem.includes('contradicts the observation'))).toHaveLength(
      results.cells.filter((cell) => cell.observation !== undefined).length,
    );
    // …and the writers, handed it anyway, show only what the observations support.
    const html = indexHtml(results, []);
    const markdown = compatibilityMarkdown(results);
    const junit = junitXml(results);
    for (const cell of results.cells) {
      const word = supported(cell);
      expect(wordLabelOf(cell), cell.id).toBe(word);
      const slot = new RegExp(
        `<a class="slot [^"]*" href="[^"]*" data-cell="${escapeRe(cell.id)}"[^>]*>(.*?)</a>`,
      ).exec(html)?.[1];
      const summary = new RegExp(`data-cell="${escapeRe(cell.id)}">\\n<summary>(.*?)<code>`).exec(html)?.[1];
      // The testcase is named after the cell and the word it supports (none without an observation).
      const named = escapeRe(word === undefined ? cell.id : `${cell.id} [${word}]`);
      const property = new RegExp(
        `<testcase [^>]*name="${named}"[^>]*>\\n      <properties>[\\s\\S]*?</properties>`,
      ).exec(junit)?.[0];
      const shownWords = (markup = '') => [...markup.matchAll(/<span class="word t-([a-z-]+)">([^<]*)<\/span>/g)];
      if (word === undefined) {
        expect(shownWords(slot), cell.id).toEqual([]);
        expect(shownWords(summary), cell.id).toEqual([]);
        expect(property, cell.id).toBeDefined();
        expect(property, cell.id).not.toContain('name="compatibility"');
        continue;
      }
      const tone = toneOf(cell.family, compatibilityFor(cell) as string);
      for (const markup of [slot, summary]) {
        expect(
          shownWords(markup).map((m) => `${m[1]}:${m[2]}`),
          cell.id,
        ).toEqual([`${tone}:${word}`]);
      }
      expect(property, cell.id).toContain(`<property name="compatibility" value="${word}"/>`);
      expect(markdown, cell.id).toContain(`[${TONE_MARK[tone ?? 'good']} ${word}](index.html#`);
    }
  });

  test('never shows a word of the wrong tone: good words are never red, bad words never green', () => {
    const html = indexHtml(sample, []);
    const chips = [...html.matchAll(/<span class="word t-([a-z-]+)">([a-z -]+?)(?: to [a-z-]+)?<\/span>/g)];
    expect(chips.length).toBeGreaterThan(sample.cells.length);
    const tones: Record<string, string> = {
      works: 'good',
      kept: 'good',
      heals: 'good',
      'works-with-announce': 'needs-setting',
      rewritten: 'needs-setting',
      'heals after remediation': 'needs-setting',
      breaks: 'bad',
      dropped: 'bad',
      'does-not-heal': 'bad',
    };
    for (const [, tone, word = ''] of chips) {
      expect(tone, word).toBe(
        tones[word.replace(/^\d+ /, '').replace('heals-after-remediation', 'heals after remediation')],
      );
    }
  });
});

describe('the verdict', () => {
  test('is a label of its own next to the word, in the matrix, the drill-down and compatibility.md', () => {
    const html = indexHtml(sample, []);
    const markdown = compatibilityMarkdown(sample);
    for (const cell of sample.cells) {
      const status = cell.verdict.status;
      const slot = new RegExp(`data-cell="${escapeRe(cell.id)}"[^>]*>(.*?)</a>`).exec(html)?.[1] ?? '';
      expect(slot, cell.id).toContain(`<span class="status s-${status}">${STATUS_LABEL[status]}</span>`);
      const summary = new RegExp(`data-cell="${escapeRe(cell.id)}">\\n<summary>(.*?)</summary>`).exec(html)?.[1] ?? '';
      expect(summary, cell.id).toContain(`<span class="status s-${status}">${STATUS_LABEL[status]}</span>`);
      const anchor = `(index.html#cell-${cell.id.replace(/[^a-zA-Z0-9.-]+/g, '_')})`;
      const entry = markdown.split(/<br>| \| /).find((part) => part.includes(anchor)) ?? '';
      expect(entry, cell.id).toContain(STATUS_MARK[status]);
    }
  });

  test('and the word disagree where they should: a cell expected to break passes, a healing cell can fail', () => {
    const byId = new Map(sample.cells.map((cell) => [cell.id, cell]));
    const dropped = byId.get('netns/no-nat/nodeport/announce-none/local/dial-node-1') as CellResult;
    expect([wordLabelOf(dropped), dropped.verdict.status]).toEqual(['dropped', 'pass']);
    const breaks = byId.get('netns/calico-vxlan/nodeport/announce-none') as CellResult;
    expect([wordLabelOf(breaks), breaks.verdict.status]).toEqual(['breaks', 'fail']);
  });
});
