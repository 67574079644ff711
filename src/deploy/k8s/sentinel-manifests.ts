// Redis with Sentinel as users deploy it on Kubernetes: a data StatefulSet (master and replicas), a
// sentinel StatefulSet, headless Services, a ClusterIP Service in front of the sentinels for
// in-cluster clients, and per exposure one NodePort or LoadBalancer Service per pod with fixed
// ports. Every pod derives what differs from the downward API at start (ordinal from POD_NAME,
// addresses from POD_IP / HOST_IP) and announces the address it is reached at
// (docs/sentinel.md#announce-settings), with the same ports the suite's own deploy uses
// (src/deploy/redis-sentinel.ts). Configs live on the pods' volumes after the first start, so a
// restarted replica stays a replica and a restarted sentinel keeps what it learned. No RBAC, no
// API lookups inside the pods.
import type { KubernetesObject, V1ConfigMap, V1Container, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import type { Exposure, TrafficPolicy } from '../../model/dimensions.ts';
import { UsageError } from '../../util/errors.ts';
import { isDnsLabel } from '../pod-names.ts';
import { REDIS_PORT } from '../redis-cluster.ts';
import {
  DATA_LB_PORT_BASE,
  DATA_NODEPORT_BASE,
  MASTER_NAME,
  SENTINEL_LB_PORT_BASE,
  SENTINEL_NODEPORT_BASE,
  SENTINEL_PORT,
} from '../redis-sentinel.ts';
import { DATA_DIR, downwardEnv, MANAGED_BY_LABEL, MANAGER, POD_NAME_LABEL } from './manifests.ts';
import { REDIS_IMAGE } from './versions.ts';

export interface SentinelManifestOptions {
  /** Data StatefulSet name; pods are `<name>-<ordinal>`, sentinels `<name>-sentinel-<ordinal>`. */
  name?: string;
  namespace: string;
  /** Data pods: one master and `replicas - 1` replicas. */
  replicas?: number;
  sentinels?: number;
  exposure: Exposure;
  policy?: TrafficPolicy;
  /** Announce the address each pod is reached at over the exposure. */
  announce: boolean;
  /**
   * Announce headless-Service names instead of IPs, with `sentinel resolve-hostnames` and
   * `announce-hostnames` (docs/sentinel.md#hostnames); only inside the cluster (exposure pod-ip).
   */
  hostnames?: boolean;
  masterName?: string;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  clusterDomain?: string;
  image?: string;
  storageClassName?: string;
  dataSize?: string;
  labels?: Record<string, string>;
}

const CONFIG_DIR = '/etc/redis';

interface Names {
  data: string;
  sentinel: string;
  dataHeadless: string;
  sentinelHeadless: string;
  /** The ClusterIP Service clients (and restarting pods) ask for the master. */
  sentinelService: string;
  fqdn: (pod: string, headless: string) => string;
}

function namesOf(o: SentinelManifestOptions): Names {
  const data = o.name ?? 'redis';
  const suffix = `${o.namespace}.svc.${o.clusterDomain ?? 'cluster.local'}`;
  return {
    data,
    sentinel: `${data}-sentinel`,
    dataHeadless: `${data}-headless`,
    sentinelHeadless: `${data}-sentinel-headless`,
    sentinelService: `${data}-sentinel`,
    fqdn: (pod, headless) => `${pod}.${headless}.${suffix}`,
  };
}

/** Shell: the port this ordinal listens on, and the announced ip / port for the exposure. */
function addressLines(o: SentinelManifestOptions, role: 'data' | 'sentinel', n: Names): string[] {
  const base = role === 'data' ? REDIS_PORT : SENTINEL_PORT;
  const port = o.exposure === 'host-network' ? `$((${base} + ordinal))` : String(base);
  const headless = role === 'data' ? n.dataHeadless : n.sentinelHeadless;
  const ip = o.hostnames
    ? `"$POD_NAME.${headless}.${o.namespace}.svc.${o.clusterDomain ?? 'cluster.local'}"`
    : o.exposure === 'pod-ip'
      ? '"$POD_IP"'
      : '"$HOST_IP"';
  const announcedPort =
    o.exposure === 'nodeport'
      ? `$((${role === 'data' ? DATA_NODEPORT_BASE : SENTINEL_NODEPORT_BASE} + ordinal))`
      : o.exposure === 'loadbalancer'
        ? `$((${role === 'data' ? DATA_LB_PORT_BASE : SENTINEL_LB_PORT_BASE} + ordinal))`
        : '"$port"';
  return ['set -eu', 'ordinal="${POD_NAME##*-}"', `port=${port}`, `me_ip=${ip}`, `me_port=${announcedPort}`];
}

/** Asks the sentinels (through their Service) for the master: `ip port`, or empty. */
const askSentinels = (n: Names, master: string) =>
  `master=$(redis-cli -h ${n.sentinelService} -p ${SENTINEL_PORT} sentinel get-master-addr-by-name ${master} 2>/dev/null | tr '\\n' ' ' | sed 's/ *$//' || true)`;

/**
 * The data pods' start script. First start (no config on the volume): the master is whoever the
 * sentinels name; without an answer ordinal 0 is the master and the others replicate from it by its
 * headless name (pod IP inside the cluster).
 */
export function sentinelDataScript(o: SentinelManifestOptions): string {
  const n = namesOf(o);
  const master = o.masterName ?? MASTER_NAME;
  const first = n.fqdn(`${n.data}-0`, n.dataHeadless);
  const port0 = String(REDIS_PORT);
  return [
    ...addressLines(o, 'data', n),
    `conf=${DATA_DIR}/redis.conf`,
    `test -f "$conf" || cp ${CONFIG_DIR}/redis.conf "$conf"`,
    'set -- redis-server "$conf" --port "$port"',
    ...(o.announce ? ['set -- "$@" --replica-announce-ip "$me_ip" --replica-announce-port "$me_port"'] : []),
    `if ! grep -q '^replicaof ' "$conf"; then`,
    `  ${askSentinels(n, master)}`,
    '  if [ -n "$master" ] && [ "$master" != "$me_ip $me_port" ]; then',
    '    set -- "$@" --replicaof $master',
    '  elif [ -z "$master" ] && [ "$ordinal" != 0 ]; then',
    `    set -- "$@" --replicaof ${first} ${port0}`,
    '  fi',
    'fi',
    'exec "$@"',
    '',
  ].join('\n');
}

/**
 * The sentinels' start script. First start: monitor the master the other sentinels name, else
 * ordinal 0 at the address it announces (read from it with CONFIG GET), else by its headless name.
 */
export function sentinelSentinelScript(o: SentinelManifestOptions): string {
  const n = namesOf(o);
  const master = o.masterName ?? MASTER_NAME;
  const first = n.fqdn(`${n.data}-0`, n.dataHeadless);
  const resolve = o.hostnames ? `host=${first}` : `host=$(getent hosts ${first} | awk '{print $1; exit}')`;
  return [
    ...addressLines(o, 'sentinel', n),
    `conf=${DATA_DIR}/sentinel.conf`,
    'if [ ! -f "$conf" ]; then',
    `  ${askSentinels(n, master)}`,
    '  if [ -z "$master" ]; then',
    `    until ${resolve} && [ -n "$host" ] && redis-cli -h "$host" -p ${REDIS_PORT} ping >/dev/null 2>&1; do sleep 1; done`,
    `    a_ip=$(redis-cli -h "$host" -p ${REDIS_PORT} config get replica-announce-ip | sed -n 2p)`,
    `    a_port=$(redis-cli -h "$host" -p ${REDIS_PORT} config get replica-announce-port | sed -n 2p)`,
    `    [ -n "$a_port" ] && [ "$a_port" != 0 ] || a_port=${REDIS_PORT}`,
    '    master="${a_ip:-$host} $a_port"',
    '  fi',
    '  {',
    '    echo "port $port"',
    `    echo "sentinel myid $(printf %s "$POD_NAME" | sha1sum | cut -c1-40)"`,
    ...(o.hostnames ? ['    echo "sentinel resolve-hostnames yes"', '    echo "sentinel announce-hostnames yes"'] : []),
    `    echo "sentinel monitor ${master} $master ${o.quorum ?? 2}"`,
    `    echo "sentinel down-after-milliseconds ${master} ${o.downAfterMs ?? 5000}"`,
    `    echo "sentinel failover-timeout ${master} ${o.failoverTimeoutMs ?? 60000}"`,
    '  } > "$conf"',
    'fi',
    'set -- redis-sentinel "$conf"',
    ...(o.announce ? ['set -- "$@" --sentinel announce-ip "$me_ip" --sentinel announce-port "$me_port"'] : []),
    'exec "$@"',
    '',
  ].join('\n');
}

function validate(o: SentinelManifestOptions): void {
  const n = namesOf(o);
  if (!isDnsLabel(n.data) || !isDnsLabel(n.sentinelHeadless)) {
    throw new UsageError(`StatefulSet name "${n.data}" must be a DNS label short enough for "${n.sentinelHeadless}"`);
  }
  for (const [what, count] of [
    ['data pods', o.replicas ?? 3],
    ['sentinels', o.sentinels ?? 3],
  ] as const) {
    if (!Number.isInteger(count) || count < 1 || count > 50) {
      throw new UsageError(`a Sentinel setup needs 1 to 50 ${what}, got ${count}`);
    }
  }
  if (o.hostnames && o.exposure !== 'pod-ip') {
    throw new UsageError('hostnames are cluster DNS names, reachable only inside the cluster: use exposure pod-ip');
  }
}

/**
 * ConfigMap, headless Services, the sentinels' ClusterIP Service, the two StatefulSets and the
 * per-pod NodePort or LoadBalancer Services.
 */
export function sentinelManifests(o: SentinelManifestOptions): KubernetesObject[] {
  validate(o);
  const n = namesOf(o);
  const common = { [MANAGED_BY_LABEL]: MANAGER, ...(o.labels ?? {}) };
  const select = (component: string) => ({
    'app.kubernetes.io/name': 'redis',
    'app.kubernetes.io/instance': n.data,
    'app.kubernetes.io/component': component,
  });
  const meta = (name: string, component: string) => ({
    name,
    namespace: o.namespace,
    labels: { ...select(component), ...common },
  });
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(`${n.data}-sentinel-config`, 'config'),
    data: {
      'redis.conf': ['bind 0.0.0.0', 'protected-mode no', 'appendonly yes', 'repl-diskless-sync-delay 0', ''].join(
        '\n',
      ),
      'start-redis.sh': sentinelDataScript(o),
      'start-sentinel.sh': sentinelSentinelScript(o),
    },
  };
  const headless = (name: string, component: string, port: number): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, component),
    spec: {
      clusterIP: 'None',
      // Names must resolve before pods are Ready: the sentinels look the first master up at start.
      publishNotReadyAddresses: true,
      selector: select(component),
      ports: [{ name: component, port, targetPort: port }],
    },
  });
  const sentinelService: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(n.sentinelService, 'sentinel'),
    spec: {
      selector: select('sentinel'),
      ports: [{ name: 'sentinel', port: SENTINEL_PORT, targetPort: SENTINEL_PORT }],
    },
  };
  return [
    configMap,
    headless(n.dataHeadless, 'data', REDIS_PORT),
    headless(n.sentinelHeadless, 'sentinel', SENTINEL_PORT),
    sentinelService,
    statefulSet(o, n.data, n.dataHeadless, 'data', select('data'), common),
    statefulSet(o, n.sentinel, n.sentinelHeadless, 'sentinel', select('sentinel'), common),
    ...perPodServices(o, n, meta),
  ];
}

function statefulSet(
  o: SentinelManifestOptions,
  name: string,
  serviceName: string,
  component: 'data' | 'sentinel',
  selector: Record<string, string>,
  common: Record<string, string>,
): V1StatefulSet {
  const hostNetwork = o.exposure === 'host-network';
  const base = component === 'data' ? REDIS_PORT : SENTINEL_PORT;
  const port = hostNetwork ? `$((${base} + \${POD_NAME##*-}))` : String(base);
  const container: V1Container = {
    name: component === 'data' ? 'redis' : 'sentinel',
    image: o.image ?? REDIS_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', `${CONFIG_DIR}/start-${component === 'data' ? 'redis' : 'sentinel'}.sh`],
    workingDir: DATA_DIR,
    env: downwardEnv().filter((e) => ['POD_IP', 'HOST_IP', 'POD_NAME'].includes(e.name)),
    // Host-network containerPorts would be host ports shared by every pod of the template.
    ...(hostNetwork ? {} : { ports: [{ name: component, containerPort: base }] }),
    readinessProbe: { exec: { command: ['sh', '-c', `exec redis-cli -p "${port}" ping`] }, periodSeconds: 2 },
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'data', mountPath: DATA_DIR },
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: o.namespace, labels: { ...selector, ...common } },
    spec: {
      serviceName,
      replicas: component === 'data' ? (o.replicas ?? 3) : (o.sentinels ?? 3),
      // Ordered: ordinal 0 starts (and becomes the first master) before the others look for it.
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...selector, ...common } },
        spec: {
          hostNetwork,
          dnsPolicy: hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [container],
          volumes: [{ name: 'config', configMap: { name: `${o.name ?? 'redis'}-sentinel-config` } }],
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
}

/** NodePort or LoadBalancer Services, one per pod, with the fixed ports the pods announce. */
function perPodServices(
  o: SentinelManifestOptions,
  n: Names,
  meta: (name: string, component: string) => V1Service['metadata'],
): V1Service[] {
  if (o.exposure !== 'nodeport' && o.exposure !== 'loadbalancer') {
    return [];
  }
  const lb = o.exposure === 'loadbalancer';
  const one = (
    pod: string,
    component: string,
    ordinal: number,
    port: number,
    nodePortBase: number,
    lbBase: number,
  ) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(`${pod}-${lb ? 'lb' : 'np'}`, component),
    spec: {
      type: lb ? 'LoadBalancer' : 'NodePort',
      externalTrafficPolicy: o.policy ?? 'Cluster',
      selector: { [POD_NAME_LABEL]: pod },
      ports: [
        lb
          ? { name: component, protocol: 'TCP', port: lbBase + ordinal, targetPort: port }
          : { name: component, protocol: 'TCP', port, targetPort: port, nodePort: nodePortBase + ordinal },
      ],
    },
  });
  return [
    ...Array.from({ length: o.replicas ?? 3 }, (_, i) =>
      one(`${n.data}-${i}`, 'data', i, REDIS_PORT, DATA_NODEPORT_BASE, DATA_LB_PORT_BASE),
    ),
    ...Array.from({ length: o.sentinels ?? 3 }, (_, i) =>
      one(`${n.sentinel}-${i}`, 'sentinel', i, SENTINEL_PORT, SENTINEL_NODEPORT_BASE, SENTINEL_LB_PORT_BASE),
    ),
  ];
}
