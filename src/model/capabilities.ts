// What a provider may be unable to do, by name. A provider declares its gaps (capability → reason)
// once it has checked the machine; a cell may say which capabilities it needs. A part of a cell
// that needs a capability its provider declared missing is skipped with the declared reason; any
// other "cannot" is a failure. Here (not beside the error that carries it) so cells can name them.

export const CAPABILITIES = [
  /** Run commands on a node (its network namespace). */
  'node-exec',
  /** Stop, start and partition nodes. */
  'node-faults',
  /** Capture packets in a pod's or a node's network namespace. */
  'capture',
  /** Run a program of this machine in a pod's or a node's network namespace (a load client). */
  'host-netns',
  /** Signal a pod's main process from its node (SIGKILL, SIGSTOP: PID 1 ignores them from inside). */
  'kill-container',
  /** Run commands on a machine outside the cluster (the external client). */
  'external-client',
  /** Give a deleted and recreated pod its data dir back (a claim, a shared node path). */
  'durable-data',
  /** Resolve headless-Service names from inside pods (cluster DNS: CoreDNS, or the lab's hosts files). */
  'cluster-dns',
  /** Give LoadBalancer Services an ingress address (a load-balancer controller: ServiceLB, a cloud's). */
  'load-balancer',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** A provider's gaps: each capability it lacks here, with the reason in words a user can act on. */
export type Gaps = Readonly<Partial<Record<Capability, string>>>;
