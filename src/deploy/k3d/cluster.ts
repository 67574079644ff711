// Starting and deleting one k3d cluster, in phases with their own time bounds. A start that fails
// or runs out of time in any phase removes everything it made (the cluster, its shared data dir,
// its run-state record) and says which phase failed, after how long, and whether the removal
// worked; nothing is left for a later cell to trip over. The sum of the phase bounds is what a
// test that may start a cluster must allow (suite/vitest-projects.ts).
//
// Topologies use the agents only (docs/kubernetes.md#k3d-nodes-and-faults): the server runs the
// API server, through which every exec, log and delete goes, so no fault may touch it.
import { mkdir, rm } from 'node:fs/promises';
import { TopologyError } from '../../util/errors.ts';
import { Teardown, trackForSignals } from '../../util/teardown.ts';
import type { KubeClient } from '../k8s/apply.ts';
import type { ClusterInfo } from '../k8s/cluster-info.ts';
import { K3S_IMAGE } from '../k8s/versions.ts';
import type { K3dBackend } from './backend.ts';
import { K3D_PHASE_BOUNDS_MS } from './budgets.ts';
import { clusterNetwork, K3D_DATA_ROOT, nodeContainer, renderK3dConfig, type CalicoMode } from './config.ts';
import { clusterRecords, ownClusterRecord } from './leftovers.ts';

export interface ClusterOptions {
  name: string;
  runId: string;
  cni: { cni: 'flannel' } | { cni: 'calico'; calicoMode: CalicoMode };
  agents: number;
  k3sImage?: string;
  /** Preloaded into the nodes when this machine has it. */
  podImage: string;
  calicoOperatorManifest?: string;
  /** Whether the daemon shares this machine's file system (the data dir is bind-mounted from here). */
  localDaemon: boolean;
  /** NodePorts to publish on the host (Docker Desktop only). */
  publishNodePorts?: number[];
  /** Run k3s's ServiceLB (for topologies with LoadBalancer Services). */
  serviceLb?: boolean;
  /** Leave the cluster in place at delete() (debugging). */
  keep?: boolean;
  log?: (line: string) => void;
  /** Phase bounds (tests shorten them); default K3D_PHASE_BOUNDS_MS. */
  bounds?: Partial<Record<keyof typeof K3D_PHASE_BOUNDS_MS, number>>;
  /** Where the run-state record goes (default: this user's run-state root). */
  stateRoot?: string;
}

export interface StartedCluster {
  readonly name: string;
  readonly kube: KubeClient;
  /** Kubernetes node name (= container name) of each agent: the nodes topologies use. */
  readonly agents: readonly string[];
  readonly server: string;
  /** Where every node sees the same data dirs (a bind mount of one host dir). */
  readonly sharedDataRoot?: string;
  /** This machine's address on the cluster's network (the external client). */
  readonly externalIP?: string;
  readonly clusterInfo?: ClusterInfo;
  readonly backend: K3dBackend;
  delete(): Promise<void>;
}

/** Runs one phase under its bound; the error names the phase and the time it took. */
async function phase<T>(name: string, boundMs: number, step: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within its bound of ${boundMs / 1000}s`)), boundMs);
  });
  try {
    return await Promise.race([step(), bound]);
  } catch (e) {
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    throw new PhaseError(name, `${name} failed after ${s}s: ${(e as Error).message}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

class PhaseError extends TopologyError {
  constructor(
    readonly phase: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Creates the cluster, installs its CNI and waits until every node is Ready. On failure, removes
 * what it made and rejects with a TopologyError naming the phase (and any removal failure).
 */
export async function startCluster(backend: K3dBackend, o: ClusterOptions): Promise<StartedCluster> {
  const teardown = new Teardown();
  // A signal while the cluster starts removes what exists of it; once started, the pool that
  // holds the cluster answers for it.
  const untrack = trackForSignals({ stop: () => teardown.run() });
  try {
    return await startPhases(backend, o, teardown);
  } catch (e) {
    const undo = await teardown.run().then(
      () => (o.keep ? 'kept for inspection (RCNC_KEEP_K3D=1)' : 'what it made was removed'),
      (te: unknown) => `removing what it made also failed: ${(te as Error).message}`,
    );
    const what = `k3d ${o.cni.cni} cluster ${o.name}`;
    const why = e instanceof PhaseError ? e.message : `start failed: ${(e as Error).message}`;
    throw new TopologyError(`${what}: ${why}; ${undo}`, { cause: e });
  } finally {
    untrack();
  }
}

async function startPhases(backend: K3dBackend, o: ClusterOptions, teardown: Teardown): Promise<StartedCluster> {
  const B = { ...K3D_PHASE_BOUNDS_MS, ...o.bounds };
  // Same path here and in the daemon's view when the daemon is local.
  const sharedDataDir = `/tmp/rcnc-k3d-${o.name}`;
  if (o.localDaemon) {
    await mkdir(sharedDataDir, { recursive: true });
    teardown.defer('remove the shared data dir', () => rm(sharedDataDir, { recursive: true, force: true }));
  }
  // The record comes first and goes last: `rcnc clean` finds the cluster if this process dies.
  const records = clusterRecords(o.stateRoot);
  await records.write(o.name, await ownClusterRecord(o.name, o.runId));
  teardown.defer('remove the run-state record', () => records.remove(o.name));
  if (!o.keep) {
    // Registered before create: a half-created cluster is removed too.
    teardown.defer(`delete k3d cluster ${o.name}`, () => backend.deleteCluster(o.name));
  }
  const server = nodeContainer(o.name, 0);
  const agents = Array.from({ length: o.agents }, (_, i) => nodeContainer(o.name, i + 1));
  o.log?.(`creating k3d cluster ${o.name} (${o.cni.cni}, 1 server + ${o.agents} agents)`);
  const config = renderK3dConfig({
    name: o.name,
    runId: o.runId,
    agents: o.agents,
    cni: o.cni.cni,
    image: o.k3sImage ?? K3S_IMAGE,
    publishNodePorts: o.publishNodePorts ?? [],
    sharedDataDir,
    serviceLb: o.serviceLb,
  });
  await phase('k3d cluster create', B.create, () => backend.createCluster(o.name, config, B.create));
  if (!o.keep) {
    // Pods write as root into the shared dir: empty it from inside before the nodes go.
    teardown.defer('empty the shared data dir', () =>
      backend
        .docker(['exec', server, 'sh', '-c', `rm -rf ${K3D_DATA_ROOT}/*`], { reject: false })
        .then(() => undefined),
    );
  }
  const api = backend.connect(await phase('kubeconfig', B.kubeconfig, () => backend.kubeconfig(o.name)));
  await phase('image import', B.importImage, () => backend.importImage(o.name, o.podImage, B.importImage));
  if (o.cni.cni === 'calico') {
    const mode = o.cni.calicoMode;
    await phase('Calico install', B.calico, () =>
      api.installCalico(mode, { operatorManifest: o.calicoOperatorManifest, log: o.log }),
    );
  }
  await phase('nodes Ready', B.nodesReady, () => api.waitForNodesReady(o.agents + 1, B.nodesReady));
  return {
    name: o.name,
    kube: api.kube,
    agents,
    server,
    sharedDataRoot: K3D_DATA_ROOT,
    externalIP: await backend.networkGateway(clusterNetwork(o.name)),
    clusterInfo: await api.clusterInfo(),
    backend,
    delete: () => teardown.run(),
  };
}
