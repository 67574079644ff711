// parse() says what is wrong with a command line in rcnc's words, one line ending in the command's
// help, and never passes on node's parseArgs messages ("argument is ambiguous", "Did you forget to
// specify the option argument…"), which name its internals instead of the fix. A value that starts
// with '-' is a value (the command judges it); a word that is one of the command's options is not.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { COMMANDS, type Command } from './flags.ts';

const commands = Object.keys(COMMANDS) as Command[];

/** The message parse() throws for these words, or undefined when it accepts them. */
function refusal(command: Command, args: string[]): string | undefined {
  try {
    parse(command, args);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
}

// Every kind of word parseArgs itself would refuse in strict mode, for a command's first string flag
// and its first boolean one.
function badLines(command: Command): string[][] {
  const flags = Object.entries(COMMANDS[command].flags);
  const string = flags.find(([, flag]) => flag.type === 'string')?.[0];
  const boolean = flags.find(([, flag]) => flag.type === 'boolean')?.[0] ?? 'help';
  return [
    ['--no-such-flag'],
    ['-Z'],
    [`--${boolean}=yes`],
    ...(string ? [[`--${string}`], [`--${string}`, `--${boolean}`], [`--${string}`, '-h']] : []),
    ...(COMMANDS[command].positionals ? [] : [['operand']]),
  ];
}

describe.each(commands)('rcnc %s', (command) => {
  test('each refusal is one line of its own words, ending in the help', () => {
    for (const args of badLines(command)) {
      const message = refusal(command, args);
      expect(message, args.join(' ')).toBeDefined();
      expect(message, args.join(' ')).not.toMatch(
        /ambiguous|Did you forget|Unexpected argument|Unknown option '|does not take an argument|argument missing|XYZ/,
      );
      expect(message, args.join(' ')).not.toContain('\n');
      expect(message, args.join(' ')).toMatch(new RegExp(`; see 'rcnc ${command} --help'$`));
    }
  });
});

describe('a value that starts with a dash', () => {
  test('is taken as the value, for the command to judge (--tolerance-ms -5)', () => {
    expect(parse('diff', ['A', 'B', '--tolerance-ms', '-5']).values['tolerance-ms']).toBe('-5');
    expect(parse('diff', ['A', 'B', '--tolerance-ratio=-0.5']).values['tolerance-ratio']).toBe('-0.5');
    expect(parse('run', ['--cell', '-x*']).values.cell).toEqual(['-x*']);
  });

  test("unless it is one of the command's options: then the value was left out", () => {
    expect(refusal('run', ['--report-dir', '--json'])).toBe(
      "--report-dir DIR needs a value, but --json follows it (for a value that starts with '-', write --report-dir=VALUE); see 'rcnc run --help'",
    );
    expect(refusal('collect', ['-n', '-h'])).toBe(
      "-n NS needs a value, but -h follows it (for a value that starts with '-', write --namespace=VALUE); see 'rcnc collect --help'",
    );
    expect(parse('run', ['--report-dir=--json']).values['report-dir']).toBe('--json');
  });
});

test('the other refusals, word for word', () => {
  expect(refusal('diff', ['A', 'B', '--tolerance-ms'])).toBe("--tolerance-ms N needs a value; see 'rcnc diff --help'");
  expect(refusal('run', ['--list=yes'])).toBe(`--list takes no value (got "yes"); see 'rcnc run --help'`);
  expect(refusal('run', ['--colour'])).toBe("unknown option --colour; see 'rcnc run --help'");
  expect(refusal('run', ['-x'])).toBe("unknown option -x; see 'rcnc run --help'");
  expect(refusal('doctor', ['now'])).toBe(
    `rcnc doctor takes no operands, only options (got "now"); see 'rcnc doctor --help'`,
  );
  // Operands after `--` are operands, whatever they look like.
  expect(parse('diff', ['--', '-old.json', 'new.json']).positionals).toEqual(['-old.json', 'new.json']);
});
