// The `rcnc` command. Exit codes: 0 every cell as expected (skips allowed), 1 an unexpected
// result, 2 bad usage, a missing requirement, or a run in which every cell was skipped; 130 and 143
// after SIGINT and SIGTERM (util/teardown.ts, cli/run-vitest.ts), once what ran is torn down. Each
// command lives in src/cli/; bin/rcnc.mjs calls runCli, so importing this module runs nothing.
import { isRcncError, UsageError } from './util/errors.ts';

type CommandMain = (args: string[]) => Promise<number>;

// Each command's module is imported when that command runs: `rcnc --version`, `--help` and
// `analyze` then load none of the Kubernetes client, testcontainers or vitest (seconds of start).
const COMMAND_MAINS: Record<string, () => Promise<CommandMain>> = {
  run: async () => (await import('./cli/run.ts')).cmdRun,
  reproduce: async () => (await import('./cli/reproduce.ts')).cmdReproduce,
  doctor: async () => (await import('./cli/machine.ts')).cmdDoctor,
  setup: async () => (await import('./cli/machine.ts')).cmdSetup,
  clean: async () => (await import('./cli/machine.ts')).cmdClean,
  k3d: async () => (await import('./cli/k3d.ts')).cmdK3d,
  kube: async () => (await import('./cli/kube.ts')).cmdKube,
  report: async () => (await import('./cli/files.ts')).cmdReport,
  analyze: async () => (await import('./cli/files.ts')).cmdAnalyze,
  merge: async () => (await import('./cli/files.ts')).cmdMerge,
  diff: async () => (await import('./cli/files.ts')).cmdDiff,
  collect: async () => (await import('./cli/collect.ts')).cmdCollect,
};

const loaded = new Map<string, CommandMain>();

/**
 * A command's main, imported once. Loading it ahead (test/support/as-nobody.mjs does, as root,
 * before it drops to an unprivileged user who may not read the checkout) makes the run import
 * nothing more.
 */
export async function loadCommand(name: string): Promise<CommandMain | undefined> {
  const load = Object.hasOwn(COMMAND_MAINS, name) ? COMMAND_MAINS[name] : undefined;
  if (!load) {
    return undefined;
  }
  const cached = loaded.get(name) ?? (await load());
  loaded.set(name, cached);
  return cached;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return (await import('./cli/help.ts')).help(rest[0] ?? 'main');
    case '--version':
    case '-V':
    case 'version':
      return printVersion();
  }
  const commandMain = await loadCommand(command);
  if (!commandMain) {
    throw new UsageError(`unknown command "${command}"; see 'rcnc --help' for the list`);
  }
  return commandMain(rest);
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
