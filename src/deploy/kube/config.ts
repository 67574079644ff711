// The configuration files of the cluster's programs, as data. Each setting that differs from the
// program's default says why; the per-node ones keep several nodes on one machine apart (own
// containerd root, state, socket and runc root, own kubelet root and cgroupRoot, own CNI dirs and
// flannel subnet file), as real-kube research found necessary.
import { join } from 'node:path';
import type { KubeProxyMode } from '../../model/dimensions.ts';
import { KUBE_NET } from './names.ts';

export type ProxyMode = KubeProxyMode;

export interface NodePaths {
  dir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSock: string;
  cniConfDir: string;
  cniDataDir: string;
  kubeletRoot: string;
  subnetFile: string;
}

export const nodePaths = (dir: string): NodePaths => ({
  dir,
  containerdRoot: join(dir, 'containerd', 'root'),
  containerdState: join(dir, 'containerd', 'state'),
  containerdSock: join(dir, 'containerd', 'containerd.sock'),
  cniConfDir: join(dir, 'cni', 'net.d'),
  cniDataDir: join(dir, 'cni', 'data'),
  kubeletRoot: join(dir, 'kubelet'),
  subnetFile: join(dir, 'flannel', 'subnet.env'),
});

const q = (s: string) => JSON.stringify(s);

/** containerd 1.6's config (version 2 schema). */
export function containerdConfig(p: NodePaths, o: { cniBinDir: string; sandboxImage: string }): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = ${q(p.containerdRoot)}`,
    `state = ${q(p.containerdState)}`,
    // Snapshotters that cannot work here (no btrfs, zfs or devmapper) fail noisily at every start.
    'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]',
    `  address = ${q(p.containerdSock)}`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(p.dir, 'containerd', 'opt'))}`,
    `[${cri}]`,
    `  sandbox_image = ${q(o.sandboxImage)}`,
    // Pod network namespaces under the node's own state dir, not the machine's /var/run/netns.
    '  netns_mounts_under_state_dir = true',
    '  tolerate_missing_hugetlb_controller = true',
    '  disable_apparmor = true',
    // The kubelet asks for -998 for every sandbox (and lower for critical pods); where this machine
    // may not lower a process's oom_score_adj (seen here: runc's nsexec fails with EACCES and the
    // sandbox never starts), containerd clamps it to its own, as it does in rootless setups.
    '  restrict_oom_score_adj = true',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    `  Root = ${q(join(p.dir, 'runc'))}`,
    `[${cri}.cni]`,
    `  bin_dir = ${q(o.cniBinDir)}`,
    `  conf_dir = ${q(p.cniConfDir)}`,
    '',
  ].join('\n');
}

/**
 * flannel's CNI configuration as kube-flannel.yml ships it (cni-conf.json: the flannel plugin
 * delegating to bridge with hairpin mode and a default gateway, then portmap), with this node's
 * subnet file and data dirs instead of the machine-wide defaults.
 */
export function flannelCniConfig(p: NodePaths): string {
  return JSON.stringify(
    {
      name: 'cbr0',
      cniVersion: '0.3.1',
      plugins: [
        {
          type: 'flannel',
          subnetFile: p.subnetFile,
          dataDir: join(p.cniDataDir, 'flannel'),
          ipam: { dataDir: join(p.cniDataDir, 'networks') },
          delegate: { hairpinMode: true, isDefaultGateway: true },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** flanneld's network config (kube-flannel.yml's net-conf.json, with k3s's cluster CIDR). */
export const flannelNetConf = (): string =>
  JSON.stringify({ Network: KUBE_NET.podCidr, Backend: { Type: 'vxlan' } }, null, 2);

export interface KubeletConfigInput {
  paths: NodePaths;
  caFile: string;
  cgroupRoot: string;
  resolvConf: string;
}

export function kubeletConfig(o: KubeletConfigInput): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: o.caFile },
      },
      authorization: { mode: 'Webhook' },
      containerRuntimeEndpoint: `unix://${o.paths.containerdSock}`,
      // containerd 1.6 reports no cgroup driver (no RuntimeConfig); cgroupfs is what it uses.
      cgroupDriver: 'cgroupfs',
      cgroupRoot: o.cgroupRoot,
      cgroupsPerQOS: true,
      // This machine runs cgroup v1; 1.34 still allows it, and saying so keeps 1.35+ working too.
      failCgroupV1: false,
      failSwapOn: false,
      // Every node sees the whole machine's disk: thresholds would evict on the others' usage (kind
      // sets the same for the same reason).
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { 'nodefs.available': '0%', 'imagefs.available': '0%', 'nodefs.inodesFree': '0%' },
      localStorageCapacityIsolation: false,
      clusterDomain: 'cluster.local',
      resolvConf: o.resolvConf,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      serializeImagePulls: false,
      podLogsDir: '/var/log/pods',
      // Faster pod status on a small cluster; the defaults are tuned for thousands of nodes.
      nodeStatusUpdateFrequency: '4s',
      syncFrequency: '10s',
    },
    null,
    2,
  );
}

export function kubeProxyConfig(o: { kubeconfig: string; nodeName: string; mode: ProxyMode }): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: o.kubeconfig },
      hostnameOverride: o.nodeName,
      mode: o.mode,
      clusterCIDR: KUBE_NET.podCidr,
      // nf_conntrack_max is global and cannot be written from a child namespace (kind does the same).
      conntrack: { maxPerCore: 0, ...(o.mode === 'nftables' ? { tcpBeLiberal: true } : {}) },
      metricsBindAddress: '127.0.0.1:10249',
      healthzBindAddress: '127.0.0.1:10256',
    },
    null,
    2,
  );
}

/** Who flanneld is towards the API server: kube-flannel.yml's ClusterRole, bound to its user. */
export const flannelRbac = (user: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'flannel' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
          { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'flannel' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flannel' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    ],
  });
