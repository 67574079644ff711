// The k3d cluster as data: a k3d.io/v1alpha5 Simple config (fed to `k3d cluster create --config -`
// on stdin, docs/kubernetes.md#k3d-cluster-config), the names k3d derives from it, and the kubeconfig rewrite.
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { CALICO_POOL, type Cni } from '../../model/profiles.ts';
import { UsageError } from '../../util/errors.ts';
import { NODEPORT_RANGE } from '../k8s/manifests.ts';
import { K3S_IMAGE } from '../k8s/versions.ts';

// Which CNI and Calico mode each profile is on k3d, and Calico's pool, are the profile table's.
export type { CalicoMode, Cni } from '../../model/profiles.ts';

/** Calico's pool; k3s must hand out node CIDRs from the same range (k3d docs, calico.md). */
export const CALICO_CLUSTER_CIDR = CALICO_POOL;
/** Label on every node container, so leftovers of a killed run can be found by run id. */
export const RUN_ID_RUNTIME_LABEL = 'rcnc.run-id';
const MAX_CLUSTER_NAME = 32; // k3d rejects longer names (they become host names)
const ALL_NODES = ['server:*', 'agent:*'];
/** Where every node sees the shared data dir. */
export const K3D_DATA_ROOT = '/var/lib/rcnc-data';

export interface K3dClusterOptions {
  name: string;
  runId: string;
  /** Nodes besides the server; node index i ≥ 1 is agent i-1. */
  agents: number;
  cni: Cni;
  image?: string;
  /**
   * NodePorts published on the host through server-0. Only where node IPs are not routable from
   * the host (Docker Desktop): Docker adds a proxy per published port, and a large range is
   * documented as very slow (k3d docs/usage/exposing_services.md).
   */
  publishNodePorts?: number[];
  /**
   * Host directory bind-mounted into every node at K3D_DATA_ROOT: pods keep their data dirs there,
   * so a pod rescheduled to another node finds its data (what network storage gives).
   */
  sharedDataDir?: string;
  /**
   * Keep k3s ServiceLB (klipper-lb) running, for topologies with LoadBalancer Services: it serves
   * them on every node's IP as k3d users get it (docs/kubernetes.md#servicelb).
   */
  serviceLb?: boolean;
  /** More container labels, e.g. a testcontainers session id so Ryuk reaps the nodes. */
  runtimeLabels?: Record<string, string>;
  timeoutSeconds?: number;
}

interface NodeFiltered {
  nodeFilters: string[];
}

/** The subset of k3d's v1alpha5 Simple config the suite sets (k3d docs/usage/configfile.md). */
export interface K3dSimpleConfig {
  apiVersion: 'k3d.io/v1alpha5';
  kind: 'Simple';
  metadata: { name: string };
  servers: number;
  agents: number;
  image: string;
  ports: (NodeFiltered & { port: string })[];
  volumes: (NodeFiltered & { volume: string })[];
  options: {
    k3d: { wait: boolean; timeout: string; disableLoadbalancer: boolean };
    k3s: { extraArgs: (NodeFiltered & { arg: string })[] };
    kubeconfig: { updateDefaultKubeconfig: boolean; switchCurrentContext: boolean };
    runtime: { labels: (NodeFiltered & { label: string })[] };
  };
}

/** k3s' --disable flag: the add-ons no datapath under test uses. */
export const k3sDisable = (serviceLb = false): string =>
  `--disable=${['traefik', ...(serviceLb ? [] : ['servicelb']), 'metrics-server'].join(',')}`;

export const newClusterName = (): string => `rcnc-${randomBytes(3).toString('hex')}`;

/** Docker container (and Kubernetes node) name of node index i. */
export const nodeContainer = (cluster: string, index: number): string =>
  index === 0 ? `k3d-${cluster}-server-0` : `k3d-${cluster}-agent-${index - 1}`;

export const clusterNetwork = (cluster: string): string => `k3d-${cluster}`;

export function k3dConfig(o: K3dClusterOptions): K3dSimpleConfig {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.name) || o.name.length > MAX_CLUSTER_NAME) {
    throw new UsageError(`k3d cluster name "${o.name}" must be a DNS label of at most ${MAX_CLUSTER_NAME} chars`);
  }
  if (!Number.isInteger(o.agents) || o.agents < 0 || o.agents > 9) {
    throw new UsageError(`a k3d cluster here has 0 to 9 agents, got ${o.agents}`);
  }
  const servers = ['server:*'];
  const k3sArgs = [
    // No ingress controller; no LoadBalancer controller unless the topology has LoadBalancer
    // Services: servicelb binds host ports on every node, part of no other datapath under test.
    k3sDisable(o.serviceLb),
    // Pinned, not left to a k3s default: the fixed nodePorts of the scenarios must fall inside.
    `--service-node-port-range=${NODEPORT_RANGE.min}-${NODEPORT_RANGE.max}`,
  ];
  if (o.cni === 'calico') {
    // k3d docs/usage/advanced/calico.md: no flannel, no k3s network-policy controller (Calico
    // enforces policy), and the cluster CIDR Calico's pool uses.
    k3sArgs.push('--flannel-backend=none', '--disable-network-policy', `--cluster-cidr=${CALICO_CLUSTER_CIDR}`);
  }
  const labels = { [RUN_ID_RUNTIME_LABEL]: o.runId, ...(o.runtimeLabels ?? {}) };
  return {
    apiVersion: 'k3d.io/v1alpha5',
    kind: 'Simple',
    metadata: { name: o.name },
    servers: 1,
    agents: o.agents,
    image: o.image ?? K3S_IMAGE,
    ports: (o.publishNodePorts ?? []).map((p) => ({ port: `${p}:${p}`, nodeFilters: ['server:0'] })),
    volumes: o.sharedDataDir ? [{ volume: `${o.sharedDataDir}:${K3D_DATA_ROOT}`, nodeFilters: ALL_NODES }] : [],
    options: {
      // k3d's wait only watches node log lines, not Ready; the provider waits for Ready itself.
      k3d: { wait: true, timeout: `${o.timeoutSeconds ?? 180}s`, disableLoadbalancer: true },
      k3s: { extraArgs: k3sArgs.map((arg) => ({ arg, nodeFilters: servers })) },
      // Never touch the user's ~/.kube/config: the provider reads the kubeconfig itself.
      kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false },
      runtime: {
        labels: Object.entries(labels).map(([k, v]) => ({ label: `${k}=${v}`, nodeFilters: ALL_NODES })),
      },
    },
  };
}

export const renderK3dConfig = (o: K3dClusterOptions): string => dumpYaml(k3dConfig(o));

interface KubeconfigDoc {
  clusters?: { name?: string; cluster?: { server?: string } }[];
}

const UNSPECIFIED = new Set(['0.0.0.0', '[::]', '::']);

/**
 * k3d writes the API server as `https://0.0.0.0:<port>` (its DefaultAPIHost), the address it
 * binds, which is not one to dial; point it at `host` instead, keeping the port.
 */
export function rewriteKubeconfig(yaml: string, host = '127.0.0.1'): string {
  const doc = loadYaml<KubeconfigDoc>(yaml);
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  for (const c of doc.clusters ?? []) {
    const server = c.cluster?.server;
    if (!server || !c.cluster) {
      continue;
    }
    const u = new URL(server);
    if (UNSPECIFIED.has(u.hostname)) {
      c.cluster.server = `${u.protocol}//${hostPart}${u.port ? `:${u.port}` : ''}${u.pathname === '/' ? '' : u.pathname}`;
    }
  }
  return dumpYaml(doc);
}

/** Where the API port published by the Docker daemon is reached: the daemon's host. */
export function apiHostFor(env: NodeJS.ProcessEnv = process.env): string {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost && /^(tcp|ssh|https?):\/\//.test(dockerHost)) {
    return new URL(dockerHost).hostname || '127.0.0.1';
  }
  return '127.0.0.1';
}
