// The k3d provider: real k3s clusters in Docker (k3s' flannel, or Calico through the Tigera
// operator), shared by the topologies of one profile. A cluster (one server, DEFAULT_AGENTS
// agents) is started the first time a topology needs one and given back at the topology's stop;
// each topology lives in a namespace of its own on the agents, and the clusters go when the
// provider is closed (after each test file: suite/worker-setup.ts). Which CNI each profile gets
// (flannel, Calico VXLAN Always or CrossSubnet, or none for no-nat) is the profile table's.
import { randomBytes } from 'node:crypto';
import type { Gaps } from '../../model/capabilities.ts';
import { profileFacts, type K3dCni, type ProfileName } from '../../model/profiles.ts';
import { RequirementError, TopologyError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { Teardown, trackForSignals } from '../../util/teardown.ts';
import { hostFacts, hostNamespaceGap, type HostFacts } from '../k8s/capture.ts';
import { ProbePods } from '../k8s/probe-pod.ts';
import { K8sTopology } from '../k8s/topology.ts';
import { REDIS_IMAGE } from '../k8s/versions.ts';
import type { Provider, Requirement, TopologySpec } from '../provider.ts';
import { rollBack } from '../rollback.ts';
import { DockerK3dBackend, type K3dBackend } from './backend.ts';
import { resolveK3d, type K3dBinary, type ResolveOptions } from './binary.ts';
import { DEFAULT_AGENTS } from './budgets.ts';
import { startCluster, type ClusterOptions, type StartedCluster } from './cluster.ts';
import { K3D_DATA_ROOT, newClusterName, type CalicoMode, type Cni } from './config.ts';
import type { DockerStatus } from './docker.ts';
import { ContainerNodes } from './nodes.ts';
import { ClusterPool } from './pool.ts';

export type { K3dCni } from '../../model/profiles.ts';

/** What each profile is on k3d, or why it cannot be one (the profile table's). */
export const k3dCniFor = (profile: ProfileName): K3dCni | { unsupported: string } => profileFacts(profile).k3d;

export interface K3dProviderOptions {
  /** The profile cells will ask for: check() reports an unsupported one as unmet. */
  profile?: ProfileName;
  /** Fix the CNI instead of deriving it from each spec's profile. */
  cni?: Cni;
  calicoMode?: CalicoMode;
  /** Agents of each cluster: the most nodes a topology may have (default DEFAULT_AGENTS). */
  agents?: number;
  /** Image the topology's pods run (they need redis-server/redis-cli). */
  image?: string;
  k3sImage?: string;
  /** Text of the Tigera operator manifest (offline runs); default: downloaded, pinned version. */
  calicoOperatorManifest?: string;
  /** Allow ephemeral debug containers for pod captures this machine cannot take. */
  allowDebugContainers?: boolean;
  /** Publish the spec's NodePorts on the host (default: off on Linux, where node IPs route). */
  publishNodePorts?: boolean;
  /** Leave clusters running after close() (debugging; RCNC_KEEP_K3D=1 does the same). */
  keepCluster?: boolean;
  runId?: string;
  podReadyTimeoutMs?: number;
  binary?: ResolveOptions;
  /** The Docker/k3d/API-server boundary (tests pass a fake). */
  backend?: K3dBackend;
  /** What decides host access (tests pass fixed facts). */
  host?: (docker: DockerStatus) => Promise<HostFacts>;
  /** Cluster start phase bounds (tests shorten them). */
  phaseBounds?: ClusterOptions['bounds'];
  /** Where clusters' run-state records go (default: this user's run-state root). */
  stateRoot?: string;
  log?: (line: string) => void;
}

/**
 * A k3d provider's gaps on this machine, with the reasons. Node commands, faults and signals it
 * always has (Docker and the node containers' own tools); programs of this machine in a node's or
 * pod's namespace (the load client, host captures) only where this machine shares the daemon's
 * kernel as root.
 */
export function k3dGaps(h: HostFacts, allowDebugContainers = false): Gaps {
  const netns = hostNamespaceGap(h, ['nsenter']);
  const capture = hostNamespaceGap(h, ['nsenter', 'tcpdump']);
  return {
    ...(netns ? { 'host-netns': netns } : {}),
    ...(capture
      ? {
          capture: `${capture}${allowDebugContainers ? '; pod captures use an ephemeral debug container instead' : '; allowing ephemeral debug containers would capture in pods'}`,
        }
      : {}),
  };
}

export class K3dProvider implements Provider {
  readonly name = 'k3d' as const;
  /** Known once check() (or the first start()) has looked at this machine: declaredGaps(). */
  gaps: Gaps = {};
  private binary?: Promise<K3dBinary>;
  private readonly pools = new Map<string, { pool: ClusterPool<StartedCluster>; untrack: () => void }>();
  private gapsMemo?: Promise<Gaps>;
  private readonly backend: K3dBackend;

  constructor(private readonly opts: K3dProviderOptions = {}) {
    this.backend = opts.backend ?? new DockerK3dBackend(async () => (await this.resolveBinary()).path);
  }

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

  private get agents(): number {
    return this.opts.agents ?? DEFAULT_AGENTS;
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
    const status = await this.backend.dockerStatus();
    reqs.push({ name: 'Docker daemon', met: status.ok, detail: status.detail });
    try {
      const b = await this.resolveBinary();
      reqs.push({ name: 'k3d binary', met: true, detail: `k3d ${b.version} (${b.source}: ${b.path})` });
    } catch (e) {
      reqs.push({ name: 'k3d binary', met: false, detail: (e as Error).message });
    }
    const cli = await run(['docker', '--version'], { reject: false }).catch(() => undefined);
    reqs.push(
      cli?.exitCode === 0
        ? { name: 'docker CLI', met: true, detail: cli.stdout.trim() }
        : { name: 'docker CLI', met: false, detail: 'the docker CLI is not on PATH (node exec and faults use it)' },
    );
    if (status.ok) {
      await this.declaredGaps();
    }
    return reqs;
  }

  /** This machine's gaps with k3d (then also `gaps`); computed once, by check() or by the first start(). */
  declaredGaps(): Promise<Gaps> {
    this.gapsMemo ??= (async () => {
      const status = await this.backend.dockerStatus();
      if (!status.ok) {
        throw new RequirementError(status.detail);
      }
      const facts = await (this.opts.host ?? hostFacts)(status);
      this.gaps = k3dGaps(facts, this.opts.allowDebugContainers);
      return this.gaps;
    })();
    this.gapsMemo.catch(() => (this.gapsMemo = undefined));
    return this.gapsMemo;
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

  private keep(): boolean {
    return !!this.opts.keepCluster || process.env.RCNC_KEEP_K3D === '1';
  }

  /**
   * One pool per CNI setup, and apart for topologies with LoadBalancer Services: only their
   * clusters run k3s's ServiceLB (its svclb pods bind host ports on every node, part of no other
   * datapath under test).
   */
  private pool(cni: K3dCni, spec: TopologySpec): ClusterPool<StartedCluster> {
    const serviceLb = (spec.loadBalancers ?? []).length > 0;
    const key = JSON.stringify({ ...cni, serviceLb });
    const known = this.pools.get(key);
    if (known) {
      return known.pool;
    }
    const pool = new ClusterPool(async () => {
      const local = (await this.backend.dockerStatus()).local ?? false;
      const nodePorts = (spec.services ?? []).flatMap((s) => s.ports.map((p) => p.nodePort));
      return startCluster(this.backend, {
        name: newClusterName(),
        runId: this.opts.runId ?? 'adhoc',
        cni,
        agents: this.agents,
        k3sImage: this.opts.k3sImage,
        podImage: this.opts.image ?? REDIS_IMAGE,
        calicoOperatorManifest: this.opts.calicoOperatorManifest,
        localDaemon: local,
        publishNodePorts: (this.opts.publishNodePorts ?? process.platform !== 'linux') ? nodePorts : [],
        serviceLb,
        keep: this.keep(),
        log: this.opts.log,
        bounds: this.opts.phaseBounds,
        stateRoot: this.opts.stateRoot,
      });
    });
    // SIGINT/SIGTERM delete the clusters too, not only the topologies on them.
    this.pools.set(key, { pool, untrack: trackForSignals({ stop: () => pool.close() }) });
    return pool;
  }

  async start(spec: TopologySpec): Promise<K8sTopology> {
    if (!Number.isInteger(spec.nodes) || spec.nodes < 1 || spec.nodes > this.agents) {
      throw new UsageError(
        `a k3d topology here runs on 1 to ${this.agents} agents (the server runs the API and takes no pods or faults), got ${spec.nodes} nodes`,
      );
    }
    const cni = this.cniFor(spec);
    const gaps = await this.declaredGaps();
    const lease = await this.pool(cni, spec).lease();
    return this.deploy(spec, lease.cluster, gaps, (broken) => lease.release(broken));
  }

  /** The topology in a namespace of its own on the leased cluster; stop() gives the cluster back. */
  private async deploy(
    spec: TopologySpec,
    c: StartedCluster,
    gaps: Gaps,
    release: (broken?: unknown) => Promise<void>,
  ): Promise<K8sTopology> {
    const id = randomBytes(3).toString('hex');
    const namespace = `rcnc-${id}`;
    const runId = this.opts.runId ?? id;
    const nodeNames = c.agents.slice(0, spec.nodes);
    const image = this.opts.image ?? REDIS_IMAGE;
    const teardown = new Teardown();
    let broken: unknown;
    teardown.defer(`give k3d cluster ${c.name} back`, () => release(broken));
    teardown.defer(`remove the data dirs of ${namespace}`, () =>
      c.backend.docker(['exec', c.server, 'rm', '-rf', `${K3D_DATA_ROOT}/${namespace}`]).then(() => undefined),
    );
    const untrack = trackForSignals({ stop: () => teardown.run() });
    teardown.defer('untrack signals', untrack);
    const probes = new ProbePods(c.kube, { namespace, runId, image, nodeNames });
    try {
      return await K8sTopology.deploy({
        id,
        provider: 'k3d',
        spec,
        kube: c.kube,
        namespace,
        runId,
        nodeNames,
        image,
        access: new ContainerNodes({
          backend: c.backend,
          containers: nodeNames,
          probes,
          sharedDataRoot: c.sharedDataRoot,
          gaps,
        }),
        externalIP: c.externalIP,
        allowDebugContainers: !!this.opts.allowDebugContainers,
        podReadyTimeoutMs: this.opts.podReadyTimeoutMs ?? 180_000,
        teardown,
        deleteNamespace: true,
        clusterInfo: c.clusterInfo,
        gaps,
        onTeardownError: (e) => (broken ??= e),
      });
    } catch (e) {
      return rollBack(teardown, e, `could not deploy on k3d cluster ${c.name}`);
    }
  }

  /** Deletes every cluster this provider started (none with RCNC_KEEP_K3D=1). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    const results = await Promise.allSettled(
      pools.map(async ({ pool, untrack }) => {
        untrack();
        await pool.close();
      }),
    );
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (errors.length) {
      throw new TopologyError(errors.map((e) => e.message).join('; '), { cause: errors[0] });
    }
  }
}
