// Finding the real k3d binary. Order: $K3D_BIN, then PATH, then the cache dir; a pinned release
// is downloaded (sha256-checked) only when K3D_AUTO_INSTALL=1 (docs/kubernetes.md#k3d-binary). The npm package
// named `k3d` is an unrelated plotting library, so every candidate must answer `k3d version` like
// k3d does before it is used.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RequirementError } from '../../util/errors.ts';
import { K3D_SHA256, K3D_VERSION, k3dDownloadUrl } from '../k8s/versions.ts';

export type K3dSource = 'K3D_BIN' | 'PATH' | 'cache' | 'download';

export interface K3dBinary {
  path: string;
  source: K3dSource;
  /** As `k3d version` prints it, e.g. v5.9.0. */
  version: string;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Where downloaded releases live; default $K3D_CACHE_DIR or $XDG_CACHE_HOME/rcnc/k3d. */
  cacheDir?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Fetches a release asset (injected in tests: the network boundary). */
  download?: (url: string) => Promise<Buffer>;
  version?: string;
  pins?: Readonly<Record<string, string>>;
}

const VERSION_LINE = /^k3d version (v?\d+\.\d+\.\d+\S*)/m;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K3D_CACHE_DIR) {
    return env.K3D_CACHE_DIR;
  }
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rcnc', 'k3d');
}

/** Release asset suffix for this machine, as k3d names them (Go's GOOS-GOARCH). */
export function assetFor(platform: NodeJS.Platform, arch: string): string | undefined {
  const goArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[arch];
  const goOs = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[platform];
  return goArch && goOs ? `${goOs}-${goArch}` : undefined;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    await access(path, constants.X_OK);
    return s.isFile();
  } catch {
    return false;
  }
}

/** The k3d version `path` reports, or why it is not k3d. */
async function probe(path: string): Promise<{ version?: string; problem?: string }> {
  const r = await execa(path, ['version'], { reject: false, timeout: 10_000 });
  const version = VERSION_LINE.exec(String(r.stdout ?? ''))?.[1];
  if (r.exitCode === 0 && version) {
    return { version };
  }
  const said = String(r.stdout || r.stderr || r.shortMessage || '')
    .trim()
    .split('\n')[0];
  return { problem: `${path} does not answer \`version\` like k3d (${said || `exit ${r.exitCode}`})` };
}

function notFound(cacheDir: string, version: string, tried: string[]): RequirementError {
  const why = tried.length ? ` (${tried.join('; ')})` : '';
  return new RequirementError(
    `k3d not found${why}: install k3d v5 (https://k3d.io), set K3D_BIN=/path/to/k3d, ` +
      `or set K3D_AUTO_INSTALL=1 to download the pinned ${version} (sha256-checked) into ${cacheDir}`,
  );
}

async function fetchAsset(url: string): Promise<Buffer> {
  const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  if (!res.ok) {
    throw new Error(`GET ${url}: HTTP ${res.status}`);
  }
  return Buffer.from(await res.arrayBuffer());
}

async function install(o: Required<Omit<ResolveOptions, 'env'>>, target: string): Promise<void> {
  const asset = assetFor(o.platform, o.arch);
  const pin = asset ? o.pins[asset] : undefined;
  if (!asset || !pin) {
    throw new RequirementError(
      `K3D_AUTO_INSTALL=1 but no pinned k3d ${o.version} checksum for ${o.platform}/${o.arch}; install k3d yourself and set K3D_BIN`,
    );
  }
  const url = k3dDownloadUrl(asset, o.version);
  let bytes: Buffer;
  try {
    bytes = await o.download(url);
  } catch (e) {
    throw new RequirementError(`K3D_AUTO_INSTALL=1 but downloading ${url} failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const sum = createHash('sha256').update(bytes).digest('hex');
  if (sum !== pin) {
    throw new RequirementError(`downloaded ${url} has sha256 ${sum}, expected ${pin}; not installing it`);
  }
  await mkdir(o.cacheDir, { recursive: true });
  // Write-then-rename: a concurrent run never sees a half-written binary.
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes, { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Resolves k3d or throws a RequirementError whose message says how to get it. */
export async function resolveK3d(opts: ResolveOptions = {}): Promise<K3dBinary> {
  const env = opts.env ?? process.env;
  const o = {
    cacheDir: opts.cacheDir ?? defaultCacheDir(env),
    platform: opts.platform ?? process.platform,
    arch: opts.arch ?? process.arch,
    download: opts.download ?? fetchAsset,
    version: opts.version ?? K3D_VERSION,
    pins: opts.pins ?? K3D_SHA256,
  };

  // An explicit K3D_BIN is the user's choice: never silently fall through to another k3d.
  if (env.K3D_BIN) {
    if (!(await isExecutableFile(env.K3D_BIN))) {
      throw new RequirementError(`K3D_BIN=${env.K3D_BIN} is not an executable file; fix or unset it`);
    }
    const p = await probe(env.K3D_BIN);
    if (!p.version) {
      throw new RequirementError(`K3D_BIN: ${p.problem}`);
    }
    return { path: env.K3D_BIN, source: 'K3D_BIN', version: p.version };
  }

  const tried: string[] = [];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'k3d');
    if (!(await isExecutableFile(candidate))) {
      continue;
    }
    const p = await probe(candidate);
    if (p.version) {
      return { path: candidate, source: 'PATH', version: p.version };
    }
    tried.push(p.problem!);
  }

  const cached = join(o.cacheDir, `k3d-${o.version}`);
  if (await isExecutableFile(cached)) {
    const p = await probe(cached);
    if (p.version) {
      return { path: cached, source: 'cache', version: p.version };
    }
    tried.push(p.problem!);
  }

  if (env.K3D_AUTO_INSTALL !== '1') {
    throw notFound(o.cacheDir, o.version, tried);
  }
  await install(o, cached);
  const p = await probe(cached);
  if (!p.version) {
    throw new RequirementError(`the downloaded k3d does not run here: ${p.problem}`);
  }
  return { path: cached, source: 'download', version: p.version };
}

/**
 * `rcnc k3d -- ARGS…`: the resolved k3d with inherited stdio; returns its exit code, or 2 with a
 * one-line reason on stderr when there is no k3d.
 */
export async function runK3dPassthrough(args: string[], opts: ResolveOptions = {}): Promise<number> {
  let bin: K3dBinary;
  try {
    bin = await resolveK3d(opts);
  } catch (e) {
    if (e instanceof RequirementError) {
      console.error(`rcnc: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
  const r = await execa(bin.path, args, { stdio: 'inherit', reject: false, env: opts.env });
  if (r.exitCode !== undefined) {
    return r.exitCode;
  }
  // Killed by a signal: the shell convention, so callers see how it ended.
  return r.signal === 'SIGINT' ? 130 : r.signal === 'SIGTERM' ? 143 : 1;
}
