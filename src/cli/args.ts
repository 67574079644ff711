// Flag parsing shared by the commands: node's parseArgs over the command's flags as flags.ts
// declares them (the same declaration --help lists). parseArgs only splits the words into tokens
// (strict mode off); the checks are made here, so that every problem is one line in rcnc's words
// that points at the command's help: parseArgs' own messages ("argument is ambiguous", "Did you
// forget…") name its internals, not the fix.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../util/errors.ts';
import { COMMANDS, HELP_FLAG, type Command, type FlagSpec, type FlagValues } from './flags.ts';

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export function parse<C extends Command>(command: C, args: string[]): { values: FlagValues<C>; positionals: string[] } {
  const spec = COMMANDS[command];
  const flags: Readonly<Record<string, FlagSpec>> = { ...spec.flags, help: HELP_FLAG };
  // parseArgs reads type, short and multiple; the help fields beside them are ignored.
  const options = flags as NonNullable<ParseArgsConfig['options']>;
  const { values, positionals, tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const hint = `see 'rcnc ${command} --help'`;
  for (const token of tokens) {
    const problem = tokenProblem(token, flags, spec.positionals, command);
    if (problem) {
      throw new UsageError(`${problem}; ${hint}`);
    }
  }
  return { values: values as FlagValues<C>, positionals };
}

/** What is wrong with one word of the command line, in rcnc's words; undefined when nothing is. */
function tokenProblem(
  token: Token,
  flags: Readonly<Record<string, FlagSpec>>,
  takesOperands: boolean,
  command: Command,
): string | undefined {
  if (token.kind === 'positional') {
    return takesOperands ? undefined : `rcnc ${command} takes no operands, only options (got "${token.value}")`;
  }
  if (token.kind !== 'option') {
    return undefined;
  }
  const flag = Object.hasOwn(flags, token.name) ? flags[token.name] : undefined;
  if (!flag || (!token.rawName.startsWith('--') && flag.short !== token.rawName.slice(1))) {
    return `unknown option ${token.rawName}`;
  }
  const named = `${token.rawName}${flag.value ? ` ${flag.value}` : ''}`;
  if (flag.type === 'boolean') {
    return token.value === undefined ? undefined : `${token.rawName} takes no value (got "${token.value}")`;
  }
  if (token.value === undefined) {
    return `${named} needs a value`;
  }
  // parseArgs (strict off) takes the next word as the value whatever it is: a word that is one of
  // the command's own options means the value was left out. Any other word starting with '-' (-5,
  // -1.5) is a value, and the command judges it.
  if (!token.inlineValue && isOptionOf(token.value, flags)) {
    return `${named} needs a value, but ${token.value} follows it (for a value that starts with '-', write ${token.rawName.startsWith('--') ? token.rawName : `--${token.name}`}=VALUE)`;
  }
  return undefined;
}

/** `--json`, `--json=…`, `-h`: a word naming one of the command's options. */
function isOptionOf(word: string, flags: Readonly<Record<string, FlagSpec>>): boolean {
  const long = /^--([^=]+)/.exec(word)?.[1];
  if (long !== undefined) {
    return Object.hasOwn(flags, long);
  }
  const short = /^-([A-Za-z])$/.exec(word)?.[1];
  return short !== undefined && Object.values(flags).some((flag) => flag.short === short);
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
