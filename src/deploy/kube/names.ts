// Every name and address of one kube cluster, derived from its id, so concurrent clusters never
// collide and `rcnc clean` finds what a killed run left: namespaces `rck-<id>-*`, the run dir
// `rcnc-kube-<id>`, cgroups `/rcnc-kube-<id>/*` in each hierarchy. The addresses are k3d's
// (nodes on 172.18.0.0/16, pods 10.42.N.0/24, Services 10.43.0.0/16) and the nodes sit where the
// lab's do (node-0 at 172.18.0.2), so reports of the lab, k3d and kube line up.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { labRoot } from '../netns/names.ts';

export const KUBE_NS_PREFIX = 'rck-';
export const KUBE_DIR_PREFIX = 'rcnc-kube-';
const ID = /^[0-9a-f]{6}$/;

export const newKubeId = (): string => randomBytes(3).toString('hex');
export const isKubeId = (id: string): boolean => ID.test(id);

export const KUBE_NET = {
  nodeCidr: '172.18.0.0/16',
  /** The hub bridge: the nodes' gateway and the machine outside the cluster (the external client). */
  gateway: '172.18.0.1',
  controlPlane: '172.18.0.250',
  podCidr: '10.42.0.0/16',
  serviceCidr: '10.43.0.0/16',
  /** The first address of the Service range: the `kubernetes` Service. */
  apiServiceIP: '10.43.0.1',
  nodeIP: (i: number) => `172.18.0.${2 + i}`,
  nodePodCidr: (i: number) => `10.42.${i}.0/24`,
  apiPort: 6443,
} as const;

export const kubeNames = (id: string, root = labRoot()) => {
  if (!isKubeId(id)) {
    throw new Error(`bad kube cluster id ${id}`);
  }
  const dir = join(root, `${KUBE_DIR_PREFIX}${id}`);
  return {
    id,
    dir,
    hub: `${KUBE_NS_PREFIX}${id}-hub`,
    cp: `${KUBE_NS_PREFIX}${id}-cp`,
    node: (i: number) => `${KUBE_NS_PREFIX}${id}-n${i}`,
    /** Kubernetes node names, as the lab names its nodes. */
    nodeName: (i: number) => `node-${i}`,
    // IFNAMSIZ is 16: 'kb' + 6 = 8; 'kv' + 6 + 'c'/'n' + index ≤ 11.
    bridge: `kb${id}`,
    veth: (which: string) => `kv${id}${which}`,
    /** The cgroup every node's cgroupRoot lives under, in each v1 hierarchy. */
    cgroup: `${KUBE_DIR_PREFIX}${id}`,
    nodeDir: (i: number) => join(dir, `node-${i}`),
    /** Bind-mounted private, so the mount namespace files below it do not propagate. */
    nsDir: join(dir, 'ns'),
    mountNs: (i: number) => join(dir, 'ns', `node-${i}.mnt`),
    cpMountNs: join(dir, 'ns', 'control-plane.mnt'),
    pki: join(dir, 'pki'),
    logs: join(dir, 'logs'),
    /** The API server relay's socket (served inside the control-plane namespace). */
    apiSocket: join(dir, 'api.sock'),
    /** The kubeconfig for people and for rcnc: the API server through the loopback relay. */
    kubeconfig: join(dir, 'kubeconfig'),
    state: join(dir, 'cluster.json'),
  };
};
export type KubeNames = ReturnType<typeof kubeNames>;

/** What a cluster dir's cluster.json holds: enough for `kube down`, `kubeconfig` and `clean`. */
export interface KubeClusterState {
  id: string;
  pid: number;
  startTime: number;
  persist: boolean;
  runId?: string;
  nodes: number;
  proxyMode: 'iptables' | 'nftables';
  cgroupBase: string;
  relayPort: number;
  kubeconfig: string;
  startedAt: string;
}

/** Worker nodes of the cluster a kube provider starts for its cells (2 cores hold 3 comfortably). */
export const KUBE_CELL_NODES = 3;
