// Which chart or operator deployed the pods, told from what the files show (pod and Service names,
// selectors, the start script's own log lines), and the settings of that chart or operator that
// set the addresses Redis announces. Every key below was read in the project's own source; the
// comment and the snippet cite the file:
//   Bitnami redis-cluster  https://github.com/bitnami/charts/blob/main/bitnami/redis-cluster/values.yaml
//                          (cluster.externalAccess.*; templates/redis-statefulset.yaml exports
//                          REDIS_CLUSTER_ANNOUNCE_IP from cluster.externalAccess.service.loadBalancerIP)
//   Bitnami redis          https://github.com/bitnami/charts/blob/main/bitnami/redis/values.yaml
//                          (useHostnames; sentinel.externalAccess.*; templates/scripts-configmap.yaml
//                          writes replica-announce-ip and sentinel announce-ip/-hostnames from them)
//   OT redis-operator      https://github.com/OT-CONTAINER-KIT/redis-operator/blob/main/api/common/v1beta2/common_types.go
//                          (kubernetesConfig.service.serviceType; SentinelConfig resolveHostnames,
//                          announceHostnames; internal/agent/bootstrap/redis/config.go announces
//                          HOST_IP and each pod's NodePorts when the service type is NodePort)
//   spotahome              https://github.com/spotahome/redis-operator/blob/master/api/redisfailover/v1/types.go
//                          (spec.redis.customConfig, spec.redis.podAnnotations, spec.sentinel.podAnnotations)
//   KubeBlocks             https://github.com/apecloud/kubeblocks-addons/blob/main/examples/redis/cluster-sharding.yaml
//                          (a per-pod `redis-advertised` service: podService true, serviceType NodePort)
// Istio's inbound-interception annotation: https://istio.io/latest/docs/reference/config/annotations/
import type { Deployer, DeployerName, Need, Snippet } from './diagnosis-types.ts';
import type { Cluster } from './who-is-who.ts';

export type { Deployer, DeployerName, Need, Snippet };

const SOURCES: Record<DeployerName, string> = {
  'bitnami-redis-cluster': 'https://github.com/bitnami/charts/blob/main/bitnami/redis-cluster/values.yaml',
  'bitnami-redis-sentinel': 'https://github.com/bitnami/charts/blob/main/bitnami/redis/values.yaml',
  'ot-redis-operator':
    'https://github.com/OT-CONTAINER-KIT/redis-operator/blob/main/api/common/v1beta2/common_types.go',
  'spotahome-redis-operator': 'https://github.com/spotahome/redis-operator/blob/master/api/redisfailover/v1/types.go',
  kubeblocks: 'https://github.com/apecloud/kubeblocks-addons/blob/main/examples/redis/cluster-sharding.yaml',
};

// Each rule: a pattern over the pod names, the Services (name and selector) or the logs.
const RULES: { name: DeployerName; pods?: RegExp; services?: RegExp; logs?: RegExp; what: string }[] = [
  {
    name: 'kubeblocks',
    services: /apps\.kubeblocks\.io\/|-redis-advertised-\d+\b/,
    pods: /-shard-[a-z0-9]{3}-\d+$/,
    what: 'KubeBlocks names (apps.kubeblocks.io selectors, <shard>-redis-advertised-N Services, <cluster>-shard-xxx-N pods)',
  },
  {
    name: 'spotahome-redis-operator',
    pods: /^rf[rs]-/,
    what: "spotahome's pod names (rfr-NAME for Redis, rfs-NAME for Sentinel)",
  },
  {
    name: 'ot-redis-operator',
    logs: /ACL_MODE is not true|Running sentinel without TLS mode|Setting up redis in (?:cluster|standalone) mode/,
    pods: /-(?:leader|follower)-\d+$/,
    what: "the OT redis-operator's start script (its log lines) or its -leader-N/-follower-N pods",
  },
  {
    name: 'bitnami-redis-sentinel',
    pods: /-redis-node-\d+$/,
    what: "Bitnami's redis chart with Sentinel (pods named RELEASE-redis-node-N)",
  },
  {
    name: 'bitnami-redis-cluster',
    logs: /^redis-cluster \d\d:\d\d:\d\d\.\d\d |\/opt\/bitnami\/redis-cluster|\/opt\/bitnami\/scripts\/redis-cluster/m,
    services: /-redis-cluster-headless\b/,
    what: "Bitnami's redis-cluster chart (its start script's log lines or the RELEASE-redis-cluster-headless Service)",
  },
];

/** The chart or operator the files show, if one does. */
export function recogniseDeployer(c: Cluster): Deployer | undefined {
  const pods = [...new Set([...c.pods.keys(), ...c.inputs.kube.pods.map((p) => p.name)])];
  const services = c.services.map(
    (s) =>
      `${s.name} ${Object.entries(s.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
  );
  const logs = [...c.inputs.pods.values()].map((f) => f.log?.text ?? '');
  for (const r of RULES) {
    const hit =
      (r.pods && pods.some((p) => r.pods!.test(p))) ||
      (r.services && services.some((s) => r.services!.test(s))) ||
      (r.logs && logs.some((l) => r.logs!.test(l)));
    if (hit) {
      return { name: r.name, evidence: r.what };
    }
  }
  return undefined;
}

// Each deployer's keys per need, as read in its source (SOURCES); a need it has no key for is absent.
const SNIPPETS: Record<DeployerName, Partial<Record<Need, { title: string; lines: string[] }>>> = {
  'bitnami-redis-cluster': {
    'cluster-announce': {
      title: 'Bitnami redis-cluster values: each pod announces its own LoadBalancer address (one per node, in order)',
      lines: [
        'cluster:',
        '  externalAccess:',
        '    enabled: true',
        '    service:',
        '      type: LoadBalancer',
        '      loadBalancerIP: [] # cluster.nodes addresses, pod 0 first',
      ],
    },
  },
  'bitnami-redis-sentinel': Object.fromEntries(
    (['replica-announce', 'hostnames'] as const).map((n) => [
      n,
      {
        title:
          'Bitnami redis values: replicas and sentinels announce stable hostnames (replica-announce-ip and sentinel announce-hostnames come from these)',
        lines: ['useHostnames: true', 'sentinel:', '  enabled: true'],
      },
    ]),
  ),
  'ot-redis-operator': {
    'cluster-announce': {
      title:
        'OT redis-operator RedisCluster: with a NodePort service each pod announces its node IP (HOST_IP) and its own NodePorts',
      lines: ['spec:', '  kubernetesConfig:', '    service:', '      serviceType: NodePort'],
    },
    ...Object.fromEntries(
      (['replica-announce', 'hostnames'] as const).map((n) => [
        n,
        {
          title:
            'OT redis-operator RedisSentinel: sentinels resolve and announce hostnames, not the addresses connections come from',
          lines: ['spec:', '  redisSentinelConfig:', '    resolveHostnames: "yes"', '    announceHostnames: "yes"'],
        },
      ]),
    ),
  },
  'spotahome-redis-operator': {
    sidecar: {
      title: 'spotahome RedisFailover: keep the sidecar away from Redis and Sentinel ports (Istio annotation)',
      lines: [
        'spec:',
        '  redis:',
        '    podAnnotations:',
        '      traffic.sidecar.istio.io/excludeInboundPorts: "6379"',
        '  sentinel:',
        '    podAnnotations:',
        '      traffic.sidecar.istio.io/excludeInboundPorts: "26379"',
      ],
    },
  },
  kubeblocks: {
    'cluster-announce': {
      title: 'KubeBlocks Cluster: a NodePort Service per pod, which the pods announce (node IP and its NodePorts)',
      lines: [
        'spec:',
        '  shardings:',
        '    - name: shard',
        '      template:',
        '        services:',
        '          - name: redis-advertised',
        '            podService: true',
        '            serviceType: NodePort',
      ],
    },
  },
};

/** The chart's or operator's own settings for `need`, or undefined where its source has none. */
export function deployerSnippet(d: Deployer, need: Need): Snippet | undefined {
  const x = SNIPPETS[d.name][need];
  return x && { title: x.title, language: 'yaml', text: x.lines.join('\n'), source: SOURCES[d.name] };
}
