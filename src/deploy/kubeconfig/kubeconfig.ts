// The kubeconfig provider: the scenarios on an existing cluster the user points at (any CNI), in
// a namespace of their own that is deleted afterwards. Only the API server is used: pods are
// reached by Exec, nodes not at all (node exec, node faults and host-side capture need k3d;
// packet capture works through an ephemeral debug container when the user allows it). What it
// cannot do is declared in check() as capability gaps: those of any cluster, and `durable-data` on
// a cluster without a StorageClass to claim from (data dirs are emptyDirs there). The cluster's version and CNI are detected
// and kept on the topology for the report. A run-state record, written before the namespace is
// created, lets `rcnc clean` remove the namespace of a run that was killed (leftovers.ts).
// attach() finds pods someone else runs, for `rcnc collect` (k8s/attached.ts).
import { KubeConfig, type V1Taint } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Gaps } from '../../model/capabilities.ts';
import { isRcncError, RequirementError } from '../../util/errors.ts';
import { Teardown, trackForSignals } from '../../util/teardown.ts';
import { apiMessage, KubeClient, nodeReady } from '../k8s/apply.ts';
import { AttachedK8sTopology } from '../k8s/attached.ts';
import { readClusterInfo } from '../k8s/cluster-info.ts';
import { readSecret } from '../k8s/secrets.ts';
import { K8sTopology, type NodeAccess } from '../k8s/topology.ts';
import { REDIS_IMAGE } from '../k8s/versions.ts';
import { CapabilityError, type AttachSpec, type Provider, type Requirement, type TopologySpec } from '../provider.ts';
import { rollBack } from '../rollback.ts';
import { namespaceRecords, ownNamespaceRecord } from './leftovers.ts';

export interface KubeconfigProviderOptions {
  /** Path of the kubeconfig; default $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use; default the file's current-context. */
  context?: string;
  image?: string;
  /** Default: the cluster's default StorageClass; without one, emptyDirs (the `durable-data` gap). */
  storageClassName?: string;
  allowDebugContainers?: boolean;
  runId?: string;
  podReadyTimeoutMs?: number;
  /** Leave each topology's namespace in place at its stop (`rcnc reproduce --keep`); see `kept`. */
  keep?: boolean;
}

const API_TIMEOUT_MS = 10_000;

const withTimeout = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error(`${what}: no answer in ${API_TIMEOUT_MS}ms`)), API_TIMEOUT_MS).unref();
    }),
  ]);

const ONLY_API = 'a kubeconfig cluster is reached only through its API server';

/** Where a pod finds its service account token: client-node then loads the in-cluster config. */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Why no kubeconfig would be found without --kubeconfig, or undefined when one would. client-node's
 * loadFromDefault falls back to http://localhost:8080, whose error says nothing of the real cause.
 */
export function missingDefaultKubeconfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const listed = (env['KUBECONFIG'] ?? '').split(':').filter(Boolean);
  if (listed.length) {
    const absent = listed.filter((f) => !existsSync(f));
    return absent.length
      ? `$KUBECONFIG names ${absent.join(', ')}, which does not exist; pass --kubeconfig PATH`
      : undefined;
  }
  const home = env['HOME'] ? join(env['HOME'], '.kube', 'config') : undefined;
  if ((home && existsSync(home)) || existsSync(IN_CLUSTER_TOKEN)) {
    return undefined;
  }
  return `no kubeconfig: $KUBECONFIG is not set and ${home ?? '~/.kube/config ($HOME unset)'} does not exist (sudo changes $HOME to root's); pass --kubeconfig PATH`;
}

/** The provider's gaps on any cluster, declared up front (its cells skip those parts). */
export function kubeconfigGaps(allowDebugContainers = false): Gaps {
  return {
    'node-exec': `running commands on a node needs the k3d provider; ${ONLY_API}`,
    'node-faults': `stopping or partitioning nodes needs the k3d provider; ${ONLY_API}`,
    'host-netns': `${ONLY_API}: its pods' and nodes' network namespaces are out of this machine's reach`,
    'kill-container':
      'SIGKILL or SIGSTOP to a container needs its node (inside, PID 1 ignores them); the kubeconfig provider has none',
    ...(allowDebugContainers
      ? {}
      : { capture: `capturing needs an ephemeral debug container, which was not allowed; ${ONLY_API}` }),
  };
}

const GAPS = kubeconfigGaps();

/** Nodes are out of reach: everything goes through the API server. */
const NO_NODE_ACCESS: NodeAccess = {
  exec: () => Promise.reject(new CapabilityError('node-exec', GAPS['node-exec']!)),
  cniAddresses: async () => ({}),
  netnsPrefix: () => Promise.reject(new CapabilityError('host-netns', GAPS['host-netns']!)),
};

export class KubeconfigProvider implements Provider {
  readonly name = 'kubeconfig' as const;
  /** Those of every cluster (only the API server is used), and what check() learns of this one. */
  gaps: Gaps;
  /** Ready schedulable nodes, as check() found them. */
  nodeLimit?: number;
  /** With `keep`: the namespaces left in place, with the context they are in. */
  readonly kept: { namespace: string; context: string }[] = [];
  /** The API server's version, as check() found it. */
  serverVersion?: string;

  constructor(private readonly opts: KubeconfigProviderOptions = {}) {
    this.gaps = kubeconfigGaps(opts.allowDebugContainers);
  }

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
        const missing = missingDefaultKubeconfig();
        if (missing) {
          throw new RequirementError(missing);
        }
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
    const kube = new KubeClient(kc);
    try {
      const v = await withTimeout(kube.version.getCode(), server ?? 'API server');
      this.serverVersion = v.gitVersion;
      reqs.push({ name: 'API server', met: true, detail: `${server}: Kubernetes ${v.gitVersion}` });
    } catch (e) {
      reqs.push({
        name: 'API server',
        met: false,
        detail: `cannot reach the API server ${server} (context ${kc.getCurrentContext()}): ${apiMessage(e).split('\n')[0]}`,
      });
      return reqs;
    }
    try {
      await withTimeout(this.storage(kube), 'listing StorageClasses');
      this.nodeLimit = (await withTimeout(schedulableNodes(kube, 0), 'listing nodes')).length;
    } catch (e) {
      reqs.push({
        name: 'nodes and StorageClasses',
        met: false,
        detail: `cannot list nodes and StorageClasses: ${apiMessage(e).split('\n')[0]}`,
      });
    }
    return reqs;
  }

  async start(spec: TopologySpec): Promise<K8sTopology> {
    const kc = this.load();
    const kube = new KubeClient(kc);
    const id = randomBytes(3).toString('hex');
    const namespace = `rcnc-${id}`;
    const runId = this.opts.runId ?? id;
    const teardown = new Teardown();
    const untrack = trackForSignals({ stop: () => teardown.run() });
    teardown.defer('untrack signals', untrack);
    // Before the namespace exists: `rcnc clean` finds it if this process dies.
    const records = namespaceRecords();
    const where = { kubeconfig: this.opts.kubeconfig, context: kc.getCurrentContext() };
    await records.write(namespace, await ownNamespaceRecord(namespace, runId, where));
    teardown.defer('remove the run-state record', () => records.remove(namespace));
    try {
      const clusterInfo = await readClusterInfo(kube);
      const nodes = await schedulableNodes(kube, spec.nodes);
      const { ephemeralData } = await this.storage(kube);
      const topo = await K8sTopology.deploy({
        id,
        provider: 'kubeconfig',
        spec,
        kube,
        namespace,
        runId,
        nodeNames: nodes.slice(0, spec.nodes),
        image: this.opts.image ?? REDIS_IMAGE,
        storageClassName: this.opts.storageClassName,
        ephemeralData,
        access: NO_NODE_ACCESS,
        allowDebugContainers: !!this.opts.allowDebugContainers,
        podReadyTimeoutMs: this.opts.podReadyTimeoutMs ?? 300_000,
        teardown,
        deleteNamespace: true,
        clusterInfo,
        gaps: this.gaps,
      });
      if (this.opts.keep) {
        topo.keep();
        this.kept.push({ namespace, context: kc.getCurrentContext() });
      }
      return topo;
    } catch (e) {
      return rollBack(teardown, e, `could not deploy on ${kc.getCurrentContext()}`, apiMessage);
    }
  }

  /**
   * Where pods keep their data: the given class, else the default one; a cluster with no default
   * StorageClass (a bare kubeadm or upstream cluster has none) gets emptyDirs, and declares the
   * `durable-data` gap, so the cells that delete pods skip that part instead of failing.
   */
  private async storage(kube: KubeClient): Promise<{ ephemeralData: boolean }> {
    if (this.opts.storageClassName) {
      return { ephemeralData: false };
    }
    const classes = (await kube.storage.listStorageClass()).items;
    const isDefault = (a?: Record<string, string>) => a?.['storageclass.kubernetes.io/is-default-class'] === 'true';
    if (classes.some((c) => isDefault(c.metadata?.annotations))) {
      return { ephemeralData: false };
    }
    const have = classes.map((c) => c.metadata?.name).join(', ') || 'none';
    this.gaps = {
      ...this.gaps,
      'durable-data': `the cluster has no default StorageClass (has: ${have}): pods keep their data in an emptyDir, which a deleted pod loses`,
    };
    return { ephemeralData: true };
  }

  /** A Secret's keys and decoded values (rcnc collect's passwords and certificates). */
  async readSecret(namespace: string, name: string): Promise<Map<string, Buffer>> {
    return readSecret(new KubeClient(this.load()), namespace, name);
  }

  /** The pods of a Redis deployment that already runs (rcnc collect); nothing of it is changed. */
  async attach(spec: AttachSpec & { container?: string }): Promise<AttachedK8sTopology> {
    return AttachedK8sTopology.attach({
      kube: new KubeClient(this.load()),
      namespace: spec.namespace,
      selector: spec.selector,
      container: spec.container,
      allowDebug: !!this.opts.allowDebugContainers,
      runId: this.opts.runId ?? randomBytes(3).toString('hex'),
    });
  }
}

/**
 * The node lifecycle controller's taint for a node that is not Ready. It lags the Ready condition:
 * a node that just turned Ready still carries it for a moment (seen on upstream v1.34), and the
 * scheduler places pods there once it is gone.
 */
const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/** Ready, schedulable nodes without a NoSchedule/NoExecute taint (control planes refuse ordinary pods), in name order. */
async function schedulableNodes(kube: KubeClient, needed: number): Promise<string[]> {
  const refuses = (t: V1Taint) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && t.key !== NOT_READY_TAINT;
  const nodes = (await kube.core.listNode()).items
    .filter((n) => nodeReady(n) && !n.spec?.unschedulable)
    .filter((n) => !(n.spec?.taints ?? []).some(refuses))
    .map((n) => n.metadata?.name ?? '')
    .sort();
  if (nodes.length < needed) {
    throw new RequirementError(
      `the cluster has ${nodes.length} Ready schedulable node(s); this topology needs ${needed}`,
    );
  }
  return nodes;
}
