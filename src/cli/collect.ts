// `rcnc collect`: gathers from a running Redis deployment exactly the files `rcnc analyze` reads,
// through the kubeconfig provider's attach (pods found by namespace and selector, never changed),
// then prints the analysis. Only --debug changes the cluster: an ephemeral debug container per pod
// for captures, a host-network debug pod per node for its addresses. A password and TLS reach
// redis-cli in the pod outside any argv (collect-access.ts, deploy/redis-cli.ts); --bundle packs
// everything, secrets redacted, into one archive.
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { RequirementError, UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { accessRequest, resolveAccess } from './collect-access.ts';
import { help } from './help.ts';

const MAX_CAPTURE_SECONDS = 600;
const HINT = "see 'rcnc collect --help'";

function intFlag(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) {
    return undefined;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} ${v}: use a whole number from ${min} to ${max}; ${HINT}`);
  }
  return n;
}

/** The output dir must be new or empty: files of an earlier collection would mix into the analysis. */
async function outputDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  if (existsSync(abs)) {
    const entries = await readdir(abs).catch(() => {
      throw new UsageError(`${dir} exists and is not a readable directory; pass a new directory; ${HINT}`);
    });
    if (entries.length) {
      throw new UsageError(`${dir} is not empty (${entries.length} entries); pass a new or empty directory; ${HINT}`);
    }
  }
  return abs;
}

/** The archive --bundle writes: a new .tar.gz in an existing dir, outside DIR (analyze would read it). */
function bundleFile(file: string | undefined, dir: string): string | undefined {
  if (file === undefined) {
    return undefined;
  }
  const abs = resolve(file);
  if (!/\.(tar\.gz|tgz)$/.test(abs)) {
    throw new UsageError(`--bundle ${file}: name a .tar.gz file; ${HINT}`);
  }
  if (existsSync(abs)) {
    throw new UsageError(`--bundle ${file} exists; pass a new file; ${HINT}`);
  }
  if (!existsSync(dirname(abs)) || !statSync(dirname(abs)).isDirectory()) {
    throw new UsageError(`--bundle ${file}: ${dirname(file)} is not a directory; ${HINT}`);
  }
  if (!relative(dir, abs).startsWith('..')) {
    throw new UsageError(`--bundle ${file} is inside ${dir}; put it elsewhere (analyze reads DIR); ${HINT}`);
  }
  return abs;
}

async function flags(args: string[]) {
  const { values, positionals } = parse('collect', args);
  if (values.help) {
    return undefined;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`collect takes one output directory; ${HINT}`);
  }
  if (!values.namespace) {
    throw new UsageError(`collect needs -n NAMESPACE (the namespace the Redis pods run in); ${HINT}`);
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) {
    throw new UsageError(`--kubeconfig ${values.kubeconfig}: no such file; ${HINT}`);
  }
  const captureSeconds = intFlag(values.capture, '--capture', 1, MAX_CAPTURE_SECONDS);
  if (captureSeconds && !values.debug) {
    throw new UsageError(
      `--capture needs --debug: a capture runs in an ephemeral debug container added to each pod (it cannot be removed again); ${HINT}`,
    );
  }
  const dir = await outputDir(positionals[0]!);
  return {
    values,
    dir,
    bundle: bundleFile(values.bundle, dir),
    access: await accessRequest(values),
    captureSeconds,
    port: intFlag(values.port, '--port', 1, 65535),
  };
}

export async function cmdCollect(args: string[]): Promise<number> {
  const f = await flags(args);
  if (!f) {
    return help('collect');
  }
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
    throw new RequirementError(`collect cannot reach the cluster: ${unmet}; ${HINT}`);
  }
  const namespace = f.values.namespace!;
  const access = await resolveAccess(f.access, (name) => provider.readSecret(namespace, name));
  const bundle = f.bundle
    ? { file: f.bundle, versions: { rcnc: await rcncVersionText(), kubernetes: provider.serverVersion } }
    : undefined;
  const { log, output, exitCode } = await collectAndAnalyze(
    provider,
    { namespace, selector: f.values.selector, container: f.values.container },
    {
      dir: f.dir,
      port: f.port,
      captureSeconds: f.captureSeconds,
      namespace,
      json: !!f.values.json,
      access: access.access,
      accessFrom: access.from || undefined,
      bundle,
    },
  );
  if (access.from) {
    log.unshift(`access: ${access.from}`);
  }
  log.forEach((l) => process.stderr.write(`rcnc collect: ${l}\n`));
  (exitCode === 2 ? process.stderr : process.stdout).write(output.endsWith('\n') ? output : output + '\n');
  return exitCode;
}

async function rcncVersionText(): Promise<string> {
  const { rcncVersion } = await import('../report/environment.ts');
  const v = await rcncVersion();
  return v ? `${v.version}${v.commit ? ` (${v.commit})` : ''}` : 'unknown';
}
