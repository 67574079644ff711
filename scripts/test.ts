// `npm test`: the static checks (types, lint, format, layer rules) and vitest at the same time.
// Timing cells share the pool (RCNC_TIMING_CELLS=shared unless set; see below).
// The checks take one core for half a minute while the lab's cells mostly wait on Redis timers;
// one after the other they would add that half minute to every CI run. vitest's output streams as
// it comes; the checks' output is held and printed once, after vitest, so the two never interleave.
// Either failing fails the command.
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compiledCli } from '../bin/compiled.mjs';
import { fidelityPairs, fidelitySummary } from '../src/report/fidelity.ts';
import { readResults } from '../src/report/write.ts';
import { newRunId } from '../src/suite/run-config.ts';

const ROOT = join(import.meta.dirname, '..');

const started = performance.now();
const seconds = () => `${Math.round((performance.now() - started) / 1000)} s`;

// The tests spawn `rcnc` a few hundred times: from dist/ each start costs about a quarter of the
// CPU it costs through tsx (bench/cli-start.ts), which on 2 cores is minutes of a run. bin/rcnc.mjs
// runs dist/ only while it was built from the sources as they are, so a stale dist/ is rebuilt
// first (a couple of seconds) rather than silently falling back to the sources.
if ('stale' in compiledCli(ROOT)) {
  await execa('npx', ['tsx', 'scripts/build.ts'], { cwd: ROOT, stdio: 'inherit' });
}
const check = execa('npm', ['run', '--silent', 'check'], { reject: false, all: true, stdin: 'ignore' });
// The failover and rolling cells run beside the others here: `npm test` asserts what they prove (a
// replica promoted, no WAIT-confirmed write lost), not their timings, and their records say they
// shared the cores. `npm run conformance` keeps them alone for the figures it reports.
// The run id is chosen here so the results can be read back afterwards (the lab against real
// Kubernetes, below).
const runId = process.env['RCNC_RUN_ID'] || newRunId();
const vitest = execa('npx', ['vitest', 'run', ...process.argv.slice(2)], {
  reject: false,
  stdio: 'inherit',
  env: { RCNC_TIMING_CELLS: process.env['RCNC_TIMING_CELLS'] || 'shared', RCNC_RUN_ID: runId },
});
let checkedIn = '';
void check.then(() => (checkedIn = seconds()));

// A SIGTERM to this process alone (a parent's kill, systemd's KillMode=process) reaches both
// children, so vitest still tears its labs down. Ctrl-C already reaches the whole process group,
// and a second SIGINT would make vitest exit without waiting for its teardown: not forwarded.
const children: ResultPromise[] = [check, vitest];
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => children.forEach((c) => c.kill(signal)));
}

const [checked, tested] = await Promise.all([check, vitest]);
if (checked.exitCode === 0) {
  process.stdout.write(`\nnpm run check: passed (types, lint, format, layers) in ${checkedIn}\n`);
} else {
  process.stdout.write(`\nnpm run check failed (exit ${checked.exitCode}):\n${checked.all}\n`);
}
const agreed = await labAgreesWithRealClusters();
process.exitCode = checked.exitCode === 0 && tested.exitCode === 0 && agreed ? 0 : 1;

/**
 * Every cell that ran on the lab and on a real cluster in this run (the kube tier and its lab
 * twins) must agree on what a user gets (src/report/fidelity.ts); a disagreement fails the run.
 */
async function labAgreesWithRealClusters(): Promise<boolean> {
  const file = join(resolve(process.env['RCNC_REPORT_DIR'] || 'reports'), runId, 'results.json');
  if (!existsSync(file)) {
    return true;
  }
  const pairs = fidelityPairs((await readResults(file)).cells);
  const summary = fidelitySummary(pairs);
  if (summary) {
    process.stdout.write(`\n${summary}\n`);
  }
  return pairs.every((p) => p.differences.length === 0);
}
