// The two images the kube provider's nodes run, made on this machine because no registry answers
// here: Kubernetes' pause program (the pod sandbox) and Redis. Each is written as a docker-archive
// (manifest.json + config + one layer tar, the format `ctr images import` reads) and cached by the
// sha256 of its layer, so every node imports the same bytes and later runs reuse the archive.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RequirementError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { pidAlive } from '../../util/run-state.ts';
import { parseLdd } from '../docker/image.ts';
import { cacheRoot } from './build.ts';

export interface ImageArchive {
  /** The reference pods name (`imagePullPolicy: Never`). */
  ref: string;
  /** The docker-archive to import into each node's containerd. */
  file: string;
}

/** The sandbox image's name: containerd's `sandbox_image` is set to it. */
export const PAUSE_REF = 'registry.k8s.io/pause:3.10-rcnc';
const REDIS_REPO = 'docker.io/rcnc/redis';

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  WorkingDir?: string;
  Env: string[];
}

/**
 * A scratch dir for one image build, in the cache dir (same filesystem, so the finished archive is
 * published by a rename). Its name carries this process's pid: two runs, or two test files, build
 * the same image at once, and a fixed name let one remove the other's half-written tree. Dirs left by
 * a killed build (their pid is gone) are removed here.
 */
async function scratch(cacheDir: string, what: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  for (const e of await readdir(cacheDir)) {
    const pid = /^\.build-(\d+)-/.exec(e)?.[1];
    if (pid && !pidAlive(Number(pid))) {
      await rm(join(cacheDir, e), { recursive: true, force: true });
    }
  }
  return mkdtemp(join(cacheDir, `.build-${process.pid}-${what}-`));
}

/**
 * A docker-archive of one layer made from `rootfs`, built in `work` (a scratch dir of its own).
 * Numeric owners and a fixed mtime keep the layer the same bytes for the same content, so its digest
 * can key the cache; the archive is published by a rename, so a reader never sees half of one.
 */
async function writeArchive(rootfs: string, ref: (digest: string) => string, config: ImageConfig, work: string) {
  const image = join(work, 'image');
  await mkdir(image);
  const layer = join(image, 'layer.tar');
  await execa('tar', ['-C', rootfs, '--numeric-owner', '--sort=name', '--mtime=@0', '-cf', layer, '.']);
  const diffId = await sha256File(layer);
  const cfg = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: config,
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
  });
  const cfgName = `${createHash('sha256').update(cfg).digest('hex')}.json`;
  await writeFile(join(image, cfgName), cfg);
  await mkdir(join(image, diffId));
  await rename(layer, join(image, diffId, 'layer.tar'));
  const tag = ref(diffId);
  await writeFile(
    join(image, 'manifest.json'),
    JSON.stringify([{ Config: cfgName, RepoTags: [tag], Layers: [`${diffId}/layer.tar`] }]),
  );
  const file = join(dirname(work), `${tag.replace(/[/:]/g, '_')}.tar`);
  if (!existsSync(file)) {
    const tmp = join(work, 'image.tar');
    await execa('tar', ['-C', image, '--numeric-owner', '-cf', tmp, '.']);
    await rename(tmp, file);
  }
  return { ref: tag, file };
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The pause image: the static `pause` binary alone, run as 65535 as upstream's image does. */
export async function pauseImage(pauseBinary: string, cacheDir: string): Promise<ImageArchive> {
  const work = await scratch(cacheDir, 'pause');
  const rootfs = join(work, 'rootfs');
  await mkdir(rootfs);
  await copyFile(pauseBinary, join(rootfs, 'pause'));
  await chmod(join(rootfs, 'pause'), 0o755);
  try {
    return await writeArchive(
      rootfs,
      () => PAUSE_REF,
      { Entrypoint: ['/pause'], User: '65535:65535', Env: [PATH_ENV] },
      work,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A binary as a shell finds it: a path as given, a bare name on PATH (ldd needs a path). */
function onPath(cmd: string): string {
  if (cmd.includes('/')) {
    return cmd;
  }
  const dirs = (process.env['PATH'] ?? '/usr/bin:/bin').split(':').filter(Boolean);
  const found = dirs.map((d) => join(d, cmd)).find((p) => existsSync(p));
  if (!found) {
    throw new RequirementError(`${cmd} is not on PATH; the kube provider's Redis image is built from it`);
  }
  return found;
}

/** Where busybox-static installs its binary; its applets give the image a shell and coreutils. */
const BUSYBOX = '/bin/busybox';

/**
 * The Redis image: this machine's redis-server and redis-cli (the same binaries the lab runs, so a
 * kube verdict and a lab verdict compare like for like) with the libraries they load, and a static
 * busybox for `sh` and the coreutils the deploy layer's start scripts and probes call.
 */
export async function redisImage(given: { server: string; cli: string }, cacheDir: string): Promise<ImageArchive> {
  const redis = { server: onPath(given.server), cli: onPath(given.cli) };
  if (!existsSync(BUSYBOX)) {
    throw new RequirementError(
      `${BUSYBOX} is missing (Debian's busybox-static); the kube provider's Redis image needs it: sudo npx rcnc setup --kube`,
    );
  }
  const version = /\bv=(\S+)/.exec((await run([redis.server, '--version'])).stdout)?.[1];
  if (!version) {
    throw new RequirementError(`${redis.server} --version printed no version; pass a redis-server binary`);
  }
  const ldd = await run(['ldd', redis.server, redis.cli]);
  const work = await scratch(cacheDir, 'redis');
  const rootfs = join(work, 'rootfs');
  try {
    await mkdir(join(rootfs, 'usr/bin'), { recursive: true });
    for (const d of ['data', 'tmp', 'etc', 'bin']) {
      await mkdir(join(rootfs, d), { recursive: true });
    }
    await chmod(join(rootfs, 'tmp'), 0o1777);
    // copyFile follows links: Debian's redis-server is a link to the multi-call redis-check-rdb,
    // which picks its mode from argv[0]; redis-sentinel is the same program again.
    for (const [to, from] of [
      ['usr/bin/redis-server', redis.server],
      ['usr/bin/redis-sentinel', redis.server],
      ['usr/bin/redis-cli', redis.cli],
      ['bin/busybox', BUSYBOX],
    ] as const) {
      await copyFile(from, join(rootfs, to));
      await chmod(join(rootfs, to), 0o755);
    }
    for (const lib of parseLdd(ldd.stdout)) {
      await mkdir(join(rootfs, dirname(lib)), { recursive: true });
      await copyFile(lib, join(rootfs, lib));
    }
    const applets = (await run([BUSYBOX, '--list'])).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a));
    for (const a of applets) {
      if (!existsSync(join(rootfs, 'usr/bin', a)) && !existsSync(join(rootfs, 'bin', a))) {
        await symlink('busybox', join(rootfs, 'bin', a));
      }
    }
    await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    return await writeArchive(
      rootfs,
      (digest) => `${REDIS_REPO}:${version}-${digest.slice(0, 12)}`,
      { Cmd: ['redis-server'], WorkingDir: '/data', Env: [PATH_ENV] },
      work,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Both images of a cluster, made from the binaries in `bin` and the run's Redis, cached beside the builds. */
export async function clusterImages(
  bin: string,
  redis: { server: string; cli: string },
): Promise<{ pause: ImageArchive; redis: ImageArchive }> {
  const dir = join(cacheRoot(), 'kube', 'images');
  await mkdir(dir, { recursive: true });
  return { pause: await pauseImage(join(bin, 'pause'), dir), redis: await redisImage(redis, dir) };
}
