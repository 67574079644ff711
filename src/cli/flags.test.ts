// Help and parsing come from one flag specification: every flag a command accepts is in its help,
// every flag its help lists is accepted, and nothing else is.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { COMMANDS, type Command } from './flags.ts';
import { helpText } from './help.ts';

const commands = Object.keys(COMMANDS) as Command[];

/** The flags an Options section lists: `  -n, --namespace NS    …` → `namespace`. */
function listedFlags(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf('Options:');
  expect(start, 'an Options section').toBeGreaterThan(0);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('  '));
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .flatMap((line) => /^ {2}(?:-\w, )?--([\w-]+)/.exec(line)?.[1] ?? []);
}

describe.each(commands)('rcnc %s', (command) => {
  const flags = Object.entries(COMMANDS[command].flags);

  test('its help lists exactly the flags parse() accepts, then -h/--help', () => {
    expect(listedFlags(helpText(command))).toEqual([...flags.map(([name]) => name), 'help']);
  });

  test('parse() accepts every flag, long and short, with its type', () => {
    for (const [name, flag] of flags) {
      const forms = [`--${name}`, ...('short' in flag ? [`-${flag.short}`] : [])];
      for (const form of forms) {
        const args = flag.type === 'string' ? [form, 'x'] : [form];
        const { values } = parse(command, args) as { values: Record<string, unknown> };
        const multiple = 'multiple' in flag && flag.multiple;
        expect(values[name]).toEqual(flag.type === 'boolean' ? true : multiple ? ['x'] : 'x');
      }
    }
    expect(parse(command, ['-h']).values.help).toBe(true);
  });

  test('parse() refuses a flag the command does not declare, pointing at its help', () => {
    expect(() => parse(command, ['--colour'])).toThrow(UsageError);
    expect(() => parse(command, ['--colour'])).toThrow(`see 'rcnc ${command} --help'`);
  });

  test('parse() takes operands only where the command has them', () => {
    const positionals = () => parse(command, ['operand']).positionals;
    if (COMMANDS[command].positionals) {
      expect(positionals()).toEqual(['operand']);
    } else {
      expect(positionals).toThrow(
        `rcnc ${command} takes no operands, only options (got "operand"); see 'rcnc ${command} --help'`,
      );
    }
  });
});

test('a flag shared by commands is described for each (run and reproduce say what --profile means there)', () => {
  const profileLine = (command: Command) =>
    helpText(command)
      .split('\n')
      .find((line) => line.startsWith('  --profile'));
  expect(profileLine('run')).toMatch(/^ {2}--profile LIST {8}comma-separated profiles \(flannel-vxlan, /);
  expect(profileLine('reproduce')).toMatch(/^ {2}--profile NAME {8}datapath to use \(.*; default flannel-vxlan\);$/);
});

test('a description of several lines continues under its first line', () => {
  const lines = helpText('run').split('\n');
  const at = lines.findIndex((line) => line.startsWith('  --provider NAME'));
  expect(lines[at]).toBe('  --provider NAME       netns (default: the embedded lab), k3d (needs Docker and k3d),');
  expect(lines[at + 1]).toBe(
    `${' '.repeat(24)}kubeconfig (an existing cluster; with --kubeconfig PATH --context NAME),`,
  );
});
