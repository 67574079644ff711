// The `rcnc` command. Exit codes: 0 every cell as expected (skips allowed), 1 an unexpected
// result, 2 bad usage or a missing requirement.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { natMeetCells } from '../scenarios/nat-meet.cells.ts';
import { recoveryCells } from '../scenarios/recovery.cells.ts';
import { snatCells } from '../scenarios/snat.cells.ts';
import { cellId, filterCells, type Cell, type CellFilter } from './cells.ts';
import { runK3dPassthrough } from './deploy/k3d/binary.ts';
import { NetnsProvider } from './deploy/netns/netns.ts';
import { labProfiles } from './deploy/netns/profiles.ts';
import { sweep } from './deploy/netns/sweep.ts';
import { ensurePackages, labRequirements } from './deploy/netns/system.ts';
import { EXPOSURES, PROFILES, unmet, type ProviderName } from './deploy/provider.ts';
import { newRunId } from './report/artifacts.ts';
import type { ResultsFile } from './report/results.ts';
import { explainNatMeet } from './scenarios/explain.ts';
import { providerFor } from './scenarios/harness.ts';
import { runNatMeet } from './scenarios/nat-meet.ts';
import { isRcncError, RequirementError, UsageError } from './util/errors.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['nat-meet', 'snat', 'recovery'] as const;
const PROVIDERS = ['netns', 'k3d', 'kubeconfig'] as const;

const HELP: Record<string, string> = {
  main: `rcnc — Redis Cluster Network Conformance

Usage: rcnc <command> [options]

Commands:
  run                 run the conformance matrix and write reports/latest/
  reproduce nat-meet  reproduce the NAT meet failure and explain it, in seconds
  analyze DIR         diagnose files collected from a real cluster (netstat, tcpdump, logs…)
  report DIR          rewrite compatibility.md, junit.xml and index.html from DIR/results.json
  doctor              check what the lab needs from this machine
  setup               install missing system packages (apt-get, as root)
  clean               remove namespaces, processes and temp dirs a killed run left
  k3d -- ARGS…        run the real k3d binary ($K3D_BIN, PATH, or the rcnc cache)

Run 'rcnc <command> --help' for the options of a command.
Exit codes: 0 as expected, 1 an unexpected result, 2 bad usage or a missing requirement.`,
  run: `Usage: rcnc run [options]

Runs every cell of the matrix that matches the filters on the chosen provider, printing progress
per cell, then writes results.json, compatibility.md, junit.xml and index.html (with every cell's
evidence) to <report-dir>/<run-id>/ and <report-dir>/latest/.

Options:
  --provider NAME       netns (default: the embedded lab), k3d (needs Docker and k3d),
                        kubeconfig (an existing cluster; with --kubeconfig PATH --context NAME)
  --kubeconfig PATH     kubeconfig of the cluster to test (--provider kubeconfig)
  --context NAME        context in that kubeconfig (default: its current-context)
  --scenario LIST       comma-separated scenario families (${SCENARIOS.join(', ')})
  --profile LIST        comma-separated profiles (${PROFILES.join(', ')})
  --exposure LIST       comma-separated exposures (${EXPOSURES.join(', ')})
  --report-dir DIR      where reports go (default: ./reports)
  --redis-server PATH   redis-server binary to test (default: redis-server on PATH)
  --redis-cli PATH      redis-cli binary to use (default: redis-cli on PATH)
  --list                print the matching cells and exit without running them
  --json                print results.json instead of the summary
  -h, --help            show this help`,
  reproduce: `Usage: rcnc reproduce nat-meet [options]

Builds a single-node k3s-shaped lab, exposes three masters over NodePort, lets a replica join
without cluster-announce-ip the way operators do, and shows what each side recorded, the failed
dial-back, the NATed bus connection, and the fix with its result.

Options:
  --profile NAME        datapath to use (${labProfiles()
    .filter((p) => p !== 'no-nat')
    .join(', ')}; default flannel-vxlan)
  --nodes N             1 (default) or more; with more, the joiner dials its own node
  --redis-server PATH   redis-server binary (default: redis-server on PATH)
  --redis-cli PATH      redis-cli binary (default: redis-cli on PATH)
  --json                print the observations as JSON
  -h, --help            show this help`,
  doctor: `Usage: rcnc doctor [--json]

Lists what the netns lab needs (root, network namespaces, packages, br_netfilter, iptables-nft)
and what is missing. Exit 0 when everything is there, 2 otherwise.`,
  setup: `Usage: rcnc setup

Installs the system packages the lab needs with apt-get when running as root on Debian;
otherwise names the packages to install. Exit 2 when packages are missing and cannot be installed.`,
  analyze: `Usage: rcnc analyze DIR [--json]

Diagnoses artifacts collected on a real cluster. DIR holds any of:
  <pod>.cluster-nodes.txt   redis-cli cluster nodes
  <pod>.netstat.txt         netstat -anop (net-tools; grep-filtered is fine)
  <pod>.ss.txt              ss -tanp
  <pod>.tcpdump.txt         tcpdump text, with -nn or with resolved host names
  <pod>.log                 the Redis log
  pods.txt, nodes.txt       kubectl get pods -o wide / kubectl get nodes -o wide
  services.txt              kubectl get svc -o wide (optional: exact NodePorts)
  <node>.ip-addr.txt        ip addr (or <node>.ifconfig.txt) of a node
It reports NATed bus connections with the likely rewrite, NAT mappings from pairs of captures,
ghost/handshake/noaddr entries, failed dial-backs, and the announce settings that fix each node.
Exit: 0 nothing wrong found, 1 problems found, 2 DIR missing or unreadable.`,
  report: `Usage: rcnc report DIR

Rewrites compatibility.md, junit.xml and index.html in DIR from DIR/results.json (DIR may also be
the results.json itself), e.g. after upgrading rcnc or to render results copied from CI.
results.json and the artifacts are left as they are. Exit 2 when results.json is missing or invalid.`,
  k3d: `Usage: rcnc k3d -- ARGS…

Runs the real k3d binary with ARGS (the npm package named "k3d" is unrelated and never used).
It is found in this order: $K3D_BIN, PATH, the rcnc cache dir; with K3D_AUTO_INSTALL=1 a pinned
release is downloaded and checked against its sha256 when none is found.
Exit: k3d's own exit code, or 2 when k3d cannot be found.`,
  clean: `Usage: rcnc clean [--all]

Removes the network namespaces, processes and temp dirs of labs whose run is no longer alive.
--all also removes labs of runs that are still alive.`,
};

const list = (v: unknown, allowed: readonly string[], flag: string): string[] | undefined => {
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
};

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<O extends Options>(command: string, args: string[], options: O, positionals = false) {
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

const allCells = (provider: ProviderName = 'netns'): Cell<unknown>[] => [
  ...natMeetCells(provider),
  ...snatCells(provider),
  ...recoveryCells(provider),
];

async function cmdRun(args: string[]): Promise<number> {
  const { values } = parse('run', args, {
    provider: { type: 'string' },
    scenario: { type: 'string' },
    profile: { type: 'string' },
    exposure: { type: 'string' },
    'report-dir': { type: 'string' },
    'redis-server': { type: 'string' },
    'redis-cli': { type: 'string' },
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    list: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    return help('run');
  }
  const provider = list(values.provider, PROVIDERS, '--provider') ?? ['netns'];
  if (provider.length !== 1) {
    throw new UsageError('--provider takes one provider');
  }
  if ((values.kubeconfig || values.context) && provider[0] !== 'kubeconfig') {
    throw new UsageError('--kubeconfig and --context go with --provider kubeconfig');
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) {
    throw new UsageError(`--kubeconfig ${values.kubeconfig}: no such file`);
  }
  const filter: CellFilter = {
    provider,
    scenario: list(values.scenario, SCENARIOS, '--scenario'),
    profile: list(values.profile, PROFILES, '--profile'),
    exposure: list(values.exposure, EXPOSURES, '--exposure'),
  };
  const cells = filterCells(allCells(provider[0] as ProviderName), filter);
  if (values.list) {
    for (const c of cells) {
      console.log(`${c.id.padEnd(70)} expect meet ${c.expectation.meet}  ${c.title}`);
    }
    return 0;
  }
  if (cells.length === 0) {
    throw new UsageError('no cell matches these filters; run with --list to see the cells');
  }
  for (const [flag, env] of [
    ['redis-server', 'RCNC_REDIS_SERVER'],
    ['redis-cli', 'RCNC_REDIS_CLI'],
  ] as const) {
    const v = values[flag];
    if (v !== undefined) {
      if (v.includes('/') && !existsSync(v)) {
        throw new UsageError(`--${flag} ${v}: no such file`);
      }
      process.env[env] = resolve(v);
    }
  }
  if (values.kubeconfig) {
    process.env.RCNC_KUBECONFIG = resolve(values.kubeconfig);
  }
  if (values.context) {
    process.env.RCNC_KUBE_CONTEXT = values.context;
  }
  await requireProvider(cells);
  const reportDir = resolve(values['report-dir'] ?? 'reports');
  const runId = newRunId();
  Object.assign(process.env, { RCNC_REPORT_DIR: reportDir, RCNC_RUN_ID: runId, RCNC_FILTER: JSON.stringify(filter) });
  process.env.RCNC_REDIS_VERSION ??= await redisVersion(process.env.RCNC_REDIS_SERVER ?? 'redis-server');

  const { startVitest } = await import('vitest/node');
  const files = [...new Set(cells.map((c) => `scenarios/${c.dims.scenario}.test.ts`))];
  const vitest = await startVitest('test', files, {
    root: PACKAGE_ROOT,
    project: ['lab'],
    run: true,
    watch: false,
    reporters: values.json
      ? [[join(PACKAGE_ROOT, 'src/report/reporter.ts'), { quiet: true }]]
      : [join(PACKAGE_ROOT, 'src/report/progress.ts'), [join(PACKAGE_ROOT, 'src/report/reporter.ts'), { quiet: true }]],
  });
  await vitest.close();
  const resultsPath = join(reportDir, runId, 'results.json');
  if (!existsSync(resultsPath)) {
    console.error(`rcnc: the run wrote no results (${resultsPath}); see the vitest output above`);
    return 1;
  }
  const results = JSON.parse(await readFile(resultsPath, 'utf8')) as ResultsFile;
  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    const s = results.summary;
    const latest = join(reportDir, 'latest');
    console.log(
      `\nrcnc: ${s.pass} passed, ${s.fail} failed, ${s.skip} skipped — report: ${join(latest, 'compatibility.md')} (also index.html, junit.xml, results.json)`,
    );
  }
  return results.summary.fail > 0 || (process.exitCode ?? 0) !== 0 ? 1 : 0;
}

/**
 * When the run demands a provider (RCNC_REQUIRE_LAB=1, REQUIRE_K3D=1) and it cannot run here, say
 * so in one line with exit 2 before starting anything; otherwise cells skip with the reason.
 */
async function requireProvider(cells: Cell<unknown>[]): Promise<void> {
  const first = cells[0];
  const env = first?.dims.provider === 'netns' ? 'RCNC_REQUIRE_LAB' : 'REQUIRE_K3D';
  if (!first || process.env[env] !== '1') {
    return;
  }
  const seen = new Set<string>();
  for (const cell of cells) {
    const key = `${cell.dims.provider}/${cell.dims.provider === 'k3d' ? cell.dims.profile : ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      await providerFor(cell);
    }
  }
}

async function cmdAnalyze(args: string[]): Promise<number> {
  const { values, positionals } = parse('analyze', args, { json: { type: 'boolean' } }, true);
  if (values.help) {
    return help('analyze');
  }
  if (positionals.length !== 1) {
    throw new UsageError('rcnc analyze takes one directory of collected files; see rcnc analyze --help');
  }
  const { analyzeCommand } = await import('./analyze/index.ts');
  const { output, exitCode } = await analyzeCommand(positionals[0]!, !!values.json);
  if (exitCode === 2) {
    throw new UsageError(output.trim());
  }
  console.log(output);
  return exitCode;
}

async function cmdReport(args: string[]): Promise<number> {
  const { values, positionals } = parse('report', args, {}, true);
  if (values.help) {
    return help('report');
  }
  if (positionals.length !== 1) {
    throw new UsageError(`rcnc report takes one report directory (or results.json); try: rcnc report reports/latest`);
  }
  const { regenerateReports } = await import('./report/regenerate.ts');
  const { files } = await regenerateReports(positionals[0]!);
  for (const f of files) {
    console.log(`wrote ${f}`);
  }
  return 0;
}

async function cmdK3d(args: string[]): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    return help('k3d');
  }
  // Everything after `--` (or everything, if there is none) goes to the real k3d binary.
  const rest = args[0] === '--' ? args.slice(1) : args;
  return runK3dPassthrough(rest);
}

async function redisVersion(bin: string): Promise<string | undefined> {
  const { run } = await import('./util/exec.ts');
  const r = await run([bin, '--version'], { reject: false }).catch(() => undefined);
  return /v=(\S+)/.exec(r?.stdout ?? '')?.[1];
}

async function cmdReproduce(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    'reproduce',
    args,
    {
      profile: { type: 'string' },
      nodes: { type: 'string' },
      'redis-server': { type: 'string' },
      'redis-cli': { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    return help('reproduce');
  }
  if (positionals[0] !== 'nat-meet' || positionals.length > 1) {
    throw new UsageError(
      `rcnc reproduce knows one scenario: nat-meet (got "${positionals.join(' ')}"); try: rcnc reproduce nat-meet`,
    );
  }
  const profile = values.profile ?? 'flannel-vxlan';
  const usable = labProfiles().filter((p) => p !== 'no-nat');
  if (!usable.includes(profile as never)) {
    throw new UsageError(
      `--profile ${profile}: the NAT meet failure needs a NATing profile; choose from ${usable.join(', ')}`,
    );
  }
  const nodes = Number(values.nodes ?? '1');
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5) {
    throw new UsageError(`--nodes ${values.nodes}: give a whole number from 1 to 5`);
  }
  const reqs = await labRequirements();
  if (unmet(reqs).length) {
    throw new RequirementError(
      `the netns lab cannot run here: ${unmet(reqs)
        .map((r) => r.detail ?? r.name)
        .join('; ')}`,
    );
  }

  // One node: the classic cni0 case. More: the joiner dials its own node and the endpoint is remote.
  const base = natMeetCells('netns').find(
    (c) =>
      c.dims.profile === profile &&
      c.dims.exposure === 'nodeport' &&
      c.dims.announce === 'none' &&
      c.dims.policy === 'Cluster' &&
      (nodes === 1 ? c.dims.nodes === 1 : c.dims.variant === 'dial-own-node'),
  )!;
  const dims = { ...base.dims, nodes };
  const cell = { ...base, dims, id: cellId(dims) };
  if (!values.json) {
    console.error(`rcnc: building a ${profile} lab with ${nodes} node(s)…`);
  }
  const runResult = await runNatMeet(new NetnsProvider(), cell, {
    redisServer: values['redis-server'],
    redisCli: values['redis-cli'],
    artifacts: false,
  });
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          cell: runResult.record,
          views: Object.fromEntries(runResult.before.map((v) => [v.member, v.raw])),
          viewsAfterFix: runResult.after && Object.fromEntries(runResult.after.map((v) => [v.member, v.raw])),
        },
        null,
        2,
      ),
    );
  } else {
    console.log(explainNatMeet(runResult));
  }
  return runResult.record.observation?.meet === base.expectation.meet ? 0 : 1;
}

async function cmdDoctor(args: string[]): Promise<number> {
  const { values } = parse('doctor', args, { json: { type: 'boolean' } });
  if (values.help) {
    return help('doctor');
  }
  const reqs = await labRequirements();
  if (values.json) {
    console.log(JSON.stringify({ requirements: reqs }, null, 2));
  } else {
    for (const r of reqs) {
      console.log(`${r.met ? 'ok     ' : 'MISSING'} ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
    }
    console.log(
      unmet(reqs).length
        ? '\nThe netns lab cannot run here; lab cells will be skipped with the reasons above.'
        : '\nThe netns lab can run here.',
    );
  }
  return unmet(reqs).length ? 2 : 0;
}

async function cmdSetup(args: string[]): Promise<number> {
  const { values } = parse('setup', args, {});
  if (values.help) {
    return help('setup');
  }
  const installed = await ensurePackages((l) => console.log(l));
  if (installed.length) {
    console.log(`rcnc setup: installed ${installed.join(' ')}`);
  }
  return 0;
}

async function cmdClean(args: string[]): Promise<number> {
  const { values } = parse('clean', args, { all: { type: 'boolean' } });
  if (values.help) {
    return help('clean');
  }
  if (process.getuid?.() !== 0) {
    throw new RequirementError('rcnc clean needs root to delete network namespaces; run it with sudo');
  }
  const { removed, kept } = await sweep({ all: values.all });
  for (const lab of removed) {
    console.log(`removed lab ${lab.id}: ${lab.namespaces.length} namespace(s)${lab.dir ? `, ${lab.dir}` : ''}`);
  }
  for (const lab of kept) {
    console.log(`kept lab ${lab.id}: its run (pid ${lab.ownerPid}) is still alive; use --all to remove it`);
  }
  if (!removed.length && !kept.length) {
    console.log('nothing to clean');
  }
  return 0;
}

function help(topic: string): number {
  console.log(HELP[topic] ?? HELP.main);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return help(rest[0] ?? 'main');
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
    case 'report':
      return cmdReport(rest);
    case 'analyze':
      return cmdAnalyze(rest);
    default:
      throw new UsageError(`unknown command "${command}"; run 'rcnc --help' for the list`);
  }
}

// `rcnc run --list | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') {
    process.exit(process.exitCode ?? 0);
  }
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (isRcncError(e)) {
    console.error(`rcnc: ${e.message}`);
    process.exitCode = e.exitCode;
  } else {
    console.error(`rcnc: unexpected error: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  }
}
