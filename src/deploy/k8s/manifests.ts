// Typed Kubernetes manifests: (1) a provider TopologySpec translated object by object, and (2) a
// whole Redis Cluster as a StatefulSet, the shape users run and can dump for their own clusters.
//
// Why a TopologySpec pod becomes a bare Pod + PVC and not a one-replica StatefulSet:
// - The pod keeps the spec's name, so `$(POD_NAME)` is the downward API's metadata.name, exec
//   targets, logs and artifacts carry the same names as in the netns lab, and no `<name>-0`
//   mapping can drift.
// - deletePod is explicit and bounded: delete, wait until the old pod is gone, create the same
//   manifest, wait Ready. A controller's recreation adds its own timing to what is measured, and
//   on a stopped node a StatefulSet does not replace the pod either (at-most-one semantics).
// - The PVC is a separate object, so it outlives the pod exactly like a StatefulSet's claim.
// The per-pod Services select `statefulset.kubernetes.io/pod-name`, which the Pod carries as a
// plain label here, so the Service objects are identical in both shapes.
//
// The data dir is a claim on the cluster's default StorageClass, or, where the provider has one,
// a directory shared by every node (k3d bind-mounts one host dir into all node containers): then
// the data follows a pod rescheduled to another node, as network storage would, while k3s'
// local-path volumes are pinned to the node that first used them. A cluster with neither (no
// StorageClass at all, as a bare kubeadm or upstream cluster has) gets an emptyDir, which lasts as
// long as the pod: its provider declares the `durable-data` gap.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Service,
  V1StatefulSet,
  V1Volume,
} from '@kubernetes/client-node';
import { dumpYaml } from '@kubernetes/client-node';
import type { Exposure, TrafficPolicy } from '../../model/dimensions.ts';
import { UsageError } from '../../util/errors.ts';
import { checkPodNames, isDnsLabel } from '../pod-names.ts';
import type {
  HeadlessServiceSpec,
  LoadBalancerServiceSpec,
  NodePortServiceSpec,
  PodSpec,
  TopologySpec,
} from '../provider.ts';
import {
  BUS_NODEPORT_BASE,
  BUS_PORT_INCR,
  CLIENT_NODEPORT_BASE,
  REDIS_PORT,
  redisConf,
  redisServices,
  type RedisClusterPlan,
  type RedisMember,
} from '../redis-cluster.ts';
import { REDIS_IMAGE } from './versions.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const RUN_ID_LABEL = 'rcnc.io/run-id';
/** Which headless Service selects a pod (its `subdomain`). */
export const HEADLESS_LABEL = 'rcnc.io/headless';
export const MANAGER = 'rcnc';
/** The one container of a topology pod; exec and logs address it by this name. */
export const CONTAINER = 'main';
/** Mount paths behind `$(CONFIG_DIR)` and `$(DATA_DIR)`. */
export const CONFIG_DIR = '/etc/rcnc';
export const DATA_DIR = '/data';
/** k3s' default NodePort range; Services outside it are rejected by the API server. */
export const NODEPORT_RANGE = { min: 30000, max: 32767 } as const;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

export interface TopologyManifestOptions {
  namespace: string;
  runId: string;
  image: string;
  /** Kubernetes node name of each node index. */
  nodeNames: readonly string[];
  /** Unset: the cluster's default StorageClass (local-path on k3s). */
  storageClassName?: string;
  dataSize?: string;
  /** A node path present on every node with the same content; data dirs go below it, no claims. */
  sharedDataRoot?: string;
  /** No storage to claim: the data dir is an emptyDir, gone with the pod. */
  ephemeralData?: boolean;
}

const labels = (runId: string, extra: Record<string, string> = {}) => ({
  [MANAGED_BY_LABEL]: MANAGER,
  [RUN_ID_LABEL]: runId,
  ...extra,
});

export function namespaceManifest(name: string, runId: string): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: labels(runId) } };
}

/**
 * `$(VAR)` in command/args is expanded by the kubelet from the container's env each time the
 * container starts, and unknown references stay as written: the netns lab's rule exactly.
 */
export function downwardEnv(): V1EnvVar[] {
  const field = (name: string, fieldPath: string): V1EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return [
    field('POD_IP', 'status.podIP'),
    field('HOST_IP', 'status.hostIP'),
    field('POD_NAME', 'metadata.name'),
    { name: 'CONFIG_DIR', value: CONFIG_DIR },
    { name: 'DATA_DIR', value: DATA_DIR },
  ];
}

export const configMapName = (pod: string) => `${pod}-config`;
export const claimName = (pod: string) => `${pod}-data`;
export const sharedDataPath = (root: string, namespace: string, pod: string) => `${root}/${namespace}/${pod}`;

export function configMapManifest(p: PodSpec, o: TopologyManifestOptions): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(p.name), namespace: o.namespace, labels: labels(o.runId) },
    data: { ...(p.files ?? {}) },
  };
}

export function claimManifest(p: PodSpec, o: TopologyManifestOptions): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName(p.name), namespace: o.namespace, labels: labels(o.runId) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: o.dataSize ?? '64Mi' } },
      ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}),
    },
  };
}

export function podManifest(p: PodSpec, o: TopologyManifestOptions, headless?: HeadlessServiceSpec): V1Pod {
  const node = o.nodeNames[p.node];
  if (!node) {
    throw new UsageError(`pod ${p.name} is placed on node ${p.node}, which does not exist`);
  }
  const container: V1Container = {
    name: CONTAINER,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    // `command` replaces the image's entrypoint: the argv runs as given, as in the lab.
    command: p.command,
    // Relative paths in the argv (redis' nodes.conf) land on the volume that survives deletion,
    // as the lab runs every pod with its data dir as cwd.
    workingDir: DATA_DIR,
    env: downwardEnv(),
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'data', mountPath: DATA_DIR },
    ],
  };
  if (p.readiness) {
    // `readiness` gates the start, as the lab runs it (until it exits 0, then never again): a
    // startupProbe, with no readinessProbe, makes the container Ready once it succeeds and stops
    // probing (kubelet's prober_manager: no readiness worker means ready once started). A
    // readinessProbe every second instead costs a runc exec per pod per second for the pod's whole
    // life: four pods kept most of a core busy here. Its failures only count up to the
    // threshold, which outlasts every provider's wait for the pod (a failed start is that wait's
    // error, not a restart).
    container.startupProbe = {
      exec: { command: p.readiness },
      periodSeconds: 1,
      timeoutSeconds: 2,
      failureThreshold: 300,
    };
  }
  const data: V1Volume = o.sharedDataRoot
    ? {
        name: 'data',
        hostPath: { path: sharedDataPath(o.sharedDataRoot, o.namespace, p.name), type: 'DirectoryOrCreate' },
      }
    : o.ephemeralData
      ? { name: 'data', emptyDir: {} }
      : { name: 'data', persistentVolumeClaim: { claimName: claimName(p.name) } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: o.namespace,
      labels: labels(o.runId, { [POD_NAME_LABEL]: p.name, ...(headless ? { [HEADLESS_LABEL]: headless.name } : {}) }),
    },
    spec: {
      // What a StatefulSet sets: the pod's own A record `<pod>.<headless>.<namespace>.svc`.
      ...(headless ? { hostname: p.name, subdomain: headless.name } : {}),
      // nodeSelector, not nodeName: nodeName skips the scheduler, and the scheduler is what binds
      // a WaitForFirstConsumer claim (k3s local-path) to a node; the pod would stay Pending.
      nodeSelector: { 'kubernetes.io/hostname': node },
      hostNetwork: !!p.hostNetwork,
      dnsPolicy: p.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      // Pods get no API credentials: everything they learn comes from the downward API.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // SIGTERM, then SIGKILL after 2 s: the lab's deletePod, so both providers restart alike.
      terminationGracePeriodSeconds: 2,
      restartPolicy: 'Always',
      containers: [container],
      volumes: [{ name: 'config', configMap: { name: configMapName(p.name) } }, data],
    },
  };
}

export function nodePortServiceManifest(s: NodePortServiceSpec, namespace: string, runId: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace, labels: labels(runId) },
    spec: {
      type: 'NodePort',
      externalTrafficPolicy: s.externalTrafficPolicy,
      selector: { [POD_NAME_LABEL]: s.pod },
      ports: s.ports.map((p) => ({
        name: p.name,
        protocol: 'TCP',
        port: p.port,
        targetPort: p.targetPort,
        nodePort: p.nodePort,
      })),
    },
  };
}

/**
 * A LoadBalancer Service selecting one pod. On k3s, ServiceLB (klipper-lb) serves it with a svclb
 * DaemonSet and publishes every node's IP as ingress (docs/kubernetes.md#servicelb); the fixed
 * nodePorts keep the lab's and a real cluster's rules comparable.
 */
export function loadBalancerServiceManifest(s: LoadBalancerServiceSpec, namespace: string, runId: string): V1Service {
  const svc = nodePortServiceManifest({ ...s }, namespace, runId);
  return { ...svc, spec: { ...svc.spec, type: 'LoadBalancer' } };
}

/**
 * A headless Service for the pods' DNS names: no cluster IP, no ports, and not-ready pods published
 * (CoreDNS answers for a pod as soon as it has an IP, as StatefulSets' peers need at start).
 */
export function headlessServiceManifest(h: HeadlessServiceSpec, namespace: string, runId: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: h.name, namespace, labels: labels(runId) },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { [HEADLESS_LABEL]: h.name } },
  };
}

/** Rejects what the API server would reject later, with the spec's own names in the message. */
export function validateTopologySpec(spec: TopologySpec, nodeCount: number): void {
  // `-config` / `-data` suffixes must still fit a 63-char name.
  const names = checkPodNames(spec.pods, 56);
  for (const p of spec.pods) {
    if (!(Number.isInteger(p.node) && p.node >= 0 && p.node < nodeCount)) {
      throw new UsageError(`pod ${p.name} is placed on node ${p.node}, but the cluster has ${nodeCount} node(s)`);
    }
    for (const file of Object.keys(p.files ?? {})) {
      if (!CONFIG_KEY.test(file)) {
        throw new UsageError(`pod ${p.name}: file name "${file}" cannot be a ConfigMap key (letters, digits, -._)`);
      }
    }
  }
  const selected = new Set<string>();
  for (const h of spec.headless ?? []) {
    if (!isDnsLabel(h.name)) {
      throw new UsageError(`headless service name "${h.name}" is not a DNS label`);
    }
    for (const pod of h.pods) {
      if (!names.has(pod)) {
        throw new UsageError(`headless service ${h.name} selects pod ${pod}, which is not in the spec`);
      }
      if (selected.has(pod)) {
        throw new UsageError(`pod ${pod} is in two headless services; a pod has one subdomain`);
      }
      selected.add(pod);
    }
  }
  const nodePorts = new Set<number>();
  for (const s of [...(spec.services ?? []), ...(spec.loadBalancers ?? [])]) {
    if (!names.has(s.pod)) {
      throw new UsageError(`service ${s.name} selects pod ${s.pod}, which is not in the spec`);
    }
    for (const port of s.ports) {
      if (port.nodePort < NODEPORT_RANGE.min || port.nodePort > NODEPORT_RANGE.max) {
        throw new UsageError(
          `service ${s.name}: nodePort ${port.nodePort} is outside ${NODEPORT_RANGE.min}-${NODEPORT_RANGE.max}`,
        );
      }
      if (nodePorts.has(port.nodePort)) {
        throw new UsageError(`service ${s.name}: nodePort ${port.nodePort} is used twice`);
      }
      nodePorts.add(port.nodePort);
    }
  }
}

export interface PodObjects {
  configMap: V1ConfigMap;
  /** Absent when the data dir is on the shared node path or an emptyDir. */
  claim?: V1PersistentVolumeClaim;
  pod: V1Pod;
}

/** Everything a TopologySpec becomes, in apply order (the Namespace is applied separately). */
export function topologyManifests(spec: TopologySpec, o: TopologyManifestOptions) {
  validateTopologySpec(spec, o.nodeNames.length);
  const pods = new Map<string, PodObjects>(
    spec.pods.map((p) => [
      p.name,
      {
        configMap: configMapManifest(p, o),
        ...(o.sharedDataRoot || o.ephemeralData ? {} : { claim: claimManifest(p, o) }),
        pod: podManifest(
          p,
          o,
          spec.headless?.find((h) => h.pods.includes(p.name)),
        ),
      },
    ]),
  );
  const services = [
    ...(spec.headless ?? []).map((h) => headlessServiceManifest(h, o.namespace, o.runId)),
    ...(spec.services ?? []).map((s) => nodePortServiceManifest(s, o.namespace, o.runId)),
    ...(spec.loadBalancers ?? []).map((s) => loadBalancerServiceManifest(s, o.namespace, o.runId)),
  ];
  return { pods, services };
}

// --- a Redis Cluster as users deploy it ---------------------------------------------------------

export interface RedisStatefulSetOptions {
  /** StatefulSet name; pods are `<name>-<ordinal>`. */
  name?: string;
  namespace: string;
  replicas: number;
  exposure: Exposure;
  policy?: TrafficPolicy;
  /** Start every pod with cluster-announce-ip/port/bus-port for its exposure. */
  announce: boolean;
  image?: string;
  nodeTimeoutMs?: number;
  persistence?: boolean;
  storageClassName?: string;
  dataSize?: string;
  /** Labels added to every object (e.g. a run id). */
  labels?: Record<string, string>;
}

const REDIS_CONFIG_DIR = '/etc/redis';

function redisPlan(o: RedisStatefulSetOptions, name: string): RedisClusterPlan {
  return {
    exposure: o.exposure,
    policy: o.policy ?? 'Cluster',
    members: Array.from({ length: o.replicas }, (_, i): RedisMember => ({
      name: `${name}-${i}`,
      ordinal: i,
      node: 0,
      announce: o.announce,
    })),
    nodeTimeoutMs: o.nodeTimeoutMs ?? 5000,
    redisServer: 'redis-server',
    redisCli: 'redis-cli',
    persistence: o.persistence,
  };
}

/**
 * The container's start script. Every pod runs the same template, so what differs per pod is
 * derived at start from the downward API: the ordinal from POD_NAME, the node from HOST_IP. The
 * ports follow redis-cluster.ts' memberPorts (host network: 6379+ordinal; NodePorts: bases +
 * ordinal), so a StatefulSet and the suite's own deploys announce the same addresses. No RBAC,
 * no API lookups inside the pod.
 */
export function redisStartScript(o: Pick<RedisStatefulSetOptions, 'exposure' | 'announce'>): string {
  const port = o.exposure === 'host-network' ? `$((${REDIS_PORT} + ordinal))` : String(REDIS_PORT);
  const lines = [
    'set -eu',
    'ordinal="${POD_NAME##*-}"',
    `port=${port}`,
    `set -- redis-server ${REDIS_CONFIG_DIR}/redis.conf --port "$port"`,
  ];
  if (o.announce) {
    switch (o.exposure) {
      case 'pod-ip':
        lines.push('set -- "$@" --cluster-announce-ip "$POD_IP"');
        break;
      case 'nodeport':
        lines.push(
          'set -- "$@" --cluster-announce-ip "$HOST_IP"' +
            ` --cluster-announce-port "$((${CLIENT_NODEPORT_BASE} + ordinal))"` +
            ` --cluster-announce-bus-port "$((${BUS_NODEPORT_BASE} + ordinal))"`,
        );
        break;
      case 'host-network':
        lines.push(
          'set -- "$@" --cluster-announce-ip "$HOST_IP" --cluster-announce-port "$port"' +
            ` --cluster-announce-bus-port "$((port + ${BUS_PORT_INCR}))"`,
        );
        break;
      case 'loadbalancer':
        throw new UsageError('a Redis Cluster StatefulSet has no loadbalancer exposure (see sentinelManifests)');
    }
  }
  lines.push('exec "$@"', '');
  return lines.join('\n');
}

/**
 * ConfigMap (redis.conf + start script), headless Service, StatefulSet with a claim per pod, and
 * for NodePort one Service per pod selected by statefulset.kubernetes.io/pod-name with fixed
 * nodePorts. Bootstrap (`--cluster create`) is left to the operator or the suite, via exec.
 */
export function redisClusterManifests(o: RedisStatefulSetOptions): KubernetesObject[] {
  const name = o.name ?? 'redis';
  if (!isDnsLabel(name, 40)) {
    throw new UsageError(`StatefulSet name "${name}" is not a DNS label of at most 40 chars`);
  }
  if (!Number.isInteger(o.replicas) || o.replicas < 1) {
    throw new UsageError(`a Redis Cluster needs at least one replica, got ${o.replicas}`);
  }
  const plan = redisPlan(o, name);
  const select = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': name };
  const meta = (objName: string) => ({
    name: objName,
    namespace: o.namespace,
    labels: { ...select, [MANAGED_BY_LABEL]: MANAGER, ...(o.labels ?? {}) },
  });
  const hostNetwork = o.exposure === 'host-network';
  const portCmd = hostNetwork ? `$((${REDIS_PORT} + \${POD_NAME##*-}))` : String(REDIS_PORT);

  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(`${name}-config`),
    // The port line is overridden by --port in the start script (argv wins over the file).
    data: { 'redis.conf': redisConf(plan, plan.members[0]!), 'start.sh': redisStartScript(o) },
  };
  const headless: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(`${name}-headless`),
    spec: {
      clusterIP: 'None',
      // Peers must resolve each other before they are Ready: readiness needs the cluster formed.
      publishNotReadyAddresses: true,
      selector: select,
      ports: [
        { name: 'client', port: REDIS_PORT, targetPort: REDIS_PORT },
        { name: 'bus', port: REDIS_PORT + BUS_PORT_INCR, targetPort: REDIS_PORT + BUS_PORT_INCR },
      ],
    },
  };
  const container: V1Container = {
    name: 'redis',
    image: o.image ?? REDIS_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', `${REDIS_CONFIG_DIR}/start.sh`],
    workingDir: DATA_DIR,
    env: downwardEnv().filter((e) => ['POD_IP', 'HOST_IP', 'POD_NAME'].includes(e.name)),
    // Host-network containerPorts are host ports and the scheduler refuses two pods with the same
    // one on a node; their ports differ per ordinal, which a shared template cannot declare.
    ...(hostNetwork
      ? {}
      : {
          ports: [
            { name: 'client', containerPort: REDIS_PORT },
            { name: 'bus', containerPort: REDIS_PORT + BUS_PORT_INCR },
          ],
        }),
    readinessProbe: {
      exec: { command: ['sh', '-c', `exec redis-cli -p "${portCmd}" ping`] },
      periodSeconds: 2,
      timeoutSeconds: 2,
    },
    volumeMounts: [
      { name: 'config', mountPath: REDIS_CONFIG_DIR, readOnly: true },
      { name: 'data', mountPath: DATA_DIR },
    ],
  };
  const statefulSet: V1StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(name),
    spec: {
      serviceName: `${name}-headless`,
      replicas: o.replicas,
      // All members start together; the cluster is formed afterwards, from outside.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: select },
      template: {
        metadata: { labels: { ...select, [MANAGED_BY_LABEL]: MANAGER, ...(o.labels ?? {}) } },
        spec: {
          hostNetwork,
          dnsPolicy: hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [container],
          volumes: [{ name: 'config', configMap: { name: `${name}-config` } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: o.dataSize ?? '256Mi' } },
            ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}),
          },
        },
      ],
    },
  };
  const perPod = redisServices(plan).map((s) => ({
    ...nodePortServiceManifest(s, o.namespace, ''),
    metadata: meta(s.name),
  }));
  return [configMap, headless, statefulSet, ...perPod];
}

/** Multi-document YAML, for `kubectl apply -f` on the user's own cluster. */
export const renderManifests = (objects: KubernetesObject[]): string => objects.map((o) => dumpYaml(o)).join('---\n');
