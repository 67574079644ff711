// The image Redis runs from: `redis:<version>` when the daemon has it or can pull it; otherwise
// `rcnc/redis:<version>-<hash>`, imported (`docker import`, the ImageCreate API with fromSrc) from a
// root filesystem holding this machine's redis-server and redis-cli and the libraries they load,
// tagged with a hash of all that content so a daemon that already has it reuses it. testcontainers
// is never left to pull: its pull policy cannot forbid pulling a missing image, so rcnc looks first
// (docs/docker.md#images).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ContainerRuntimeClient } from 'testcontainers';
import { RequirementError, TopologyError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';

export const LOCAL_IMAGE_REPO = 'rcnc/redis';
const PULL_TIMEOUT_MS = 60_000;

export interface RedisBinaries {
  server: string;
  cli: string;
}

export interface ImageChoice {
  image: string;
  /** present: already in the daemon's store; pulled; built: imported from this machine's binaries. */
  source: 'present' | 'pulled' | 'built';
  /** For the report: where the image came from, in words. */
  detail: string;
}

/** Every absolute library path `ldd` lists (the dynamic loader included; linux-vdso has none). */
export function parseLdd(text: string): string[] {
  const libs = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+\.so[^\s]*)\s+\(0x/.exec(line);
    if (m) {
      libs.add(m[1]!);
    }
  }
  return [...libs].sort();
}

export type RootfsEntry = { to: string; from: string } | { to: string; content: string };

/**
 * The root filesystem: the two Redis binaries under their usual names (Debian's redis-server is a
 * link to the multi-call redis-check-rdb, which picks its mode from argv[0]), `sleep` for idle
 * pods, every library at the path the loader looks for it, and a passwd naming root.
 */
export function rootfsPlan(bins: RedisBinaries & { sleep: string }, libs: string[]): RootfsEntry[] {
  return [
    { to: 'usr/bin/redis-server', from: bins.server },
    { to: 'usr/bin/redis-cli', from: bins.cli },
    { to: 'usr/bin/sleep', from: bins.sleep },
    ...libs.map((lib) => ({ to: lib.replace(/^\//, ''), from: lib })),
    { to: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    { to: 'etc/group', content: 'root:x:0:\n' },
  ].sort((a, b) => a.to.localeCompare(b.to));
}

/** sha256 over every entry's path and content, in path order: the image's cache key. */
export async function contentHash(entries: RootfsEntry[]): Promise<string> {
  const h = createHash('sha256');
  for (const e of [...entries].sort((a, b) => a.to.localeCompare(b.to))) {
    h.update(`${e.to}\0`);
    h.update('content' in e ? e.content : await readFile(e.from));
    h.update('\0');
  }
  return h.digest('hex');
}

export const localImageTag = (version: string, hash: string): string =>
  `${LOCAL_IMAGE_REPO}:${version}-${hash.slice(0, 12)}`;

/** A binary as a shell finds it: a path as given, a bare name on PATH. */
async function which(cmd: string, why: string): Promise<string> {
  if (cmd.includes('/')) {
    return cmd;
  }
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').filter(Boolean)) {
    const path = join(dir, cmd);
    if ((await run(['test', '-x', path], { reject: false })).exitCode === 0) {
      return path;
    }
  }
  throw new RequirementError(`${cmd} is not on PATH; ${why}`);
}

async function redisVersionOf(server: string): Promise<string> {
  const r = await run([server, '--version'], { reject: false });
  const v = /\bv=(\S+)/.exec(r.stdout)?.[1];
  if (!v) {
    throw new RequirementError(`${server} --version printed no version; pass a redis-server binary`);
  }
  return v;
}

const dockerodeOf = (client: ContainerRuntimeClient) => client.container.dockerode;

/** Looks in the daemon's store itself: testcontainers caches "exists" per process, across daemons. */
async function present(client: ContainerRuntimeClient, image: string): Promise<boolean> {
  return dockerodeOf(client)
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** testcontainers 11.14's reaper image (reaper/reaper.ts REAPER_IMAGE), or the one the user names. */
const ryukImage = () => process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';

/**
 * Ryuk only where its image can be had: testcontainers pulls it before the first container and
 * fails the start when it cannot. Kept when the user decided, when the daemon has the image, or
 * when it just pulled Redis (so it can pull Ryuk too); otherwise disabled for this process — rcnc's
 * teardown and `rcnc clean` remove everything by label anyway (docs/docker.md#testcontainers).
 */
export async function decideReaper(client: ContainerRuntimeClient, image: ImageChoice): Promise<string> {
  const set = process.env.TESTCONTAINERS_RYUK_DISABLED;
  if (set !== undefined) {
    return set === 'true' ? 'disabled (TESTCONTAINERS_RYUK_DISABLED)' : 'ryuk';
  }
  if (image.source === 'pulled' || (await present(client, ryukImage()))) {
    return 'ryuk';
  }
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  return `disabled: the daemon has no ${ryukImage()}`;
}

async function tryPull(client: ContainerRuntimeClient, image: string): Promise<string | undefined> {
  const { ImageName } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${PULL_TIMEOUT_MS / 1000} s`), PULL_TIMEOUT_MS);
  });
  const pulled = client.image
    .pull(ImageName.fromString(image), { force: false, platform: undefined })
    .then(() => undefined)
    .catch((e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!);
  const why = await Promise.race([pulled, timeout]);
  clearTimeout(timer);
  return why !== undefined ? why : (await present(client, image)) ? undefined : 'the pull left no image';
}

/**
 * The image for this run. `allowPull` is false for a private daemon: its namespace has no route
 * off this machine, so a pull could only time out.
 */
export async function redisImage(
  client: ContainerRuntimeClient,
  opts: { redis: RedisBinaries; allowPull: boolean; scratch: string },
): Promise<ImageChoice> {
  const version = await redisVersionOf(opts.redis.server);
  const official = `redis:${version}`;
  if (await present(client, official)) {
    return { image: official, source: 'present', detail: `${official}, already in the daemon's image store` };
  }
  const local = await localImage(opts.redis, version);
  if (await present(client, local.tag)) {
    // Imported by an earlier run from the same binaries: no pull to wait for again.
    return { image: local.tag, source: 'present', detail: `${local.tag}, imported earlier from ${local.from}` };
  }
  let pullFailure = 'not tried: the private daemon has no route off this machine';
  if (opts.allowPull) {
    const why = await tryPull(client, official);
    if (why === undefined) {
      return { image: official, source: 'pulled', detail: `${official}, pulled` };
    }
    pullFailure = why;
  }
  await importRootfs(client, local.entries, local.tag, join(opts.scratch, 'rootfs'));
  return {
    image: local.tag,
    source: 'built',
    detail: `${local.tag}, imported from ${local.from} (pulling ${official}: ${pullFailure})`,
  };
}

/** The local image's root filesystem and its tag (the content hash of what goes in). */
async function localImage(redis: RedisBinaries, version: string) {
  const bins = {
    server: await which(redis.server, 'the Redis image is built from it'),
    cli: await which(redis.cli, 'the Redis image is built from it'),
    sleep: await which('sleep', 'it goes into the Redis image for idle pods'),
  };
  const ldd = await run(['ldd', bins.server, bins.cli, bins.sleep]);
  const missing = /^\s*(\S+) => not found/m.exec(ldd.stdout);
  if (missing) {
    throw new RequirementError(`${missing[1]} is not found (ldd ${bins.server} ${bins.cli}); the Redis image needs it`);
  }
  const entries = rootfsPlan(bins, parseLdd(ldd.stdout));
  const from = `this machine's ${bins.server} and ${bins.cli}`;
  return { entries, tag: localImageTag(version, await contentHash(entries)), from };
}

async function buildRootfs(entries: RootfsEntry[], dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const d of ['data', 'tmp', 'etc/rcnc', 'usr/bin']) {
    await mkdir(join(dir, d), { recursive: true });
  }
  await chmod(join(dir, 'tmp'), 0o1777);
  await symlink('usr/bin', join(dir, 'bin'));
  for (const e of entries) {
    const to = join(dir, e.to);
    await mkdir(dirname(to), { recursive: true });
    if ('content' in e) {
      await writeFile(to, e.content);
    } else {
      // copyFile follows links: Debian's redis-server is a link to redis-check-rdb.
      await copyFile(e.from, to);
      await chmod(to, 0o755);
    }
  }
}

async function importRootfs(client: ContainerRuntimeClient, entries: RootfsEntry[], tag: string, dir: string) {
  await buildRootfs(entries, dir);
  try {
    const tar = spawn('tar', ['-C', dir, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [repo, ref] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    const docker = dockerodeOf(client);
    const stream = await docker.importImage(tar.stdout, {
      repo,
      tag: ref,
      changes: ['WORKDIR /data', 'CMD ["redis-server"]', 'EXPOSE 6379'],
    });
    const output: { error?: string }[] = await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, res: { error?: string }[]) =>
        err ? reject(err) : resolve(res),
      ),
    );
    const failed = output.find((o) => o.error);
    if (failed || !(await present(client, tag))) {
      throw new TopologyError(`importing ${tag} failed: ${failed?.error ?? 'no image afterwards'}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
