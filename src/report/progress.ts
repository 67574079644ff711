// Live progress for `rcnc run`: a line when a cell leaves the queue and starts, a line when it
// ends with `[done/total]` and an estimate of the time left, nothing else. On stderr by default, so
// `run --json` keeps stdout for the results and still shows progress. Plain text when the stream is
// not a terminal (CI logs, pipes), so the lines stay greppable.
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { CELL_STARTED, type CellRecord } from '../model/results.ts';
import { errorText } from '../util/errors.ts';
import { firstLine, stripAnsi, truncate } from '../util/text.ts';
import { formatMs } from './format.ts';
import { wordLabelOf } from './words.ts';

export interface ProgressOptions {
  /** Where the lines go; stderr by default. */
  stream?: { write(chunk: string): unknown; isTTY?: boolean };
  /** Colour the status words; by default only on a terminal and when NO_COLOR is not set. */
  color?: boolean;
  /** The clock, for the estimate (tests). */
  now?: () => number;
  /** How many cells the run has, when the caller knows before vitest has collected them all. */
  total?: number;
}

const COLOURS = {
  green: ['\u001b[32m', '\u001b[39m'],
  red: ['\u001b[31m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  bold: ['\u001b[1m', '\u001b[22m'],
} as const;
type Colour = keyof typeof COLOURS;
type TestAnnotation = Parameters<NonNullable<Reporter['onTestCaseAnnotate']>>[1];

export default class ProgressReporter implements Reporter {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly color: boolean;
  private readonly now: () => number;
  private total: number;
  private readonly totalKnown: boolean;
  private done = 0;
  /** Cells that ended after running (not skipped before they started), and when the first started. */
  private ran = 0;
  private firstStart: number | undefined;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.color = options.color ?? (this.stream.isTTY === true && !process.env['NO_COLOR']);
    this.now = options.now ?? Date.now;
    this.total = options.total ?? 0;
    this.totalKnown = options.total !== undefined;
  }

  onTestModuleCollected(module: TestModule): void {
    if (!this.totalKnown) {
      this.total += [...module.children.allTests()].length;
    }
  }

  /** The cell's test says when the cell has a place and starts; waiting in the queue is not running. */
  onTestCaseAnnotate(testCase: TestCase, annotation: TestAnnotation): void {
    if (annotation.type !== CELL_STARTED) {
      return;
    }
    this.firstStart ??= this.now();
    this.line(`${this.paint('dim', '… running')} ${labelOf(testCase)}`);
  }

  /** vitest calls this for statically skipped cases too, so every cell gets exactly one end line. */
  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state === 'pending') {
      return;
    }
    this.done += 1;
    const label = labelOf(testCase);
    const ranMs = testCase.meta().rcncRanMs;
    if (ranMs !== undefined) {
      this.ran += 1;
    }
    const duration = ranMs ?? recordOf(testCase)?.timings?.['total'] ?? testCase.diagnostic()?.duration;
    const took = duration !== undefined ? `  ${this.paint('dim', formatMs(duration))}` : '';
    const head = `${this.paint('dim', `[${this.done}/${Math.max(this.total, this.done)}]`)} `;
    const tail = this.estimate();
    switch (result.state) {
      case 'passed': {
        const record = recordOf(testCase);
        const word = record ? wordLabelOf(record) : undefined;
        this.line(`${head}${this.paint('green', '✓ pass')}  ${label}${took}${word ? `  ${word}` : ''}${tail}`);
        return;
      }
      case 'failed': {
        const reason = shortLine(errorText(result.errors[0])) || 'failed without an error message';
        this.line(`${head}${this.paint('red', '✗ FAIL')}  ${label}${took}  ${reason}${tail}`);
        return;
      }
      case 'skipped': {
        const reason = shortLine(recordOf(testCase)?.skipReason ?? result.note) || `marked ${testCase.options.mode}`;
        // A cell skipped before it ran has no duration worth printing.
        this.line(`${head}${this.paint('yellow', '- skip')}  ${label}  (${reason})${ranMs ? took : ''}${tail}`);
        return;
      }
    }
  }

  /**
   * The time left at the pace cells have ended so far (whatever the pool's width), once one ran:
   * skipped cells end at once and say nothing about the pace.
   */
  private estimate(): string {
    const left = this.total - this.done;
    if (left <= 0 || this.ran === 0 || this.firstStart === undefined) {
      return '';
    }
    const perCell = (this.now() - this.firstStart) / this.ran;
    return `  ${this.paint('dim', `(~${formatMs(perCell * left)} left)`)}`;
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
  return testCase.meta().rcnc;
}

/** Assertion messages come coloured and long; a progress line takes the first line, cut. */
function shortLine(text: string | undefined): string {
  return truncate(firstLine(stripAnsi(text ?? '')), 200);
}
