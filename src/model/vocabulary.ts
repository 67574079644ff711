// The shape of a family's vocabulary: what a user gets from a cell (its compatibility word) is
// derived from the cell's own observation by the family (scenarios/<family>/words.ts), so no
// writer can show a word the observation contradicts. Whether the cell behaved as expected (pass /
// fail / skip) is the verdict, kept apart.

/** Whether a word is good news, needs a setting, or bad news: the colour every writer pairs with it. */
export type Tone = 'good' | 'needs-setting' | 'bad';

export interface WordDefinition {
  tone: Tone;
  /** The legend's sentence for this word. */
  meaning: string;
}
