// The k3d provider: one real k3s cluster in Docker per started topology (k3s' flannel, or Calico
// through the Tigera operator), the topology deployed into it through the API server, the cluster
// deleted at stop. Profiles: flannel-vxlan → k3s default flannel; calico-vxlan → Calico VXLAN
// Always; calico-crosssubnet → Calico VXLANCrossSubnet; no-nat → not available (a netns-lab
// control). Node count comes from TopologySpec.nodes: one server, nodes-1 agents.
//
// Engine `testcontainers` runs one @testcontainers/k3s container instead of k3d: no k3d binary
// needed, a single node only (pod-IP cells), no node faults.
import { KubeConfig } from '@kubernetes/client-node';
import { K3sContainer, type StartedK3sContainer } from '@testcontainers/k3s';
import { execa } from 'execa';
import { mkdir, rm } from 'node:fs/promises';
import type { ProfileName } from '../../model/dimensions.ts';
import { isRcncError, RequirementError, TopologyError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { Teardown, trackForSignals } from '../../util/teardown.ts';
import { KubeClient } from '../k8s/apply.ts';
import { readClusterInfo, type ClusterInfo } from '../k8s/cluster-info.ts';
import { K8sTopology } from '../k8s/topology.ts';
import { K3S_IMAGE, REDIS_IMAGE } from '../k8s/versions.ts';
import type { Provider, Requirement, TopologySpec } from '../provider.ts';
import { resolveK3d, type K3dBinary, type ResolveOptions } from './binary.ts';
import { installCalico } from './calico.ts';
import {
  apiHostFor,
  clusterNetwork,
  K3D_DATA_ROOT,
  k3sDisable,
  newClusterName,
  nodeContainer,
  renderK3dConfig,
  rewriteKubeconfig,
  RUN_ID_RUNTIME_LABEL,
  type CalicoMode,
  type Cni,
} from './config.ts';
import { docker, dockerRequirement, dockerStatus, imagePresent, networkGateway } from './docker.ts';
import { ContainerNodes } from './nodes.ts';

export type K3dCni = { cni: 'flannel' } | { cni: 'calico'; calicoMode: CalicoMode };

/** What each profile is on k3d, or why it cannot be one. */
export function k3dCniFor(profile: ProfileName): K3dCni | { unsupported: string } {
  switch (profile) {
    case 'flannel-vxlan':
      return { cni: 'flannel' };
    case 'calico-vxlan':
      return { cni: 'calico', calicoMode: 'Always' };
    case 'calico-crosssubnet':
      return { cni: 'calico', calicoMode: 'CrossSubnet' };
    case 'no-nat':
      return {
        unsupported:
          'profile no-nat is a netns-lab control (routed pods, no CNI masquerade); k3d has no such CNI setup',
      };
  }
}

export interface K3dProviderOptions {
  /** The profile cells will ask for: check() reports an unsupported one as unmet. */
  profile?: ProfileName;
  /** Fix the CNI instead of deriving it from each spec's profile. */
  cni?: Cni;
  calicoMode?: CalicoMode;
  /** `k3d` (default) or one @testcontainers/k3s container (single node). */
  engine?: 'k3d' | 'testcontainers';
  /** Image the topology's pods run (they need redis-server/redis-cli). */
  image?: string;
  k3sImage?: string;
  /** Text of the Tigera operator manifest (offline runs); default: downloaded, pinned version. */
  calicoOperatorManifest?: string;
  /** Allow ephemeral debug containers for captures the host cannot take. */
  allowDebugContainers?: boolean;
  /** Publish the spec's NodePorts on the host (default: off on Linux, where node IPs route). */
  publishNodePorts?: boolean;
  /** Leave the cluster running after stop() (debugging; RCNC_KEEP_K3D=1 does the same). */
  keepCluster?: boolean;
  runId?: string;
  podReadyTimeoutMs?: number;
  binary?: ResolveOptions;
  log?: (line: string) => void;
}

const MAX_NODES = 10;

export class K3dProvider implements Provider {
  readonly name = 'k3d' as const;
  private binary?: Promise<K3dBinary>;

  constructor(private readonly opts: K3dProviderOptions = {}) {}

  /** A provider for one profile (cells of that profile skip with the reason when it is unsupported). */
  static forProfile(profile: ProfileName, opts: Omit<K3dProviderOptions, 'profile'> = {}): K3dProvider {
    return new K3dProvider({ ...opts, profile });
  }

  private resolveBinary(): Promise<K3dBinary> {
    this.binary ??= resolveK3d(this.opts.binary);
    // A failed resolution is retried next time (the user may have installed k3d meanwhile).
    this.binary.catch(() => (this.binary = undefined));
    return this.binary;
  }

  async check(): Promise<Requirement[]> {
    const reqs: Requirement[] = [];
    if (this.opts.profile) {
      const c = k3dCniFor(this.opts.profile);
      reqs.push(
        'unsupported' in c
          ? { name: `profile ${this.opts.profile} on k3d`, met: false, detail: c.unsupported }
          : { name: `profile ${this.opts.profile} on k3d`, met: true },
      );
    }
    reqs.push(await dockerRequirement());
    if (this.opts.engine !== 'testcontainers') {
      try {
        const b = await this.resolveBinary();
        reqs.push({ name: 'k3d binary', met: true, detail: `k3d ${b.version} (${b.source}: ${b.path})` });
      } catch (e) {
        reqs.push({ name: 'k3d binary', met: false, detail: (e as Error).message });
      }
    }
    const cli = await run(['docker', '--version'], { reject: false }).catch(() => undefined);
    reqs.push(
      cli?.exitCode === 0
        ? { name: 'docker CLI', met: true, detail: cli.stdout.trim() }
        : { name: 'docker CLI', met: false, detail: 'the docker CLI is not on PATH (node exec and faults use it)' },
    );
    return reqs;
  }

  private cniFor(spec: TopologySpec): K3dCni {
    const derived = k3dCniFor(spec.profile);
    if ('unsupported' in derived) {
      throw new RequirementError(derived.unsupported);
    }
    if (!this.opts.cni) {
      return derived;
    }
    const fixed: K3dCni =
      this.opts.cni === 'calico' ? { cni: 'calico', calicoMode: this.opts.calicoMode ?? 'Always' } : { cni: 'flannel' };
    if (JSON.stringify(fixed) !== JSON.stringify(derived)) {
      throw new UsageError(
        `this k3d provider runs ${JSON.stringify(fixed)}, but the topology asks for profile ${spec.profile}`,
      );
    }
    return fixed;
  }

  async start(spec: TopologySpec): Promise<K8sTopology> {
    if (!Number.isInteger(spec.nodes) || spec.nodes < 1 || spec.nodes > MAX_NODES) {
      throw new UsageError(`a k3d cluster here has 1 to ${MAX_NODES} nodes, got ${spec.nodes}`);
    }
    const cni = this.cniFor(spec);
    if (this.opts.engine === 'testcontainers' && spec.nodes !== 1) {
      throw new UsageError(`the testcontainers engine runs a single k3s node; this topology needs ${spec.nodes}`);
    }
    const teardown = new Teardown();
    const untrack = trackForSignals({ stop: () => teardown.run() });
    teardown.defer('untrack signals', untrack);
    try {
      const cluster =
        this.opts.engine === 'testcontainers'
          ? await this.startK3sContainer(cni, teardown, (spec.loadBalancers ?? []).length > 0)
          : await this.startK3d(spec, cni, teardown);
      const kube = new KubeClient(cluster.kc);
      if (cni.cni === 'calico') {
        await installCalico(kube, {
          mode: cni.calicoMode,
          operatorManifest: this.opts.calicoOperatorManifest,
          log: this.opts.log,
        });
      }
      // k3d's own wait watches log lines only; with Calico the nodes turn Ready after the CNI runs.
      const ready = await kube.waitForNodesReady(spec.nodes, 300_000);
      const nodeNames = cluster.nodeNames ?? ready.map((n) => n.metadata?.name ?? '');
      const clusterInfo: ClusterInfo | undefined = await readClusterInfo(kube).catch(() => undefined);
      const topo = await K8sTopology.deploy({
        id: cluster.id,
        provider: 'k3d',
        spec,
        kube,
        namespace: 'rcnc',
        runId: this.opts.runId ?? cluster.id,
        nodeNames,
        image: this.opts.image ?? REDIS_IMAGE,
        access: new ContainerNodes(cluster.containers, {
          faults: this.opts.engine !== 'testcontainers',
          sharedDataRoot: cluster.sharedDataRoot,
        }),
        externalIP: cluster.externalIP,
        allowDebugContainers: !!this.opts.allowDebugContainers,
        podReadyTimeoutMs: this.opts.podReadyTimeoutMs ?? 180_000,
        teardown,
        // The whole cluster goes at stop: deleting the namespace first would only add time.
        deleteNamespace: false,
        clusterInfo,
      });
      return topo;
    } catch (e) {
      await teardown.run().catch(() => {});
      if (isRcncError(e)) {
        throw e;
      }
      throw new TopologyError(`could not start a k3d ${spec.profile} cluster: ${(e as Error).message}`, { cause: e });
    }
  }

  private keep(): boolean {
    return !!this.opts.keepCluster || process.env.RCNC_KEEP_K3D === '1';
  }

  private async startK3d(spec: TopologySpec, cni: K3dCni, teardown: Teardown) {
    const k3d = (await this.resolveBinary()).path;
    const name = newClusterName();
    const id = name.slice('rcnc-'.length);
    const status = await dockerStatus();
    if (!status.ok) {
      throw new RequirementError(status.detail);
    }
    // Same path on this machine and in the daemon's view when the daemon is local.
    const sharedDataDir = `/tmp/rcnc-k3d-${name}`;
    if (status.local) {
      await mkdir(sharedDataDir, { recursive: true });
      teardown.defer('remove shared data dir', () => rm(sharedDataDir, { recursive: true, force: true }));
    }
    const nodePorts = (spec.services ?? []).flatMap((s) => s.ports.map((p) => p.nodePort));
    const config = renderK3dConfig({
      name,
      runId: this.opts.runId ?? id,
      agents: spec.nodes - 1,
      cni: cni.cni,
      image: this.opts.k3sImage ?? K3S_IMAGE,
      publishNodePorts: (this.opts.publishNodePorts ?? process.platform !== 'linux') ? nodePorts : [],
      sharedDataDir,
      serviceLb: (spec.loadBalancers ?? []).length > 0,
    });
    if (!this.keep()) {
      // Registered before create: a half-created cluster is removed too.
      teardown.defer(`delete k3d cluster ${name}`, () =>
        run([k3d, 'cluster', 'delete', name], { timeoutMs: 180_000 }).then(() => undefined),
      );
    }
    this.opts.log?.(`creating k3d cluster ${name} (${cni.cni}, ${spec.nodes} node(s))`);
    await createK3dCluster(k3d, name, config);
    const containers = Array.from({ length: spec.nodes }, (_, i) => nodeContainer(name, i));
    if (!this.keep()) {
      // Pods write as root into the shared dir: empty it from inside before the nodes go.
      teardown.defer('empty shared data dir', () =>
        docker(['exec', containers[0]!, 'sh', '-c', `rm -rf ${K3D_DATA_ROOT}/*`], { reject: false }).then(
          () => undefined,
        ),
      );
    }
    const kubeconfig = await run([k3d, 'kubeconfig', 'get', name]);
    const kc = new KubeConfig();
    kc.loadFromString(rewriteKubeconfig(kubeconfig.stdout, apiHostFor()));
    // Preload the pods' image when this machine has it: no registry pull per cluster.
    const image = this.opts.image ?? REDIS_IMAGE;
    if (await imagePresent(image)) {
      await run([k3d, 'image', 'import', image, '-c', name, '--mode', 'direct'], {
        reject: false,
        timeoutMs: 180_000,
      });
    }
    return {
      id,
      kc,
      containers,
      nodeNames: containers as string[] | undefined,
      sharedDataRoot: K3D_DATA_ROOT as string | undefined,
      externalIP: await networkGateway(clusterNetwork(name)),
    };
  }

  private async startK3sContainer(cni: K3dCni, teardown: Teardown, serviceLb: boolean) {
    const args = ['server', k3sDisable(serviceLb)];
    if (cni.cni === 'calico') {
      args.push('--flannel-backend=none', '--disable-network-policy', '--cluster-cidr=192.168.0.0/16');
    }
    const id = newClusterName().slice('rcnc-'.length);
    const container: StartedK3sContainer = await new K3sContainer(this.opts.k3sImage ?? K3S_IMAGE)
      .withCommand(args)
      .withLabels({ [RUN_ID_RUNTIME_LABEL]: this.opts.runId ?? id })
      .start();
    if (!this.keep()) {
      teardown.defer('stop k3s container', () => container.stop().then(() => undefined));
    }
    const kc = new KubeConfig();
    kc.loadFromString(container.getKubeConfig());
    return {
      id,
      kc,
      containers: [container.getId()],
      // The node is named after the container's hostname: read from the API once it is Ready.
      nodeNames: undefined,
      sharedDataRoot: undefined,
      externalIP: undefined,
    };
  }
}

/** `k3d cluster create --config -` with the YAML on stdin; a failure names the cluster and k3d's last lines. */
async function createK3dCluster(k3d: string, name: string, config: string): Promise<void> {
  const created = await execa(k3d, ['cluster', 'create', '--config', '-'], {
    input: config,
    reject: false,
    timeout: 360_000,
  });
  if (created.exitCode !== 0) {
    const out = `${String(created.stderr)}\n${String(created.stdout)}`.trim().split('\n').slice(-3).join(' | ');
    throw new TopologyError(`k3d cluster create ${name} failed (exit ${created.exitCode}): ${out}`);
  }
}
