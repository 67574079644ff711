// Flag parsing shared by the commands: node's parseArgs in strict mode, with every problem turned
// into a one-line UsageError that points at the command's help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../util/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(command: string, args: string[], options: O, positionals = false) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
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
