import type { ChildProcess } from 'node:child_process';
import type { Capability, Gaps } from '../model/capabilities.ts';
import type { KubeProxyMode, ProfileName, ProviderName, TrafficPolicy } from '../model/dimensions.ts';
import type { Platform } from '../model/profiles.ts';
import type { Provenance } from '../model/results.ts';
import { RequirementError } from '../util/errors.ts';
import type { ExecOptions, ExecResult } from '../util/exec.ts';

export type { Capability, ExecOptions, ExecResult, Gaps };

// The provider contract: a provider builds a Kubernetes-shaped topology and gives uniform access
// to it. Providers know nothing about Redis: the deploy layer hands them pods with argv and files,
// and talks to what runs there only through `exec`. Each provider folder also exports a
// ProviderModule (its traits and how to build it), listed once in providers.ts.

/**
 * The provider cannot do what was asked (capture in a pod, run on a node, signal a container).
 * It always names the capability: only one the provider declared in its `gaps` (known after
 * check()) may turn into a skip, with the declared reason (suite/harness.ts); whatever the message
 * says, anything else fails the cell.
 */
export class CapabilityError extends RequirementError {
  constructor(
    readonly capability: Capability,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
Object.defineProperty(CapabilityError.prototype, 'name', { value: 'CapabilityError', enumerable: false });

export const isCapabilityError = (e: unknown): e is CapabilityError => e instanceof CapabilityError;

/** One thing a provider needs from the machine; unmet ones become skip reasons. */
export interface Requirement {
  name: string;
  met: boolean;
  /** What is missing, in words a user can act on (shown as the skip reason). */
  detail?: string;
}

export interface PodSpec {
  name: string;
  /** Index of the node the pod is scheduled on. */
  node: number;
  hostNetwork?: boolean;
  /**
   * The container's argv. `$(POD_IP)`, `$(HOST_IP)` and `$(POD_NAME)` are expanded the way the
   * Kubernetes downward API + `$(VAR)` args expansion does, each time the pod (re)starts.
   */
  command: string[];
  /** Files written into the pod's config dir before start (a ConfigMap), relative names. */
  files?: Record<string, string>;
  /** argv run inside the pod until it exits 0; the pod counts as ready then. */
  readiness?: string[];
  /**
   * A line the container prints once it serves (e.g. Redis's "Ready to accept connections").
   * Providers that can read the log as it grows may wait for it instead of running `readiness`.
   */
  readyLogLine?: string;
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  nodePort: number;
}

/** A NodePort Service selecting exactly one pod by name (statefulset.kubernetes.io/pod-name). */
export interface NodePortServiceSpec {
  name: string;
  pod: string;
  ports: ServicePort[];
  externalTrafficPolicy: TrafficPolicy;
}

/**
 * A LoadBalancer Service selecting one pod by name. Where the provider has no cloud load balancer it
 * is served the way k3s ServiceLB (klipper-lb) serves it: every node's IP is an ingress address,
 * and each port is a host port on every node (docs/kubernetes.md#servicelb).
 */
export interface LoadBalancerServiceSpec {
  name: string;
  pod: string;
  /** `port` is the load balancer's port; each port also has a `nodePort`, as for any LoadBalancer Service. */
  ports: ServicePort[];
  externalTrafficPolicy: TrafficPolicy;
}

/**
 * A headless Service (`clusterIP: None`, `publishNotReadyAddresses: true`) whose pods have their
 * `hostname` and `subdomain` set, as a StatefulSet's pods do: each pod is resolvable inside the
 * cluster as `<pod>.<name>.<namespace>.svc.cluster.local`, at its current IP, and only there.
 */
export interface HeadlessServiceSpec {
  name: string;
  pods: string[];
}

/** The cluster domain every provider's names end in (k3s's default). */
export const CLUSTER_DOMAIN = 'cluster.local';

export const headlessName = (pod: string, service: string, namespace: string): string =>
  `${pod}.${service}.${namespace}.svc.${CLUSTER_DOMAIN}`;

/** A pod's name under the headless Service of `spec` that selects it, if one does. */
export function podDnsName(spec: Pick<TopologySpec, 'headless'>, pod: string, namespace: string): string | undefined {
  const service = spec.headless?.find((h) => h.pods.includes(pod));
  return service ? headlessName(pod, service.name, namespace) : undefined;
}

export interface TopologySpec {
  profile: ProfileName;
  nodes: number;
  pods: PodSpec[];
  services?: NodePortServiceSpec[];
  loadBalancers?: LoadBalancerServiceSpec[];
  headless?: HeadlessServiceSpec[];
  /** Adds a namespace on the node network standing for a machine outside the cluster. */
  externalClient?: boolean;
}

export interface NodeInfo {
  name: string;
  index: number;
  /** The node's address on the node network (k3d's docker network). */
  ip: string;
  /**
   * Addresses of CNI devices on the node, keyed by device name (cni0, flannel.1, vxlan.calico…).
   * Some appear only with the first pod on the node (flannel's cni0): see `refreshNodes`.
   */
  cniAddresses: Record<string, string>;
  podCidr: string;
  /** What the kubelet reports, on real clusters (for `kubectl get nodes -o wide`-like tables). */
  kubelet?: { version: string; roles: string; osImage: string; kernelVersion: string; containerRuntime: string };
}

export interface PodInfo {
  name: string;
  node: number;
  ip: string;
  hostIP: string;
  hostNetwork: boolean;
  /** Bumped each time the pod is deleted and recreated. */
  generation: number;
}

export interface ServiceInfo extends NodePortServiceSpec {
  clusterIP: string;
}

export interface LoadBalancerInfo extends LoadBalancerServiceSpec {
  clusterIP: string;
  /** `status.loadBalancer.ingress`: the addresses clients dial, on the Service's ports. */
  ingress: string[];
}

/** Where a command runs: inside a pod, on a node, or on the external client. */
export type ExecTarget = { pod: string } | { node: number } | { external: true };

export interface CaptureOptions {
  /** BPF filter, e.g. `tcp port 16379`. */
  filter: string;
  /** Interface inside the target's namespace; default `any`. */
  iface?: string;
  /** Hard bound: tcpdump runs under `timeout` so a crashed run cannot orphan it. */
  maxSeconds: number;
  /** Stop after this many packets (tcpdump -c). */
  maxPackets?: number;
  /** Name used for the pcap file. */
  name: string;
}

export interface CaptureResult {
  /** Local path of the pcap file (kept as an artifact). */
  file: string;
  /** `tcpdump -r <file> -nn -tt -v` output, for the probes to parse. */
  text: string;
}

/** A running packet capture: live once returned (tcpdump printed `listening on`). */
export interface Capture {
  readonly name: string;
  /** Stops the capture exactly once (later calls return the same result) and reads it back. */
  stop(): Promise<CaptureResult>;
}

export interface StartedTopology extends AsyncDisposable {
  readonly id: string;
  readonly provider: ProviderName;
  /** `as-found`: pods someone else deployed (Provider.attach), on whatever datapath they have. */
  readonly profile: ProfileName | 'as-found';
  readonly nodes: readonly NodeInfo[];
  readonly services: readonly ServiceInfo[];
  readonly loadBalancers: readonly LoadBalancerInfo[];
  /** Address of the external client namespace, when the spec asked for one. */
  readonly externalIP?: string;
  pods(): PodInfo[];
  pod(name: string): PodInfo;
  /** The pod's name under its headless Service (`headless` in the spec), resolvable from pods only. */
  dnsName?(pod: string): string | undefined;
  /**
   * Re-reads what can change under a running topology: node addresses (a CNI device such as
   * flannel's cni0 appears with the first pod on a node). Absent where nothing changes (the lab).
   */
  refreshNodes?(): Promise<void>;
  /** Runs argv with the target's own tools (in a pod: its container's image) and waits for it. */
  exec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts a long-running program *of this machine* (a load client, a watcher) in the target's
   * network namespace, with piped stdio, so it needs nothing from the pod's image. The caller
   * stops it; the topology kills it at stop() if it still runs.
   */
  spawn(target: ExecTarget, argv: string[]): ChildProcess;
  /**
   * The pod container's stdout+stderr since it last started (like `kubectl logs`); with
   * `allRestarts`, every earlier start's output before it, as far as the provider kept it.
   */
  logs(pod: string, opts?: { allRestarts?: boolean }): Promise<string>;
  /**
   * The pod's data directory (`$(DATA_DIR)`) as a path on this machine, when this machine shares
   * it (the netns lab); absent where it lives elsewhere (a Kubernetes node, a container).
   */
  localDataDir?(pod: string): string | undefined;
  /** Starts tcpdump in the target's network namespace; resolves when it is listening. */
  capture(target: ExecTarget, opts: CaptureOptions): Promise<Capture>;
  /**
   * Deletes the pod; it comes back with a new IP and the same data directory (a PersistentVolume
   * that follows the pod). With `node`, it is rescheduled there.
   */
  deletePod(pod: string, opts?: { node?: number }): Promise<PodInfo>;
  /** Deletes pods together: every one is gone before any comes back (new IPs, same data). */
  deletePods(pods: string[]): Promise<PodInfo[]>;
  /**
   * Kills the pod's container (SIGKILL by default); the kubelet restarts it (restartPolicy
   * Always), at once or after `restartDelayMs` (a crash-loop back-off).
   */
  killContainer(pod: string, opts?: { signal?: NodeJS.Signals; restartDelayMs?: number }): Promise<void>;
  /** Adds pods (and their Services) to the running topology, like scaling a StatefulSet up. */
  addPods(pods: PodSpec[], services?: NodePortServiceSpec[]): Promise<PodInfo[]>;
  /** The node goes down: its pods stop and it drops off the node network. */
  stopNode(node: number): Promise<void>;
  /** The node comes back; pods still scheduled on it start again. */
  startNode(node: number): Promise<void>;
  /** Drops all traffic between two nodes (and their pods) in both directions. */
  partition(a: number, b: number): Promise<void>;
  heal(a: number, b: number): Promise<void>;
  /** A real system's account of itself for the report (versions, settings, image); absent on the lab. */
  provenance?(): Provenance;
  stop(): Promise<void>;
}

/** Pods someone else runs, found rather than created (`rcnc collect`). */
export interface AttachSpec {
  /** Kubernetes namespace; on the lab, the lab's id. */
  namespace: string;
  /** Label selector (`k=v`, `k!=v`, `k`, `k in (a,b)`, comma-separated); default every pod. */
  selector?: string;
}

export interface Provider {
  readonly name: ProviderName;
  /**
   * What this provider cannot do here, by capability, with the reason (complete once check() has
   * run). A CapabilityError for one of these skips the part of a cell that needs it.
   */
  readonly gaps: Gaps;
  /**
   * How many topologies one process may run at once: its traits' `topologiesAtOnce`, carried by
   * the provider the harness hands out (suite/harness.ts providerFor); absent: no limit.
   */
  readonly topologiesAtOnce?: number;
  /**
   * The most nodes a topology may have here, where check() learns it (a cluster the user has: its
   * Ready schedulable nodes); a cell that needs more skips with that. Absent: no limit known.
   */
  readonly nodeLimit?: number;
  check(): Promise<Requirement[]>;
  start(spec: TopologySpec): Promise<StartedTopology>;
  /**
   * A topology over pods that already run: it creates none and deletes none of them; its stop()
   * removes only what it added (debug containers' pods, probe pods).
   */
  attach?(spec: AttachSpec): Promise<StartedTopology>;
  /** Releases what the provider keeps between topologies (k3d: the clusters it shares). */
  close?(): Promise<void>;
}

/** What the run hands a provider it builds (a part of the run config, suite/run-config.ts). */
export interface ProviderSettings {
  runId: string;
  /** The run's Redis binaries, on this machine. */
  redis: { server: string; cli: string };
  /** The kubeconfig provider: which cluster, and the Redis image of its pods. */
  kube: { kubeconfig?: string; context?: string; image?: string };
  /** The kube provider: prebuilt binaries (--kube-bin) instead of the build cache (kube-proxy's mode is the profile's). */
  kubeCluster?: {
    bin?: string;
    /** The socket of a cluster the run shares between files (npm test's kube tier: src/deploy/kube/shared.ts). */
    shared?: string;
  };
}

/**
 * What the suite knows of a provider without building one: how its cells are scheduled, bounded
 * and described, and which switch makes a run require it.
 */
export interface ProviderTraits {
  /**
   * Whether a provider is built per profile (k3d: a cluster per CNI; docker: the daemon's proxy
   * mode), each checked and closed on its own; else one serves every profile.
   */
  perProfile: boolean;
  /** How long one of its cells may run once started (a cluster start included, where one may come first). */
  cellBudgetMs: number;
  /** vitest's per-test and per-hook bounds for a run that uses it; absent: the lab's. */
  testBounds?: { testMs: number; hookMs: number };
  /** Which Redis binaries its pods run: the run's (this machine's), or those in its image, by name. */
  redis: 'run-binaries' | { image: { server: string; cli: string } };
  /** The environment switch (`=1`) that turns "cannot run here" into a failure, and its meaning. */
  require: { variable: string; meaning: string };
  /** How many of its topologies one process runs at once; absent: as many as the cell pool. */
  topologiesAtOnce?: number;
  /** The most nodes one of its topologies has; absent: as many as the system it reaches. */
  maxNodes?: number;
  /**
   * The kube-proxy modes it runs, beyond iptables (real kube-proxy on kube; the lab renders each
   * mode's rules): a profile that puts kube-proxy in another mode (flannel-vxlan-nftables) is part
   * of its matrix only when the mode is listed here. Absent: iptables mode only (k3d and kubeconfig
   * run it).
   */
  kubeProxyModes?: readonly KubeProxyMode[];
  /**
   * The kube-proxy modes of the cells a run holds without naming them, when fewer than it runs: a
   * profile in another mode runs only when the run names it (`--profile`, or its cells by id).
   * Absent: every mode it runs.
   */
  defaultKubeProxyModes?: readonly KubeProxyMode[];
  /** An emulation of a datapath (the netns lab) rather than a real system. */
  emulation: boolean;
  /** Which profiles it runs: those of this platform (src/model/profiles.ts); absent: kubernetes. */
  platform?: Platform;
  /** Where a cell's result comes from, in words, before a topology says more about itself. */
  label(profile: ProfileName): string;
  /**
   * What killContainer with a restart delay does: kill now and restart after the delay (as a
   * crash-loop back-off), or freeze the process for the delay and then kill it (a kubelet restarts
   * a killed container at once).
   */
  delayedKill: 'restart-after-delay' | 'freeze-then-kill';
}

/** A provider as the suite knows it: one per folder, listed once in providers.ts. */
export interface ProviderModule<P extends ProviderName = ProviderName> {
  readonly name: P;
  readonly traits: ProviderTraits;
  /**
   * Builds the provider (for one profile, where `traits.perProfile`). Providers whose code loads
   * slowly (client-node, testcontainers) are imported here, so only runs that use them pay.
   */
  create(settings: ProviderSettings, profile: ProfileName): Promise<Provider>;
}

/**
 * How long a cell may run once started, where nothing slower than the lab comes first. A pod
 * restarted behind a Service can leave a peer's reconnect pinned to the deleted pod's IP until the
 * kernel gives up the SYN (about 131 s, src/probes/syn-timeout.ts): a cell that restarts pods must
 * be able to outlast that.
 */
export const CELL_BUDGET_MS = 240_000;

export const unmet = (reqs: Requirement[]): Requirement[] => reqs.filter((r) => !r.met);

export const describeUnmet = (reqs: Requirement[]): string =>
  unmet(reqs)
    .map((r) => r.detail ?? r.name)
    .join('; ');
