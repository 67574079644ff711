// The kubeconfig provider: the scenarios on an existing cluster the user points at (any CNI), in
// a namespace of their own that is deleted afterwards. Only the API server is used: pods are
// reached by Exec, nodes not at all (node exec, node faults and host-side capture need k3d;
// packet capture works through an ephemeral debug container when the user allows it). The
// cluster's version and CNI are detected and kept on the topology for the report.
import { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { CapabilityError, isRcncError, RequirementError, TopologyError } from '../../util/errors.ts';
import { Teardown, trackForSignals } from '../../util/teardown.ts';
import { apiMessage, KubeClient, nodeReady } from '../k8s/apply.ts';
import { readClusterInfo } from '../k8s/cluster-info.ts';
import { K8sTopology, type NodeAccess } from '../k8s/topology.ts';
import { REDIS_IMAGE } from '../k8s/versions.ts';
import type { Provider, Requirement, TopologySpec } from '../provider.ts';

export interface KubeconfigProviderOptions {
  /** Path of the kubeconfig; default $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use; default the file's current-context. */
  context?: string;
  image?: string;
  /** Default: the cluster's default StorageClass (required then). */
  storageClassName?: string;
  allowDebugContainers?: boolean;
  runId?: string;
  podReadyTimeoutMs?: number;
}

const API_TIMEOUT_MS = 10_000;

const withTimeout = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error(`${what}: no answer in ${API_TIMEOUT_MS}ms`)), API_TIMEOUT_MS).unref();
    }),
  ]);

/** Nodes are out of reach: everything goes through the API server. */
const NO_NODE_ACCESS: NodeAccess = {
  exec: () =>
    Promise.reject(
      new CapabilityError(
        'running commands on a node needs the k3d provider; a kubeconfig cluster is reached only through its API',
      ),
    ),
  spawnArgv: () => {
    throw new CapabilityError('running commands on a node needs the k3d provider');
  },
  cniAddresses: async () => ({}),
  capturePrefix: () =>
    Promise.reject(
      new CapabilityError('the kubeconfig provider cannot enter node or pod namespaces from this machine'),
    ),
};

export class KubeconfigProvider implements Provider {
  readonly name = 'kubeconfig' as const;

  constructor(private readonly opts: KubeconfigProviderOptions = {}) {}

  /** Loads the kubeconfig and selects the context; throws a RequirementError saying what is wrong. */
  load(): KubeConfig {
    const kc = new KubeConfig();
    const file = this.opts.kubeconfig;
    try {
      if (file) {
        if (!existsSync(file)) {
          throw new RequirementError(`kubeconfig ${file} does not exist`);
        }
        kc.loadFromFile(file);
      } else {
        kc.loadFromDefault();
      }
    } catch (e) {
      if (isRcncError(e)) {
        throw e;
      }
      throw new RequirementError(`cannot read kubeconfig ${file ?? '(default)'}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (this.opts.context) {
      if (!kc.getContexts().some((c) => c.name === this.opts.context)) {
        const known = kc.getContexts().map((c) => c.name);
        throw new RequirementError(
          `context ${this.opts.context} is not in the kubeconfig (contexts: ${known.join(', ') || 'none'})`,
        );
      }
      kc.setCurrentContext(this.opts.context);
    }
    if (!kc.getCurrentCluster()) {
      throw new RequirementError(`kubeconfig ${file ?? '(default)'} has no current cluster; pass --context`);
    }
    return kc;
  }

  async check(): Promise<Requirement[]> {
    let kc: KubeConfig;
    try {
      kc = this.load();
    } catch (e) {
      return [{ name: 'kubeconfig', met: false, detail: (e as Error).message }];
    }
    const reqs: Requirement[] = [{ name: 'kubeconfig', met: true, detail: `context ${kc.getCurrentContext()}` }];
    const server = kc.getCurrentCluster()?.server;
    try {
      const v = await withTimeout(new KubeClient(kc).version.getCode(), server ?? 'API server');
      reqs.push({ name: 'API server', met: true, detail: `${server}: Kubernetes ${v.gitVersion}` });
    } catch (e) {
      reqs.push({
        name: 'API server',
        met: false,
        detail: `cannot reach the API server ${server} (context ${kc.getCurrentContext()}): ${apiMessage(e).split('\n')[0]}`,
      });
    }
    return reqs;
  }

  async start(spec: TopologySpec): Promise<K8sTopology> {
    const kc = this.load();
    const kube = new KubeClient(kc);
    const id = randomBytes(3).toString('hex');
    const teardown = new Teardown();
    const untrack = trackForSignals({ stop: () => teardown.run() });
    teardown.defer('untrack signals', untrack);
    try {
      const clusterInfo = await readClusterInfo(kube);
      const nodes = (await kube.core.listNode()).items
        .filter((n) => nodeReady(n) && !n.spec?.unschedulable)
        // Nodes that refuse ordinary pods (control planes) are not candidates.
        .filter((n) => !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'))
        .map((n) => n.metadata?.name ?? '')
        .sort();
      if (nodes.length < spec.nodes) {
        throw new RequirementError(
          `the cluster has ${nodes.length} Ready schedulable node(s); this topology needs ${spec.nodes}`,
        );
      }
      if (!this.opts.storageClassName) {
        const classes = (await kube.storage.listStorageClass()).items;
        const isDefault = (a?: Record<string, string>) => a?.['storageclass.kubernetes.io/is-default-class'] === 'true';
        if (!classes.some((c) => isDefault(c.metadata?.annotations))) {
          throw new RequirementError(
            `the cluster has no default StorageClass for the pods' data dirs; pass a storage class (have: ${classes.map((c) => c.metadata?.name).join(', ') || 'none'})`,
          );
        }
      }
      return await K8sTopology.deploy({
        id,
        provider: 'kubeconfig',
        spec,
        kube,
        namespace: `rcnc-${id}`,
        runId: this.opts.runId ?? id,
        nodeNames: nodes.slice(0, spec.nodes),
        image: this.opts.image ?? REDIS_IMAGE,
        storageClassName: this.opts.storageClassName,
        access: NO_NODE_ACCESS,
        allowDebugContainers: !!this.opts.allowDebugContainers,
        podReadyTimeoutMs: this.opts.podReadyTimeoutMs ?? 300_000,
        teardown,
        deleteNamespace: true,
        clusterInfo,
      });
    } catch (e) {
      await teardown.run().catch(() => {});
      if (isRcncError(e)) {
        throw e;
      }
      throw new TopologyError(`could not deploy on ${kc.getCurrentContext()}: ${apiMessage(e)}`, { cause: e });
    }
  }
}
