// Live progress for `rcnc run`: one line when a cell starts, one when it ends, nothing else. A lab
// cell takes seconds to minutes, so the user sees which one is running and each verdict as it lands;
// the summary and the report path are the CLI's job once the run is over. Plain text when stdout is
// not a terminal (CI logs, pipes), so the lines stay greppable.
import type { Reporter, TestCase } from 'vitest/node';
import type { CellRecord } from '../model/results.ts';
import { firstLine, stripAnsi, truncate } from '../util/text.ts';
import { formatMs } from './format.ts';
import { wordLabelOf } from './words.ts';

export interface ProgressOptions {
  /** Where the lines go; stdout by default. */
  stream?: { write(chunk: string): unknown; isTTY?: boolean };
  /** Colour the status words; by default only on a terminal and when NO_COLOR is not set. */
  color?: boolean;
}

const COLOURS = {
  green: ['\u001b[32m', '\u001b[39m'],
  red: ['\u001b[31m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  bold: ['\u001b[1m', '\u001b[22m'],
} as const;
type Colour = keyof typeof COLOURS;

export default class ProgressReporter implements Reporter {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly color: boolean;
  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.color = options.color ?? (this.stream.isTTY === true && !process.env['NO_COLOR']);
  }

  onTestCaseReady(testCase: TestCase): void {
    // vitest announces statically skipped cases too; they never run, so "running" would be a lie.
    if (testCase.options.mode === 'skip' || testCase.options.mode === 'todo') {
      return;
    }
    this.line(`${this.paint('dim', '… running')} ${labelOf(testCase)}`);
  }

  /** vitest calls this for statically skipped cases too, so every cell gets exactly one end line. */
  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state === 'pending') {
      return;
    }
    const label = labelOf(testCase);
    const duration = testCase.diagnostic()?.duration;
    const took = duration !== undefined ? `  ${this.paint('dim', formatMs(duration))}` : '';
    switch (result.state) {
      case 'passed': {
        const record = recordOf(testCase);
        const word = record ? wordLabelOf(record) : undefined;
        this.line(`${this.paint('green', '✓ pass')}  ${label}${took}${word ? `  ${word}` : ''}`);
        return;
      }
      case 'failed': {
        const reason = shortLine(result.errors[0]?.message) || 'failed without an error message';
        this.line(`${this.paint('red', '✗ FAIL')}  ${label}${took}  ${reason}`);
        return;
      }
      case 'skipped': {
        const reason = shortLine(recordOf(testCase)?.skipReason ?? result.note) || `marked ${testCase.options.mode}`;
        // A cell skipped before it ran has no duration worth printing.
        this.line(`${this.paint('yellow', '- skip')}  ${label}  (${reason})${duration ? took : ''}`);
        return;
      }
    }
  }

  private line(text: string): void {
    this.stream.write(text + '\n');
  }

  private paint(colour: Colour, text: string): string {
    if (!this.color) {
      return text;
    }
    const [open, close] = COLOURS[colour];
    return `${open}${text}${close}`;
  }
}

/** Scenarios name each test after its cell id; the record's id wins once the cell has set it. */
function labelOf(testCase: TestCase): string {
  return recordOf(testCase)?.id ?? testCase.name;
}

function recordOf(testCase: TestCase): CellRecord | undefined {
  // Typed locally for the same reason as in reporter.ts: the TaskMeta augmentation may not reach here.
  const meta: ReturnType<TestCase['meta']> & { rcnc?: CellRecord } = testCase.meta();
  return meta.rcnc;
}

/** Assertion messages come coloured and long; a progress line takes the first line, cut. */
function shortLine(text: string | undefined): string {
  return truncate(firstLine(stripAnsi(text ?? '')), 200);
}
