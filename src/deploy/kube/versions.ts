// The one place the `kube` provider's versions are pinned. Everything is built here from the Go
// module proxy (no registry, no release downloads) and cached by this key outside the clone.
//
// Why these versions:
// - Kubernetes v1.34.x: from 1.35 the kubelet refuses cgroup v1 by default (failCgroupV1 flips to
//   true, kubernetes/kubernetes#134298), and this project's machines run cgroup v1. The kubelet's
//   fallback for runtimes without RuntimeConfig (every containerd 1.x, Debian's 1.6.20 here) is
//   kept until 1.38 (kubernetes/kubernetes#136731).
// - etcd v3.6.x: Kubernetes 1.31+ needs health endpoints that Debian's etcd 3.4.23 lacks
//   (kubernetes/website#54030 raised the minimum to 3.4.29 / 3.5.11).
// - flanneld v0.28.x, VXLAN backend, with the flannel CNI plugin as last released inside
//   containernetworking/plugins (v0.9.1, plugins/meta/flannel): its newer home,
//   github.com/flannel-io/cni-plugin, is not served by this machine's module proxy. The plugin is a
//   thin delegate (it reads flanneld's subnet file and calls bridge + host-local), and Debian's
//   containernetworking-plugins provide those delegates.

export const KUBE_VERSIONS = {
  kubernetes: 'v1.34.4',
  /** Each staging module (k8s.io/api, client-go, kubelet, …) is published at v0.<minor>.<patch>. */
  staging: 'v0.34.4',
  etcd: 'v3.6.17',
  flannel: 'v0.28.10',
  /**
   * flannel v0.28.10 requires Tencent SDK modules (for its tencentvpc backend, unused here) at
   * versions the module proxy here does not serve; the build pins this served pair instead.
   */
  tencentSdkServed: 'v1.0.1136',
  flannelCni: { module: 'github.com/containernetworking/plugins', version: 'v0.9.1' },
} as const;

/** The commands built from k8s.io/kubernetes, in one `go build` so they share compiled packages. */
export const KUBERNETES_COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
] as const;

/** Every binary the provider runs from its cache (the Debian packages it needs are apart). */
export const KUBE_BINARIES = [...KUBERNETES_COMMANDS, 'etcd', 'flanneld', 'flannel', 'pause'] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];

/** Debian packages the kube provider runs besides what the lab needs. */
export const KUBE_PACKAGES = [
  'containerd',
  'runc',
  'containernetworking-plugins',
  'conntrack',
  'nftables',
  'socat',
  'busybox-static',
  'openssl',
  'gcc',
  'libc6-dev',
] as const;

/** A short key for the cache folder: every pinned version, so a change of any pin rebuilds. */
export function versionKey(goVersion: string): string {
  const v = KUBE_VERSIONS;
  return [
    `k8s-${v.kubernetes}`,
    `etcd-${v.etcd}`,
    `flannel-${v.flannel}`,
    `cni-${v.flannelCni.version}`,
    goVersion.replace(/^go/, 'go'),
  ].join('_');
}
