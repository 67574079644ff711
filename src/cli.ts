// The `rcnc` command. Exit codes: 0 every cell as expected (skips allowed), 1 an unexpected
// result, 2 bad usage, a missing requirement, or a run in which every cell was skipped. Each
// command lives in src/cli/; bin/rcnc.mjs calls runCli, so importing this module runs nothing.
import { cmdCollect } from './cli/collect.ts';
import { cmdAnalyze, cmdDiff, cmdReport } from './cli/files.ts';
import { help } from './cli/help.ts';
import { cmdK3d } from './cli/k3d.ts';
import { cmdClean, cmdDoctor, cmdSetup } from './cli/machine.ts';
import { cmdReproduce } from './cli/reproduce.ts';
import { cmdRun } from './cli/run.ts';
import { isRcncError, UsageError } from './util/errors.ts';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return help(rest[0] ?? 'main');
    case '--version':
    case '-V':
    case 'version':
      return printVersion();
    case 'run':
      return cmdRun(rest);
    case 'reproduce':
      return cmdReproduce(rest);
    case 'doctor':
      return cmdDoctor(rest);
    case 'setup':
      return cmdSetup(rest);
    case 'clean':
      return cmdClean(rest);
    case 'k3d':
      return cmdK3d(rest);
    case 'kube':
      return (await import('./cli/kube.ts')).cmdKube(rest);
    case 'report':
      return cmdReport(rest);
    case 'analyze':
      return cmdAnalyze(rest);
    case 'diff':
      return cmdDiff(rest);
    case 'collect':
      return cmdCollect(rest);
    default:
      throw new UsageError(`unknown command "${command}"; run 'rcnc --help' for the list`);
  }
}

async function printVersion(): Promise<number> {
  const { rcncVersion } = await import('./report/environment.ts');
  const v = await rcncVersion();
  console.log(v ? `rcnc ${v.version}${v.commit ? ` (${v.commit})` : ''}` : 'rcnc (version unknown: no package.json)');
  return 0;
}

/** The whole command line: `main` with rcnc's errors turned into one line and an exit code. */
export async function runCli(argv: string[]): Promise<number> {
  // `rcnc run --list | head` closes stdout early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      process.exit(process.exitCode ?? 0);
    }
  });
  try {
    return await main(argv);
  } catch (e) {
    if (isRcncError(e)) {
      console.error(`rcnc: ${e.message}`);
      return e.exitCode;
    }
    console.error(`rcnc: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}
