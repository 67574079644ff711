// `rcnc collect`: gathers from a running Redis deployment exactly the files `rcnc analyze` reads,
// through the kubeconfig provider's attach (pods found by namespace and selector, never changed),
// then prints the analysis. Only --debug changes the cluster: an ephemeral debug container per pod
// for captures, a host-network debug pod per node for its addresses.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RequirementError, UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { help } from './help.ts';

const MAX_CAPTURE_SECONDS = 600;

function intFlag(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) {
    return undefined;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} ${v}: use a whole number from ${min} to ${max}`);
  }
  return n;
}

/** The output dir must be new or empty: files of an earlier collection would mix into the analysis. */
async function outputDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  if (existsSync(abs)) {
    const entries = await readdir(abs).catch(() => {
      throw new UsageError(`${dir} exists and is not a readable directory; pass a new directory`);
    });
    if (entries.length) {
      throw new UsageError(`${dir} is not empty (${entries.length} entries); pass a new or empty directory`);
    }
  }
  return abs;
}

function flags(args: string[]) {
  const { values, positionals } = parse('collect', args);
  if (values.help) {
    return undefined;
  }
  if (positionals.length !== 1) {
    throw new UsageError('collect takes one output directory; see npx rcnc collect --help');
  }
  if (!values.namespace) {
    throw new UsageError('collect needs -n NAMESPACE (the namespace the Redis pods run in)');
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) {
    throw new UsageError(`--kubeconfig ${values.kubeconfig}: no such file`);
  }
  const captureSeconds = intFlag(values.capture, '--capture', 1, MAX_CAPTURE_SECONDS);
  if (captureSeconds && !values.debug) {
    throw new UsageError(
      '--capture needs --debug: a capture runs in an ephemeral debug container added to each pod (it cannot be removed again)',
    );
  }
  return { values, dir: positionals[0]!, captureSeconds, port: intFlag(values.port, '--port', 1, 65535) };
}

export async function cmdCollect(args: string[]): Promise<number> {
  const f = flags(args);
  if (!f) {
    return help('collect');
  }
  const dir = await outputDir(f.dir);
  const { KubeconfigProvider } = await import('../deploy/kubeconfig/kubeconfig.ts');
  const { describeUnmet } = await import('../deploy/provider.ts');
  const { collectAndAnalyze } = await import('../analyze/index.ts');
  const { newRunId } = await import('../suite/run-config.ts');
  const provider = new KubeconfigProvider({
    kubeconfig: f.values.kubeconfig ? resolve(f.values.kubeconfig) : undefined,
    context: f.values.context,
    allowDebugContainers: !!f.values.debug,
    runId: newRunId(),
  });
  const unmet = describeUnmet(await provider.check());
  if (unmet) {
    throw new RequirementError(`collect cannot reach the cluster: ${unmet}`);
  }
  const namespace = f.values.namespace!;
  const { log, output, exitCode } = await collectAndAnalyze(
    provider,
    { namespace, selector: f.values.selector, container: f.values.container },
    { dir, port: f.port, captureSeconds: f.captureSeconds, namespace, json: !!f.values.json },
  );
  log.forEach((l) => process.stderr.write(`rcnc collect: ${l}\n`));
  (exitCode === 2 ? process.stderr : process.stdout).write(output.endsWith('\n') ? output : output + '\n');
  return exitCode;
}
