// The API-server side of a deploy: server-side apply, namespaces, and readiness by polling (every
// 1 s; a watch in client-node 1.4 has no working timeout, docs/kubernetes.md#readiness-and-waits). Every wait names what
// it waited for and the last state seen.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  StorageV1Api,
  VersionApi,
  type KubernetesObject,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { TopologyError } from '../../util/errors.ts';
import { waitFor } from '../../util/wait.ts';
import { MANAGER, namespaceManifest } from './manifests.ts';

export const isNotFound = (e: unknown): boolean => e instanceof ApiException && e.code === 404;

/** Waiting reasons after which waiting longer does not help. */
const FATAL_WAITING = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export function podReady(pod: V1Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** One line about where a pod is on its way to Ready, for wait messages. */
export function describePod(pod: V1Pod): { state: string; fatal?: string } {
  const st = pod.status;
  const cs = st?.containerStatuses?.[0];
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
    const last = cs?.lastState?.terminated;
    const exit = last ? ` (last exit ${last.exitCode}${last.reason ? ` ${last.reason}` : ''})` : '';
    return {
      state: `${waiting.reason}${exit}`,
      fatal: `${waiting.reason}${exit}: ${waiting.message ?? 'no message'}`,
    };
  }
  const unscheduled = st?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) {
    return { state: `unschedulable: ${unscheduled.message ?? unscheduled.reason ?? '?'}` };
  }
  if (waiting) {
    return { state: `waiting: ${waiting.reason ?? '?'}` };
  }
  const ready = podReady(pod) ? 'ready' : 'not ready';
  return { state: `${st?.phase ?? 'Pending'}, ${ready}, restarts ${cs?.restartCount ?? 0}` };
}

export function nodeReady(node: V1Node): boolean {
  return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class KubeClient {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly storage: StorageV1Api;
  readonly version: VersionApi;
  readonly objects: KubernetesObjectApi;
  readonly exec: Exec;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.storage = kc.makeApiClient(StorageV1Api);
    this.version = kc.makeApiClient(VersionApi);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.exec = new Exec(kc);
  }

  /** Creates or updates with server-side apply (no last-applied annotation, which Calico's CRDs outgrow). */
  apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.objects.patch(obj, undefined, undefined, MANAGER, true, PatchStrategy.ServerSideApply);
  }

  async applyAll(objs: KubernetesObject[]): Promise<void> {
    for (const o of objs) {
      try {
        await this.apply(o);
      } catch (e) {
        throw new TopologyError(`applying ${o.kind}/${o.metadata?.name ?? '?'} failed: ${apiMessage(e)}`, { cause: e });
      }
    }
  }

  async createNamespace(name: string, runId: string): Promise<void> {
    await this.apply(namespaceManifest(name, runId));
  }

  /** Deletes the namespace and waits until it is gone (its pods and claims go with it). */
  async deleteNamespace(name: string, timeoutMs = 120_000): Promise<void> {
    try {
      await this.core.deleteNamespace({ name, propagationPolicy: 'Foreground' });
    } catch (e) {
      if (isNotFound(e)) {
        return;
      }
      throw e;
    }
    await waitFor({
      target: `namespace ${name} deleted`,
      timeoutMs,
      intervalMs: 1000,
      check: async () => {
        try {
          const ns = await this.core.readNamespace({ name });
          return { done: false, state: ns.status?.phase ?? 'present' };
        } catch (e) {
          if (isNotFound(e)) {
            return { done: true, state: 'gone' };
          }
          throw e;
        }
      },
    });
  }

  async waitForNodesReady(count: number, timeoutMs: number, signal?: AbortSignal): Promise<V1Node[]> {
    const r = await waitFor<V1Node[]>({
      target: `${count} node(s) Ready`,
      timeoutMs,
      intervalMs: 1000,
      signal,
      check: async () => {
        const nodes = (await this.core.listNode()).items;
        const ready = nodes.filter(nodeReady);
        return {
          done: nodes.length === count && ready.length === count,
          state: `${ready.length}/${nodes.length} Ready: ${nodes.map((n) => `${n.metadata?.name}=${nodeReady(n) ? 'Ready' : 'NotReady'}`).join(' ')}`,
          value: nodes,
        };
      },
    });
    return r.value!;
  }

  /** Waits until one node reports Ready (after it was started again). */
  async waitForNodeReady(name: string, timeoutMs: number): Promise<V1Node> {
    const r = await waitFor<V1Node>({
      target: `node ${name} Ready`,
      timeoutMs,
      intervalMs: 1000,
      check: async () => {
        const node = await this.core.readNode({ name });
        return { done: nodeReady(node), state: nodeReady(node) ? 'Ready' : 'NotReady', value: node };
      },
    });
    return r.value!;
  }

  /**
   * Waits until the pod is Ready and `accept` (if given) has no objection, e.g. "this is still the
   * deleted predecessor" or "the container has not restarted since the node came back".
   */
  async waitForPodReady(
    namespace: string,
    name: string,
    timeoutMs: number,
    accept?: (pod: V1Pod) => string | undefined,
  ): Promise<V1Pod> {
    const r = await waitFor<V1Pod>({
      target: `pod ${namespace}/${name} Ready`,
      timeoutMs,
      intervalMs: 1000,
      isFatal: (e) => e instanceof TopologyError,
      check: async () => {
        const pod = await this.core.readNamespacedPod({ name, namespace });
        const objection = accept?.(pod);
        if (objection) {
          return { done: false, state: objection };
        }
        const d = describePod(pod);
        if (d.fatal) {
          throw new TopologyError(`pod ${name} cannot start: ${d.fatal}`);
        }
        return { done: podReady(pod), state: d.state, value: pod };
      },
    });
    return r.value!;
  }

  async waitForPodGone(namespace: string, name: string, uid: string, timeoutMs: number): Promise<void> {
    await waitFor({
      target: `pod ${namespace}/${name} (uid ${uid}) gone`,
      timeoutMs,
      intervalMs: 500,
      check: async () => {
        try {
          const pod = await this.core.readNamespacedPod({ name, namespace });
          return {
            done: pod.metadata?.uid !== uid,
            state: pod.metadata?.deletionTimestamp ? 'terminating' : 'running',
          };
        } catch (e) {
          if (isNotFound(e)) {
            return { done: true, state: 'gone' };
          }
          throw e;
        }
      },
    });
  }
}

/** The API server's own message (`body.message`) rather than the client's generic one. */
export function apiMessage(e: unknown): string {
  if (e instanceof ApiException) {
    const body: unknown = e.body;
    let message: string | undefined;
    if (typeof body === 'string') {
      try {
        message = (JSON.parse(body) as { message?: string }).message;
      } catch {
        message = body;
      }
    } else if (body && typeof body === 'object' && 'message' in body) {
      message = String((body as { message: unknown }).message);
    }
    return `HTTP ${e.code}: ${message ?? e.message.split('\n')[0]}`;
  }
  return e instanceof Error ? e.message : String(e);
}
