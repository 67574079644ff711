// The run at a glance: one line per datapath (profile on a provider) with what a user gets in each
// family and how many cells behaved as expected. compatibility.md and index.html both open with it.
import type { Family } from '../model/dimensions.ts';
import { PROFILES, PROVIDERS } from '../model/dimensions.ts';
import type { CellResult, Provenance, Verdict } from '../model/results.ts';
import type { Tone } from '../model/vocabulary.ts';
import { compareStrings } from '../util/text.ts';
import { byFamily, legendOf, provenanceOf, wordLabelOf, wordOf } from './words.ts';

export interface WordCount {
  /** The family's word (`rewritten` counts every class it was rewritten to). */
  word: string;
  tone: Tone;
  count: number;
}

export interface ProfileLine {
  label: string;
  provenance: Provenance;
  /** Per family with cells on this datapath: the words in legend order, zero counts left out. */
  families: { family: Family; words: WordCount[]; unobserved: number }[];
  verdicts: Record<Verdict['status'], number>;
}

/** One line per profile × provider, profiles in their known order; the provider only shows when it tells lines apart. */
export function profileLines(cells: readonly CellResult[]): ProfileLine[] {
  const multiProvider = new Set(cells.map((cell) => cell.dims.provider)).size > 1;
  const keyOf = (cell: CellResult) => `${cell.dims.profile}\0${cell.dims.provider}`;
  const keys = [...new Set(cells.map(keyOf))].sort((a, b) => compareKeys(a, b));
  return keys.map((key) => {
    const members = cells.filter((cell) => keyOf(cell) === key);
    const first = members[0] as CellResult;
    const verdicts = { pass: 0, fail: 0, skip: 0 };
    for (const cell of members) {
      verdicts[cell.verdict.status] += 1;
    }
    return {
      label: multiProvider ? `${first.dims.profile} (${first.dims.provider})` : first.dims.profile,
      provenance: provenanceOf(first),
      families: byFamily(members).map(([family, familyCells]) => familyWords(family, familyCells)),
      verdicts,
    };
  });
}

function familyWords(family: Family, cells: CellResult[]): ProfileLine['families'][number] {
  const words = legendOf(family).map(({ word, tone }) => ({
    word,
    tone,
    count: cells.filter((cell) => wordOf(cell) === word).length,
  }));
  return {
    family,
    words: words.filter((entry) => entry.count > 0),
    unobserved: cells.filter((cell) => wordLabelOf(cell) === undefined).length,
  };
}

function compareKeys(a: string, b: string): number {
  const [profileA = '', providerA = ''] = a.split('\0');
  const [profileB = '', providerB = ''] = b.split('\0');
  return (
    rank(PROFILES, profileA) - rank(PROFILES, profileB) ||
    compareStrings(profileA, profileB) ||
    rank(PROVIDERS, providerA) - rank(PROVIDERS, providerB) ||
    compareStrings(providerA, providerB)
  );
}

function rank(order: readonly string[], value: string): number {
  const index = order.indexOf(value);
  return index === -1 ? order.length : index;
}
