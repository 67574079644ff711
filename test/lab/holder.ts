// A fixture that builds something and holds it until a signal (test/lab/fixtures/hold-*.ts), as one
// node process: no npx or tsx wrapper in between, so a signal reaches the holder itself. `ready`
// is the id it prints on its `READY <id>` line.
import { execa } from 'execa';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export function holdFixture(fixture: 'hold-lab' | 'hold-docker', id: RegExp) {
  const child = execa('node', ['--import', 'tsx', join(import.meta.dirname, 'fixtures', `${fixture}.ts`)], {
    cwd: ROOT,
    reject: false,
    buffer: true,
    // execa's kill() SIGKILLs 5 s after SIGTERM by default: a teardown on a loaded machine takes
    // longer, and the signal tests must see the holder's own teardown and exit code, not a SIGKILL's.
    forceKillAfterDelay: false,
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      const m = new RegExp(`READY (${id.source})`).exec(b.toString());
      if (m) {
        resolve(m[1]!);
      }
    });
    void child.then((r) => reject(new Error(`${fixture} exited before READY: ${r.stderr}`)));
  });
  return { child, ready };
}
