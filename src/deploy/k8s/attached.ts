// Attaching to a Redis deployment someone else runs (`rcnc collect`): pods found by namespace and
// label selector through the API server, never created, changed or deleted. Reads go through the
// API (exec in the Redis container, logs, nodes, Services). What changes the cluster is opt-in
// (`allowDebug`): an ephemeral debug container per pod for packet capture, and a host-network
// probe pod per node (debug image) for the node's addresses; stop() deletes the probe pods, and
// the ephemeral containers end by themselves (they cannot be removed).
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbeError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import {
  CapabilityError,
  type Capture,
  type CaptureOptions,
  type ExecOptions,
  type ExecResult,
  type ExecTarget,
  type LoadBalancerInfo,
  type NodeInfo,
  type PodInfo,
  type ServiceInfo,
  type StartedTopology,
} from '../provider.ts';
import { startTcpdump } from '../tcpdump.ts';
import { apiMessage, type KubeClient } from './apply.ts';
import { startEphemeralCapture } from './capture.ts';
import { parseCniAddresses } from './cni-addresses.ts';
import { execInPod, toExecResult } from './exec.ts';
import { ProbePods } from './probe-pod.ts';
import { nodeInfoOf } from './topology.ts';
import { DEBUG_IMAGE } from './versions.ts';

export interface AttachOptions {
  kube: KubeClient;
  namespace: string;
  selector?: string;
  /** The Redis container's name; default the one that declares port 6379, kubectl's default, redis*, or the first. */
  container?: string;
  /** Consent to ephemeral debug containers and host-network probe pods (they change the cluster). */
  allowDebug: boolean;
  runId: string;
}

const DEBUG_NEEDED = 'allowing debug containers (rcnc collect --debug) would';

/** kubectl's own choice of container (`kubectl exec` without -c). */
const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

/**
 * The container Redis runs in: declared port 6379, else the pod's default container (the one
 * `kubectl exec` picks), else named redis*, else the first.
 */
export function redisContainerOf(pod: V1Pod, wanted?: string): string {
  const containers = pod.spec?.containers ?? [];
  if (wanted) {
    if (!containers.some((c) => c.name === wanted)) {
      throw new UsageError(
        `pod ${pod.metadata?.name} has no container ${wanted} (it has ${containers.map((c) => c.name).join(', ')})`,
      );
    }
    return wanted;
  }
  const byPort = containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === 6379));
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER];
  const byDefault = containers.find((c) => c.name === annotated);
  return (byPort ?? byDefault ?? containers.find((c) => /^redis/.test(c.name)) ?? containers[0])?.name ?? 'redis';
}

/** The pod a Service selects, when its selector picks exactly one of `pods`. */
export function servicePod(svc: V1Service, pods: V1Pod[]): V1Pod | undefined {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) {
    return undefined;
  }
  const picked = pods.filter((p) => Object.entries(sel).every(([k, v]) => p.metadata?.labels?.[k] === v));
  return picked.length === 1 ? picked[0] : undefined;
}

/** NodePort Services that front one attached pod each, as the contract describes them. */
export function servicesOf(services: V1Service[], pods: V1Pod[]): ServiceInfo[] {
  const out: ServiceInfo[] = [];
  for (const s of services.filter((x) => x.spec?.type === 'NodePort')) {
    const pod = servicePod(s, pods);
    if (!pod) {
      continue;
    }
    const ports = (s.spec?.ports ?? []).map((p) => {
      const named = typeof p.targetPort === 'string' ? p.targetPort : undefined;
      const resolved = named
        ? pod.spec?.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === named)?.containerPort
        : Number(p.targetPort ?? p.port);
      return { name: p.name ?? '', port: p.port, targetPort: resolved ?? p.port, nodePort: p.nodePort ?? 0 };
    });
    out.push({
      name: s.metadata?.name ?? '',
      pod: pod.metadata?.name ?? '',
      ports,
      externalTrafficPolicy: s.spec?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      clusterIP: s.spec?.clusterIP ?? '',
    });
  }
  return out;
}

export class AttachedK8sTopology implements StartedTopology {
  readonly provider = 'kubeconfig' as const;
  readonly profile = 'as-found' as const;
  readonly id: string;
  readonly nodes: NodeInfo[] = [];
  /** Collecting reads pods; the Services it finds are listed in services.txt, not driven. */
  readonly loadBalancers: LoadBalancerInfo[] = [];
  readonly services: ServiceInfo[] = [];
  private readonly found = new Map<string, { info: PodInfo; container: string }>();
  private probes?: ProbePods;
  private scratch = '';

  private constructor(private readonly o: AttachOptions) {
    this.id = o.namespace;
  }

  /** Finds the pods; rejects with a UsageError when the namespace holds none that match. */
  static async attach(o: AttachOptions): Promise<AttachedK8sTopology> {
    const t = new AttachedK8sTopology(o);
    const [pods, nodes, services] = await Promise.all([
      o.kube.core.listNamespacedPod({ namespace: o.namespace, labelSelector: o.selector }),
      o.kube.core.listNode(),
      o.kube.core.listNamespacedService({ namespace: o.namespace }),
    ]).catch((e: unknown) => {
      throw new ProbeError(`cannot list pods, nodes and services of namespace ${o.namespace}: ${apiMessage(e)}`, {
        cause: e,
      });
    });
    const running = pods.items
      .filter((p) => p.status?.phase === 'Running' && p.status.podIP)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    if (running.length === 0) {
      const what = o.selector ? `pods matching ${o.selector}` : 'pods';
      throw new UsageError(`namespace ${o.namespace} has no running ${what} (found ${pods.items.length} in all)`);
    }
    t.adopt(running, nodes.items, services.items);
    t.scratch = await mkdtemp(join(tmpdir(), 'rcnc-collect-'));
    return t;
  }

  private adopt(pods: V1Pod[], nodes: V1Node[], services: V1Service[]): void {
    const sorted = [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    this.nodes.push(...sorted.map((n, i) => nodeInfoOf(n, i)));
    if (this.o.allowDebug) {
      this.probes = new ProbePods(this.o.kube, {
        namespace: this.o.namespace,
        runId: this.o.runId,
        image: DEBUG_IMAGE,
        nodeNames: this.nodes.map((n) => n.name),
        prefix: `rcnc-probe-${this.o.runId.slice(-6).toLowerCase()}`,
      });
    }
    for (const p of pods) {
      const name = p.metadata!.name!;
      const info: PodInfo = {
        name,
        node: this.nodes.findIndex((n) => n.name === p.spec?.nodeName),
        ip: p.status?.podIP ?? '',
        hostIP: p.status?.hostIP ?? '',
        hostNetwork: !!p.spec?.hostNetwork,
        generation: 1,
      };
      this.found.set(name, { info, container: redisContainerOf(p, this.o.container) });
    }
    this.services.push(...servicesOf(services, pods));
  }

  private get(pod: string) {
    const f = this.found.get(pod);
    if (!f) {
      throw new UsageError(`pod ${pod} is not among the attached pods`);
    }
    return f;
  }

  pods(): PodInfo[] {
    return [...this.found.values()].map((f) => ({ ...f.info }));
  }

  pod(name: string): PodInfo {
    return { ...this.get(name).info };
  }

  /** CNI device addresses, where a probe pod may read them (opt-in). */
  async refreshNodes(): Promise<void> {
    if (!this.probes) {
      return;
    }
    for (const n of this.nodes) {
      const r = await this.probes.exec(n.index, ['ip', '-4', '-o', 'addr', 'show'], { reject: false });
      n.cniAddresses = r.exitCode === 0 ? parseCniAddresses(r.stdout) : {};
    }
  }

  async exec(target: ExecTarget, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if ('pod' in target) {
      const f = this.get(target.pod);
      const outcome = await execInPod(this.o.kube.exec, {
        namespace: this.o.namespace,
        pod: target.pod,
        container: f.container,
        argv,
        input: opts.input,
        timeoutMs: opts.timeoutMs,
      });
      return toExecResult(outcome, [`${target.pod}:`, ...argv], opts);
    }
    if ('node' in target) {
      if (!this.probes) {
        throw new CapabilityError('node-exec', `commands on nodes need a host-network pod; ${DEBUG_NEEDED} add one`);
      }
      return this.probes.exec(target.node, argv, opts);
    }
    return run(argv, opts);
  }

  spawn(): ChildProcess {
    throw new CapabilityError('host-netns', "an attached cluster's namespaces are out of this machine's reach");
  }

  async logs(pod: string): Promise<string> {
    const f = this.get(pod);
    return this.o.kube.core.readNamespacedPodLog({ name: pod, namespace: this.o.namespace, container: f.container });
  }

  async capture(target: ExecTarget, opts: CaptureOptions): Promise<Capture> {
    const dir = join(this.scratch, 'captures');
    if ('external' in target) {
      return startTcpdump([], { ...opts, dir });
    }
    if (!('pod' in target) || !this.o.allowDebug) {
      throw new CapabilityError(
        'capture',
        `capturing in ${'pod' in target ? `pod ${target.pod}` : 'a node'} needs ${'pod' in target ? `an ephemeral debug container; ${DEBUG_NEEDED} add one` : 'access to the node'}`,
      );
    }
    return startEphemeralCapture(this.o.kube, this.o.namespace, target.pod, {
      ...opts,
      dir,
      container: this.get(target.pod).container,
    });
  }

  private refuse(what: string): never {
    throw new UsageError(`${what}: rcnc does not change pods it attached to`);
  }

  async deletePod(): Promise<PodInfo> {
    return this.refuse('deletePod');
  }
  async deletePods(): Promise<PodInfo[]> {
    return this.refuse('deletePods');
  }
  async killContainer(): Promise<void> {
    return this.refuse('killContainer');
  }
  async addPods(): Promise<PodInfo[]> {
    return this.refuse('addPods');
  }
  async stopNode(): Promise<void> {
    return this.refuse('stopNode');
  }
  async startNode(): Promise<void> {
    return this.refuse('startNode');
  }
  async partition(): Promise<void> {
    return this.refuse('partition');
  }
  async heal(): Promise<void> {
    return this.refuse('heal');
  }

  /** Deletes the probe pods it added and its scratch dir; the attached pods stay as they are. */
  async stop(): Promise<void> {
    await this.probes?.remove();
    if (this.scratch) {
      await rm(this.scratch, { recursive: true, force: true });
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
