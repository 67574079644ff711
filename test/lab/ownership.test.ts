// Runs never destroy each other, and teardown does not depend on which process a signal reaches:
//   - two `rcnc run`s with different TMPDIRs, and an `rcnc clean` (without TMPDIR, as sudo drops it)
//     in between, all pass and the first run's lab survives the others' sweeps;
//   - SIGTERM or SIGKILL to the CLI process alone (not its group) leaves nothing once it is over;
//   - a truncated owner record is reported, not fatal; a reused PID does not keep a dead lab alive.
import { execa, type ResultPromise } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { labRecords, readRecords } from '../../src/deploy/netns/ownership.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';
import { labSkipReason, leftovers } from './leftovers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CELL = 'netns/flannel-vxlan/nodeport/announce-none';

const rcnc = (args: string[], env: Record<string, string | undefined> = {}): ResultPromise =>
  execa('node', ['bin/rcnc.mjs', ...args], {
    cwd: ROOT,
    reject: false,
    env: { NO_COLOR: '1', ...env },
    extendEnv: true,
    // execa's kill() SIGKILLs 5 s after SIGTERM by default; under load a run's teardown takes
    // longer, and the SIGTERM test must see the CLI's own teardown and its exit code.
    forceKillAfterDelay: false,
  });

const labsOfRun = async (runId: string) => (await readRecords()).records.filter((r) => r.runId === runId);

/** Resolves once the run has built a lab (its owner record names the run). */
const labBuilt = (runId: string) =>
  waitFor({
    target: `a lab of run ${runId}`,
    timeoutMs: 60_000,
    intervalMs: 50,
    check: async () => ({ done: (await labsOfRun(runId)).length > 0, state: 'no lab yet' }),
  });

/** Nothing of the run: no lab record, no namespace of its labs, no run temp dir. */
async function traces(runId: string, labIds: string[]) {
  const ns = (await run(['ip', 'netns', 'list'])).stdout;
  return {
    records: (await labsOfRun(runId)).map((r) => r.labId),
    namespaces: labIds.filter((id) => ns.includes(`rcnc-${id}-`)),
    runDirs: (await run(['find', '/tmp', '-maxdepth', '2', '-name', `rcnc-run-${runId}`])).stdout.trim(),
    processes: await processesOfRun(runId),
  };
}

/** Processes started for the run (its workers, their pods): they carry its id in their environment. */
async function processesOfRun(runId: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    const env = /^\d+$/.test(pid) ? await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '') : '';
    if (env.split('\0').includes(`RCNC_RUN_ID=${runId}`)) {
      found.push(`${pid} ${(await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '')).replaceAll('\0', ' ')}`);
    }
  }
  return found;
}

const NOTHING = { records: [], namespaces: [], runDirs: '', processes: [] };

describe.skipIf(!!labSkipReason)('lab ownership across runs', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ownership-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  test('two runs with different TMPDIRs and a clean in between: all pass, nothing left', async () => {
    // What an earlier, dead run left is swept by the runs below, as it should be: the comparison
    // starts from a machine swept the same way, so it counts only what these runs leave.
    expect((await rcnc(['clean'], { TMPDIR: undefined })).exitCode).toBe(0);
    const before = await leftovers();
    const otherTmp = join(scratch, 'tmp-a');
    await mkdir(otherTmp);
    const a = rcnc(['run', '--cell', CELL, '--report-dir', join(scratch, 'ra')], {
      TMPDIR: otherTmp,
      RCNC_RUN_ID: 'own-a',
    });
    await labBuilt('own-a');
    const clean = await rcnc(['clean'], { TMPDIR: undefined });
    expect(clean.exitCode, String(clean.stderr)).toBe(0);
    expect(String(clean.stdout)).toMatch(/kept lab [0-9a-f]{6}: its owner of run own-a \(pid \d+\) is still alive/);
    const b = await rcnc(
      [
        'run',
        '--scenario',
        'nat-meet',
        '--profile',
        'no-nat',
        '--exposure',
        'pod-ip',
        '--report-dir',
        join(scratch, 'rb'),
      ],
      { RCNC_RUN_ID: 'own-b' },
    );
    expect(b.exitCode, String(b.stderr)).toBe(0);
    expect(String(b.stdout)).not.toMatch(/removed \d+ lab/);
    const ra = await a;
    expect(ra.exitCode, `${String(ra.stdout)}\n${String(ra.stderr)}`).toBe(0);
    expect(await leftovers()).toEqual(before);
  }, 240_000);

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`${signal} to the CLI process alone: the run's labs and temp dir go`, async () => {
      const runId = `own-${signal.toLowerCase()}`;
      const child = rcnc(['run', '--cell', CELL, '--report-dir', join(scratch, runId)], { RCNC_RUN_ID: runId });
      await labBuilt(runId);
      const labIds = (await labsOfRun(runId)).map((r) => r.labId);
      child.kill(signal);
      const r = await child;
      if (signal === 'SIGTERM') {
        // The CLI exits only after teardown, with the signal's code.
        expect(r.exitCode).toBe(143);
        expect(await traces(runId, labIds)).toEqual(NOTHING);
        return;
      }
      // SIGKILL: the workers notice their parent is gone and tear their labs down by themselves…
      await waitFor({
        target: `the labs of ${runId} to go after SIGKILL`,
        timeoutMs: 30_000,
        intervalMs: 100,
        check: async () => {
          const t = await traces(runId, labIds);
          const done = t.records.length === 0 && t.namespaces.length === 0 && t.processes.length === 0;
          return { done, state: JSON.stringify(t) };
        },
      });
      // …and `rcnc clean` removes the run's temp dir, which only the dead CLI could have.
      const clean = await rcnc(['clean']);
      expect(String(clean.stdout)).toContain(`removed run ${runId}`);
      expect(await traces(runId, labIds)).toEqual(NOTHING);
    }, 180_000);
  }
});

describe.skipIf(!!labSkipReason)('owner records', () => {
  const fakeLab = async (id: string) => {
    await run(['ip', 'netns', 'add', `rcnc-${id}-hub`]);
    return () => run(['ip', 'netns', 'del', `rcnc-${id}-hub`], { reject: false });
  };

  test('a truncated record is reported and kept; clean still exits 0 and cleans the rest', async () => {
    const [damaged, dead] = ['d0d0d1', 'd0d0d2'];
    const removeDamaged = await fakeLab(damaged);
    await fakeLab(dead);
    try {
      await writeFile(labRecords.file(damaged), '{"labId":"d0d0d1","pid":12');
      // A dead owner: PID 1 is alive, but it did not start at tick 999999999, so the lab is provably ownerless.
      await labRecords.write(dead, { labId: dead, pid: 1, startTime: 999_999_999, dir: '/nonexistent', createdAt: '' });
      const r = await rcnc(['clean']);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).toBe('');
      expect(String(r.stdout)).toMatch(
        new RegExp(`kept lab ${damaged}: its owner record .*${damaged}\\.json is not JSON .*; remove it with --all`),
      );
      expect(String(r.stdout)).toContain(`removed lab ${dead}: 1 namespace(s)`);
      const ns = (await run(['ip', 'netns', 'list'])).stdout;
      expect(ns).toContain(`rcnc-${damaged}-hub`);
      expect(ns).not.toContain(`rcnc-${dead}-hub`);
    } finally {
      await removeDamaged();
      await labRecords.remove(damaged);
    }
  });
});
