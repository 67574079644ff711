// `rcnc diff` refuses bad input before reading anything, in its own words: a tolerance below 0 or
// not a whole number of ms, and a file that is not an rcnc results.json at all (the wrong path, not
// a damaged run). Given a lab run and a real cluster's run of the same cells, it compares each
// pair as the report's "lab against real Kubernetes" table does, and fails on a disagreement.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { ResultsFile } from '../model/results.ts';
import { UsageError } from '../util/errors.ts';
import { cmdDiff } from './files.ts';

const SAMPLE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));
/** npm test's results of 2026-12-07: 11 kube tier cells and their lab twins, in one run. */
const LAB_AND_KUBE = fileURLToPath(new URL('../../test/fixtures/report/results.lab-and-kube.json', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcnc-files-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refusal = (args: string[]) =>
  cmdDiff(args).then(
    () => undefined,
    (e: unknown) => e,
  );

test('a negative or fractional tolerance is refused with what to give', async () => {
  for (const [args, message] of [
    [
      ['--tolerance-ms', '-5'],
      "--tolerance-ms -5: use a whole number of milliseconds, 0 or more; see 'rcnc diff --help'",
    ],
    [
      ['--tolerance-ms=1.5'],
      "--tolerance-ms 1.5: use a whole number of milliseconds, 0 or more; see 'rcnc diff --help'",
    ],
    [
      ['--tolerance-ratio', '-0.1'],
      "--tolerance-ratio -0.1: use a ratio such as 0.25 (25 %), 0 or more; see 'rcnc diff --help'",
    ],
  ] as const) {
    const error = await refusal([SAMPLE, SAMPLE, ...args]);
    expect(error, args.join(' ')).toBeInstanceOf(UsageError);
    expect((error as Error).message, args.join(' ')).toBe(message);
  }
});

test('a file that is not a results.json is named as the wrong file, with what to pass', async () => {
  const hostname = join(dir, 'hostname');
  await writeFile(hostname, 'vm-7f3a\n');
  const error = await refusal([hostname, SAMPLE]);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toBe(
    `${hostname} is not an rcnc results.json (it is not JSON): pass the results.json of a report directory, ` +
      'e.g. reports/latest/results.json, or the directory itself',
  );
});

/** cmdDiff's exit code and what it printed. */
async function diffOutput(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    out += `${parts.join(' ')}\n`;
  });
  try {
    return { code: await cmdDiff(args), out };
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
}

test('a lab run and a kube run of the same cells: every pair compared, a disagreement fails', async () => {
  const all = JSON.parse(await readFile(LAB_AND_KUBE, 'utf8')) as ResultsFile;
  const only = (provider: string): ResultsFile => {
    const cells = all.cells.filter((c) => c.dims.provider === provider);
    const count = (status: string) => cells.filter((c) => c.verdict.status === status).length;
    return { ...all, cells, summary: { pass: count('pass'), fail: count('fail'), skip: count('skip') } };
  };
  const [lab, kube] = [join(dir, 'lab.json'), join(dir, 'kube.json')];
  await writeFile(lab, JSON.stringify(only('netns')));
  await writeFile(kube, JSON.stringify(only('kube')));
  const agreed = await diffOutput([lab, kube]);
  expect(agreed.code, agreed.out).toBe(0);
  const lines = agreed.out.split('\n');
  expect(lines[0]).toBe('lab against real Kubernetes: 11 cell(s) ran both ways, 11 agree, 0 disagree');
  expect(lines.filter((l) => l.startsWith('agree '))).toHaveLength(11);
  expect(agreed.out).toMatch(/^agree +flannel-vxlan\/nodeport\/announce-none +pass, works-with-announce on both$/m);
  // Not listed as 11 cells removed and 11 added: they are the same cells on two providers.
  expect(agreed.out).toMatch(/0 cells in both, 0 changes, 0 regressions/);

  // The kube cell saw the joiner at another address class than the lab did.
  const changed = only('kube');
  const cell = changed.cells.find((c) => c.id === 'kube/flannel-vxlan/nodeport/announce-none')!;
  const observation = cell.observation as { ghostClass?: string };
  expect(observation.ghostClass).toBe('bridge-gateway');
  observation.ghostClass = 'node-ip';
  await writeFile(kube, JSON.stringify(changed));
  const disagreed = await diffOutput([lab, kube]);
  expect(disagreed.code).toBe(1);
  expect(disagreed.out.split('\n')[0]).toBe(
    'lab against real Kubernetes: 11 cell(s) ran both ways, 10 agree, 1 disagree',
  );
  expect(disagreed.out.split('\n')[1]).toMatch(
    /^DISAGREE +flannel-vxlan\/nodeport\/announce-none +ghost class bridge-gateway vs node-ip$/,
  );
  const json = JSON.parse((await diffOutput([lab, kube, '--json'])).out) as { disagree: number; fidelity: unknown[] };
  expect(json.disagree).toBe(1);
  expect(json.fidelity).toHaveLength(11);

  // Two runs that each hold both providers (npm test's) are an ordinary diff: the pairs are each
  // run's own, and the report of each run already shows them.
  const plain = await diffOutput([LAB_AND_KUBE, LAB_AND_KUBE]);
  expect(plain.code).toBe(0);
  expect(plain.out).not.toMatch(/lab against real Kubernetes/);
});
