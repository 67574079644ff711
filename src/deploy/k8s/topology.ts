// A StartedTopology on a real Kubernetes cluster, shared by the k3d and kubeconfig providers.
// Pods, Services and claims live in one namespace of their own; pods are reached through the API
// server (Exec, logs), nodes through whatever the provider has (k3d: docker exec and host-network
// probe pods; kubeconfig: nothing), and the external client is this machine. What the provider
// declared it cannot do here (`gaps`, from its check()) raises a CapabilityError; anything else that
// fails at run time is an error of the cell.
import { ApiException, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProfileName } from '../../model/dimensions.ts';
import type { Provenance } from '../../model/results.ts';
import { ProbeError, TopologyError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import type { Teardown } from '../../util/teardown.ts';
import { waitFor } from '../../util/wait.ts';
import {
  CapabilityError,
  isCapabilityError,
  podDnsName,
  type Capture,
  type CaptureOptions,
  type ExecOptions,
  type ExecResult,
  type ExecTarget,
  type Gaps,
  type LoadBalancerInfo,
  type LoadBalancerServiceSpec,
  type NodeInfo,
  type NodePortServiceSpec,
  type PodInfo,
  type PodSpec,
  type ServiceInfo,
  type StartedTopology,
  type TopologySpec,
} from '../provider.ts';
import { startTcpdump } from '../tcpdump.ts';
import { apiMessage, isNotFound, type KubeClient } from './apply.ts';
import { startEphemeralCapture } from './capture.ts';
import { clusterInfoSummary, type ClusterInfo } from './cluster-info.ts';
import { execInPod, toExecResult } from './exec.ts';
import { CONTAINER, topologyManifests, type PodObjects, type TopologyManifestOptions } from './manifests.ts';

/** What a provider can do on its nodes beyond the API server. */
export interface NodeAccess {
  /** Runs argv in node i's network namespace; rejects with a CapabilityError where impossible. */
  exec(index: number, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** CNI device addresses of node i ({} where nodes cannot be inspected). */
  cniAddresses(index: number): Promise<Record<string, string>>;
  /**
   * argv prefix that runs a program of this machine (tcpdump, the load client) in node i's network
   * namespace, or in the pod's when one is given; rejects with a ProbeError saying why not.
   */
  netnsPrefix(index: number, pod?: V1Pod): Promise<string[]>;
  /**
   * Signals a pod's main process from its node. Needed for SIGKILL: inside the container the
   * process is PID 1 of its PID namespace, which ignores SIGKILL sent from within.
   */
  signalContainer?(index: number, pod: V1Pod, signal: NodeJS.Signals): Promise<void>;
  /** Node faults; absent where the provider cannot touch nodes. */
  faults?: NodeFaults;
  /** A path every node sees with the same content; data dirs there follow pods across nodes. */
  sharedDataRoot?: string;
  /**
   * argv prefix that puts a program on the machine outside the cluster (kube: the hub namespace,
   * which no route from this machine reaches); absent: this machine is that machine.
   */
  externalPrefix?: string[];
  /**
   * Resolves once every node's service proxy has programmed these Services' NodePorts and pod
   * endpoints. The API server says a Service exists before kube-proxy has rules for it: a cell that
   * dials at once can meet a refused NodePort. Absent where nodes cannot be inspected.
   */
  awaitServices?(services: { nodePort: number; endpoint: string }[]): Promise<void>;
}

export interface NodeFaults {
  stop(index: number): Promise<void>;
  start(index: number): Promise<void>;
  /** Replaces the partition rules on the given nodes with these pairs. */
  syncPartitions(nodes: number[], pairs: [number, number][]): Promise<void>;
}

export interface K8sTopologyInit {
  id: string;
  provider: 'k3d' | 'kubeconfig' | 'kube';
  spec: TopologySpec;
  kube: KubeClient;
  namespace: string;
  runId: string;
  /** Kubernetes node name of each node index. */
  nodeNames: string[];
  image: string;
  storageClassName?: string;
  /** No storage to claim: data dirs are emptyDirs (the provider declares `durable-data` missing). */
  ephemeralData?: boolean;
  access: NodeAccess;
  externalIP?: string;
  /** Consent to add an ephemeral debug container when the host cannot capture. */
  allowDebugContainers: boolean;
  podReadyTimeoutMs: number;
  /** Steps already registered by the provider (e.g. delete the k3d cluster); run after ours. */
  teardown: Teardown;
  /** Whether stop() deletes the namespace (not needed when the whole cluster goes). */
  deleteNamespace: boolean;
  clusterInfo?: ClusterInfo;
  /** The provider's gaps here (declared by its check()), with the reasons. */
  gaps: Gaps;
  /** Told when a teardown step fails: the cluster may keep a leftover (a partition, a port). */
  onTeardownError?: (e: unknown) => void;
}

interface PodState {
  objects: PodObjects;
  info: PodInfo;
  uid?: string;
}

const partitionKey = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);

export class K8sTopology implements StartedTopology {
  readonly id: string;
  readonly provider: 'k3d' | 'kubeconfig' | 'kube';
  readonly profile: ProfileName;
  readonly nodes: NodeInfo[] = [];
  readonly services: ServiceInfo[] = [];
  readonly loadBalancers: LoadBalancerInfo[] = [];
  readonly externalIP?: string;
  readonly namespace: string;
  /** Version, distribution and CNI as detected, for the report. */
  readonly clusterInfo?: ClusterInfo;
  private readonly spec: TopologySpec;
  private readonly podStates = new Map<string, PodState>();
  private readonly children = new Set<ChildProcess>();
  private readonly partitions = new Set<string>();
  private readonly stoppedNodes = new Set<number>();
  /** nsenter prefixes into pods' and nodes' namespaces, resolved when they became ready. */
  private readonly podNetns = new Map<string, string[] | Error>();
  private readonly nodeNetns = new Map<number, string[] | Error>();
  /** Restarts scheduled by killContainer (a frozen process killed later); awaited at stop. */
  private readonly pending = new Set<Promise<void>>();
  private scratch = '';
  /** keep() was called: stop() leaves the namespace and what is in it. */
  private kept = false;

  private constructor(private readonly init: K8sTopologyInit) {
    this.id = init.id;
    this.provider = init.provider;
    this.profile = init.spec.profile;
    this.externalIP = init.externalIP;
    this.namespace = init.namespace;
    this.clusterInfo = init.clusterInfo;
    // A copy: addPods grows it, the caller's object stays as given.
    this.spec = { ...init.spec, pods: [...init.spec.pods], services: [...(init.spec.services ?? [])] };
  }

  get kube(): KubeClient {
    return this.init.kube;
  }

  private manifestOptions(): TopologyManifestOptions {
    return {
      namespace: this.namespace,
      runId: this.init.runId,
      image: this.init.image,
      nodeNames: this.init.nodeNames,
      storageClassName: this.init.storageClassName,
      sharedDataRoot: this.init.access.sharedDataRoot,
      ephemeralData: this.init.ephemeralData,
    };
  }

  /** Applies the spec in its own namespace and waits until every pod is Ready. */
  static async deploy(init: K8sTopologyInit): Promise<K8sTopology> {
    const topo = new K8sTopology(init);
    const { kube, namespace } = init;
    // Validates before anything is created.
    topologyManifests(topo.spec, topo.manifestOptions());
    topo.scratch = await mkdtemp(join(tmpdir(), `rcnc-k8s-${init.id}-`));
    topo.defer('remove scratch dir', () => rm(topo.scratch, { recursive: true, force: true }));
    if (init.deleteNamespace) {
      topo.defer(`delete namespace ${namespace}`, () => (topo.kept ? undefined : kube.deleteNamespace(namespace)));
    }
    topo.defer('stop spawned processes and pending restarts', async () => {
      for (const c of topo.children) {
        c.kill('SIGKILL');
      }
      await Promise.all(topo.pending);
    });
    // Faults a cell left (it failed half-way) must not reach the next topology on the cluster.
    topo.defer('heal partitions and start stopped nodes', () => topo.undoFaults());
    await kube.createNamespace(namespace, init.runId);
    await topo.readNodes();
    await topo.addObjects(topo.spec.pods, topo.spec.services ?? [], topo.spec.loadBalancers ?? []);
    // CNI devices such as flannel's cni0 exist once a pod runs on the node: read them now.
    await topo.refreshNodes();
    return topo;
  }

  /** A teardown step; a failure is reported to the provider (its cluster may hold a leftover). */
  private defer(name: string, step: () => Promise<unknown> | void): void {
    this.init.teardown.defer(name, async () => {
      try {
        await step();
      } catch (e) {
        this.init.onTeardownError?.(e);
        throw e;
      }
    });
  }

  private async addObjects(
    pods: PodSpec[],
    services: NodePortServiceSpec[],
    loadBalancers: LoadBalancerServiceSpec[] = [],
  ): Promise<PodInfo[]> {
    const all = topologyManifests(this.spec, this.manifestOptions());
    const added = pods.map((p) => {
      const st: PodState = {
        objects: all.pods.get(p.name)!,
        info: { name: p.name, node: p.node, ip: '', hostIP: '', hostNetwork: !!p.hostNetwork, generation: 0 },
      };
      this.podStates.set(p.name, st);
      return st;
    });
    await this.kube.applyAll(
      added.flatMap((s) => (s.objects.claim ? [s.objects.configMap, s.objects.claim] : [s.objects.configMap])),
    );
    // Headless Services come with the first pods; later pods join none.
    const headless = this.podStates.size === added.length ? (this.spec.headless ?? []) : [];
    const names = new Set([...services, ...loadBalancers, ...headless].map((s) => s.name));
    await this.kube.applyAll(all.services.filter((s) => names.has(s.metadata!.name!)));
    for (const svc of services) {
      const live = await this.kube.core.readNamespacedService({ name: svc.name, namespace: this.namespace });
      this.services.push({ ...svc, clusterIP: live.spec?.clusterIP ?? '' });
    }
    await this.kube.applyAll(added.map((s) => s.objects.pod));
    await Promise.all(added.map((s) => this.awaitPod(s)));
    await this.init.access.awaitServices?.(
      services.flatMap((svc) =>
        svc.ports.map((p) => ({ nodePort: p.nodePort, endpoint: `${this.state(svc.pod).info.ip}:${p.targetPort}` })),
      ),
    );
    for (const lb of loadBalancers) {
      this.loadBalancers.push(await this.awaitIngress(lb));
    }
    return added.map((s) => ({ ...s.info }));
  }

  /** Waits until the cluster's load balancer (k3s ServiceLB) publishes the Service's ingress IPs. */
  private async awaitIngress(lb: LoadBalancerServiceSpec): Promise<LoadBalancerInfo> {
    const read = () => this.kube.core.readNamespacedService({ name: lb.name, namespace: this.namespace });
    const { value } = await waitFor({
      target: `LoadBalancer Service ${lb.name} to get status.loadBalancer.ingress`,
      timeoutMs: this.init.podReadyTimeoutMs,
      intervalMs: 1000,
      check: async () => {
        const live = await read();
        const ingress = (live.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
        return {
          done: ingress.length > 0,
          state: ingress.length
            ? ingress.join(',')
            : 'no ingress yet (is a LoadBalancer controller such as ServiceLB running?)',
          value: { ...lb, clusterIP: live.spec?.clusterIP ?? '', ingress },
        };
      },
    }).catch((e: unknown) => {
      throw new TopologyError((e as Error).message, { cause: e });
    });
    return value!;
  }

  /** Node addresses from the API, CNI device addresses from the nodes (where they can be read). */
  private async readNodes(): Promise<void> {
    const listed = (await this.kube.core.listNode()).items;
    const nodes: NodeInfo[] = [];
    for (const [index, name] of this.init.nodeNames.entries()) {
      const n = listed.find((x) => x.metadata?.name === name);
      if (!n) {
        throw new TopologyError(`node ${name} is not in the cluster`);
      }
      const before = this.nodes[index];
      if (before && this.stoppedNodes.has(index)) {
        // A stopped node answers nothing; what it had is what it will have when it comes back.
        nodes.push(before);
        continue;
      }
      nodes.push({ ...nodeInfoOf(n, index), cniAddresses: await this.init.access.cniAddresses(index) });
      if (!this.init.gaps['host-netns']) {
        this.nodeNetns.set(index, await this.init.access.netnsPrefix(index).catch((e: Error) => e));
      }
    }
    this.nodes.splice(0, this.nodes.length, ...nodes);
  }

  /**
   * Reads node addresses again. A CNI creates some devices only with the first pod on a node
   * (flannel's cni0), so an address book built before pods ran would class their addresses
   * `unknown`; classifications call this first (probes/address-class.ts currentAddressBook).
   */
  async refreshNodes(): Promise<void> {
    await this.readNodes();
  }

  private async awaitPod(s: PodState, accept?: (pod: V1Pod) => string | undefined): Promise<void> {
    const name = s.info.name;
    let pod: V1Pod;
    try {
      pod = await this.kube.waitForPodReady(this.namespace, name, this.init.podReadyTimeoutMs, accept);
    } catch (e) {
      const log = await this.logs(name).catch(() => '');
      const tail = log.trim().split('\n').slice(-3).join(' | ');
      throw new TopologyError(`${(e as Error).message}${tail ? `; its log ends: ${tail}` : ''}`, { cause: e });
    }
    s.uid = pod.metadata?.uid;
    s.info.ip = pod.status?.podIP ?? '';
    s.info.hostIP = pod.status?.hostIP ?? '';
    s.info.generation += 1;
    // spawn() must answer at once; the pod's namespace path is known only now (a new sandbox).
    if (!this.init.gaps['host-netns'] && !s.info.hostNetwork) {
      this.podNetns.set(name, await this.init.access.netnsPrefix(s.info.node, pod).catch((e: Error) => e));
    }
  }

  private state(name: string): PodState {
    const s = this.podStates.get(name);
    if (!s) {
      throw new UsageError(`no pod named ${name} in topology ${this.id}`);
    }
    return s;
  }

  private node(index: number): NodeInfo {
    const n = this.nodes[index];
    if (!n) {
      throw new UsageError(`no node ${index} in topology ${this.id}`);
    }
    return n;
  }

  pods(): PodInfo[] {
    return [...this.podStates.values()].map((s) => ({ ...s.info }));
  }

  pod(name: string): PodInfo {
    return { ...this.state(name).info };
  }

  dnsName(pod: string): string | undefined {
    return podDnsName(this.spec, pod, this.namespace);
  }

  async exec(target: ExecTarget, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if ('pod' in target) {
      this.state(target.pod);
      const outcome = await execInPod(this.kube.exec, {
        namespace: this.namespace,
        pod: target.pod,
        container: CONTAINER,
        argv,
        input: opts.input,
        timeoutMs: opts.timeoutMs,
      });
      return toExecResult(outcome, [`${target.pod}:`, ...argv], opts);
    }
    if ('node' in target) {
      this.node(target.node);
      return this.init.access.exec(target.node, argv, opts);
    }
    // The external client is this machine (on Linux, k3d's docker network is routed from it), or
    // the namespace the provider names for it.
    return run([...(this.init.access.externalPrefix ?? []), ...argv], opts);
  }

  /**
   * A program of this machine in the target's network namespace, entered with nsenter (the pod's
   * image needs nothing: the load client is this machine's node, tsx and ioredis). Where the
   * provider declared it cannot enter namespaces, a CapabilityError with its reason.
   */
  spawn(target: ExecTarget, argv: string[]): ChildProcess {
    const local = this.spawnArgv(target, argv);
    const child = spawn(local[0]!, local.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** What spawn() runs on this machine: argv, entering the target's namespace first. */
  spawnArgv(target: ExecTarget, argv: string[]): string[] {
    return 'external' in target
      ? [...(this.init.access.externalPrefix ?? []), ...argv]
      : [...this.netnsFor(target), ...argv];
  }

  private netnsFor(target: { pod: string } | { node: number }): string[] {
    const declared = this.init.gaps['host-netns'];
    if (declared) {
      throw new CapabilityError('host-netns', declared);
    }
    let prefix: string[] | Error | undefined;
    let what: string;
    if ('pod' in target) {
      const s = this.state(target.pod);
      what = `pod ${target.pod}`;
      prefix = s.info.hostNetwork ? this.nodeNetns.get(s.info.node) : this.podNetns.get(target.pod);
    } else {
      what = `node ${this.node(target.node).name}`;
      prefix = this.nodeNetns.get(target.node);
    }
    if (prefix instanceof Error) {
      throw new ProbeError(`cannot enter the network namespace of ${what}: ${prefix.message}`, { cause: prefix });
    }
    if (!prefix) {
      throw new ProbeError(`the network namespace of ${what} was not resolved (it is not ready)`);
    }
    return prefix;
  }

  /**
   * The container's log since it last started, as the API keeps it; with `allRestarts`, the
   * previous container's first (the kubelet keeps one earlier start, and none of a deleted pod).
   */
  async logs(pod: string, opts: { allRestarts?: boolean } = {}): Promise<string> {
    this.state(pod);
    const read = async (previous: boolean) => {
      try {
        return await this.kube.core.readNamespacedPodLog({
          name: pod,
          namespace: this.namespace,
          container: CONTAINER,
          ...(previous ? { previous: true } : {}),
        });
      } catch (e) {
        // No such pod, or (previous) no earlier start: nothing to read.
        if (isNotFound(e) || (previous && e instanceof ApiException && e.code === 400)) {
          return '';
        }
        throw new ProbeError(`cannot read the log of pod ${pod}: ${apiMessage(e)}`, { cause: e });
      }
    };
    return (opts.allRestarts ? await read(true) : '') + (await read(false));
  }

  /** The cluster as detected (version, distribution, CNI) for the report. */
  provenance(): Provenance {
    const info = this.clusterInfo;
    if (!info) {
      return { provider: this.provider, emulation: false, label: `${this.provider}: the cluster was not identified` };
    }
    const cni = info.cni.detail ? `${info.cni.name} (${info.cni.detail})` : info.cni.name;
    return {
      provider: this.provider,
      emulation: false,
      label: `${this.provider}: ${info.distribution} ${info.serverVersion}, ${cni}`,
      versions: clusterInfoSummary(info),
    };
  }

  /**
   * tcpdump in the target's namespace: from this machine through nsenter where the provider can
   * enter namespaces, else (pods only, with consent) in an ephemeral debug container. A route the
   * provider declared unavailable is a CapabilityError; a declared route that fails is a ProbeError.
   */
  async capture(target: ExecTarget, opts: CaptureOptions): Promise<Capture> {
    const dir = join(this.scratch, 'captures');
    if ('external' in target) {
      return startTcpdump(this.init.access.externalPrefix ?? [], { ...opts, dir });
    }
    const declared = this.init.gaps.capture;
    if ('pod' in target && declared && this.init.allowDebugContainers) {
      this.state(target.pod);
      return startEphemeralCapture(this.kube, this.namespace, target.pod, { ...opts, dir, container: CONTAINER });
    }
    if (declared) {
      throw new CapabilityError('capture', declared);
    }
    return startTcpdump(this.netnsFor(target), { ...opts, dir });
  }

  /**
   * Deletes the pod (SIGTERM, 2 s grace), recreates it from the same manifest (on `node` when
   * given) and waits until it is Ready.
   */
  async deletePod(name: string, opts: { node?: number } = {}): Promise<PodInfo> {
    const s = this.state(name);
    this.requireDurableData();
    const onStoppedNode = this.stoppedNodes.has(s.info.node) ? [s] : [];
    if (opts.node !== undefined && opts.node !== s.info.node) {
      this.node(opts.node);
      // With a claim this is fine on network storage; a node-local claim (local-path) keeps the
      // pod Pending, and the wait below then reports the scheduler's "volume node affinity conflict".
      s.objects.pod.spec!.nodeSelector = { 'kubernetes.io/hostname': this.init.nodeNames[opts.node]! };
      s.info.node = opts.node;
    }
    const [info] = await this.recreate([s], new Set(onStoppedNode));
    return info!;
  }

  /** Deletes pods together: every one is gone before any is created again. */
  async deletePods(names: string[]): Promise<PodInfo[]> {
    const states = names.map((n) => this.state(n));
    this.requireDurableData();
    return this.recreate(states, new Set(states.filter((s) => this.stoppedNodes.has(s.info.node))));
  }

  /** A pod recreated without its data dir would come back as a new Redis node: not what a cell means. */
  private requireDurableData(): void {
    const declared = this.init.gaps['durable-data'];
    if (declared) {
      throw new CapabilityError('durable-data', declared);
    }
  }

  private async recreate(states: PodState[], onStoppedNode: Set<PodState>): Promise<PodInfo[]> {
    const uids = new Map(states.map((s) => [s, s.uid ?? '']));
    // A pod on a stopped node stays Terminating until its kubelet confirms, which a stopped node
    // never does: delete it at once, as `kubectl delete --force --grace-period=0` does.
    await Promise.all(
      states.map(async (s) => {
        try {
          await this.kube.core.deleteNamespacedPod({
            name: s.info.name,
            namespace: this.namespace,
            ...(onStoppedNode.has(s) ? { gracePeriodSeconds: 0 } : {}),
          });
        } catch (e) {
          if (!isNotFound(e)) {
            throw new TopologyError(`deleting pod ${s.info.name} failed: ${apiMessage(e)}`, { cause: e });
          }
        }
      }),
    );
    await Promise.all(states.map((s) => this.kube.waitForPodGone(this.namespace, s.info.name, uids.get(s)!, 60_000)));
    await this.kube.applyAll(states.map((s) => s.objects.pod));
    await Promise.all(
      states.map((s) =>
        this.awaitPod(s, (p) => (p.metadata?.uid === uids.get(s) ? 'the deleted pod is still there' : undefined)),
      ),
    );
    return states.map((s) => ({ ...s.info }));
  }

  /**
   * Kills the pod's container; the kubelet restarts it (restartPolicy Always) on its own schedule.
   * Resolves once the kubelet has restarted it. With `restartDelayMs` the process must stay down
   * that long, which the kubelet does not offer (it restarts a killed container at once; its
   * back-off starts with repeated crashes): the process is frozen (SIGSTOP) from its node for that
   * long, so it answers nobody as if dead, then killed; this resolves once it is frozen.
   */
  async killContainer(name: string, opts: { signal?: NodeJS.Signals; restartDelayMs?: number } = {}): Promise<void> {
    const s = this.state(name);
    const signal = opts.signal ?? 'SIGKILL';
    const before = await this.kube.core.readNamespacedPod({ name, namespace: this.namespace });
    const restarts = before.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.restartCount ?? 0;
    const signalFromNode = this.init.access.signalContainer?.bind(this.init.access);
    if (!signalFromNode && signal !== 'SIGKILL' && opts.restartDelayMs === undefined) {
      // From inside, PID 1 only receives signals it handles (redis handles TERM and INT).
      await this.exec({ pod: name }, ['kill', '-s', signal.replace(/^SIG/, ''), '1']);
      return this.awaitRestart(name, restarts, signal);
    }
    if (!signalFromNode) {
      throw new CapabilityError(
        'kill-container',
        this.init.gaps['kill-container'] ?? `${signal} to pod ${name}'s container needs access to its node`,
      );
    }
    if (opts.restartDelayMs === undefined) {
      await signalFromNode(s.info.node, before, signal);
      return this.awaitRestart(name, restarts, signal);
    }
    await signalFromNode(s.info.node, before, 'SIGSTOP');
    const later = new Promise<void>((resolve) => setTimeout(resolve, opts.restartDelayMs)).then(async () => {
      await signalFromNode(s.info.node, before, signal);
      await this.awaitRestart(name, restarts, signal);
    });
    this.pending.add(later);
    later.then(
      () => this.pending.delete(later),
      () => {},
    );
  }

  private async awaitRestart(name: string, restarts: number, signal: string): Promise<void> {
    await this.kube
      .waitForPodReady(this.namespace, name, 60_000, (p) => {
        const c = p.status?.containerStatuses?.find((x) => x.name === CONTAINER);
        return (c?.restartCount ?? 0) > restarts ? undefined : `restartCount still ${restarts}`;
      })
      .catch((e: unknown) => {
        throw new TopologyError(`pod ${name} did not restart after ${signal}: ${(e as Error).message}`, { cause: e });
      });
  }

  async addPods(pods: PodSpec[], services: NodePortServiceSpec[] = []): Promise<PodInfo[]> {
    const grown = {
      ...this.spec,
      pods: [...this.spec.pods, ...pods],
      services: [...(this.spec.services ?? []), ...services],
    };
    topologyManifests(grown, this.manifestOptions());
    this.spec.pods.push(...pods);
    this.spec.services!.push(...services);
    return this.addObjects(pods, services);
  }

  private faults(): NodeFaults {
    const f = this.init.access.faults;
    if (!f) {
      throw new CapabilityError(
        'node-faults',
        this.init.gaps['node-faults'] ?? `the ${this.provider} provider does not control its nodes`,
      );
    }
    return f;
  }

  /** Stops node i's machine (k3d: docker stop): its pods stop and it leaves the node network. */
  async stopNode(index: number): Promise<void> {
    this.node(index);
    const faults = this.faults();
    this.stoppedNodes.add(index);
    try {
      await faults.stop(index);
    } catch (e) {
      // A stop the provider cannot do left the node running: the teardown must not start it
      // again (kube's start fails the same way, and that failure, teardown's, would hide this
      // one, so a declared gap would fail the cell instead of skipping it).
      if (isCapabilityError(e)) {
        this.stoppedNodes.delete(index);
      }
      throw e;
    }
  }

  /** Starts node i again; waits until it and the pods on it run again, and re-reads addresses. */
  async startNode(index: number): Promise<void> {
    const node = this.node(index);
    const since = Date.now();
    await this.faults().start(index);
    this.stoppedNodes.delete(index);
    await this.kube.waitForNodeReady(node.name, 180_000);
    await this.readNodes();
    // A quick stop/start may never turn the pods NotReady in the API: wait for a container
    // started after the node came back, not for a Ready condition left from before.
    const restarted = (p: V1Pod) => {
      const startedAt = p.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.running?.startedAt;
      return startedAt && new Date(startedAt).getTime() >= since - 1000 ? undefined : 'container not restarted yet';
    };
    const onNode = [...this.podStates.values()].filter((s) => s.info.node === index);
    await Promise.all(onNode.map((s) => this.awaitPod(s, restarted)));
  }

  async partition(a: number, b: number): Promise<void> {
    this.node(a);
    this.node(b);
    const faults = this.faults();
    this.partitions.add(partitionKey(a, b));
    await this.syncPartitions(faults, [a, b]);
  }

  async heal(a: number, b: number): Promise<void> {
    const faults = this.faults();
    this.partitions.delete(partitionKey(a, b));
    await this.syncPartitions(faults, [a, b]);
  }

  private async syncPartitions(faults: NodeFaults, nodes: number[]): Promise<void> {
    const pairs = [...this.partitions].map((k) => k.split('-').map(Number) as [number, number]);
    await faults.syncPartitions(nodes, pairs);
  }

  /** Heals every partition and starts every stopped node: a cluster shared with later cells. */
  private async undoFaults(): Promise<void> {
    const faults = this.init.access.faults;
    if (!faults || (this.partitions.size === 0 && this.stoppedNodes.size === 0)) {
      return;
    }
    const touched = new Set([...this.partitions].flatMap((k) => k.split('-').map(Number)));
    this.partitions.clear();
    await faults.syncPartitions([...touched], []);
    for (const i of [...this.stoppedNodes]) {
      await faults.start(i);
      this.stoppedNodes.delete(i);
      await this.kube.waitForNodeReady(this.nodes[i]!.name, 180_000);
    }
  }

  /**
   * stop() then leaves the namespace with everything in it, as it is (`rcnc reproduce --keep`): it
   * is the user's from then on. The rest of the teardown (processes, scratch dir, run-state record)
   * still runs.
   */
  keep(): void {
    this.kept = true;
  }

  async stop(): Promise<void> {
    await this.init.teardown.run();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** A node as the contract describes it, from the API's Node object (CNI addresses left empty). */
export function nodeInfoOf(n: V1Node, index: number): NodeInfo {
  const info = n.status?.nodeInfo;
  const roles = Object.keys(n.metadata?.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .sort();
  return {
    name: n.metadata?.name ?? '',
    index,
    ip: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    podCidr: n.spec?.podCIDR ?? '',
    cniAddresses: {},
    kubelet: {
      version: info?.kubeletVersion ?? '',
      roles: roles.join(',') || '<none>',
      osImage: info?.osImage ?? '',
      kernelVersion: info?.kernelVersion ?? '',
      containerRuntime: info?.containerRuntimeVersion ?? '',
    },
  };
}
