// Runs the scenario files in vitest for `rcnc run`, with teardown bound to the run rather than to
// whichever process a signal reaches:
//   - the run has its own temp dir (vitest's cache and the labs' dirs live there) and a record in
//     the run-state directory, so `rcnc clean` finds what a killed run left;
//   - SIGINT/SIGTERM to this process alone are forwarded to the workers, which tear their labs
//     down; this process waits until every lab of the run is gone, then exits with the signal's
//     code (vitest's own handlers, which exit at once, are removed);
//   - if this process is SIGKILLed, its workers see their IPC channel close and tear down
//     (src/suite/worker-setup.ts), and pods die with them (setpriv --pdeathsig).
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter, Vitest } from 'vitest/node';
import { sweepDocker } from '../deploy/docker/sweep.ts';
import { sweep } from '../deploy/netns/sweep.ts';
import type { RunConfig } from '../suite/run-config.ts';
import { labProject } from '../suite/vitest-projects.ts';
import { PACKAGE_ROOT } from '../util/package-root.ts';
import { self, StateRecords, type Owner } from '../util/run-state.ts';
import { waitFor } from '../util/wait.ts';

export interface RunRecord extends Owner {
  runId: string;
  tmpDir: string;
}

export const runRecords = new StateRecords<RunRecord>('runs', (id, r) =>
  r.runId === id && typeof r.tmpDir === 'string' ? undefined : `names run ${String(r.runId)}, not ${id}`,
);

/** The temp dir of a run: vitest's module cache and the labs' dirs. */
export const runTmpDir = (runId: string) => join(tmpdir(), `rcnc-run-${runId}`);

const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const TEARDOWN_WAIT_MS = 45_000;

export async function runScenarioFiles(
  files: string[],
  config: RunConfig,
  reporters: NonNullable<Parameters<typeof import('vitest/node').createVitest>[1]>['reporters'],
): Promise<{ signal?: NodeJS.Signals }> {
  const tmp = runTmpDir(config.runId);
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  // The run-state directory is root's; a run without root builds nothing to sweep (its cells skip).
  if (process.getuid?.() === 0) {
    await runRecords.write(config.runId, { ...(await self()), runId: config.runId, tmpDir: tmp });
  }
  // Everything temporary of the run (vitest's cache, lab dirs) goes under one dir removed at the end.
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  const { createVitest } = await import('vitest/node');
  let vitest: Vitest | undefined;
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      process.exit(SIGNAL_CODES[signal] ?? 1);
    }
    received = signal;
    process.stderr.write(`rcnc: ${signal}: stopping; tearing down the labs of run ${config.runId}…\n`);
    void signalWorkers(signal);
    void vitest?.cancelCurrentRun('keyboard-input');
  };
  try {
    // No config file: the lab project comes inline with this run's config, the only one its
    // workers can see (a config file would provide its own, built from the environment).
    vitest = await createVitest('test', {
      root: PACKAGE_ROOT,
      config: false,
      run: true,
      watch: false,
      reporters: config.stopFile
        ? [...[reporters ?? []].flat(), stopAtFirstFailure(config.stopFile, () => vitest)]
        : reporters,
      projects: [labProject(config, PACKAGE_ROOT)],
    });
    takeOverSignals(onSignal);
    if (!received) {
      await vitest.start(files).catch((e: unknown) => {
        if (!received) {
          throw e;
        }
      });
    }
  } finally {
    await vitest?.close();
    await finishRun(config.runId, tmp);
    process.env.TMPDIR = previousTmp;
  }
  return received ? { signal: received } : {};
}

/**
 * `--fail-fast`: at the first failed cell, the stop file tells the workers to start no more cells
 * (src/suite/harness.ts inPool) and vitest starts no more files; running cells finish and tear down.
 */
function stopAtFirstFailure(stopFile: string, vitest: () => Vitest | undefined): Reporter {
  let stopped = false;
  return {
    onTestCaseResult(testCase) {
      if (stopped || testCase.result().state !== 'failed') {
        return;
      }
      stopped = true;
      writeFileSync(stopFile, `${testCase.name}\n`);
      process.stderr.write(
        `rcnc: --fail-fast: ${testCase.name} failed; no more cells start, the running ones finish\n`,
      );
      void vitest()?.cancelCurrentRun('test-failure');
    },
  };
}

/** vitest exits the process on SIGINT/SIGTERM without waiting for teardown: ours replace its. */
function takeOverSignals(onSignal: (signal: NodeJS.Signals) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, onSignal);
  }
}

/** Sends the signal to this process's children: the vitest workers, which tear their labs down. */
async function signalWorkers(signal: NodeJS.Signals): Promise<void> {
  for (const pid of await childrenOf(process.pid)) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

async function childrenOf(parent: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) {
      out.push(Number(entry));
    }
  }
  return out;
}

/**
 * Waits (bounded) until no lab or Docker host of this run has a live owner, sweeps what dead
 * owners left (unmounting a Docker host's mounts before its dir goes), and removes the run's temp
 * dir and record.
 */
async function finishRun(runId: string, tmp: string): Promise<void> {
  if (process.getuid?.() === 0) {
    await waitFor({
      target: `the labs of run ${runId} to be torn down`,
      timeoutMs: TEARDOWN_WAIT_MS,
      intervalMs: 100,
      check: async () => {
        const live = [...(await sweep({ runId })).kept, ...(await sweepDocker({ runId })).kept];
        return { done: live.length === 0, state: `${live.length} lab(s) still owned by live workers` };
      },
    }).catch((e: unknown) => process.stderr.write(`rcnc: ${(e as Error).message}\n`));
  }
  await rm(tmp, { recursive: true, force: true });
  await runRecords.remove(runId);
}
