// What `rcnc run` does on a machine that lacks the netns lab's packages: install them as root, or
// refuse in one line that names the command to run.
import { describe, expect, test } from 'vitest';
import { RequirementError } from '../util/errors.ts';
import { NEEDS_ROOT, readyForLab } from './first-run.ts';

function steps(install: (log: (line: string) => void) => Promise<string[]> = async () => ['redis-server']) {
  const log: string[] = [];
  const calls: string[] = [];
  return {
    log,
    calls,
    steps: {
      setup: async (l: (line: string) => void) => {
        calls.push('setup');
        return install(l);
      },
      log: (line: string) => log.push(line),
    },
  };
}

describe('readyForLab', () => {
  test('root, nothing missing: nothing to do, nothing said', async () => {
    const s = steps();
    await readyForLab({ missing: [], root: true, aptGet: true }, s.steps);
    expect(s.calls).toEqual([]);
    expect(s.log).toEqual([]);
  });

  test('root, packages missing: runs the setup step, saying what and how long, then goes on', async () => {
    const s = steps(async (log) => {
      log('rcnc setup: installing redis-server redis-tools with apt-get');
      return ['redis-server', 'redis-tools'];
    });
    await readyForLab({ missing: ['redis-server', 'redis-tools'], root: true, aptGet: true }, s.steps);
    expect(s.calls).toEqual(['setup']);
    expect(s.log[0]).toBe(
      'rcnc: this machine lacks packages the lab needs (redis-server redis-tools); installing them first, as `rcnc setup` does',
    );
    expect(s.log[1]).toBe('rcnc setup: installing redis-server redis-tools with apt-get');
    expect(s.log[2]).toMatch(/^rcnc: installed redis-server redis-tools in \d+ s; starting the run$/);
  });

  test.each([
    [true, ''],
    [false, ' with sudo'],
  ])('packages missing and no apt-get (root: %s): one line naming the packages', async (root, sudo) => {
    const s = steps();
    await expect(readyForLab({ missing: ['redis-server', 'tcpdump'], root, aptGet: false }, s.steps)).rejects.toThrow(
      new RequirementError(
        `the netns lab needs packages this machine lacks (redis-server tcpdump) and there is no apt-get to install them: install them (these are their Debian names), then run again${sudo}`,
      ),
    );
    expect(s.calls).toEqual([]);
    expect(s.log).toEqual([]);
  });

  test('root, packages missing, apt-get fails: the one-line error of the setup step stands', async () => {
    const refusal = new RequirementError('missing system packages: redis-server; install them …');
    const s = steps(() => Promise.reject(refusal));
    await expect(readyForLab({ missing: ['redis-server'], root: true, aptGet: true }, s.steps)).rejects.toBe(refusal);
  });

  test('not root, packages missing: one line naming `sudo npx rcnc setup`, nothing installed', async () => {
    const s = steps();
    const refused = readyForLab({ missing: ['redis-server', 'tcpdump'], root: false, aptGet: true }, s.steps);
    await expect(refused).rejects.toThrow(RequirementError);
    await expect(refused).rejects.toThrow(
      /^the netns lab needs root and packages this machine lacks \(redis-server tcpdump\): run `sudo npx rcnc setup`, then this command again with sudo$/,
    );
    expect(s.calls).toEqual([]);
  });

  test('not root, nothing missing: the root refusal alone', async () => {
    const s = steps();
    await expect(readyForLab({ missing: [], root: false, aptGet: true }, s.steps)).rejects.toThrow(NEEDS_ROOT);
    expect(s.calls).toEqual([]);
  });
});
