// `rcnc kube up|down|kubeconfig|list` and `rcnc setup --kube`: a real cluster a person starts by
// hand, looks at with kubectl through the written kubeconfig, and removes; and the build of what it
// runs. The same cluster code runs under `rcnc run --provider kube`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot, ensureKubeBinaries } from '../deploy/kube/build.ts';
import { KubeCluster } from '../deploy/kube/cluster.ts';
import { pauseImage, redisImage } from '../deploy/kube/images.ts';
import { ensureKubePackages } from '../deploy/kube/packages.ts';
import { clusterLive, findClusters, removeCluster } from '../deploy/kube/sweep.ts';
import { KUBE_VERSIONS } from '../deploy/kube/versions.ts';
import { isOneOf, KUBE_PROXY_MODES } from '../model/dimensions.ts';
import { RequirementError, UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import type { FlagValues } from './flags.ts';
import { help } from './help.ts';

/** `rcnc setup --kube`: the packages and the build, with progress; what a run would do at its first cell. */
export async function setupKube(kubeBin?: string): Promise<void> {
  const installed = await ensureKubePackages((l) => console.log(l));
  if (installed.length) {
    console.log(`rcnc setup --kube: installed ${installed.join(' ')}`);
  }
  const started = Date.now();
  const { dir, built } = await ensureKubeBinaries({ kubeBin, progress: (l) => console.log(l) });
  const images = join(cacheRoot(), 'kube', 'images');
  await mkdir(images, { recursive: true });
  await pauseImage(join(dir, 'pause'), images);
  console.log(
    built.length
      ? `rcnc setup --kube: built ${built.map((b) => `${b.what} (${b.seconds} s)`).join(', ')} in ${Math.round((Date.now() - started) / 1000)} s; binaries in ${dir}`
      : `rcnc setup --kube: Kubernetes ${KUBE_VERSIONS.kubernetes} binaries ready in ${dir}`,
  );
}

export async function cmdKube(args: string[]): Promise<number> {
  const { values, positionals } = parse('kube', args);
  const [sub, ...operands] = positionals;
  if (values.help || sub === undefined) {
    return help('kube');
  }
  switch (sub) {
    case 'up':
      return kubeUp(values);
    case 'down':
      return kubeDown(operands[0], !!values.all);
    case 'kubeconfig':
      return kubeconfig(operands[0]);
    case 'list':
      return kubeList();
    default:
      throw new UsageError(
        `unknown kube command "${sub}"; choose up, down, kubeconfig or list; see 'rcnc kube --help'`,
      );
  }
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new RequirementError(
      'the kube cluster lives in network namespaces and cgroups: run it as root (sudo npx rcnc kube …)',
    );
  }
}

async function kubeUp(values: FlagValues<'kube'>): Promise<number> {
  requireRoot();
  const nodes = Number(values.nodes ?? 3);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 4) {
    throw new UsageError(`--nodes takes 1 to 4 (a 2-core machine holds 3 comfortably); got ${values.nodes}`);
  }
  const mode = values['proxy-mode'] ?? 'iptables';
  if (!isOneOf(KUBE_PROXY_MODES, mode)) {
    throw new UsageError(`--proxy-mode takes ${KUBE_PROXY_MODES.join(' or ')}; got ${mode}; see 'rcnc kube --help'`);
  }
  const { dir } = await ensureKubeBinaries({ kubeBin: values['kube-bin'], progress: (l) => console.error(l) });
  const cache = join(cacheRoot(), 'kube', 'images');
  await mkdir(cache, { recursive: true });
  const redis = {
    server: values['redis-server'] ?? '/usr/bin/redis-server',
    cli: values['redis-cli'] ?? '/usr/bin/redis-cli',
  };
  const images = { pause: await pauseImage(join(dir, 'pause'), cache), redis: await redisImage(redis, cache) };
  const c = await KubeCluster.start({
    nodes,
    proxyMode: mode,
    bin: dir,
    images,
    persist: true,
    progress: (l) => console.error(l),
  });
  console.log(
    `kube cluster ${c.id} is up: Kubernetes ${KUBE_VERSIONS.kubernetes}, ${nodes} node(s), kube-proxy ${mode}`,
  );
  console.log(`  kubectl --kubeconfig ${c.names.kubeconfig} get nodes -o wide`);
  console.log(`  Redis image for pods (imagePullPolicy: Never): ${images.redis.ref}`);
  console.log(
    `  rcnc's cells or the NAT meet failure on it: npx rcnc run|reproduce nat-meet --provider kubeconfig --kubeconfig ${c.names.kubeconfig} --image ${images.redis.ref}`,
  );
  console.log(`  remove it with: npx rcnc kube down ${c.id}`);
  return 0;
}

async function pick(id: string | undefined, all: boolean) {
  const clusters = await findClusters();
  if (all) {
    return clusters;
  }
  if (id) {
    const c = clusters.find((x) => x.id === id);
    if (!c) {
      throw new UsageError(`no kube cluster ${id} on this machine; 'rcnc kube list' shows them`);
    }
    return [c];
  }
  const up = clusters.filter((c) => c.state?.persist);
  if (up.length !== 1) {
    throw new UsageError(
      up.length
        ? `${up.length} kube clusters are up (${up.map((c) => c.id).join(', ')}); name one, or pass --all`
        : 'no kube cluster is up',
    );
  }
  return up;
}

async function kubeDown(id: string | undefined, all: boolean): Promise<number> {
  requireRoot();
  let failed = 0;
  for (const c of await pick(id, all)) {
    if (!c.state?.persist && (await clusterLive(c))) {
      console.log(`kept kube cluster ${c.id}: run ${c.state?.runId ?? '?'} (pid ${c.state?.pid}) still uses it`);
      continue;
    }
    const problems = await removeCluster(c);
    failed += problems.length ? 1 : 0;
    console.log(problems.length ? `kube cluster ${c.id}: ${problems.join('; ')}` : `removed kube cluster ${c.id}`);
  }
  return failed ? 1 : 0;
}

async function kubeconfig(id: string | undefined): Promise<number> {
  const [c] = await pick(id, false);
  if (!c?.state) {
    throw new UsageError(`kube cluster ${c?.id} has no state file; it is a leftover: sudo npx rcnc clean`);
  }
  console.log(c.state.kubeconfig);
  return 0;
}

async function kubeList(): Promise<number> {
  for (const c of await findClusters()) {
    const live = await clusterLive(c);
    const what = c.state?.persist ? 'kube up' : `run ${c.state?.runId ?? '?'}`;
    console.log(
      `${c.id}  ${live ? 'up' : 'leftover'}  ${what}  ${c.state?.nodes ?? '?'} node(s)  ${c.state?.kubeconfig ?? ''}`,
    );
  }
  return 0;
}
