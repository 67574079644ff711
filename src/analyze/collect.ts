// Collects the files `rcnc analyze` reads from a running topology, through the provider contract
// only (`exec`, `logs`, `capture`, nodes, pods, Services), so the same code collects from a lab
// cell, from a k3d cell, and from a deployment someone else runs (`rcnc collect`, through
// Provider.attach). Per pod: CLUSTER NODES and INFO replication (first: a handshake ghost lives
// only cluster-node-timeout), the socket table with whatever the image has (ss, netstat, else
// /proc/net/tcp), packet captures when asked for and possible, the log; per node its addresses
// when a command can run there; and the kubectl-like tables. examples/make-example.ts and the
// nat-meet scenario use collectArtifacts on their own topologies. redis-cli gets a password and
// TLS through deploy/redis-cli.ts (never in its argv); the password is replaced in every file
// written, and --bundle packs the files with every secret redacted (bundle.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { AttachSpec, Capture, Provider, StartedTopology } from '../deploy/provider.ts';
import { isCapabilityError } from '../deploy/provider.ts';
import { accessSecrets, redisCliCall, type RedisAccess } from '../deploy/redis-cli.ts';
import { readSockets } from '../probes/socket-table.ts';
import { UsageError } from '../util/errors.ts';
import { writeBundle, type Bundle } from './bundle.ts';
import { accessFault, accessFaultMessage, needlessPassword, type CliAnswer } from './collect-access.ts';
import { formatKubectlTable, humanAge } from './kubectl.ts';
import { maskBytes, redactKnown } from './redact.ts';

export interface CollectOptions {
  dir: string;
  /** Pods to collect per-pod files for, with the port their redis-server listens on. */
  pods: { name: string; port: number }[];
  redisCli?: string;
  /** Password and TLS for redis-cli (default: none). */
  access?: RedisAccess;
  /** Running captures, by pod: stopped here and written as `<pod>.tcpdump.txt`. */
  captures?: Map<string, Capture>;
  /** How each node lists its interfaces (`ip addr` by default). */
  nodeInterfaces?: (index: number) => 'ip-addr' | 'ifconfig';
  /** When the topology started, for the AGE columns. */
  startedAt: Date;
  /** Namespace the pods and services are in; with `allNamespaces` pods.txt gets kubectl -A's NAMESPACE column. */
  namespace?: string;
  allNamespaces?: boolean;
  /** The views were written already (collectFromCluster writes them before its capture window). */
  viewsWritten?: boolean;
}

/**
 * Writes files into a dir and remembers their names in the order written. `secrets` (the password
 * collect used) are replaced in every file: a log or a capture may hold them.
 */
class Sink {
  readonly written: string[] = [];
  constructor(
    private readonly dir: string,
    private readonly secrets: readonly string[] = [],
  ) {}
  async write(name: string, content: string | Buffer): Promise<void> {
    if (typeof content === 'string') {
      content = redactKnown(content, this.secrets).text;
    } else {
      maskBytes(content, this.secrets);
    }
    await writeFile(join(this.dir, name), content);
    this.written.push(name);
  }
}

/** redis-cli ARGS… in a pod, with the password and TLS of `access`. */
async function cli(topo: StartedTopology, pod: string, cmd: string, args: string[], access?: RedisAccess) {
  const call = redisCliCall(cmd, args, access);
  const r = await topo.exec({ pod }, call.argv, { reject: false, input: call.input });
  return { pod, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr } satisfies CliAnswer;
}

/** What a file holds of an answer: stdout, and stderr when the command failed. */
const answerText = (a: CliAnswer) => a.stdout + (a.exitCode === 0 ? '' : a.stderr);

/**
 * `f` for every pod at once, results in pod order. On a real cluster each exec is a round trip
 * through the API server and the kubelet (a second or more on a busy one): one pod after another,
 * a handshake ghost (it lives cluster-node-timeout) could be gone before the last view is read.
 */
const eachPod = <P, T>(pods: readonly P[], f: (p: P) => Promise<T>): Promise<T[]> => Promise.all(pods.map(f));

/** Writes `[name, content]` pairs in order (the files' order does not depend on which exec ended first). */
async function writeAll(sink: Sink, files: (readonly [string, string])[]): Promise<void> {
  for (const [name, content] of files) {
    await sink.write(name, content);
  }
}

const VIEWS = [
  [['cluster', 'nodes'], 'cluster-nodes'],
  [['info', 'replication'], 'info-replication'],
] as const;

type Pods = CollectOptions['pods'];

/** One view of every pod at once, as redis-cli answered. */
const readView = (topo: StartedTopology, pods: Pods, what: readonly string[], redisCli: string, access?: RedisAccess) =>
  eachPod(pods, (p) => cli(topo, p.name, redisCli, ['-p', String(p.port), ...what], access));

const writeView = (sink: Sink, file: string, answers: CliAnswer[]) =>
  writeAll(
    sink,
    answers.map((a) => [`${a.pod}.${file}.txt`, answerText(a)]),
  );

/** CLUSTER NODES and INFO replication of every pod, each read from all pods at once. */
async function writeViews(topo: StartedTopology, sink: Sink, pods: Pods, redisCli: string, access?: RedisAccess) {
  for (const [what, file] of VIEWS) {
    await writeView(sink, file, await readView(topo, pods, what, redisCli, access));
  }
}

/**
 * The socket table with the tools the pod has: `ss -tanp` and `netstat -anop` (both, where both
 * exist: they differ in what they show), else `cat /proc/net/tcp /proc/net/tcp6`, which every
 * Linux container can run (the official redis image has neither tool). Busybox's netstat has no
 * `-o`: its `netstat -tan` is what the fallback finds.
 */
async function socketFiles(topo: StartedTopology, pod: string): Promise<[string, string][]> {
  const files: [string, string][] = [];
  const absent = new Set<string>();
  for (const [file, argv] of [
    [`${pod}.ss.txt`, ['ss', '-tanp']],
    [`${pod}.netstat.txt`, ['netstat', '-anop']],
  ] as const) {
    const r = await topo.exec({ pod }, [...argv], { reject: false, timeoutMs: 10_000 });
    if (r.exitCode === 0 && r.stdout.trim()) {
      files.push([file, r.stdout]);
    } else if (r.exitCode === 127) {
      absent.add(argv[0]);
    }
  }
  if (!files.length) {
    // readSockets falls back to /proc (and says what it tried when even that fails).
    const table = await readSockets(topo, { pod }, { absent });
    files.push([`${pod}.${table.tool === 'proc' ? 'proc-net-tcp' : table.tool}.txt`, table.raw]);
  }
  return files;
}

/** Each node's interfaces, where a command can run on it; a declared gap leaves them out. */
async function writeNodeAddresses(topo: StartedTopology, sink: Sink, opts: CollectOptions): Promise<void> {
  for (const n of topo.nodes) {
    const kind = opts.nodeInterfaces?.(n.index) ?? 'ip-addr';
    try {
      const r = await topo.exec({ node: n.index }, kind === 'ip-addr' ? ['ip', 'addr'] : ['ifconfig']);
      await sink.write(`${n.name}.${kind}.txt`, r.stdout);
    } catch (e) {
      if (!isCapabilityError(e)) {
        throw e;
      }
      // The same gap holds for every node.
      return;
    }
  }
}

async function writeTables(topo: StartedTopology, sink: Sink, opts: CollectOptions): Promise<void> {
  const age = humanAge((Date.now() - opts.startedAt.getTime()) / 1000);
  await sink.write('pods.txt', podsTable(topo, age, opts));
  await sink.write('nodes.txt', await nodesTable(topo, age));
  if (topo.services.length) {
    await sink.write('services.txt', servicesTable(topo, age));
  }
  if (topo.nodes.some((n) => n.podCidr)) {
    await sink.write('podcidrs.txt', podCidrsTable(topo));
  }
}

/** Writes the files into `opts.dir`; returns their names in the order written. */
export async function collectArtifacts(topo: StartedTopology, opts: CollectOptions): Promise<string[]> {
  await mkdir(opts.dir, { recursive: true });
  const sink = new Sink(opts.dir, accessSecrets(opts.access));
  if (!opts.viewsWritten) {
    await writeViews(topo, sink, opts.pods, opts.redisCli ?? 'redis-cli', opts.access);
  }
  await writeAll(sink, (await eachPod(opts.pods, (p) => socketFiles(topo, p.name))).flat());
  for (const [pod, capture] of opts.captures ?? []) {
    const result = await capture.stop();
    await sink.write(`${pod}.tcpdump.txt`, result.text);
  }
  const logs = await eachPod(opts.pods, (p) => topo.logs(p.name));
  // `.log.txt`: the repository ignores *.log; analyze reads both.
  await writeAll(
    sink,
    opts.pods.map((p, i) => [`${p.name}.log.txt`, logs[i]!]),
  );
  await writeNodeAddresses(topo, sink, opts);
  await writeTables(topo, sink, opts);
  return sink.written;
}

/** `kubectl get pods -o wide` (or `-A -o wide`) for the topology's pods. */
export function podsTable(
  topo: StartedTopology,
  age: string,
  opts: Pick<CollectOptions, 'namespace' | 'allNamespaces'>,
) {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'];
  const rows = topo
    .pods()
    .map((p) => [
      p.name,
      '1/1',
      'Running',
      String(Math.max(0, p.generation - 1)),
      age,
      p.ip,
      topo.nodes[p.node]?.name ?? '<none>',
      '<none>',
      '<none>',
    ]);
  return opts.allNamespaces
    ? formatKubectlTable(
        ['NAMESPACE', ...header],
        rows.map((r) => [opts.namespace ?? 'default', ...r]),
      )
    : formatKubectlTable(header, rows);
}

/**
 * `kubectl get nodes -o wide`: what the kubelet reports on a real cluster; the lab has no kubelet,
 * so there VERSION and CONTAINER-RUNTIME say so.
 */
export async function nodesTable(topo: StartedTopology, age: string) {
  const os = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const image = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(os)?.[1] ?? 'Linux';
  return formatKubectlTable(
    [
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ],
    topo.nodes.map((n) => {
      const k = n.kubelet;
      return [
        n.name,
        'Ready',
        k ? k.roles : n.index === 0 ? 'control-plane,master' : '<none>',
        age,
        k?.version || `${topo.provider}-lab`,
        n.ip,
        '<none>',
        k?.osImage || image,
        k?.kernelVersion || release(),
        k?.containerRuntime || `${topo.provider}://rcnc`,
      ];
    }),
  );
}

/** `kubectl get svc -o wide` for the topology's NodePort and LoadBalancer Services. */
export function servicesTable(topo: StartedTopology, age: string) {
  const row = (s: (typeof topo.services)[number], type: string, external: string) => [
    s.name,
    type,
    s.clusterIP,
    external,
    s.ports.map((p) => `${p.port}:${p.nodePort}/TCP`).join(','),
    age,
    `statefulset.kubernetes.io/pod-name=${s.pod}`,
  ];
  return formatKubectlTable(
    ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'],
    [
      ...topo.services.map((s) => row(s, 'NodePort', '<none>')),
      ...topo.loadBalancers.map((s) => row(s, 'LoadBalancer', s.ingress.join(',') || '<pending>')),
    ],
  );
}

/** `kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR`. */
export function podCidrsTable(topo: StartedTopology) {
  return formatKubectlTable(
    ['NAME', 'CIDR'],
    topo.nodes.map((n) => [n.name, n.podCidr || '<none>']),
  );
}

// --- a whole deployment: rcnc collect ------------------------------------------------------------

export interface ClusterCollectOptions {
  dir: string;
  /** The Redis port of every pod; default: detected per pod (a listening p with p+10000 listening). */
  port?: number;
  /** Capture this many seconds of traffic in every Redis pod (0 or absent: none). */
  captureSeconds?: number;
  redisCli?: string;
  /** Password and TLS for redis-cli. */
  access?: RedisAccess;
  /** Where the password and certificates came from, for messages (never their values). */
  accessFrom?: string;
  namespace?: string;
  startedAt?: Date;
  log?: (line: string) => void;
}

export interface ClusterCollection {
  /** Files written, relative to the dir (pcaps under pcap/, which analyze does not read). */
  files: string[];
  pods: { name: string; port: number }[];
  /** What could not be collected, and why (a declared gap, a pod without Redis). */
  notes: string[];
}

/** Redis Cluster ports a pod listens on: p with its bus port p+10000 listening too. */
export async function redisPorts(topo: StartedTopology, pod: string): Promise<number[]> {
  const table = await readSockets(topo, { pod });
  const listening = new Set(table.sockets.filter((s) => s.state === 'LISTEN').map((s) => s.local.port));
  return [...listening].filter((p) => listening.has(p + 10000)).sort((a, b) => a - b);
}

async function redisPods(topo: StartedTopology, opts: ClusterCollectOptions, notes: string[]) {
  const pods: { name: string; port: number }[] = [];
  const all = topo.pods();
  const found = opts.port ? [] : await eachPod(all, (p) => redisPorts(topo, p.name));
  for (const [i, p] of all.entries()) {
    if (opts.port) {
      pods.push({ name: p.name, port: opts.port });
      continue;
    }
    const ports = found[i]!;
    if (ports.length === 1) {
      pods.push({ name: p.name, port: ports[0]! });
    } else {
      notes.push(
        ports.length
          ? `${p.name}: listens on several Redis Cluster ports (${ports.join(', ')}); pass --port`
          : `${p.name}: no Redis Cluster port (p and p+10000) is listening; left out`,
      );
    }
  }
  return pods;
}

/**
 * Stops before anything is written when no pod let redis-cli in (the fix is a flag away); pods that
 * did not, beside pods that did, become notes (their files say why).
 */
function checkAccess(answers: CliAnswer[], opts: ClusterCollectOptions, notes: string[]): void {
  const faults = answers.flatMap((a) => accessFault(a, opts.access) ?? []);
  if (faults.length === answers.length) {
    throw new UsageError(`${accessFaultMessage(faults, opts.accessFrom)}; see 'rcnc collect --help'`);
  }
  if (faults.length) {
    notes.push(accessFaultMessage(faults, opts.accessFrom));
  }
  const needless = answers.flatMap((a) => (needlessPassword(a) ? [a.pod] : []));
  if (needless.length) {
    notes.push(`${needless.join(', ')}: no password is configured; the one given was not needed`);
  }
}

/** Starts a capture in every pod; a declared gap becomes a note and no capture is kept. */
async function startCaptures(topo: StartedTopology, pods: string[], seconds: number, notes: string[]) {
  const captures = new Map<string, Capture>();
  try {
    for (const pod of pods) {
      const filter = 'tcp and not host 127.0.0.1';
      captures.set(pod, await topo.capture({ pod }, { name: pod, filter, maxSeconds: seconds + 60 }));
    }
  } catch (e) {
    await Promise.allSettled([...captures.values()].map((c) => c.stop()));
    if (!isCapabilityError(e)) {
      throw e;
    }
    notes.push(`no packet capture: ${e.message}`);
    captures.clear();
  }
  return captures;
}

/**
 * Everything analyze reads, from every Redis pod of a topology: views first, then (if asked) a
 * capture window of `captureSeconds`, then sockets, captures, logs, node addresses and tables.
 * Pcaps are kept under `pcap/`.
 */
export async function collectFromCluster(
  topo: StartedTopology,
  opts: ClusterCollectOptions,
): Promise<ClusterCollection> {
  const notes: string[] = [];
  const pods = await redisPods(topo, opts, notes);
  if (pods.length === 0) {
    // Nothing is written: the user fixes the selector or --port and runs it again.
    throw new UsageError(`none of the ${topo.pods().length} pod(s) runs a Redis Cluster node: ${notes.join('; ')}`);
  }
  const redisCli = opts.redisCli ?? 'redis-cli';
  const [[firstWhat, firstFile], ...otherViews] = VIEWS;
  const first = await readView(topo, pods, firstWhat, redisCli, opts.access);
  checkAccess(first, opts, notes);
  await mkdir(opts.dir, { recursive: true });
  const sink = new Sink(opts.dir, accessSecrets(opts.access));
  await writeView(sink, firstFile, first);
  for (const [what, file] of otherViews) {
    await writeView(sink, file, await readView(topo, pods, what, redisCli, opts.access));
  }
  const seconds = opts.captureSeconds ?? 0;
  const captures =
    seconds > 0
      ? await startCaptures(
          topo,
          pods.map((p) => p.name),
          seconds,
          notes,
        )
      : new Map();
  if (captures.size) {
    opts.log?.(`capturing ${seconds} s of traffic in ${captures.size} pod(s)`);
    // The window the user asked for: traffic is sampled for that long, nothing is awaited.
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
  // Stopping is idempotent: collectArtifacts writes the text, the pcaps are copied after.
  const pcaps = new Map(captures);
  const rest = await collectArtifacts(topo, {
    dir: opts.dir,
    pods,
    captures,
    access: opts.access,
    startedAt: opts.startedAt ?? new Date(),
    namespace: opts.namespace,
    // kubectl -A's NAMESPACE column: analyze's commands then say `kubectl -n NS exec …`.
    allNamespaces: opts.namespace !== undefined,
    viewsWritten: true,
  });
  const views = [...sink.written];
  if (pcaps.size) {
    await mkdir(join(opts.dir, 'pcap'), { recursive: true });
    for (const [pod, c] of pcaps) {
      await sink.write(`pcap/${pod}.pcap`, await readFile((await c.stop()).file));
    }
  }
  const files = [...views, ...rest, ...sink.written.slice(views.length)];
  const nodesSkipped = !files.some((f) => /\.(ip-addr|ifconfig)\.txt$/.test(f)) && topo.nodes.length > 0;
  if (nodesSkipped) {
    notes.push('no node addresses: no command can run on the nodes here (owners of rewritten addresses are inferred)');
  }
  return { files, pods, notes };
}

export interface CollectRun {
  /** One line each: what was collected, and what could not be (the notes). */
  log: string[];
  /** `rcnc analyze`'s output on the collected dir, and its exit code. */
  output: string;
  exitCode: number;
}

/**
 * `rcnc collect` over any provider that can attach: finds the pods, collects, analyzes. The CLI
 * runs it with the kubeconfig provider; the lab test with the netns provider, on a lab it built.
 */
export async function collectAndAnalyze(
  provider: Provider,
  target: AttachSpec & { container?: string },
  opts: ClusterCollectOptions & { json?: boolean; bundle?: BundleRequest },
): Promise<CollectRun> {
  if (!provider.attach) {
    throw new UsageError(`the ${provider.name} provider cannot attach to pods it did not start`);
  }
  const log: string[] = [];
  await using topo = await provider.attach(target);
  const got = await collectFromCluster(topo, { ...opts, log: (l) => log.push(l) });
  log.push(`${got.files.length} files from ${got.pods.length} Redis pod(s) of ${target.namespace} in ${opts.dir}`);
  log.push(...got.notes);
  const versions = opts.bundle ? await deploymentVersions(topo, got.pods, opts) : {};
  if (!opts.bundle) {
    const { analyzeCommand } = await import('./analyze.ts');
    return { log, ...(await analyzeCommand(opts.dir, !!opts.json)) };
  }
  const b = await bundleCollection({
    file: opts.bundle.file,
    dir: opts.dir,
    files: got.files,
    versions: { ...opts.bundle.versions, ...versions },
    access: opts.access,
  });
  log.push(bundleLine(b.bundle));
  return { log, ...(opts.json ? b.json : b.text) };
}

/**
 * What a topology holds for a bundle, read while it still runs: the files, and the versions of its
 * Redis pods and nodes (`rcnc run --collect-on-failure` collects at a cell's teardown and bundles
 * once the cell's verdict is known).
 */
export async function collectForBundle(
  topo: StartedTopology,
  opts: ClusterCollectOptions,
): Promise<ClusterCollection & { versions: Record<string, unknown> }> {
  const got = await collectFromCluster(topo, opts);
  return { ...got, versions: await deploymentVersions(topo, got.pods, opts) };
}

/** Analyzes a collected dir (as text and JSON) and packs it, secrets redacted, into `file`. */
export async function bundleCollection(c: {
  file: string;
  dir: string;
  files: readonly string[];
  versions: Record<string, unknown>;
  access?: RedisAccess;
}): Promise<{ bundle: Bundle; text: AnalyzeOutput; json: AnalyzeOutput }> {
  const { analyzeCommand } = await import('./analyze.ts');
  const text = await analyzeCommand(c.dir, false);
  const json = await analyzeCommand(c.dir, true);
  const bundle = await writeBundle({
    file: c.file,
    dir: c.dir,
    files: c.files,
    analysis: { text: text.output, json: json.output },
    versions: c.versions,
    secrets: accessSecrets(c.access),
  });
  return { bundle, text, json };
}

type AnalyzeOutput = { output: string; exitCode: number };

export interface BundleRequest {
  /** The .tar.gz to write. */
  file: string;
  /** What the caller knows (rcnc's version, the API server's); Redis's are read here. */
  versions: Record<string, unknown>;
}

/** Each pod's redis_version (INFO server) and each node's kubelet, for the bundle. */
async function deploymentVersions(topo: StartedTopology, pods: Pods, opts: ClusterCollectOptions) {
  const answers = await readView(topo, pods, ['info', 'server'], opts.redisCli ?? 'redis-cli', opts.access);
  const redis = Object.fromEntries(
    answers.map((a) => [
      a.pod,
      /^redis_version:(\S+)/m.exec(a.stdout)?.[1] ?? `unknown: ${answerText(a).trim().split('\n')[0]}`,
    ]),
  );
  const kubelets = Object.fromEntries(topo.nodes.flatMap((n) => (n.kubelet ? [[n.name, n.kubelet.version]] : [])));
  return { redis, kubelets, node: process.version };
}

function bundleLine(b: Bundle): string {
  const redacted = b.files.reduce((n, f) => n + f.redactions, 0);
  const left = b.leftOut.length ? `; left out (binary): ${b.leftOut.map((l) => l.path).join(', ')}` : '';
  return `bundle ${b.file}: ${b.files.length} files, ${redacted} value(s) redacted${left}`;
}
