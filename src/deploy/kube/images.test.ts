// The kube images are built by every process that starts a cluster, into one cache shared by runs
// and test files: builds that overlap must each finish with the same archive, and leave nothing.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { pauseImage, redisImage } from './images.ts';

let cache: string;
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'rcnc-images-'));
});
afterEach(async () => {
  await rm(cache, { recursive: true, force: true });
});

// Any static file stands in for the pause program: the archive's bytes, not its behaviour, are tested.
const PAUSE_STAND_IN = '/bin/busybox';
const haveRedis = existsSync('/usr/bin/redis-server') && existsSync(PAUSE_STAND_IN);

test.skipIf(!haveRedis)(
  'overlapping builds in one cache each end with the same archive, and leave no scratch',
  async () => {
    const builds = await Promise.all([
      pauseImage(PAUSE_STAND_IN, cache),
      pauseImage(PAUSE_STAND_IN, cache),
      redisImage({ server: 'redis-server', cli: 'redis-cli' }, cache),
      redisImage({ server: 'redis-server', cli: 'redis-cli' }, cache),
    ]);
    expect(builds[0]).toEqual(builds[1]);
    expect(builds[2]).toEqual(builds[3]);
    for (const b of builds) {
      const listed = (await execa('tar', ['-tf', b.file])).stdout.split('\n');
      expect(listed).toContain('./manifest.json');
    }
    expect((await readdir(cache)).sort()).toEqual([...new Set(builds.map((b) => b.file.split('/').at(-1)))].sort());
  },
);

test.skipIf(!haveRedis)(
  'a scratch dir left by a build whose process is gone is removed by the next build',
  async () => {
    // Above pid_max (2^22 on 64-bit Linux): no process can have it.
    const dead = join(cache, '.build-4194305-pause-abcdef');
    const live = join(cache, `.build-${process.pid}-redis-abcdef`);
    await mkdir(join(dead, 'rootfs'), { recursive: true });
    await mkdir(live);
    await pauseImage(PAUSE_STAND_IN, cache);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  },
);
