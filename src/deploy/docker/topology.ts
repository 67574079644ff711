// The docker provider: Redis Cluster in containers on a real Docker daemon, through testcontainers.
// One node is one Docker host (the daemon's network namespace; its address on the host's network
// is the node IP); pods are containers on a user-defined bridge with fixed addresses; a NodePort
// Service is a published port with the same fixed host port; host-network pods run with
// `--network host`. Commands in a pod run this machine's binaries in the container's network
// namespace (`nsenter -t <pid> -n`), so redis-cli, ss and tcpdump need not be in the image
// (docs/docker.md#exec-and-capture). Profiles are the daemon's userland-proxy setting.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import type { Capability, Gaps } from '../../model/capabilities.ts';
import { profileFacts, profileLabel, PROFILES, type ProfileName } from '../../model/profiles.ts';
import type { Provenance } from '../../model/results.ts';
import { isRcncError, ProbeError, TopologyError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { shutdownReason, Teardown, trackForSignals } from '../../util/teardown.ts';
import { waitFor } from '../../util/wait.ts';
import { checkPodNames } from '../pod-names.ts';
import {
  CapabilityError,
  ExecOptions,
  ExecResult,
  ExecTarget,
  LoadBalancerInfo,
  NodeInfo,
  NodePortServiceSpec,
  PodInfo,
  PodSpec,
  Provider,
  Requirement,
  ServiceInfo,
  StartedTopology,
  TopologySpec,
  type Capture,
  type CaptureOptions,
} from '../provider.ts';
import { startTcpdump } from '../tcpdump.ts';
import { startPrivateDaemon, type PrivateDaemon } from './daemon.ts';
import { decideReaper, redisImage, type ImageChoice, type RedisBinaries } from './image.ts';
import { dockerNames, newDockerId, RUN_ID_LABEL, TOPOLOGY_LABEL, type DockerNames } from './names.ts';
import {
  addressIn,
  CONFIG_DIR,
  containerArgv,
  DATA_DIR,
  demuxLogs,
  logsSince,
  podContainer,
  publishedPorts,
  ReadinessWait,
} from './pods.ts';
import { chooseDaemon, runtimeClient, type DaemonChoice } from './runtime.ts';
import { ownDockerRecord, removeDockerRecord, writeDockerRecord } from './sweep.ts';

/** The profiles the docker provider runs: how the daemon publishes ports (the profile table's, docs/docker.md#profiles). */
export const DOCKER_PROFILES: Partial<Record<ProfileName, { userlandProxy: boolean }>> = Object.fromEntries(
  PROFILES.flatMap((p) => (profileFacts(p).docker ? [[p, profileFacts(p).docker]] : [])),
);

export const dockerProfiles = (): ProfileName[] => Object.keys(DOCKER_PROFILES) as ProfileName[];

// The reasons behind the provider's gaps.
const ONE_HOST = 'one Docker host is the only node: there is no node to stop or partition from';
const REMOTE =
  'the Docker daemon is not on this machine: no commands on the Docker host or in pod namespaces, no captures, no outside machine';
const NOT_OURS = 'no machine outside the Docker host: rcnc did not start this daemon';

/**
 * The provider's gaps with this daemon: never a node to stop; on a daemon rcnc did not start, no
 * outside machine (that is a namespace rcnc makes beside its own daemon); on one of another
 * machine (no local dockerd), nothing in its namespaces either.
 */
export function dockerGaps(daemon: DaemonChoice): Gaps {
  const always: Gaps = { 'node-faults': ONE_HOST };
  if (daemon.kind !== 'existing') {
    return always;
  }
  if (daemon.dockerdPid) {
    return { ...always, 'external-client': NOT_OURS };
  }
  return { ...always, 'node-exec': REMOTE, 'host-netns': REMOTE, capture: REMOTE, 'external-client': REMOTE };
}

/** What an operation on the target needs: `inNamespace` in a pod's or node's, the outside machine otherwise. */
const needFor = (target: ExecTarget, inNamespace: Capability): Capability =>
  'external' in target ? 'external-client' : inNamespace;

const POD_READY_TIMEOUT_MS = 30_000;
const NODE_NAME = 'docker-host';

export interface DockerProviderOptions {
  /** The profile cells will ask for: check() reports one the daemon cannot run as unmet. */
  profile?: ProfileName;
  runId?: string;
  /** The run's Redis binaries: the image is built from them when `redis:<version>` cannot be had. */
  redis: RedisBinaries;
}

export class DockerProvider implements Provider {
  readonly name = 'docker' as const;
  /** Complete once check() has found the daemon. */
  gaps: Gaps = dockerGaps({ kind: 'none', detail: 'not checked yet' });
  constructor(private readonly opts: DockerProviderOptions) {}

  static forProfile(profile: ProfileName, opts: Omit<DockerProviderOptions, 'profile'>): DockerProvider {
    return new DockerProvider({ ...opts, profile });
  }

  async check(): Promise<Requirement[]> {
    const daemon = await chooseDaemon();
    const reqs: Requirement[] = [{ name: 'Docker daemon', met: daemon.kind !== 'none', detail: daemon.detail }];
    this.gaps = dockerGaps(daemon);
    if (this.opts.profile) {
      reqs.push(profileRequirement(this.opts.profile, daemon));
    }
    return reqs;
  }

  async start(spec: TopologySpec): Promise<DockerTopology> {
    const mode = DOCKER_PROFILES[spec.profile];
    if (!mode) {
      throw new UsageError(
        `the docker provider runs profiles ${dockerProfiles().join(', ')}, not ${spec.profile} (a Kubernetes CNI: use --provider netns or k3d)`,
      );
    }
    const daemon = await chooseDaemon();
    if (daemon.kind === 'none') {
      throw new TopologyError(daemon.detail);
    }
    return DockerTopology.start(spec, { ...this.opts, daemon, userlandProxy: mode.userlandProxy });
  }
}

/** Whether a daemon can run a profile: it must be a Docker profile, in the daemon's proxy mode. */
export function profileRequirement(profile: ProfileName, daemon: DaemonChoice): Requirement {
  const name = `profile ${profile} on docker`;
  const mode = DOCKER_PROFILES[profile];
  if (!mode) {
    return {
      name,
      met: false,
      detail: `profile ${profile} is a Kubernetes CNI; the docker provider runs ${dockerProfiles().join(', ')}`,
    };
  }
  if (daemon.kind !== 'existing') {
    return { name, met: true };
  }
  if (daemon.userlandProxy === undefined) {
    return {
      name,
      met: false,
      detail: `cannot tell whether the Docker daemon (${daemon.detail}) runs with userland-proxy: no local dockerd serves it`,
    };
  }
  const met = daemon.userlandProxy === mode.userlandProxy;
  return met
    ? { name, met }
    : {
        name,
        met,
        detail: `the Docker daemon runs with userland-proxy ${daemon.userlandProxy ? 'on' : 'off'}; profile ${profile} needs it ${mode.userlandProxy ? 'on' : 'off'}`,
      };
}

interface PodState {
  spec: PodSpec;
  info: PodInfo;
  container?: StartedTestContainer;
  /** The container's main process as last inspected (it changes when the container restarts). */
  pid?: number;
}

interface DockerTopologyInit extends DockerProviderOptions {
  daemon: Exclude<DaemonChoice, { kind: 'none' }>;
  userlandProxy: boolean;
}

interface Network {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  device: string;
}

// What build() has made so far, in order: the daemon (when rcnc runs its own), the client, the image, the network.
interface Built {
  daemon?: PrivateDaemon;
  client?: ContainerRuntimeClient;
  image?: ImageChoice;
  network?: Network;
  versions: Record<string, string>;
}

export class DockerTopology implements StartedTopology {
  readonly provider = 'docker' as const;
  readonly id: string;
  readonly nodes: NodeInfo[] = [];
  readonly services: ServiceInfo[] = [];
  /** Docker has no LoadBalancer Services (validateSpec refuses them). */
  readonly loadBalancers: LoadBalancerInfo[] = [];
  externalIP?: string;
  private readonly names: DockerNames;
  private readonly spec: TopologySpec;
  private readonly podStates = new Map<string, PodState>();
  private readonly teardown = new Teardown();
  private readonly children = new Set<ChildProcess>();
  private readonly built: Built = { versions: {} };
  private hostIP = '';
  private nextAddress = 2;
  private scratch = '';
  private untrack: () => void = () => {};

  private constructor(
    spec: TopologySpec,
    private readonly init: DockerTopologyInit,
  ) {
    this.id = newDockerId();
    this.names = dockerNames(this.id);
    // A copy: addPods grows it, the caller's object stays as given.
    this.spec = { ...spec, pods: [...spec.pods], services: [...(spec.services ?? [])] };
  }

  get profile(): ProfileName {
    return this.spec.profile;
  }

  static async start(spec: TopologySpec, init: DockerTopologyInit): Promise<DockerTopology> {
    validateSpec(spec);
    const stopping = shutdownReason();
    if (stopping) {
      throw new TopologyError(`not starting a Docker topology: this process is shutting down (${stopping})`);
    }
    const topo = new DockerTopology(spec, init);
    topo.untrack = trackForSignals(topo);
    try {
      await topo.build();
      return topo;
    } catch (e) {
      await topo.stop().catch(() => {});
      if (isRcncError(e)) {
        throw e;
      }
      throw new TopologyError(`could not start the ${spec.profile} Docker topology: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  private get client(): ContainerRuntimeClient {
    return this.built.client!;
  }

  private get docker() {
    return this.client.container.dockerode;
  }

  private async build(): Promise<void> {
    const { init, names, teardown } = this;
    if (init.daemon.kind === 'private') {
      this.built.daemon = await startPrivateDaemon(
        this.id,
        { userlandProxy: init.userlandProxy, runId: init.runId },
        teardown,
      );
      this.scratch = names.dir;
    } else {
      // A daemon rcnc did not start outlives a killed run: the record lets `rcnc clean` remove
      // this topology's containers, volumes and network there by label.
      this.scratch = await mkdtemp(join(tmpdir(), `rcnc-${this.id}-`));
      const daemon = (init.daemon as Extract<DaemonChoice, { kind: 'existing' }>).endpoint;
      await writeDockerRecord({ ...(await ownDockerRecord(this.id, this.scratch, init.runId, [])), daemon });
      teardown.defer('remove docker run-state record', () => removeDockerRecord(this.id));
      teardown.defer('remove scratch dir', () => rm(this.scratch, { recursive: true, force: true }));
    }
    this.built.client = await runtimeClient();
    this.built.versions = await this.readVersions();
    this.built.image = await redisImage(this.client, {
      redis: init.redis,
      allowPull: init.daemon.kind === 'existing',
      scratch: this.scratch,
    });
    if (init.daemon.kind === 'existing') {
      this.built.versions.reaper = await decideReaper(this.client, this.built.image);
    }
    this.built.network = await this.createNetwork();
    teardown.defer('remove volumes', () => this.removeByLabel('volumes'));
    teardown.defer('remove containers', () => this.removeByLabel('containers'));
    teardown.defer('stop spawned processes', () => this.children.forEach((c) => c.kill('SIGKILL')));
    await this.readNode();
    for (const svc of this.spec.services ?? []) {
      this.services.push({ ...svc, clusterIP: '<none>' });
    }
    await this.startPods(this.spec.pods.map((p) => this.newPodState(p)));
  }

  private async readVersions(): Promise<Record<string, string>> {
    const v = (await this.docker.version()) as { Version?: string; Components?: { Name: string; Version: string }[] };
    const component = (name: string) => v.Components?.find((c) => c.Name.toLowerCase() === name)?.Version;
    return Object.fromEntries(
      Object.entries({
        docker: v.Version,
        containerd: component('containerd'),
        runc: component('runc'),
      }).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }

  /** A user-defined bridge with a subnet Docker picks, made again with that subnet given, so pods can have fixed IPs. */
  private async createNetwork(): Promise<Network> {
    const labels = { [RUN_ID_LABEL]: this.init.runId ?? this.id, [TOPOLOGY_LABEL]: this.id };
    const name = this.names.network;
    const probe = await this.client.network.create({ Name: name, Labels: labels, CheckDuplicate: true });
    const picked = await probe.inspect();
    const subnet = picked.IPAM?.Config?.[0]?.Subnet as string | undefined;
    await this.client.network.remove(probe);
    if (!subnet) {
      throw new TopologyError(`Docker gave network ${name} no IPv4 subnet`);
    }
    const gateway = addressIn(subnet, 1);
    const net = await this.client.network.create({
      Name: name,
      Labels: labels,
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway }] },
    });
    this.teardown.defer(`remove network ${name}`, () => this.client.network.remove(net));
    const id = (await net.inspect()).Id as string;
    // Docker's name for a user-defined bridge (libnetwork bridge driver, no bridge.name option).
    return { name, id, subnet, gateway, device: `br-${id.slice(0, 12)}` };
  }

  /** The Docker host as a node: its address on the host's network, and its bridges as CNI devices. */
  private async readNode(): Promise<void> {
    const net = this.built.network!;
    const daemon = this.built.daemon;
    this.hostIP = daemon?.hostIP ?? (await this.existingHostIP(net));
    this.externalIP = daemon?.outsideIP;
    const cniAddresses: Record<string, string> = { [net.device]: net.gateway };
    const nodeExec = this.local ? this.nodePrefix('node-exec') : undefined;
    if (nodeExec) {
      const r = await run([...nodeExec, 'ip', '-4', '-o', 'addr', 'show'], { reject: false });
      for (const m of r.stdout.matchAll(/^\d+:\s+(docker\d+|br-[0-9a-f]{12})\s+inet\s+([\d.]+)\//gm)) {
        cniAddresses[m[1]!] = m[2]!;
      }
    }
    this.nodes.push({ name: NODE_NAME, index: 0, ip: this.hostIP, cniAddresses, podCidr: net.subnet });
  }

  /** On a daemon rcnc did not start, the address peers dial is the host testcontainers names, else the bridge gateway. */
  private async existingHostIP(net: Network): Promise<string> {
    const host = this.client.info.containerRuntime.host;
    return /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : net.gateway;
  }

  private newPodState(p: PodSpec): PodState {
    const st: PodState = {
      spec: p,
      info: { name: p.name, node: 0, ip: '', hostIP: '', hostNetwork: !!p.hostNetwork, generation: 0 },
    };
    this.podStates.set(p.name, st);
    return st;
  }

  private async startPods(states: PodState[]): Promise<void> {
    await Promise.all(states.map((s) => this.startPod(s)));
  }

  private async startPod(s: PodState): Promise<void> {
    const net = this.built.network!;
    s.info.hostIP = this.hostIP;
    // A new address each time, like host-local IPAM moving on; host-network pods have the host's.
    s.info.ip = s.spec.hostNetwork ? this.hostIP : addressIn(net.subnet, this.nextAddress++);
    await this.docker
      .createVolume({ Name: this.names.volume(s.spec.name), Labels: this.labels(s.spec.name) })
      .catch((e: unknown) => {
        throw new TopologyError(`cannot create the data volume of pod ${s.spec.name}: ${(e as Error).message}`);
      });
    const vars = {
      POD_IP: s.info.ip,
      HOST_IP: s.info.hostIP,
      POD_NAME: s.spec.name,
      CONFIG_DIR,
      DATA_DIR,
    };
    const container = podContainer({
      names: this.names,
      runId: this.init.runId ?? this.id,
      topologyId: this.id,
      image: this.built.image!.image,
      spec: s.spec,
      argv: containerArgv(s.spec.command, vars, this.init.redis),
      endpoint: s.spec.hostNetwork ? undefined : { network: net.name, ip: s.info.ip },
      published: publishedPorts(s.spec.name, this.services),
      wait: new ReadinessWait(s.spec.name, (c) => this.readiness(s, c.id)).withStartupTimeout(POD_READY_TIMEOUT_MS),
    });
    s.container = await container.start();
    s.info.generation += 1;
  }

  private labels(pod?: string): Record<string, string> {
    return {
      [RUN_ID_LABEL]: this.init.runId ?? this.id,
      [TOPOLOGY_LABEL]: this.id,
      ...(pod ? { 'rcnc.pod': pod } : {}),
    };
  }

  /** Running, and the pod's readiness command (if any) exits 0 in its network namespace. */
  private async readiness(s: PodState, containerId: string): Promise<{ done: boolean; state: string }> {
    const state = (await this.docker.getContainer(containerId).inspect()).State;
    if (!state.Running) {
      const log = await this.logsOf(containerId, undefined).catch(() => '');
      const tail = log.trim().split('\n').slice(-3).join(' | ');
      throw new TopologyError(
        `pod ${s.spec.name} exited with code ${state.ExitCode} (${s.spec.command.join(' ')}); ${tail ? `its log ends: ${tail}` : 'its log is empty'}`,
      );
    }
    s.pid = state.Pid;
    if (!s.spec.readiness) {
      return { done: true, state: 'running' };
    }
    const r = await run([...this.pidPrefix(state.Pid, s.spec.name), ...s.spec.readiness], {
      reject: false,
      timeoutMs: 2000,
    });
    return { done: r.exitCode === 0, state: (r.stdout + r.stderr).trim() || `exit ${r.exitCode}` };
  }

  pods(): PodInfo[] {
    return [...this.podStates.values()].map((s) => ({ ...s.info }));
  }

  pod(name: string): PodInfo {
    return { ...this.state(name).info };
  }

  private state(name: string): PodState {
    const s = this.podStates.get(name);
    if (!s) {
      throw new UsageError(`no pod named ${name} in Docker topology ${this.id}`);
    }
    return s;
  }

  private node(index: number): NodeInfo {
    const n = this.nodes[index];
    if (!n) {
      throw new UsageError(`no node ${index} in Docker topology ${this.id} (one Docker host: node 0)`);
    }
    return n;
  }

  /** Enters a process's network namespace only: the binaries and files stay this machine's. */
  private pidPrefix(pid: number | undefined, what: string): string[] {
    if (!pid || !(pid > 0)) {
      throw new ProbeError(`${what} is not running`);
    }
    return ['nsenter', '-t', String(pid), '-n'];
  }

  /** Whether this machine sees the daemon's processes (its own daemon, or a local dockerd). */
  private get local(): boolean {
    return !!this.built.daemon || (this.init.daemon.kind === 'existing' && !!this.init.daemon.dockerdPid);
  }

  private nodePrefix(need: Capability): string[] {
    if (this.built.daemon) {
      return ['ip', 'netns', 'exec', this.names.hostNs];
    }
    const d = this.init.daemon;
    if (d.kind === 'existing' && d.dockerdPid) {
      return this.pidPrefix(d.dockerdPid, 'dockerd');
    }
    throw new CapabilityError(need, REMOTE);
  }

  /**
   * The argv prefix that enters the target's network namespace, with the pod's pid as last seen;
   * `need` is what entering a pod's or node's namespace stands for (a command, a capture, a program).
   */
  private cachedPrefix(target: ExecTarget, need: Capability): string[] {
    if ('pod' in target) {
      const s = this.state(target.pod);
      if (!this.local) {
        throw new CapabilityError(need, REMOTE);
      }
      return this.pidPrefix(s.pid, `pod ${target.pod}`);
    }
    if ('node' in target) {
      this.node(target.node);
      return this.nodePrefix(need);
    }
    if (!this.built.daemon) {
      throw new CapabilityError('external-client', NOT_OURS);
    }
    return ['ip', 'netns', 'exec', this.names.outsideNs];
  }

  /** As cachedPrefix, with the pod's pid read again (a restarted container has a new one). */
  private async prefix(target: ExecTarget, need: Capability): Promise<string[]> {
    if ('pod' in target && this.local) {
      const s = this.state(target.pod);
      s.pid = s.container ? (await this.docker.getContainer(s.container.getId()).inspect()).State.Pid : undefined;
    }
    return this.cachedPrefix(target, need);
  }

  async exec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    let prefix: string[];
    try {
      // This machine's binaries in a pod's namespace; on the node, a command there.
      prefix = await this.prefix(target, 'node' in target ? 'node-exec' : needFor(target, 'host-netns'));
    } catch (e) {
      // A container between restarts has no namespace to enter: the command could not run, as
      // `kubectl exec` into a restarting container; a caller that accepts failures gets one.
      if (e instanceof ProbeError && opts?.reject === false) {
        return { exitCode: 126, stdout: '', stderr: `${e.message}\n`, durationMs: 0 };
      }
      throw e;
    }
    return run([...prefix, ...argv], opts);
  }

  /** Uses the pod's pid as last inspected: spawn is synchronous. */
  spawn(target: ExecTarget, argv: string[]): ChildProcess {
    const child = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', ...this.cachedPrefix(target, needFor(target, 'host-netns')), ...argv],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async capture(target: ExecTarget, opts: CaptureOptions): Promise<Capture> {
    return startTcpdump(await this.prefix(target, needFor(target, 'capture')), {
      ...opts,
      dir: join(this.scratch, 'captures'),
    });
  }

  async logs(pod: string): Promise<string> {
    const s = this.state(pod);
    if (!s.container) {
      return '';
    }
    const state = (await this.docker.getContainer(s.container.getId()).inspect()).State;
    return this.logsOf(s.container.getId(), state.StartedAt);
  }

  /** stdout+stderr since the container last started (a restart keeps the container and its log). */
  private async logsOf(containerId: string, startedAt: string | undefined): Promise<string> {
    const since = startedAt ? logsSince(startedAt) : '0';
    const buf = (await this.docker
      .getContainer(containerId)
      .logs({ stdout: true, stderr: true, follow: false, since: since as unknown as number })) as unknown as Buffer;
    return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
  }

  async deletePod(name: string, opts: { node?: number } = {}): Promise<PodInfo> {
    const [info] = await this.deletePodsOn([name], opts.node);
    return info!;
  }

  async deletePods(names: string[]): Promise<PodInfo[]> {
    return this.deletePodsOn(names, undefined);
  }

  /** Every container goes (SIGTERM, 2 s grace, as the kubelet) before any comes back; volumes stay. */
  private async deletePodsOn(names: string[], node: number | undefined): Promise<PodInfo[]> {
    if (node !== undefined) {
      this.node(node);
    }
    const states = names.map((n) => this.state(n));
    await Promise.all(states.map((s) => s.container?.stop({ timeout: 2000, remove: true, removeVolumes: false })));
    await this.startPods(states);
    return states.map((s) => ({ ...s.info }));
  }

  async killContainer(name: string, opts: { signal?: NodeJS.Signals; restartDelayMs?: number } = {}): Promise<void> {
    const s = this.state(name);
    if (!s.container) {
      throw new UsageError(`pod ${name} has no container to kill`);
    }
    const c = this.docker.getContainer(s.container.getId());
    const before = await c.inspect();
    if (!before.State.Running) {
      throw new UsageError(`pod ${name} has no running container to kill`);
    }
    const signal = opts.signal ?? 'SIGKILL';
    if (opts.restartDelayMs === undefined) {
      // From this machine, as a crash: the restart policy starts it again (the kubelet's job).
      process.kill(before.State.Pid, signal);
    } else {
      // Through the API, the restart policy stands aside; rcnc starts it after the delay.
      await c.kill({ signal });
      setTimeout(() => void c.start().catch(() => undefined), opts.restartDelayMs).unref();
    }
    await this.untilGone(before.State.Pid, name);
  }

  private async untilGone(pid: number, pod: string): Promise<void> {
    await waitFor({
      target: `pod ${pod}'s process ${pid} to exit`,
      timeoutMs: 30_000,
      intervalMs: 20,
      check: async () => {
        try {
          process.kill(pid, 0);
          return { done: false, state: 'still running' };
        } catch {
          return { done: true, state: 'gone' };
        }
      },
    });
  }

  async addPods(pods: PodSpec[], services: NodePortServiceSpec[] = []): Promise<PodInfo[]> {
    validateSpec({ ...this.spec, pods: [...this.spec.pods, ...pods], services: [...this.services, ...services] });
    this.spec.pods.push(...pods);
    this.services.push(...services.map((svc) => ({ ...svc, clusterIP: '<none>' })));
    const added = pods.map((p) => this.newPodState(p));
    await this.startPods(added);
    return added.map((a) => ({ ...a.info }));
  }

  stopNode(): Promise<void> {
    return Promise.reject(new CapabilityError('node-faults', `stopping a node: ${ONE_HOST}`));
  }

  startNode(): Promise<void> {
    return Promise.reject(new CapabilityError('node-faults', `starting a node: ${ONE_HOST}`));
  }

  partition(): Promise<void> {
    return Promise.reject(new CapabilityError('node-faults', `a partition: ${ONE_HOST}`));
  }

  heal(): Promise<void> {
    return Promise.reject(new CapabilityError('node-faults', `healing a partition: ${ONE_HOST}`));
  }

  /** Where the cell's result comes from: the daemon, its versions, the proxy mode, the image. */
  provenance(): Provenance {
    const where = this.built.daemon
      ? 'a private dockerd in its own network namespace'
      : `the daemon at ${this.init.daemon.kind === 'existing' ? this.init.daemon.endpoint : '?'}`;
    const proxy = this.init.userlandProxy ? 'on' : 'off';
    return {
      provider: 'docker',
      emulation: false,
      label: `Docker ${this.built.versions.docker ?? '?'} (${where}): ${profileLabel(this.profile)}`,
      versions: {
        ...this.built.versions,
        'userland-proxy': proxy,
        ...(this.built.image ? { image: this.built.image.detail } : {}),
      },
    };
  }

  private async removeByLabel(kind: 'containers' | 'volumes'): Promise<void> {
    const filters = { label: [`${TOPOLOGY_LABEL}=${this.id}`] };
    if (kind === 'containers') {
      const list = await this.docker.listContainers({ all: true, filters });
      await Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true, v: true })));
      return;
    }
    const { Volumes } = await this.docker.listVolumes({ filters });
    await Promise.all((Volumes ?? []).map((v) => this.docker.getVolume(v.Name).remove()));
  }

  async stop(): Promise<void> {
    this.untrack();
    await this.teardown.run();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function validateSpec(spec: TopologySpec): void {
  if (spec.nodes !== 1) {
    throw new UsageError(`the docker provider runs one Docker host (1 node); this topology asks for ${spec.nodes}`);
  }
  if (spec.loadBalancers?.length) {
    throw new UsageError('the docker provider has no LoadBalancer Services; run those cells on netns or k3d');
  }
  if (spec.headless?.length) {
    throw new UsageError(
      'the docker provider has no cluster DNS for headless Services; run those cells on netns or k3d',
    );
  }
  checkPodNames(spec.pods, 32);
  for (const p of spec.pods) {
    if (p.node !== 0) {
      throw new UsageError(`pod ${p.name} is placed on node ${p.node}; the docker provider has node 0 only`);
    }
  }
  for (const s of spec.services ?? []) {
    const pod = spec.pods.find((p) => p.name === s.pod);
    if (!pod) {
      throw new UsageError(`service ${s.name} selects pod ${s.pod}, which is not in the spec`);
    }
    if (pod.hostNetwork) {
      throw new UsageError(`service ${s.name} selects host-network pod ${s.pod}: nothing to publish`);
    }
  }
}
