// Builds the `kube` provider's binaries from the Go module proxy into a cache outside the clone,
// keyed by every pinned version (versions.ts), so later runs and CI on the same machine reuse them.
// Each artifact is built into a temp name and renamed, so a killed build never leaves a binary
// that looks whole. `--kube-bin DIR` skips all of this for binaries the user already has.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RequirementError } from '../../util/errors.ts';
import { KUBE_BINARIES, KUBE_VERSIONS, KUBERNETES_COMMANDS, versionKey, type KubeBinary } from './versions.ts';

export type Progress = (line: string) => void;

/** Where cached builds live: $RCNC_CACHE_DIR, else $XDG_CACHE_HOME/rcnc, else ~/.cache/rcnc. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['RCNC_CACHE_DIR']) {
    return env['RCNC_CACHE_DIR'];
  }
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'rcnc');
}

/** The Go toolchain: `go` on PATH, else Go's default install location. */
export async function goBinary(): Promise<{ path: string; version: string }> {
  for (const path of ['go', '/usr/local/go/bin/go']) {
    const r = await execa(path, ['env', 'GOVERSION'], { reject: false }).catch(() => undefined);
    if (r?.exitCode === 0) {
      return { path, version: String(r.stdout).trim() };
    }
  }
  throw new RequirementError(
    'the kube provider builds Kubernetes from Go modules, and no Go toolchain was found (go on PATH or /usr/local/go); install Go 1.24+ or pass --kube-bin DIR with prebuilt binaries',
  );
}

/** The folder of one pinned set of binaries. */
export const binDirFor = (goVersion: string, env: NodeJS.ProcessEnv = process.env): string =>
  join(cacheRoot(env), 'kube', versionKey(goVersion), 'bin');

/** Which of the provider's binaries a folder lacks. */
export const missingBinaries = (dir: string): KubeBinary[] => KUBE_BINARIES.filter((b) => !existsSync(join(dir, b)));

interface GoEnv {
  go: string;
  env: NodeJS.ProcessEnv;
  progress: Progress;
}

// cgo off: every binary here is static, and nothing needs cgo (flannel only for its UDP backend,
// etcd and Kubernetes not at all). GOTOOLCHAIN=local: never fetch another toolchain.
const goEnv = (): NodeJS.ProcessEnv => ({
  GOTOOLCHAIN: 'local',
  CGO_ENABLED: '0',
  GOFLAGS: '-mod=mod -buildvcs=false',
  GOWORK: 'off',
});

/** Runs go with a ticker, so a build of many minutes is not silent. */
async function go(g: GoEnv, what: string, args: string[], cwd: string): Promise<void> {
  const started = Date.now();
  const tick = setInterval(
    () => g.progress(`  … ${what}: ${Math.round((Date.now() - started) / 1000)} s`),
    30_000,
  ).unref();
  try {
    const r = await execa(g.go, args, { cwd, env: g.env, reject: false, all: true, stdin: 'ignore' });
    if (r.exitCode !== 0) {
      const tail = String(r.all ?? '')
        .trim()
        .split('\n')
        .slice(-8)
        .join('\n');
      throw new RequirementError(`${what} failed (go ${args[0]}, exit ${r.exitCode}):\n${tail}`);
    }
  } finally {
    clearInterval(tick);
  }
}

/**
 * The wrapper module for k8s.io/kubernetes: its go.mod points each staging module at `./staging/…`,
 * which the module zip does not hold and which a dependency's replaces could not reach anyway, so
 * the wrapper re-points each one at its published tag. The list comes from the real go.mod.
 */
export function kubernetesWrapperGoMod(upstreamGoMod: string): string {
  const staging = [...upstreamGoMod.matchAll(/^\s*(k8s\.io\/\S+)\s+=>\s+\.\/staging\/src\//gm)].map((m) => m[1]!);
  if (staging.length < 20) {
    throw new RequirementError(
      `k8s.io/kubernetes ${KUBE_VERSIONS.kubernetes}'s go.mod lists ${staging.length} staging replaces; expected about 31`,
    );
  }
  return [
    'module rcnc.local/kubebin',
    '',
    'go 1.24.0',
    '',
    `require k8s.io/kubernetes ${KUBE_VERSIONS.kubernetes}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${KUBE_VERSIONS.staging}`),
    ')',
    '',
  ].join('\n');
}

const toolsGo = (pkgs: string[]): string =>
  ['//go:build tools', '', 'package tools', '', 'import (', ...pkgs.map((p) => `\t_ "${p}"`), ')', ''].join('\n');

/** Downloads a module and returns its folder and the path of its go.mod in the module cache. */
async function download(g: GoEnv, mod: string, cwd: string): Promise<{ dir: string; goMod: string }> {
  const r = await execa(g.go, ['mod', 'download', '-json', mod], { cwd, env: g.env, reject: false });
  const info = JSON.parse(String(r.stdout) || '{}') as { Dir?: string; GoMod?: string; Error?: string };
  if (r.exitCode !== 0 || !info.Dir || !info.GoMod) {
    throw new RequirementError(`cannot download Go module ${mod}: ${info.Error ?? String(r.stderr).trim()}`);
  }
  return { dir: info.Dir, goMod: info.GoMod };
}

const versionLdflags = (): string => {
  const v = KUBE_VERSIONS.kubernetes;
  const [major, minor] = v.replace(/^v/, '').split('.');
  // Without these the nodes report v0.0.0-master+$Format… as their kubelet version.
  return [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=${v}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
    `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
  ].join(' ');
};

async function buildKubernetes(g: GoEnv, work: string, out: string): Promise<void> {
  const src = join(work, 'kubernetes');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'go.mod'), 'module rcnc.local/probe\n\ngo 1.24.0\n');
  const { goMod } = await download(g, `k8s.io/kubernetes@${KUBE_VERSIONS.kubernetes}`, src);
  await writeFile(join(src, 'go.mod'), kubernetesWrapperGoMod(await readFile(goMod, 'utf8')));
  const pkgs = KUBERNETES_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`);
  await writeFile(join(src, 'tools.go'), toolsGo(pkgs));
  await go(g, 'resolving Kubernetes dependencies', ['mod', 'tidy'], src);
  const tmp = join(work, 'kubernetes-out');
  await mkdir(tmp, { recursive: true });
  await go(
    g,
    `building Kubernetes ${KUBE_VERSIONS.kubernetes}`,
    ['build', '-p', '2', '-trimpath', '-ldflags', versionLdflags(), '-o', `${tmp}/`, ...pkgs],
    src,
  );
  for (const c of KUBERNETES_COMMANDS) {
    await rename(join(tmp, c), join(out, c));
  }
}

async function buildEtcd(g: GoEnv, work: string, out: string): Promise<void> {
  // etcd's server module carries replaces (../api, …), so `go install …@v` refuses it; a
  // three-line main calling its etcdmain.Main builds the same program.
  const src = join(work, 'etcd');
  await mkdir(src, { recursive: true });
  await writeFile(
    join(src, 'go.mod'),
    `module rcnc.local/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 ${KUBE_VERSIONS.etcd}\n`,
  );
  await writeFile(
    join(src, 'main.go'),
    'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n',
  );
  await go(g, 'resolving etcd dependencies', ['mod', 'tidy'], src);
  const ld = `-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${KUBE_VERSIONS.etcd}`;
  await go(
    g,
    `building etcd ${KUBE_VERSIONS.etcd}`,
    ['build', '-trimpath', '-ldflags', ld, '-o', 'etcd.tmp', '.'],
    src,
  );
  await rename(join(src, 'etcd.tmp'), join(out, 'etcd'));
}

/** `go install module/pkg@version` into a temp GOBIN, then the binary renamed into place. */
async function goInstall(g: GoEnv, work: string, pkg: string, built: string, ld = '-s -w') {
  const gobin = join(work, `gobin-${built}`);
  await mkdir(gobin, { recursive: true });
  await go(
    { ...g, env: { ...g.env, GOBIN: gobin } },
    `building ${pkg}`,
    ['install', '-trimpath', '-ldflags', ld, pkg],
    work,
  );
  return gobin;
}

/**
 * flanneld through a wrapper module, for two reasons: its tencentvpc backend requires Tencent SDK
 * versions this machine's module proxy does not serve, so the wrapper pins the newest pair it does
 * (the backend is compiled in but never used: rcnc runs VXLAN); and its UDP backend needs cgo on
 * amd64 (flannel's Makefile enables cgo there), so this one binary is built with cgo.
 */
async function buildFlannel(g: GoEnv, work: string, out: string): Promise<void> {
  const v = KUBE_VERSIONS.flannel;
  const src = join(work, 'flannel');
  await mkdir(src, { recursive: true });
  const sdk = 'github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud';
  const pin = KUBE_VERSIONS.tencentSdkServed;
  await writeFile(
    join(src, 'go.mod'),
    [
      'module rcnc.local/flannel',
      '',
      'go 1.24.0',
      '',
      `require github.com/flannel-io/flannel ${v}`,
      '',
      'replace (',
      `\t${sdk}/common => ${sdk}/common ${pin}`,
      `\t${sdk}/vpc => ${sdk}/vpc ${pin}`,
      ')',
      '',
    ].join('\n'),
  );
  await writeFile(join(src, 'tools.go'), toolsGo(['github.com/flannel-io/flannel']));
  await go(g, 'resolving flannel dependencies', ['mod', 'tidy'], src);
  const ld = `-s -w -X github.com/flannel-io/flannel/pkg/version.Version=${v}`;
  const cgo = { ...g, env: { ...g.env, CGO_ENABLED: '1' } };
  const args = ['build', '-trimpath', '-ldflags', ld, '-o', 'flanneld.tmp', 'github.com/flannel-io/flannel'];
  await go(cgo, `building flanneld ${v}`, args, src);
  await rename(join(src, 'flanneld.tmp'), join(out, 'flanneld'));
}

async function buildFlannelCni(g: GoEnv, work: string, out: string): Promise<void> {
  const { module, version } = KUBE_VERSIONS.flannelCni;
  const gobin = await goInstall(g, work, `${module}/plugins/meta/flannel@${version}`, 'flannel');
  await rename(join(gobin, 'flannel'), join(out, 'flannel'));
}

/**
 * Kubernetes' own pause program (build/pause/linux/pause.c, in the module zip), compiled static:
 * the sandbox every pod's namespaces hang on. No registry here, so the image is made locally.
 */
async function buildPause(g: GoEnv, work: string, out: string): Promise<void> {
  const src = join(work, 'pause');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'go.mod'), 'module rcnc.local/pause\n\ngo 1.24.0\n');
  const { dir } = await download(g, `k8s.io/kubernetes@${KUBE_VERSIONS.kubernetes}`, src);
  const c = join(dir, 'build', 'pause', 'linux', 'pause.c');
  const v = KUBE_VERSIONS.kubernetes;
  const r = await execa(
    'gcc',
    ['-Os', '-static', '-Wall', '-Werror', `-DVERSION=${v}`, '-o', join(src, 'pause.tmp'), c],
    { reject: false, all: true },
  ).catch((e: unknown) => ({ exitCode: 127, all: (e as Error).message }));
  if (r.exitCode !== 0) {
    throw new RequirementError(
      `cannot compile Kubernetes' pause.c (gcc -static needs gcc and libc6-dev; sudo npx rcnc setup --kube installs them): ${String(r.all).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  await rename(join(src, 'pause.tmp'), join(out, 'pause'));
}

type Builder = (g: GoEnv, work: string, out: string) => Promise<void>;

const BUILDERS: { makes: KubeBinary[]; what: string; build: Builder }[] = [
  { makes: [...KUBERNETES_COMMANDS], what: `Kubernetes ${KUBE_VERSIONS.kubernetes}`, build: buildKubernetes },
  { makes: ['etcd'], what: `etcd ${KUBE_VERSIONS.etcd}`, build: buildEtcd },
  { makes: ['flanneld'], what: `flanneld ${KUBE_VERSIONS.flannel}`, build: buildFlannel },
  { makes: ['flannel'], what: `the flannel CNI plugin (${KUBE_VERSIONS.flannelCni.version})`, build: buildFlannelCni },
  { makes: ['pause'], what: 'the pause program', build: buildPause },
];

export interface BuiltBinaries {
  dir: string;
  /** What this call built, with seconds each (empty when everything came from the cache). */
  built: { what: string; seconds: number }[];
}

/**
 * The provider's binaries: from `kubeBin` when given (checked, never built), else from the cache,
 * building what is missing. Safe to interrupt: a half-built artifact never has its final name.
 */
export async function ensureKubeBinaries(opts: { kubeBin?: string; progress?: Progress } = {}): Promise<BuiltBinaries> {
  const progress = opts.progress ?? (() => {});
  if (opts.kubeBin) {
    const missing = missingBinaries(opts.kubeBin);
    if (missing.length) {
      throw new RequirementError(
        `--kube-bin ${opts.kubeBin} lacks ${missing.join(', ')}; pass a folder with all of ${KUBE_BINARIES.join(', ')}, or leave --kube-bin out to build them`,
      );
    }
    return { dir: opts.kubeBin, built: [] };
  }
  const g = await goBinary();
  const dir = binDirFor(g.version);
  await mkdir(dir, { recursive: true });
  const work = join(dir, '..', 'work');
  const built: BuiltBinaries['built'] = [];
  const env: GoEnv = { go: g.path, env: { ...process.env, ...goEnv() }, progress };
  for (const b of BUILDERS) {
    if (b.makes.every((m) => existsSync(join(dir, m)))) {
      continue;
    }
    progress(`rcnc setup --kube: building ${b.what} with ${g.version} into ${dir}`);
    const started = Date.now();
    await b.build(env, work, dir);
    const seconds = Math.round((Date.now() - started) / 1000);
    built.push({ what: b.what, seconds });
    progress(`rcnc setup --kube: built ${b.what} in ${seconds} s`);
  }
  await rm(work, { recursive: true, force: true });
  return { dir, built };
}
