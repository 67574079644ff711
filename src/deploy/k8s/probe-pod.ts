// Host-network probe pods: one per node, on demand, running an image that has the tools a probe
// needs, pinned to the node by nodeSelector. A hostNetwork pod shares its node's network
// namespace, so a command there sees the node's addresses, routes and sockets, and its connections
// leave with the node's source address, exactly as a command on the node itself
// (docs/kubernetes.md#commands-on-nodes). Used where the node's own image lacks a tool (the k3s
// node image has no redis-cli) and, with the user's consent, on clusters whose nodes are out of
// reach (`rcnc collect` reads node addresses with the debug image).
import type { V1Pod } from '@kubernetes/client-node';
import type { ExecOptions, ExecResult } from '../provider.ts';
import { isNotFound, type KubeClient } from './apply.ts';
import { execInPod, toExecResult } from './exec.ts';
import { MANAGED_BY_LABEL, MANAGER, RUN_ID_LABEL } from './manifests.ts';

export const PROBE_CONTAINER = 'probe';

export interface ProbePodOptions {
  namespace: string;
  runId: string;
  image: string;
  /** Kubernetes node name of each node index. */
  nodeNames: readonly string[];
  /** Pod name prefix: `<prefix>-<node index>`. */
  prefix?: string;
  readyTimeoutMs?: number;
}

/** The manifest of node i's probe pod: host network, no credentials, sleeps until deleted. */
export function probePodManifest(o: ProbePodOptions, index: number): V1Pod {
  const name = `${o.prefix ?? 'rcnc-probe'}-${index}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGER, [RUN_ID_LABEL]: o.runId, 'rcnc.io/role': 'node-probe' },
    },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': o.nodeNames[index]! },
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      // A control-plane taint must not keep a probe off its node.
      tolerations: [{ operator: 'Exists' }],
      restartPolicy: 'Always',
      containers: [
        {
          name: PROBE_CONTAINER,
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', '86400'],
        },
      ],
    },
  };
}

/** Probe pods of one namespace, created the first time a node's is needed. */
export class ProbePods {
  private readonly ready = new Map<number, Promise<string>>();

  constructor(
    private readonly kube: KubeClient,
    private readonly o: ProbePodOptions,
  ) {}

  /** Node i's probe pod, applied and Ready (shared by concurrent callers). */
  private pod(index: number): Promise<string> {
    let p = this.ready.get(index);
    if (!p) {
      const manifest = probePodManifest(this.o, index);
      const name = manifest.metadata!.name!;
      p = (async () => {
        await this.kube.applyAll([manifest]);
        await this.kube.waitForPodReady(this.o.namespace, name, this.o.readyTimeoutMs ?? 120_000);
        return name;
      })();
      // A failed start is retried by the next caller.
      p.catch(() => this.ready.delete(index));
      this.ready.set(index, p);
    }
    return p;
  }

  async exec(index: number, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const pod = await this.pod(index);
    const outcome = await execInPod(this.kube.exec, {
      namespace: this.o.namespace,
      pod,
      container: PROBE_CONTAINER,
      argv,
      input: opts.input,
      timeoutMs: opts.timeoutMs,
    });
    return toExecResult(outcome, [`${pod}:`, ...argv], opts);
  }

  /** Deletes the probe pods this object created; for namespaces that outlive the topology. */
  async remove(): Promise<void> {
    const names = await Promise.all([...this.ready.values()].map((p) => p.catch(() => undefined)));
    this.ready.clear();
    for (const name of names.filter((n): n is string => !!n)) {
      await this.kube.core
        .deleteNamespacedPod({ name, namespace: this.o.namespace, gracePeriodSeconds: 0 })
        .catch((e: unknown) => {
          if (!isNotFound(e)) {
            throw e;
          }
        });
    }
  }
}
