// Warnings about the files: collected as the analysis goes, then sorted, made printable and capped
// per file, so a file full of junk costs a few lines of output, not thousands.
import type { ParseWarning } from '../probes/cluster-nodes.ts';
import { cleanText, oneLine, truncate } from '../util/text.ts';
import type { AnalyzeWarning } from './report-types.ts';

/** Warnings kept per file; the rest are summed up in one more line. */
export const WARNINGS_PER_FILE = 5;
const EXCERPT_CHARS = 120;

/** One line without control characters: safe to print whatever a file held. */
export const printable = (text: string): string => oneLine(cleanText(text));

export class Warnings {
  private readonly list: AnalyzeWarning[] = [];

  add(file: string, line: number, problem: string): void {
    this.list.push({ file, line, problem });
  }

  /** A parser's line warnings, each with an excerpt of the line. */
  addParsed(file: string, warnings: readonly ParseWarning[]): void {
    for (const w of warnings) {
      this.add(file, w.line, `${w.problem}: ${truncate(w.text, EXCERPT_CHARS)}`);
    }
  }

  /** Sorted by file and line, printable, at most WARNINGS_PER_FILE per file plus a summary line. */
  done(): AnalyzeWarning[] {
    const sorted = [...this.list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    const out: AnalyzeWarning[] = [];
    for (let i = 0; i < sorted.length;) {
      const file = sorted[i]!.file;
      let j = i;
      while (j < sorted.length && sorted[j]!.file === file) {
        j++;
      }
      const group = sorted.slice(i, j).map((w) => ({ ...w, problem: printable(w.problem) }));
      out.push(...group.slice(0, WARNINGS_PER_FILE));
      const rest = group.slice(WARNINGS_PER_FILE);
      if (rest.length) {
        const lines = rest.filter((w) => w.line > 0).map((w) => w.line);
        const where = lines.length ? ` (lines ${lines[0]}–${lines.at(-1)})` : '';
        out.push({ file, line: 0, problem: `and ${rest.length} more like these${where}` });
      }
      i = j;
    }
    return out;
  }
}
