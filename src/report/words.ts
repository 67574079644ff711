// The words every writer shows for a cell, each family's looked up in scenarios/registry.ts: what a
// user gets (the family's compatibility word, always derived from the cell's own observation, so no
// writer can show a word the observation contradicts), whether the cell behaved as expected (the
// verdict, shown apart from the word), and where the result comes from (provenance).
import { familyModule } from '../../scenarios/registry.ts';
import { FAMILIES, type Family } from '../model/dimensions.ts';
import type { CellRecord, CellResult, Compatibility, Provenance, Verdict } from '../model/results.ts';
import type { Tone, WordDefinition } from '../model/vocabulary.ts';
import { firstLine } from '../util/text.ts';

/** The word the cell's observation supports; undefined when nothing was observed. */
export const wordOf = (cell: CellRecord): Compatibility | undefined =>
  cell.observation && familyModule(cell.family).words.compatibility(cell.observation);

/** The word as a reader sees it (`rewritten to node-ip`, `heals after remediation`). */
export function wordLabelOf(cell: CellRecord): string | undefined {
  const word = wordOf(cell);
  const label = familyModule(cell.family).words.label;
  return word === undefined ? undefined : label ? label(word, cell.observation) : word;
}

const definitionOf = (family: Family, word: string): WordDefinition | undefined =>
  (familyModule(family).words.words as Record<string, WordDefinition>)[word];

/** A word's tone in its family's vocabulary; undefined for a word the family does not have. */
export const toneOf = (family: Family, word: string): Tone | undefined => definitionOf(family, word)?.tone;

export function toneOfCell(cell: CellRecord): Tone | undefined {
  const word = wordOf(cell);
  return word === undefined ? undefined : toneOf(cell.family, word);
}

/** The words of one family with their tone and legend sentence, in the vocabulary's order. */
export function legendOf(family: Family): { word: string; tone: Tone; meaning: string }[] {
  const words = familyModule(family).words.words as Record<string, WordDefinition>;
  return Object.entries(words).map(([word, { tone, meaning }]) => ({ word, tone, meaning }));
}

export const questionOf = (family: Family): string => familyModule(family).words.question;

// ---------------------------------------------------------------------------------------------
// The verdict: did the cell behave as its expectation says?

export const STATUS_LABEL: Record<Verdict['status'], string> = { pass: 'pass', fail: 'FAIL', skip: 'skipped' };

export const STATUS_MEANING: Record<Verdict['status'], string> = {
  pass: 'the cell behaved as its expectation says (a cell expected to break passes when it breaks)',
  fail: 'the cell did not behave as its expectation says; the reason is in the cell',
  skip: 'the cell could not run here; the reason is in the cell',
};

/** `FAIL: unexpected …`, `skipped (reason)`, or `pass`: the verdict in one line. */
export function verdictLine(cell: CellResult): string {
  const { status, reason } = cell.verdict;
  const line = firstLine(reason);
  if (status === 'skip') {
    return `skipped (${line || firstLine(cell.skipReason) || 'no reason given'})`;
  }
  if (status === 'fail') {
    if (!line) {
      return 'FAIL: unexpected result';
    }
    return /^unexpected\b/i.test(line) ? `FAIL: ${line}` : `FAIL: unexpected result: ${line}`;
  }
  return 'pass';
}

// ---------------------------------------------------------------------------------------------
// Provenance: the netns emulation or a real system.

/** The cell's provenance; records written before scenarios set it get one from their dims. */
export function provenanceOf(cell: Pick<CellRecord, 'dims' | 'provenance'>): Provenance {
  if (cell.provenance) {
    return cell.provenance;
  }
  const { provider, profile } = cell.dims;
  return provider === 'netns'
    ? { provider, emulation: true, label: `netns lab emulation of ${profile}` }
    : { provider, emulation: false, label: `${provider}: ${profile}` };
}

/** `emulation` or `real system`, for tags next to a row or a cell. */
export const provenanceKind = (provenance: Provenance): string => (provenance.emulation ? 'emulation' : 'real system');

/** The label with the versions the label does not already name: `k3d: flannel (k3s v1.35.5)`. */
export function provenanceText(provenance: Provenance): string {
  const versions = Object.entries(provenance.versions ?? {})
    .filter(([, version]) => !provenance.label.includes(version))
    .map(([name, version]) => `${name} ${version}`);
  return versions.length > 0 ? `${provenance.label} (${versions.join(', ')})` : provenance.label;
}

// ---------------------------------------------------------------------------------------------
// Families.

/** The cells grouped by family, in the order of FAMILIES; families without cells are left out. */
export function byFamily<C extends { family: Family }>(cells: readonly C[]): [Family, C[]][] {
  return FAMILIES.map((family) => [family, cells.filter((cell) => cell.family === family)] as [Family, C[]]).filter(
    ([, members]) => members.length > 0,
  );
}
