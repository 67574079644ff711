// How long `rcnc` takes to answer when it has almost nothing to do: `--version`, and `analyze` of
// the example's collected files. The floor is `node -e 0`, node's own start, measured in the same
// rounds. Each figure runs the CLI as users get it (bin/rcnc.mjs: dist/ when it was built from the
// current sources) and says which one ran; `sourcesMs` is the same command through tsx, for scale.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compiledCli } from '../bin/compiled.mjs';
import { median, type Figure } from './figures.ts';

const ROOT = join(import.meta.dirname, '..');
const ROUNDS = 9;
const SOURCE_ROUNDS = 3;
const EXAMPLE = 'examples/flannel-nodeport-nat-meet';

/** Wall time of one `node ARGS` from spawn to exit, with its output checked. */
function wallMs(args: string[], env: NodeJS.ProcessEnv, expect = /(?:)/): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  // analyze exits 1 when it finds problems, which this example has.
  if (r.status === null || r.status > 1 || !expect.test(r.stdout)) {
    throw new Error(`node ${args.join(' ')}: exit ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  }
  return ms;
}

const COMMANDS = [
  { figure: 'cli-start.version', args: ['--version'], expect: /^rcnc \d/, targetMs: 300 },
  { figure: 'cli-start.analyze', args: ['analyze', EXAMPLE], expect: /^rcnc analyze: /, targetMs: 600 },
];

export function cliStartFigures(): Figure[] {
  const compiled = compiledCli(ROOT);
  const cli = 'entry' in compiled ? 'compiled (dist/)' : `sources through tsx: ${compiled.stale}`;
  const env = { ...process.env, RCNC_CLI: '' };
  const rcnc = (args: string[]) => ['bin/rcnc.mjs', ...args];
  // Warm-up: node, the CLI's files and git's in the page cache.
  COMMANDS.forEach((c) => wallMs(rcnc(c.args), env, c.expect));
  const floor: number[] = [];
  const times = COMMANDS.map(() => [] as number[]);
  for (let i = 0; i < ROUNDS; i++) {
    floor.push(wallMs(['-e', '0'], env));
    COMMANDS.forEach((c, j) => times[j]!.push(wallMs(rcnc(c.args), env, c.expect)));
  }
  const sources = { ...env, RCNC_CLI: 'sources' };
  return COMMANDS.map((c, j) => {
    const ms = median(times[j]!);
    const sourcesMs = median(Array.from({ length: SOURCE_ROUNDS }, () => wallMs(rcnc(c.args), sources, c.expect)));
    return {
      figure: c.figure,
      command: ['rcnc', ...c.args].join(' '),
      cli,
      rounds: ROUNDS,
      ms,
      range: [Math.round(Math.min(...times[j]!)), Math.round(Math.max(...times[j]!))],
      floor: { what: 'node -e 0, in the same rounds', ms: median(floor) },
      // On a loaded machine node's own start swells; what rcnc adds to it is the part it controls.
      overFloorMs: ms - median(floor),
      sourcesMs,
      targets: [{ what: `median ≤ ${c.targetMs} ms (${cli})`, met: ms <= c.targetMs }],
    };
  });
}
