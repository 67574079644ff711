// The settings of one run, as one typed value. `rcnc run` builds it from its flags; a plain
// `npx vitest` builds it in vitest.config.ts from the environment. Either way it reaches the
// scenario files through vitest's `provide`/`inject` and the reporter through its options, so no
// test file reads `process.env` for a run setting. Environment variables remain a way for users to
// set options; they are parsed here and nowhere else.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { inject } from 'vitest';
import { PROVIDER_MODULES, traitsOf } from '../deploy/providers.ts';
import type { CellFilter } from '../model/cell.ts';
import { PROVIDERS, type ProviderName } from '../model/dimensions.ts';
import type { Shard } from '../model/results.ts';
import { RequirementError, UsageError } from '../util/errors.ts';
import { run } from '../util/exec.ts';
import { defaultWidth } from './pool.ts';

export const MATRICES = ['default', 'full'] as const;
export type Matrix = (typeof MATRICES)[number];

export interface RunConfig {
  runId: string;
  /** Parent of every run directory (absolute). */
  reportDir: string;
  filter: CellFilter;
  /** `full` runs every recovery kind on every profile and exposure. */
  matrix: Matrix;
  redis: { server: string; cli: string; version?: string };
  kube: { kubeconfig?: string; context?: string; image?: string };
  /** The kube provider's prebuilt binaries (--kube-bin, RCNC_KUBE_BIN); absent: the build cache. */
  kubeCluster?: {
    bin?: string;
    /** The socket of a cluster the run shares between files (npm test's kube tier: src/deploy/kube/shared.ts). */
    shared?: string;
  };
  /** Providers that must run: "cannot run here" becomes a failure instead of a skip. */
  require: Record<ProviderName, boolean>;
  /** How many cells run side by side (src/suite/pool.ts). */
  concurrency: number;
  /**
   * Whether cells that ask to run alone (`runAlone`: failover windows, lost writes) get the machine
   * to themselves. `shared` lets them run beside others and marks their records (`sharedCores`).
   * Default: alone, except in the full matrix, whose 52 timing cells would take 20 minutes alone.
   */
  timingCells: TimingCells;
  /**
   * `--fail-fast`: the file the CLI creates at the first failed cell; cells that have not started
   * by then do not start (the ones running finish, so their labs come down cleanly).
   */
  stopFile?: string;
  /**
   * `--collect-on-failure`: a failed cell keeps a bundle of what `rcnc collect` gathers from its
   * pods, collected at its teardown (src/suite/collect-on-failure.ts).
   */
  collectOnFailure?: boolean;
  /** `--shard INDEX/COUNT`: this run is that part of the selection (recorded in results.json). */
  shard?: Shard;
}

/**
 * What installs the lab's packages, for messages: `npx rcnc` works in a checkout and where rcnc is a
 * git dependency alike (`npm run setup` exists only in a checkout).
 */
export const SETUP_COMMAND = 'sudo npx rcnc setup';

/** The environment variables users may set, with what each means (for help texts and errors). */
export const RUN_ENV = {
  RCNC_REPORT_DIR: 'where reports go (default ./reports)',
  RCNC_RUN_ID: 'the run id (default: a new one)',
  RCNC_REDIS_SERVER: 'redis-server binary to test',
  RCNC_REDIS_CLI: 'redis-cli binary to use',
  RCNC_MATRIX: `which matrix runs: ${MATRICES.join(' or ')}`,
  RCNC_TIMING_CELLS:
    'alone or shared: whether failover/rolling cells get the machine alone (default: alone; shared in the full matrix)',
  RCNC_CONCURRENCY: 'how many cells run side by side (default: from the cores and memory)',
  // Each provider's switch that makes a run require it (RCNC_REQUIRE_LAB, REQUIRE_K3D, …).
  ...Object.fromEntries(
    Object.values(PROVIDER_MODULES).map((m) => [m.traits.require.variable, m.traits.require.meaning]),
  ),
  RCNC_KUBECONFIG: 'kubeconfig of the cluster to test (--provider kubeconfig)',
  RCNC_KUBE_CONTEXT: 'context in that kubeconfig',
  RCNC_KUBE_BIN: "the kube provider's prebuilt binaries (--kube-bin; default: the build cache)",
  RCNC_CACHE_DIR: 'where the kube provider caches its builds and images (default ~/.cache/rcnc)',
  RCNC_KUBE_IMAGE: 'the Redis image of its pods (--image)',
  RCNC_KEEP_K3D: '1: keep k3d clusters after the run (debugging)',
  RCNC_CHROMIUM: 'the Chromium binary the browser test drives (default /usr/bin/chromium)',
  RCNC_REQUIRE_BROWSER: '1: the browser test must run',
  RCNC_CLI: 'sources or compiled: run rcnc from the TypeScript sources or from dist/ (default: dist/ when it is fresh)',
  RCNC_BENCH_ROUNDS: 'rounds of the nat-meet figure in npm run bench (default 5)',
  RCNC_BENCH_ONLY:
    'figures npm run bench measures: nat-meet,scale,recovery,sentinel,matrix,cli-start,kube (default all)',
  RCNC_BENCH_SIZES: 'cluster sizes of the bench scale figure (default 10,30,100)',
  RCNC_BENCH_SCALE_ROUNDS: 'rounds of each bench scale figure, a lab and a loopback formation each (default 5)',
  RCNC_SAVE_RULES:
    "a folder where the kube end-to-end test keeps each node's iptables-save, kube-proxy's and the lab's (how test/fixtures/kube-proxy/ was captured)",
} as Readonly<Record<string, string>>;

/** The variable that makes a provider required (its traits say which), for messages. */
export const requireVariable = (p: ProviderName): string => traitsOf(p).require.variable;

/** `YYYYMMDD-HHMMSS-xxxx` in UTC: sorts by time, and the suffix keeps parallel CI jobs apart. */
export function newRunId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

const flag = (env: NodeJS.ProcessEnv, name: string): boolean => {
  const v = env[name];
  if (v === undefined || v === '' || v === '0') {
    return false;
  }
  if (v === '1') {
    return true;
  }
  throw new UsageError(`${name}=${v}: use 1 (or 0, or leave it unset); ${name} means ${RUN_ENV[name]}`);
};

/**
 * The run config the environment describes, with `overrides` (the CLI's flags) on top. Unknown
 * values are rejected with a UsageError that names the variable.
 */
export function runConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RunConfig> = {}): RunConfig {
  const unknown = Object.keys(env).filter((k) => k.startsWith('RCNC_') && !(k in RUN_ENV));
  if (unknown.length) {
    throw new UsageError(
      `${unknown.join(', ')}: not a setting rcnc knows (a typo?); known: ${Object.keys(RUN_ENV)
        .filter((k) => k.startsWith('RCNC_'))
        .join(', ')}`,
    );
  }
  const matrix = env.RCNC_MATRIX || 'default';
  if (!(MATRICES as readonly string[]).includes(matrix)) {
    throw new UsageError(`RCNC_MATRIX=${matrix}: choose ${MATRICES.join(' or ')}`);
  }
  const runId = env.RCNC_RUN_ID || newRunId();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId === 'latest') {
    throw new UsageError(`RCNC_RUN_ID=${runId}: use letters, digits, '.', '_' and '-' only (and not "latest")`);
  }
  const require = Object.fromEntries(PROVIDERS.map((p) => [p, flag(env, requireVariable(p))])) as RunConfig['require'];
  const timingCells = parseTimingCells(
    env.RCNC_TIMING_CELLS || (matrix === 'full' ? 'shared' : 'alone'),
    'RCNC_TIMING_CELLS',
  );
  const concurrency = env.RCNC_CONCURRENCY
    ? parseConcurrency(env.RCNC_CONCURRENCY, 'RCNC_CONCURRENCY')
    : defaultWidth();
  return {
    runId,
    reportDir: resolve(env.RCNC_REPORT_DIR || 'reports'),
    filter: {},
    matrix: matrix as Matrix,
    redis: { server: env.RCNC_REDIS_SERVER || 'redis-server', cli: env.RCNC_REDIS_CLI || 'redis-cli' },
    kube: {
      ...(env.RCNC_KUBECONFIG ? { kubeconfig: resolve(env.RCNC_KUBECONFIG) } : {}),
      ...(env.RCNC_KUBE_CONTEXT ? { context: env.RCNC_KUBE_CONTEXT } : {}),
      ...(env.RCNC_KUBE_IMAGE ? { image: env.RCNC_KUBE_IMAGE } : {}),
    },
    ...kubeClusterFromEnv(env),
    require,
    concurrency,
    timingCells,
    ...overrides,
  };
}

export const TIMING_CELLS = ['alone', 'shared'] as const;
export type TimingCells = (typeof TIMING_CELLS)[number];

export function parseTimingCells(value: string, from: string): TimingCells {
  if (!(TIMING_CELLS as readonly string[]).includes(value)) {
    throw new UsageError(`${from} ${value}: choose ${TIMING_CELLS.join(' or ')}`);
  }
  return value as TimingCells;
}

/** A concurrency setting: a whole number from 1 to 64. */
export function parseConcurrency(value: string, from: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError(`${from} ${value}: give a whole number of cells from 1 to 64`);
  }
  return n;
}

declare module 'vitest' {
  interface ProvidedContext {
    rcnc: RunConfig;
  }
}

/** The run config inside a test file (or a module it imports), as the runner provided it. */
export function currentRunConfig(): RunConfig {
  const config = inject('rcnc');
  if (!config) {
    throw new Error('no run config was provided: run through `rcnc run` or `vitest` with this repository config');
  }
  return config;
}

/** `redis-server --version`'s `v=…`, or undefined when the binary does not answer. */
export async function redisVersion(bin: string): Promise<string | undefined> {
  const r = await run([bin, '--version'], { reject: false }).catch(() => undefined);
  return /v=(\S+)/.exec(r?.stdout ?? '')?.[1];
}

/**
 * A Redis binary as a flag or variable names it: a path (made absolute), or a name looked up on
 * PATH the way a shell would — the same everywhere — and proven by its `--version` output.
 */
export async function resolveRedisBinary(
  given: string,
  kind: 'redis-server' | 'redis-cli',
  from: string,
): Promise<{ path: string; version: string }> {
  if (given.trim() === '') {
    throw new UsageError(`${from} is empty; name a ${kind} binary or leave it unset`);
  }
  const path = given.includes('/') ? resolve(given) : onPath(given);
  if (!path || !existsSync(path)) {
    throw notFound(given, kind, from);
  }
  const r = await run([path, '--version'], { reject: false, timeoutMs: 10_000 }).catch((e: unknown) => ({
    exitCode: -1,
    stdout: '',
    stderr: (e as Error).message,
  }));
  const version = (kind === 'redis-server' ? /\bv=(\S+)/ : /^redis-cli (\S+)/m).exec(r.stdout)?.[1];
  if (!version) {
    const said = (r.stdout + r.stderr).trim().split('\n')[0] ?? '';
    throw new UsageError(
      `${from} ${given}: \`${path} --version\` ${r.exitCode === 0 ? 'printed' : `exited ${r.exitCode} and printed`} ${said ? `"${said.slice(0, 80)}"` : 'nothing'}, not a ${kind} version; pass a ${kind} binary`,
    );
  }
  return { path, version };
}

/**
 * A Redis binary that is not there. Left at its default (`from` a variable that is not set), it is
 * missing because Redis is not installed: the message says how to install it and names no variable
 * the user never set. Named by a flag or a variable, the name is what is wrong.
 */
function notFound(given: string, kind: 'redis-server' | 'redis-cli', from: string): Error {
  if (Object.hasOwn(RUN_ENV, from) && !process.env[from]) {
    return new RequirementError(
      `${kind} is missing (not found on PATH): run \`${SETUP_COMMAND}\`, or pass --${kind} PATH`,
    );
  }
  return new UsageError(
    `${from} ${given}: ${given.includes('/') ? 'no such file' : 'not found on PATH'}; install ${kind === 'redis-server' ? 'redis-server' : 'redis-tools'} or pass a path`,
  );
}

function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** The report dir must be a directory this process can write; checked before any lab is built. */
export async function checkReportDir(dir: string, from: string): Promise<string> {
  if (dir.trim() === '') {
    throw new UsageError(`${from} is empty; pass the directory reports should go to (default ./reports)`);
  }
  const abs = resolve(dir);
  try {
    await makeDirs(abs);
    const probe = join(abs, `.rcnc-write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code;
    throw new UsageError(`${from} ${dir}: cannot write reports there (${why}); pass a writable directory`);
  }
  return abs;
}

/**
 * `mkdir -p` one level at a time: node's recursive mkdir never returns on some virtual file systems
 * (/proc/x spins at full CPU), while a plain mkdir fails at once with the reason.
 */
async function makeDirs(abs: string): Promise<void> {
  const missing: string[] = [];
  let at = abs;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) {
      break;
    }
    at = parent;
  }
  for (const d of missing) {
    await mkdir(d);
  }
}

/** The kube provider's settings from RCNC_KUBE_BIN. */
function kubeClusterFromEnv(env: NodeJS.ProcessEnv): { kubeCluster?: RunConfig['kubeCluster'] } {
  if (env.RCNC_KUBE_PROXY_MODE) {
    throw new UsageError(PROXY_MODE_IS_A_PROFILE('RCNC_KUBE_PROXY_MODE'));
  }
  return env.RCNC_KUBE_BIN ? { kubeCluster: { bin: resolve(env.RCNC_KUBE_BIN) } } : {};
}

/**
 * A run's kube-proxy mode is its profiles' (flannel-vxlan-nftables), so that a cell's id says which
 * mode it ran: the run-wide switch that came before is refused with where the mode went.
 */
export const PROXY_MODE_IS_A_PROFILE = (what: string): string =>
  `${what} is gone: kube-proxy's mode is part of the profile; for nftables mode run --provider kube --profile flannel-vxlan-nftables`;
