// The GitHub Action (action.yml): every input reaches `rcnc run` as the flag it names, and only
// through environment variables and an argv array, never written into a script (a value such as
// `$(curl …)` must stay a value). GitHub itself cannot run here, so its one part this test plays is
// what it does with a composite step: put the step's `env:` (expressions evaluated) into the
// environment and run the `run:` script with bash. The scripts are action.yml's own; `node
// $ACTION_RCNC_BIN` starts a stand-in for rcnc that records the argv it got, and `sudo` a stand-in that
// runs its command (the scripts call it when not root). The workflow that uses the action runs the
// real thing on GitHub (.github/workflows/conformance.yml).
import { execa } from 'execa';
import { load } from 'js-yaml'; // js-yaml comes with @kubernetes/client-node, a dependency
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

let action: Action;
let dir: string;
/** A file no script may create: the hostile inputs below try to. */
let marker: string;

beforeAll(async () => {
  action = load(await readFile(join(ROOT, 'action.yml'), 'utf8')) as Action;
  dir = await mkdtemp(join(tmpdir(), 'rcnc-action-test-'));
  marker = join(dir, 'injected');
  // The action's path as GitHub checks it out, with rcnc's entry replaced by a recorder.
  await mkdir(join(dir, 'action', 'bin'), { recursive: true });
  await writeFile(
    join(dir, 'action', 'bin', 'rcnc.mjs'),
    `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.ARGV_LOG, JSON.stringify(process.argv.slice(2)) + '\\n');
process.exit(Number(process.env.FAKE_EXIT ?? 0));
`,
  );
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'sudo'), '#!/bin/sh\n[ "$1" = -E ] && shift\nexec "$@"\n');
  await chmod(join(dir, 'bin', 'sudo'), 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const step = (name: string): Step => {
  const found = action.runs.steps.find((s) => s.name === name);
  expect(found, name).toBeDefined();
  return found!;
};

/** What GitHub puts in place of each `${{ … }}` of a step's env; any other expression fails the test. */
function evaluate(
  value: string,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
  actionPath: string,
): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    const input = /^inputs\.([\w-]+)$/.exec(expression)?.[1];
    if (input !== undefined) {
      expect(Object.keys(action.inputs), `input ${input}`).toContain(input);
      return inputs[input] ?? action.inputs[input]!.default ?? '';
    }
    if (expression === 'github.action_path') {
      return actionPath;
    }
    const output = /^steps\.paths\.outputs\.([\w-]+)$/.exec(expression)?.[1];
    if (output !== undefined) {
      return outputs[output] ?? '';
    }
    throw new Error(`an expression this test does not know: ${expression}`);
  });
}

interface Ran {
  exitCode: number;
  stderr: string;
  argv: string[][];
  outputs: Record<string, string>;
}

/** Runs one step's script as GitHub runs a `shell: bash` step, with its env evaluated. */
async function runStep(
  name: string,
  inputs: Record<string, string>,
  outputs: Record<string, string> = {},
  fakeExit = 0,
  actionPath = join(dir, 'action'),
): Promise<Ran & { stdout: string }> {
  const s = step(name);
  expect(s.shell).toBe('bash');
  const work = await mkdtemp(join(dir, 'step-'));
  const script = join(work, 'script.sh');
  await writeFile(script, s.run!);
  const env = Object.fromEntries(
    Object.entries(s.env ?? {}).map(([k, v]) => [k, evaluate(v, inputs, outputs, actionPath)]),
  );
  const files = { GITHUB_OUTPUT: join(work, 'output'), ARGV_LOG: join(work, 'argv') };
  await writeFile(files.GITHUB_OUTPUT, '');
  await writeFile(files.ARGV_LOG, '');
  const r = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
    cwd: work,
    reject: false,
    env: { ...env, ...files, FAKE_EXIT: String(fakeExit), PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
    extendEnv: false,
  });
  const lines = (file: string) => readFile(file, 'utf8').then((text) => text.split('\n').filter((line) => line !== ''));
  return {
    exitCode: r.exitCode ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    argv: (await lines(files.ARGV_LOG)).map((line) => JSON.parse(line) as string[]),
    outputs: Object.fromEntries(
      (await lines(files.GITHUB_OUTPUT)).map((line) => [
        line.slice(0, line.indexOf('=')),
        line.slice(line.indexOf('=') + 1),
      ]),
    ),
  };
}

/** The report path step, then the run step with its outputs: what `rcnc run` was called with. */
async function run(inputs: Record<string, string>, fakeExit = 0) {
  const paths = await runStep('Report path', inputs);
  expect(paths.exitCode, paths.stderr).toBe(0);
  return { paths, ran: await runStep('rcnc run', inputs, paths.outputs, fakeExit) };
}

describe('action.yml', () => {
  test('is a composite action whose scripts interpolate no expression', () => {
    expect(action.runs.using).toBe('composite');
    const scripts = action.runs.steps.filter((s) => s.run !== undefined);
    expect(scripts.length).toBeGreaterThan(3);
    for (const s of scripts) {
      expect(s.run, s.name).not.toContain('${{');
      // Every value a script reads comes whole from one env entry.
      for (const [key, value] of Object.entries(s.env ?? {})) {
        expect(value, `${s.name}: ${key}`).toMatch(/^(\$\{\{ [\w.-]+ \}\}(\/[\w./-]+)?)$/);
      }
    }
  });

  test('every input is used by a step', () => {
    const used = JSON.stringify(action.runs.steps.map(({ run: _script, ...rest }) => rest));
    for (const input of Object.keys(action.inputs)) {
      expect(used, input).toContain(`inputs.${input}`);
    }
  });

  test('each filter input reaches rcnc run as its flag, in an argv', async () => {
    const { paths, ran } = await run({
      provider: 'docker',
      scenario: 'nat-meet,snat',
      profile: 'docker-iptables',
      exposure: 'nodeport',
      cell: 'docker/*/nodeport/*\n\n!*/outside-*\n',
      skip: '*/scale-*',
      quick: 'true',
      shard: '2/4',
      'report-dir': 'out/reports',
      args: '--fail-fast\n--timing-cells\nshared',
    });
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(ran.argv).toEqual([
      [
        'run',
        '--provider',
        'docker',
        '--scenario',
        'nat-meet,snat',
        '--profile',
        'docker-iptables',
        '--exposure',
        'nodeport',
        '--cell',
        'docker/*/nodeport/*',
        '--cell',
        '!*/outside-*',
        '--skip',
        '*/scale-*',
        '--quick',
        '--shard',
        '2/4',
        '--report-dir',
        paths.outputs['dir'],
        '--fail-fast',
        '--timing-cells',
        'shared',
      ],
    ]);
    expect(paths.outputs['dir']).toMatch(/\/out\/reports$/);
    expect(paths.outputs).toMatchObject({
      report: `${paths.outputs['dir']}/latest`,
      name: 'rcnc-reports-shard-2-of-4',
    });
    expect(ran.outputs).toEqual({ 'exit-code': '0' });
  });

  test('with no inputs it runs the default matrix into rcnc-reports', async () => {
    const { paths, ran } = await run({});
    expect(ran.argv).toEqual([['run', '--report-dir', paths.outputs['dir']]]);
    expect(paths.outputs['dir']).toMatch(/\/rcnc-reports$/);
    expect(paths.outputs['name']).toBe('rcnc-reports');
  });

  test('a value that looks like shell code stays a value', async () => {
    const hostile = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `"; touch ${marker}; echo "`,
      `' || touch ${marker} #`,
    ];
    const { ran } = await run({
      provider: hostile[0]!,
      scenario: hostile[1]!,
      profile: hostile[2]!,
      cell: hostile.join('\n'),
      args: hostile[3]!,
    });
    expect(ran.argv[0]).toEqual([
      'run',
      '--provider',
      hostile[0],
      '--scenario',
      hostile[1],
      '--profile',
      hostile[2],
      ...hostile.flatMap((value) => ['--cell', value]),
      '--report-dir',
      expect.any(String),
      hostile[3],
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  test("rcnc's exit code is the step's, and an output", async () => {
    const { ran } = await run({ profile: 'flannel-vxlan' }, 1);
    expect(ran.exitCode).toBe(1);
    expect(ran.outputs).toEqual({ 'exit-code': '1' });
  });

  test('refuses what is not one line or not a boolean, before rcnc runs', async () => {
    const quick = await runStep('rcnc run', { quick: 'yes' }, { dir: join(dir, 'r') });
    expect(quick.exitCode).toBe(2);
    expect(quick.stderr).toBe("rcnc action: quick: use true or false (got 'yes')");
    expect(quick.argv).toEqual([]);
    const paths = await runStep('Report path', { 'report-dir': 'a\nname=evil' });
    expect(paths.exitCode).toBe(2);
    expect(paths.outputs).toEqual({});
  });

  test('runs the real rcnc with them: --list through the action lists the cells the filters pick', async () => {
    const inputs = { profile: 'calico-vxlan', exposure: 'nodeport', quick: 'true', args: '--list\n--json' };
    const paths = await runStep('Report path', inputs);
    const listed = await runStep('rcnc run', inputs, paths.outputs, 0, ROOT);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const ids = (JSON.parse(listed.stdout) as { cells: { id: string }[] }).cells.map((cell) => cell.id);
    expect(ids).toEqual(['netns/calico-vxlan/nodeport/announce-none']);
    expect(listed.outputs).toEqual({ 'exit-code': '0' });
  });

  test('sets up the lab, and Kubernetes for --provider kube', async () => {
    expect((await runStep('rcnc setup', {})).argv).toEqual([['setup']]);
    expect((await runStep('rcnc setup', { provider: 'kube' })).argv).toEqual([['setup', '--kube']]);
  });

  test('uploads the report even when the run failed, and says where it is', () => {
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.if).toMatch(/^always\(\) && inputs\.upload == 'true'/);
    expect(upload?.with).toMatchObject({
      name: '${{ steps.paths.outputs.name }}',
      path: '${{ steps.paths.outputs.report }}/',
    });
    expect(step('Own the reports').if).toBe('always()');
    expect(action.outputs['report']?.value).toBe('${{ steps.paths.outputs.report }}');
    expect(action.outputs['exit-code']?.value).toBe('${{ steps.run.outputs.exit-code }}');
    // npm ci runs where the action is, not in the caller's workspace.
    expect(step('Install rcnc')['working-directory']).toBe('${{ github.action_path }}');
  });
});
