// `rcnc analyze DIR` and `rcnc report DIR`: commands over files, no lab needed.
import { UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { help } from './help.ts';

export async function cmdAnalyze(args: string[]): Promise<number> {
  const { values, positionals } = parse('analyze', args, { json: { type: 'boolean' } }, true);
  if (values.help) {
    return help('analyze');
  }
  if (positionals.length !== 1) {
    throw new UsageError('analyze takes one directory of collected files; see npx rcnc analyze --help');
  }
  const { analyzeCommand } = await import('../analyze/index.ts');
  const { output, exitCode } = await analyzeCommand(positionals[0]!, !!values.json);
  // Exit 2 (nothing usable) is an error message of its own, already prefixed: it goes to stderr.
  (exitCode === 2 ? process.stderr : process.stdout).write(output.endsWith('\n') ? output : output + '\n');
  return exitCode;
}

export async function cmdReport(args: string[]): Promise<number> {
  const { values, positionals } = parse('report', args, {}, true);
  if (values.help) {
    return help('report');
  }
  if (positionals.length !== 1) {
    throw new UsageError('report takes one report directory (or results.json); try: npx rcnc report reports/latest');
  }
  const { regenerateReports } = await import('../report/regenerate.ts');
  const { files } = await regenerateReports(positionals[0]!);
  for (const f of files) {
    console.log(`wrote ${f}`);
  }
  return 0;
}
