// Flag parsing shared by the commands: node's parseArgs in strict mode over the command's flags as
// flags.ts declares them (the same declaration --help lists), with every problem turned into a
// one-line UsageError that points at the command's help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../util/errors.ts';
import { COMMANDS, HELP_FLAG, type Command, type FlagValues } from './flags.ts';

export function parse<C extends Command>(command: C, args: string[]): { values: FlagValues<C>; positionals: string[] } {
  const spec = COMMANDS[command];
  // parseArgs reads type, short and multiple; the help fields beside them are ignored.
  const options = { ...spec.flags, help: HELP_FLAG } as NonNullable<ParseArgsConfig['options']>;
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: spec.positionals, strict: true });
    return { values: values as FlagValues<C>, positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]}; see 'rcnc ${command} --help'`);
  }
}

/** A comma-separated flag value, each item one of `allowed`. */
export function list(v: unknown, allowed: readonly string[], flag: string): string[] | undefined {
  if (v === undefined) {
    return undefined;
  }
  const items = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !allowed.includes(i));
  if (bad.length) {
    throw new UsageError(`${flag}: unknown value ${bad.join(', ')}; choose from ${allowed.join(', ')}`);
  }
  return items;
}
