// A StartedTopology on a real Kubernetes cluster, shared by the k3d and kubeconfig providers.
// Pods, Services and claims live in one namespace of their own; pods are reached through the API
// server (Exec, logs), nodes through whatever the provider has (k3d: docker exec; kubeconfig:
// nothing), and the external client is this machine.
import type { V1Pod } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProfileName } from '../../model/dimensions.ts';
import { CapabilityError, ProbeError, RequirementError, TopologyError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import type { Teardown } from '../../util/teardown.ts';
import { waitFor } from '../../util/wait.ts';
import type {
  Capture,
  CaptureOptions,
  ExecOptions,
  ExecResult,
  ExecTarget,
  LoadBalancerInfo,
  LoadBalancerServiceSpec,
  NodeInfo,
  NodePortServiceSpec,
  PodInfo,
  PodSpec,
  ServiceInfo,
  StartedTopology,
  TopologySpec,
} from '../provider.ts';
import { startTcpdump } from '../tcpdump.ts';
import { apiMessage, isNotFound, type KubeClient } from './apply.ts';
import { startEphemeralCapture } from './capture.ts';
import type { ClusterInfo } from './cluster-info.ts';
import { spawnPodExec } from './exec-cli.ts';
import { execInPod, toExecResult } from './exec.ts';
import { CONTAINER, topologyManifests, type PodObjects, type TopologyManifestOptions } from './manifests.ts';

/** What a provider can do on its nodes beyond the API server. */
export interface NodeAccess {
  /** Runs argv in node i's root network namespace; rejects with a RequirementError where impossible. */
  exec(index: number, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** The local argv that runs a long-lived `argv` on node i (throws RequirementError where impossible). */
  spawnArgv(index: number, argv: string[]): string[];
  /** CNI device addresses of node i ({} where nodes cannot be inspected). */
  cniAddresses(index: number): Promise<Record<string, string>>;
  /**
   * argv prefix that runs a local command (tcpdump) in node i's network namespace, or in the
   * pod's when one is given; rejects with a ProbeError saying why not.
   */
  capturePrefix(index: number, pod?: V1Pod): Promise<string[]>;
  /**
   * Signals a pod's main process from its node. Needed for SIGKILL: inside the container the
   * process is PID 1 of its PID namespace, which ignores SIGKILL sent from within.
   */
  signalContainer?(index: number, pod: V1Pod, signal: NodeJS.Signals): Promise<void>;
  /** Node faults; absent where the provider cannot touch nodes. */
  faults?: NodeFaults;
  /** A path every node sees with the same content; data dirs there follow pods across nodes. */
  sharedDataRoot?: string;
}

export interface NodeFaults {
  stop(index: number): Promise<void>;
  start(index: number): Promise<void>;
  /** Replaces the partition rules on the given nodes with these pairs. */
  syncPartitions(nodes: number[], pairs: [number, number][]): Promise<void>;
}

export interface K8sTopologyInit {
  id: string;
  provider: 'k3d' | 'kubeconfig';
  spec: TopologySpec;
  kube: KubeClient;
  namespace: string;
  runId: string;
  /** Kubernetes node name of each node index. */
  nodeNames: string[];
  image: string;
  storageClassName?: string;
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
}

interface PodState {
  objects: PodObjects;
  info: PodInfo;
  uid?: string;
}

const partitionKey = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);

export class K8sTopology implements StartedTopology {
  readonly id: string;
  readonly provider: 'k3d' | 'kubeconfig';
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
  private scratch = '';

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
    };
  }

  /** Applies the spec in its own namespace and waits until every pod is Ready. */
  static async deploy(init: K8sTopologyInit): Promise<K8sTopology> {
    const topo = new K8sTopology(init);
    const { kube, namespace, teardown } = init;
    // Validates before anything is created.
    topologyManifests(topo.spec, topo.manifestOptions());
    topo.scratch = await mkdtemp(join(tmpdir(), `rcnc-k8s-${init.id}-`));
    teardown.defer('remove scratch dir', () => rm(topo.scratch, { recursive: true, force: true }));
    // For spawn's helper processes, which cannot share this process' KubeConfig object.
    await writeFile(join(topo.scratch, 'kubeconfig'), kube.kc.exportConfig(), { mode: 0o600 });
    if (init.deleteNamespace) {
      teardown.defer(`delete namespace ${namespace}`, () => kube.deleteNamespace(namespace));
    }
    teardown.defer('stop spawned processes', () => {
      for (const c of topo.children) {
        c.kill('SIGKILL');
      }
    });
    await kube.createNamespace(namespace, init.runId);
    await topo.readNodes();
    await topo.addObjects(topo.spec.pods, topo.spec.services ?? [], topo.spec.loadBalancers ?? []);
    return topo;
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
    const names = new Set([...services, ...loadBalancers].map((s) => s.name));
    await this.kube.applyAll(all.services.filter((s) => names.has(s.metadata!.name!)));
    for (const svc of services) {
      const live = await this.kube.core.readNamespacedService({ name: svc.name, namespace: this.namespace });
      this.services.push({ ...svc, clusterIP: live.spec?.clusterIP ?? '' });
    }
    await this.kube.applyAll(added.map((s) => s.objects.pod));
    await Promise.all(added.map((s) => this.awaitPod(s)));
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

  private async readNodes(): Promise<void> {
    const listed = (await this.kube.core.listNode()).items;
    const nodes: NodeInfo[] = [];
    for (const [index, name] of this.init.nodeNames.entries()) {
      const n = listed.find((x) => x.metadata?.name === name);
      if (!n) {
        throw new TopologyError(`node ${name} is not in the cluster`);
      }
      nodes.push({
        name,
        index,
        ip: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
        podCidr: n.spec?.podCIDR ?? '',
        cniAddresses: await this.init.access.cniAddresses(index),
      });
    }
    this.nodes.splice(0, this.nodes.length, ...nodes);
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
    // The external client is this machine (on Linux, k3d's docker network is routed from it).
    return run(argv, opts);
  }

  spawn(target: ExecTarget, argv: string[]): ChildProcess {
    let child: ChildProcess;
    if ('pod' in target) {
      this.state(target.pod);
      child = spawnPodExec(
        join(this.scratch, 'kubeconfig'),
        { namespace: this.namespace, pod: target.pod, container: CONTAINER },
        argv,
      );
    } else {
      const local = 'node' in target ? this.init.access.spawnArgv(this.node(target.node).index, argv) : argv;
      child = spawn(local[0]!, local.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    }
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async logs(pod: string): Promise<string> {
    this.state(pod);
    try {
      return await this.kube.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container: CONTAINER });
    } catch (e) {
      if (isNotFound(e)) {
        return '';
      }
      throw new ProbeError(`cannot read the log of pod ${pod}: ${apiMessage(e)}`, { cause: e });
    }
  }

  async capture(target: ExecTarget, opts: CaptureOptions): Promise<Capture> {
    const dir = join(this.scratch, 'captures');
    if ('external' in target) {
      return startTcpdump([], { ...opts, dir });
    }
    if ('node' in target) {
      return startTcpdump(await this.init.access.capturePrefix(this.node(target.node).index), { ...opts, dir });
    }
    const s = this.state(target.pod);
    let hostReason: string;
    try {
      const pod = s.info.hostNetwork
        ? undefined
        : await this.kube.core.readNamespacedPod({ name: target.pod, namespace: this.namespace });
      return await startTcpdump(await this.init.access.capturePrefix(s.info.node, pod), { ...opts, dir });
    } catch (e) {
      if (!(e instanceof ProbeError || e instanceof RequirementError)) {
        throw e;
      }
      hostReason = e.message;
    }
    if (!this.init.allowDebugContainers) {
      throw new CapabilityError(
        `cannot capture in pod ${target.pod}: ${hostReason}; allowing an ephemeral debug container would work around it`,
      );
    }
    return startEphemeralCapture(this.kube, this.namespace, target.pod, { ...opts, dir });
  }

  /**
   * Deletes the pod (SIGTERM, 2 s grace), recreates it from the same manifest (on `node` when
   * given) and waits until it is Ready.
   */
  async deletePod(name: string, opts: { node?: number } = {}): Promise<PodInfo> {
    const s = this.state(name);
    if (opts.node !== undefined && opts.node !== s.info.node) {
      this.node(opts.node);
      // With a claim this is fine on network storage; a node-local claim (local-path) keeps the
      // pod Pending, and the wait below then reports the scheduler's "volume node affinity conflict".
      s.objects.pod.spec!.nodeSelector = { 'kubernetes.io/hostname': this.init.nodeNames[opts.node]! };
      s.info.node = opts.node;
    }
    const [info] = await this.recreate([s]);
    return info!;
  }

  /** Deletes pods together: every one is gone before any is created again. */
  async deletePods(names: string[]): Promise<PodInfo[]> {
    return this.recreate(names.map((n) => this.state(n)));
  }

  private async recreate(states: PodState[]): Promise<PodInfo[]> {
    const uids = new Map(states.map((s) => [s, s.uid ?? '']));
    await Promise.all(
      states.map(async (s) => {
        try {
          await this.kube.core.deleteNamespacedPod({ name: s.info.name, namespace: this.namespace });
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
   * Resolves once the kubelet has seen the container die.
   */
  async killContainer(name: string, opts: { signal?: NodeJS.Signals; restartDelayMs?: number } = {}): Promise<void> {
    const s = this.state(name);
    if (opts.restartDelayMs !== undefined) {
      throw new CapabilityError(
        'killContainer restartDelayMs: on Kubernetes the kubelet sets the restart delay (CrashLoopBackOff); it cannot be chosen',
      );
    }
    const signal = opts.signal ?? 'SIGKILL';
    const before = await this.kube.core.readNamespacedPod({ name, namespace: this.namespace });
    const restarts = before.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.restartCount ?? 0;
    if (this.init.access.signalContainer) {
      await this.init.access.signalContainer(s.info.node, before, signal);
    } else if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') {
      // From inside, PID 1 only receives signals it handles (redis handles TERM and INT).
      await this.exec({ pod: name }, ['kill', '-s', signal.replace(/^SIG/, ''), '1'], { reject: false });
    } else {
      throw new CapabilityError(
        `${signal} to pod ${name}'s container needs access to its node (k3d); from inside, PID 1 ignores it`,
      );
    }
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

  private faults(what: string): NodeFaults {
    const f = this.init.access.faults;
    if (!f) {
      throw new CapabilityError(`${what} needs a provider that controls the nodes (k3d); ${this.provider} does not`);
    }
    return f;
  }

  /** Stops node i's machine (k3d: docker stop): its pods stop and it leaves the node network. */
  async stopNode(index: number): Promise<void> {
    this.node(index);
    await this.faults('stopping a node').stop(index);
  }

  /** Starts node i again; waits until it and the pods on it run again, and re-reads addresses. */
  async startNode(index: number): Promise<void> {
    this.node(index);
    const since = Date.now();
    await this.faults('starting a node').start(index);
    await this.kube.waitForNodesReady(this.nodes.length, 180_000);
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
    this.partitions.add(partitionKey(a, b));
    await this.syncPartitions([a, b], 'a partition');
  }

  async heal(a: number, b: number): Promise<void> {
    this.partitions.delete(partitionKey(a, b));
    await this.syncPartitions([a, b], 'healing a partition');
  }

  private async syncPartitions(nodes: number[], what: string): Promise<void> {
    const pairs = [...this.partitions].map((k) => k.split('-').map(Number) as [number, number]);
    await this.faults(what).syncPartitions(nodes, pairs);
  }

  async stop(): Promise<void> {
    await this.init.teardown.run();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
