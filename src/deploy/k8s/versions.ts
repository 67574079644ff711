// Every version the Kubernetes providers pull or download, pinned in one place so a run is
// reproducible and a bump is one reviewed diff. Each pin names where it comes from.

/**
 * k3d CLI release and the sha256 of each release asset, from the release's checksums.txt
 * (https://github.com/k3d-io/k3d/releases/tag/v5.9.0); the same values are pinned independently
 * by several public CI setups. v5.9.0 is the snapshot the research notes read (docs/kubernetes.md#versions).
 */
export const K3D_VERSION = 'v5.9.0';
export const K3D_SHA256: Readonly<Record<string, string>> = {
  'linux-amd64': '06d8f25bc3a971c4eb29e0ff08429b180402db0f4dec838c9eac427e296800a0',
  'linux-arm64': '03cde5cf23e6e8e67de5a039ecf26e5b85aca82fba3e5d13dadf904cd218a250',
  'darwin-amd64': 'b4aabc37534f95b9c764e7823f2df923f50d57600837aa60a06266cce47db732',
  'darwin-arm64': 'fe106541d5d0a3f18debcd4d432a16f8c0ce3e6ddc06f8fbb6f696a122313e00',
};
export const k3dDownloadUrl = (asset: string, version = K3D_VERSION) =>
  `https://github.com/k3d-io/k3d/releases/download/${version}/k3d-${asset}`;

/**
 * k3s node image. Kubernetes 1.31 is inside the range Calico v3.29 is tested against (1.29–1.31,
 * Calico's "Kubernetes requirements" page), so both CNIs run on the same control plane.
 */
export const K3S_IMAGE = 'rancher/k3s:v1.31.5-k3s1';

/**
 * Calico through the Tigera operator, as k3d's docs/usage/advanced/calico.md installs it (v3.29.0;
 * docs/kubernetes.md#calico-on-k3d). The custom resources are built in calico.ts rather than downloaded, because the
 * suite needs containerIPForwarding and a choice of encapsulation.
 */
export const CALICO_VERSION = 'v3.29.0';
export const TIGERA_OPERATOR_URL = `https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/tigera-operator.yaml`;

/** The Redis under test on Kubernetes: the version the netns lab runs (Debian's 7.0.15). */
export const REDIS_IMAGE = 'redis:7.0.15';

/**
 * Image of the ephemeral debug container used for packet capture where the host cannot enter a
 * pod's network namespace (docs/kubernetes.md#ephemeral-debug-container: netshoot ships tcpdump, timeout and pkill).
 */
export const DEBUG_IMAGE = 'nicolaka/netshoot:v0.13';

/**
 * The Redis binaries in REDIS_IMAGE, by name (on its PATH, /usr/local/bin). A run's own binaries
 * (`--redis-server PATH`) are this machine's and mean nothing inside a pod.
 */
export const REDIS_IMAGE_BINARIES = { server: 'redis-server', cli: 'redis-cli' } as const;
