// Provider `kube`: real upstream Kubernetes (built here from Go modules) running in this run's
// namespaces, one cluster per profile per run, shared by that profile's cells one at a time (each
// cell's NodePorts are fixed numbers, so two topologies on one cluster would collide). Cells are
// deployed through the same src/deploy/k8s code as k3d and kubeconfig; nodes, pods and the
// external client are reached through namespaces this run owns.
import { KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Gaps } from '../../model/capabilities.ts';
import type { ProfileName } from '../../model/dimensions.ts';
import type { Provenance } from '../../model/results.ts';
import { RequirementError, TopologyError, UsageError } from '../../util/errors.ts';
import { Teardown } from '../../util/teardown.ts';
import { KubeClient } from '../k8s/apply.ts';
import { clusterInfoSummary, readClusterInfo, type ClusterInfo } from '../k8s/cluster-info.ts';
import { K8sTopology } from '../k8s/topology.ts';
import { onPath } from '../netns/system.ts';
import { CapabilityError, type Provider, type Requirement, type TopologySpec } from '../provider.ts';
import { KUBE_SHARED_NODE_FAULTS, KubeNodes } from './access.ts';
import { binDirFor, goBinary, missingBinaries } from './build.ts';
import { KubeCluster, startCellsCluster } from './cluster.ts';
import type { ProxyMode } from './config.ts';
import { cgroupHierarchies } from './host.ts';
import { KUBE_NET } from './names.ts';
import { askSharedCluster } from './shared.ts';
import { KUBE_VERSIONS } from './versions.ts';

export interface KubeProviderOptions {
  runId?: string;
  profile?: ProfileName;
  /** Prebuilt binaries (--kube-bin); otherwise the build cache, built when empty. */
  kubeBin?: string;
  redis: { server: string; cli: string };
  nodes?: number;
  proxyMode?: ProxyMode;
  progress?: (line: string) => void;
  /** A cluster already started (the bench times its start): cells run on it, and its starter stops it. */
  cluster?: KubeCluster;
  /**
   * The socket of the run's shared cluster (src/deploy/kube/shared.ts): cells run on the cluster
   * its owner starts for this provider's kube-proxy mode, and the owner stops it.
   */
  shared?: string;
}

/** The profiles real programs back here: flannel VXLAN (Calico's modules cannot be built offline yet). */
const KUBE_PROFILES: Partial<Record<ProfileName, string>> = {
  'flannel-vxlan': 'flannel',
  'flannel-vxlan-nftables': 'flannel',
};

/** What the kube provider declares it cannot do, with why (known before any cell runs). */
export const KUBE_GAPS: Gaps = {
  'cluster-dns':
    'no cluster DNS (CoreDNS) runs in the kube cluster, so headless-Service names resolve nowhere: Sentinel whole-restart cells need them for their fix',
  'load-balancer':
    'no load-balancer controller runs in the kube cluster (upstream Kubernetes without a cloud provider has none), so a LoadBalancer Service never gets an ingress address: Sentinel loadbalancer cells need one',
};

const DEBIAN_COMMANDS: Record<string, string> = {
  containerd: 'containerd',
  ctr: 'containerd',
  runc: 'runc',
  socat: 'socat',
  openssl: 'openssl',
  nsenter: 'util-linux',
  conntrack: 'conntrack',
  busybox: 'busybox-static',
};

export class KubeProvider implements Provider {
  readonly name = 'kube' as const;
  readonly gaps: Gaps;
  readonly topologiesAtOnce = 1;
  private cluster?: Promise<KubeCluster>;

  constructor(private readonly opts: KubeProviderOptions) {
    this.gaps = opts.shared ? { ...KUBE_GAPS, 'node-faults': KUBE_SHARED_NODE_FAULTS } : KUBE_GAPS;
  }

  /** kube-proxy's mode on the cluster this provider starts: its profile's (kubeModule.create). */
  get proxyMode(): ProxyMode {
    return this.opts.proxyMode ?? 'iptables';
  }

  static forProfile(profile: ProfileName, opts: Omit<KubeProviderOptions, 'profile'>): KubeProvider {
    return new KubeProvider({ ...opts, profile });
  }

  async check(): Promise<Requirement[]> {
    const reqs: Requirement[] = [];
    if (this.opts.profile) {
      const cni = KUBE_PROFILES[this.opts.profile];
      reqs.push({
        name: `profile ${this.opts.profile} on kube`,
        met: !!cni,
        detail: cni
          ? `${cni} ${KUBE_VERSIONS.flannel}, kube-proxy ${this.proxyMode}`
          : this.opts.profile.startsWith('calico')
            ? `the kube provider runs flannel VXLAN only (Calico cannot be built from this machine's Go modules: docs/kubernetes.md#calico-on-kube)`
            : `the kube provider runs flannel VXLAN only (${this.opts.profile} is a control profile of the netns lab)`,
      });
    }
    reqs.push({
      name: 'root',
      met: process.getuid?.() === 0,
      detail: 'the kube provider builds namespaces and cgroups: run as root (sudo)',
    });
    const missing = [];
    for (const [cmd, pkg] of Object.entries(DEBIAN_COMMANDS)) {
      if (!onPath(cmd)) {
        missing.push(pkg);
      }
    }
    reqs.push({
      name: 'packages',
      met: missing.length === 0,
      detail: missing.length ? `missing ${[...new Set(missing)].join(', ')}: sudo npx rcnc setup --kube` : undefined,
    });
    const hierarchies = cgroupHierarchies();
    const needed = ['cpu', 'cpuacct', 'cpuset', 'memory'].filter((h) => !hierarchies.includes(h));
    reqs.push({
      name: 'cgroup v1 hierarchies',
      met: needed.length === 0,
      detail: needed.length
        ? `the kubelet needs cgroup v1 ${needed.join(', ')} mounted under /sys/fs/cgroup`
        : undefined,
    });
    reqs.push(await this.binariesRequirement());
    return reqs;
  }

  /** Binaries present, or a Go toolchain to build them at the first start. */
  private async binariesRequirement(): Promise<Requirement> {
    if (this.opts.kubeBin) {
      const missing = missingBinaries(this.opts.kubeBin);
      return {
        name: 'kube binaries',
        met: missing.length === 0,
        detail: missing.length ? `--kube-bin ${this.opts.kubeBin} lacks ${missing.join(', ')}` : this.opts.kubeBin,
      };
    }
    try {
      const go = await goBinary();
      const dir = binDirFor(go.version);
      const cached = missingBinaries(dir).length === 0;
      return {
        name: 'kube binaries',
        met: true,
        detail: cached ? dir : `not built yet: the first start builds them into ${dir} (${go.version})`,
      };
    } catch (e) {
      return { name: 'kube binaries', met: false, detail: (e as Error).message };
    }
  }

  /** The cluster this provider's cells share, started at the first cell. */
  private shared(): Promise<KubeCluster> {
    if (this.opts.cluster) {
      return Promise.resolve(this.opts.cluster);
    }
    const shared = this.opts.shared;
    if (shared) {
      this.cluster ??= askSharedCluster(shared, this.proxyMode).then((c) => KubeCluster.attach(c));
      return this.cluster;
    }
    this.cluster ??= startCellsCluster({
      kubeBin: this.opts.kubeBin,
      redis: this.opts.redis,
      proxyMode: this.proxyMode,
      nodes: this.opts.nodes,
      runId: this.opts.runId,
      progress: this.opts.progress,
    });
    // A failed start is not retried by every later cell of the run: each reports the same error.
    return this.cluster;
  }

  async start(spec: TopologySpec): Promise<K8sTopology> {
    if (spec.profile !== this.opts.profile && this.opts.profile) {
      throw new UsageError(`this kube provider runs ${this.opts.profile}, but the topology asks for ${spec.profile}`);
    }
    if (!KUBE_PROFILES[spec.profile]) {
      throw new RequirementError(`profile ${spec.profile} does not run on the kube provider`);
    }
    // Nothing would ever publish an ingress address: the wait for it would only run out.
    const noLb = KUBE_GAPS['load-balancer'];
    if (spec.loadBalancers?.length && noLb) {
      throw new CapabilityError('load-balancer', noLb);
    }
    const cluster = await this.shared();
    if (spec.nodes > cluster.nodeCount) {
      throw new UsageError(`the kube cluster has ${cluster.nodeCount} nodes; the topology asks for ${spec.nodes}`);
    }
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.names.kubeconfig);
    const kube = new KubeClient(kc);
    const id = randomBytes(3).toString('hex');
    const namespace = `rcnc-${id}`;
    const teardown = new Teardown();
    const dataRoot = join(cluster.names.dir, 'pv');
    const clusterInfo = await readClusterInfo(kube);
    try {
      const topo = await K8sTopology.deploy({
        id,
        provider: 'kube',
        spec,
        kube,
        namespace,
        runId: this.opts.runId ?? id,
        nodeNames: Array.from({ length: spec.nodes }, (_, i) => cluster.names.nodeName(i)),
        // The image the cluster's nodes imported when it started: made once per cluster, not per cell.
        image: cluster.opts.images.redis.ref,
        access: new KubeNodes(cluster, { sharedDataRoot: dataRoot, nodeFaults: true }),
        externalIP: KUBE_NET.gateway,
        allowDebugContainers: false,
        podReadyTimeoutMs: 120_000,
        teardown,
        deleteNamespace: true,
        clusterInfo,
        gaps: this.gaps,
      });
      // What the cluster is, from what rcnc built and what the nodes report, rather than the
      // generic detection (which cannot know flanneld's version or that this is rcnc's build).
      const info = this.provenanceOf(cluster, clusterInfo);
      topo.provenance = () => info;
      return topo;
    } catch (e) {
      await teardown.run().catch(() => {});
      throw e instanceof TopologyError
        ? e
        : new TopologyError(`could not deploy on kube cluster ${cluster.id}: ${(e as Error).message}`, { cause: e });
    }
  }

  private provenanceOf(cluster: KubeCluster, info: ClusterInfo): Provenance {
    const runtime = info.nodes[0]?.runtime?.replace('://', ' ') ?? 'containerd';
    return {
      provider: 'kube',
      emulation: false,
      label: `Kubernetes ${info.serverVersion} (upstream, built here), kube-proxy ${cluster.opts.proxyMode}, flannel ${KUBE_VERSIONS.flannel} VXLAN, ${runtime}`,
      versions: {
        ...clusterInfoSummary(info),
        'kube-proxy.mode': cluster.opts.proxyMode,
        'flannel.version': KUBE_VERSIONS.flannel,
        'etcd.version': KUBE_VERSIONS.etcd,
      },
    };
  }

  async close(): Promise<void> {
    const c = this.cluster;
    this.cluster = undefined;
    const started = await c?.catch(() => undefined);
    await started?.stop();
  }
}
