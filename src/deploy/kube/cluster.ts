// A real Kubernetes cluster in this run's namespaces: etcd, kube-apiserver, kube-controller-manager
// and kube-scheduler in a control-plane namespace; per node containerd, kubelet, flanneld (VXLAN)
// and kube-proxy in the node's network and mount namespaces. The runner reaches the API server
// only through a relay (a socket under the run dir, served from inside the control-plane
// namespace, and a loopback listener in front of it), never by a route. Teardown is LIFO and runs
// on failure and on signals; `rcnc clean` finds what a killed run left by its id.
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TopologyError } from '../../util/errors.ts';
import { run, type ExecResult } from '../../util/exec.ts';
import { self } from '../../util/run-state.ts';
import { Teardown, trackForSignals } from '../../util/teardown.ts';
import { waitFor } from '../../util/wait.ts';
import { ensureKubeBinaries } from './build.ts';
import {
  containerdConfig,
  flannelCniConfig,
  flannelNetConf,
  flannelRbac,
  kubeProxyConfig,
  kubeletConfig,
  nodePaths,
  type NodePaths,
  type ProxyMode,
} from './config.ts';
import { Daemons, inPlace, type DaemonPlace } from './daemons.ts';
import { buildCgroups, buildMountNamespaces, buildNetwork, nodeCgroupRoot, ownMemoryCgroup } from './host.ts';
import { PAUSE_REF, clusterImages, type ImageArchive } from './images.ts';
import { KUBE_CELL_NODES, KUBE_NET, kubeNames, newKubeId, type KubeClusterState, type KubeNames } from './names.ts';
import { kubeconfigFor, makePki, type Pki } from './pki.ts';
import type { SharedKubeCluster } from './shared.ts';
import { clusterPids, killAll } from './sweep.ts';
import { KUBE_VERSIONS } from './versions.ts';

export interface KubeClusterOptions {
  id?: string;
  nodes: number;
  proxyMode: ProxyMode;
  /** Folder with every binary of versions.ts (the build cache or --kube-bin). */
  bin: string;
  images: { pause: ImageArchive; redis: ImageArchive };
  /** `rcnc kube up`: daemons outlive this process, and nothing tears down on exit. */
  persist?: boolean;
  runId?: string;
  progress?: (line: string) => void;
  /** Bound on the whole start, to every node Ready. */
  readyTimeoutMs?: number;
}

/**
 * The cluster a run's kube cells share (the provider's own, or the one vitest's main process serves
 * the kube tier): KUBE_CELL_NODES nodes from the built binaries (--kube-bin, or the build cache,
 * built when empty) and the images made from the run's Redis.
 */
export async function startCellsCluster(o: {
  kubeBin?: string;
  redis: { server: string; cli: string };
  proxyMode: ProxyMode;
  nodes?: number;
  runId?: string;
  progress?: (line: string) => void;
}): Promise<KubeCluster> {
  const { dir } = await ensureKubeBinaries({ kubeBin: o.kubeBin, progress: o.progress });
  return KubeCluster.start({
    nodes: o.nodes ?? KUBE_CELL_NODES,
    proxyMode: o.proxyMode,
    bin: dir,
    images: await clusterImages(dir, o.redis),
    runId: o.runId,
    progress: o.progress,
  });
}

const CNI_BIN = '/usr/lib/cni';

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class KubeCluster implements AsyncDisposable {
  readonly names: KubeNames;
  readonly daemons: Daemons;
  private readonly td = new Teardown();
  private pki?: Pki;
  private untrack?: () => void;
  relayPort = 0;
  cgroupBase = '';
  cgroupRoots: string[] = [];
  /** A handle on a cluster another process started (attach): its daemons are not this one's. */
  private attachedTo = false;
  /** Nodes stopped by stopNode and not started again. */
  private readonly stoppedNodes = new Set<number>();

  private constructor(
    readonly opts: KubeClusterOptions,
    id: string,
  ) {
    this.names = kubeNames(id);
    this.daemons = new Daemons(this.names.logs, {
      persist: !!opts.persist,
      record: join(this.names.dir, 'daemons.jsonl'),
    });
  }

  get id(): string {
    return this.names.id;
  }
  get nodeCount(): number {
    return this.opts.nodes;
  }
  private log(line: string) {
    this.opts.progress?.(line);
  }
  private bin(name: string): string {
    return join(this.opts.bin, name);
  }
  /** The kubeconfig inside the namespaces (the API server at its address on the node network). */
  private internalKubeconfig(key: string): string {
    return join(this.names.pki, `${key}.kubeconfig`);
  }
  nodePlace(i: number): DaemonPlace {
    return { netns: this.names.node(i), mountNs: this.names.mountNs(i) };
  }
  get cpPlace(): DaemonPlace {
    return { netns: this.names.cp, mountNs: this.names.cpMountNs };
  }

  static async start(opts: KubeClusterOptions): Promise<KubeCluster> {
    // No nodes: the control plane alone (the bench's floor for a cluster start).
    if (!Number.isInteger(opts.nodes) || opts.nodes < 0 || opts.nodes > 4) {
      throw new TopologyError(`a kube cluster here has 0 to 4 worker nodes (2 cores), got ${opts.nodes}`);
    }
    const c = new KubeCluster(opts, opts.id ?? newKubeId());
    if (!opts.persist) {
      c.untrack = trackForSignals({ stop: () => c.stop() });
    }
    try {
      await c.build();
      return c;
    } catch (e) {
      const undo = await c.stop().then(
        () => '',
        (te: unknown) => `; tearing it down also failed: ${(te as Error).message}`,
      );
      throw new TopologyError(`kube cluster ${c.id} did not start: ${(e as Error).message}${undo}`, { cause: e });
    }
  }

  /**
   * A cluster another process of this run started and will stop (src/deploy/kube/shared.ts): this
   * handle reaches its nodes and API server, and its stop() stops nothing (it defers no teardown).
   */
  static attach(shared: SharedKubeCluster): KubeCluster {
    const c = new KubeCluster(
      { nodes: shared.nodes, proxyMode: shared.proxyMode, bin: shared.bin, images: shared.images },
      shared.id,
    );
    c.attachedTo = true;
    c.relayPort = shared.relayPort;
    c.cgroupBase = shared.cgroupBase;
    c.cgroupRoots = Array.from({ length: shared.nodes }, (_, i) => nodeCgroupRoot(shared.cgroupBase, i));
    return c;
  }

  /** Whether this handle attached to a cluster another process started and stops. */
  get attached(): boolean {
    return this.attachedTo;
  }

  /** What another process of the run needs to attach to this cluster. */
  get shared(): SharedKubeCluster {
    return {
      id: this.id,
      nodes: this.opts.nodes,
      proxyMode: this.opts.proxyMode,
      bin: this.opts.bin,
      images: this.opts.images,
      relayPort: this.relayPort,
      cgroupBase: this.cgroupBase,
    };
  }

  private async build(): Promise<void> {
    const n = this.names;
    const { nodes } = this.opts;
    await mkdir(n.dir, { recursive: true });
    this.td.defer(`remove ${n.dir}`, () => rm(n.dir, { recursive: true, force: true }));
    const started = Date.now();
    // The record first: `rcnc clean` can then find everything below if this process dies.
    this.cgroupBase = join(await ownMemoryCgroup(), n.cgroup);
    this.relayPort = await freeLoopbackPort();
    await this.writeState();
    this.log(`kube ${n.id}: namespaces, mounts and cgroups for ${nodes} node(s)`);
    await buildNetwork(n, nodes, this.td);
    await buildMountNamespaces(n, nodes, this.td);
    this.cgroupRoots = await buildCgroups(n, this.cgroupBase, nodes, this.td);
    // LIFO: processes go before the cgroups, mounts and namespaces they live in.
    this.td.defer('kill what is left in the nodes', () => this.killLeftovers());
    this.td.defer('stop the daemons', () => this.daemons.stopAll());
    await this.writeCredentials();
    await this.startControlPlane();
    for (let i = 0; i < nodes; i++) {
      await this.startNode(i);
    }
    await this.waitNodesReady();
    this.log(`kube ${n.id}: ${nodes} node(s) Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  private async writeCredentials(): Promise<void> {
    const n = this.names;
    const nodeNames = Array.from({ length: this.opts.nodes }, (_, i) => n.nodeName(i));
    this.pki = await makePki(n.pki, {
      apiIPs: [KUBE_NET.apiServiceIP, KUBE_NET.controlPlane, '127.0.0.1'],
      apiNames: [
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        'localhost',
      ],
      nodeNames,
    });
    const caPem = await readFile(this.pki.ca, 'utf8');
    const server = `https://${KUBE_NET.controlPlane}:${KUBE_NET.apiPort}`;
    for (const [key, token] of Object.entries(this.pki.tokens)) {
      await writeFile(this.internalKubeconfig(key), kubeconfigFor({ server, caPem, token, user: key }), {
        mode: 0o600,
      });
    }
    const local = `https://127.0.0.1:${this.relayPort}`;
    await writeFile(
      n.kubeconfig,
      kubeconfigFor({ server: local, caPem, token: this.pki.tokens['admin']!, user: 'admin' }),
      {
        mode: 0o600,
      },
    );
  }

  private async writeState(): Promise<void> {
    const me = await self();
    const state: KubeClusterState = {
      id: this.id,
      pid: me.pid,
      startTime: me.startTime,
      persist: !!this.opts.persist,
      runId: this.opts.runId,
      nodes: this.opts.nodes,
      proxyMode: this.opts.proxyMode,
      cgroupBase: this.cgroupBase,
      relayPort: this.relayPort,
      kubeconfig: this.names.kubeconfig,
      startedAt: new Date().toISOString(),
    };
    await writeFile(this.names.state, JSON.stringify(state, null, 2));
  }

  /** kubectl as the cluster's admin, from inside the control-plane namespace. */
  kubectl(args: string[], o: { input?: string; reject?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
    const argv = inPlace(this.cpPlace, [
      this.bin('kubectl'),
      '--kubeconfig',
      this.internalKubeconfig('admin'),
      ...args,
    ]);
    return run(argv, { input: o.input, reject: o.reject, timeoutMs: o.timeoutMs ?? 30_000 });
  }

  private async startControlPlane(): Promise<void> {
    const n = this.names;
    const cp = this.cpPlace;
    this.log(`kube ${n.id}: etcd ${KUBE_VERSIONS.etcd} and the control plane (Kubernetes ${KUBE_VERSIONS.kubernetes})`);
    await this.daemons.start('etcd', cp, [
      this.bin('etcd'),
      `--data-dir=${join(n.dir, 'etcd')}`,
      '--listen-client-urls=http://127.0.0.1:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
      '--listen-peer-urls=http://127.0.0.1:2380',
      '--initial-advertise-peer-urls=http://127.0.0.1:2380',
      '--initial-cluster=default=http://127.0.0.1:2380',
      // A test cluster on tmpfs: fsyncs would only queue behind the nodes' and Redis' own.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await this.daemons.start('kube-apiserver', cp, this.apiServerArgv());
    await this.waitApi();
    await this.daemons.start('relay-api', cp, [
      'socat',
      `UNIX-LISTEN:${n.apiSocket},fork,perm=0600`,
      `TCP:127.0.0.1:${KUBE_NET.apiPort}`,
    ]);
    // Only this listener is in the machine's namespace, on loopback: no route, no address.
    await this.daemons.start('relay-loopback', null, [
      'socat',
      `TCP-LISTEN:${this.relayPort},bind=127.0.0.1,reuseaddr,fork`,
      `UNIX-CONNECT:${n.apiSocket}`,
    ]);
    await this.kubectl(['apply', '-f', '-'], { input: flannelRbac('rcnc:flannel') });
    if (this.opts.nodes > 0) {
      await this.kubectl(['create', '-f', '-'], { input: this.nodeObjects() });
    }
    await this.daemons.start('kube-controller-manager', cp, this.controllerManagerArgv());
    await this.daemons.start('kube-scheduler', cp, [
      this.bin('kube-scheduler'),
      `--kubeconfig=${this.internalKubeconfig('scheduler')}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--v=1',
    ]);
  }

  private apiServerArgv(): string[] {
    const n = this.names;
    const pki = this.pki!;
    return [
      this.bin('kube-apiserver'),
      '--etcd-servers=http://127.0.0.1:2379',
      `--advertise-address=${KUBE_NET.controlPlane}`,
      `--secure-port=${KUBE_NET.apiPort}`,
      `--service-cluster-ip-range=${KUBE_NET.serviceCidr}`,
      '--service-node-port-range=30000-32767',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      // Kubelets by address: node names resolve nowhere here (no DNS), and must not be looked up.
      '--kubelet-preferred-address-types=InternalIP',
      `--token-auth-file=${pki.tokenFile}`,
      `--client-ca-file=${pki.ca}`,
      `--tls-cert-file=${pki.apiCert}`,
      `--tls-private-key-file=${pki.apiKey}`,
      `--kubelet-client-certificate=${pki.kubeletClientCert}`,
      `--kubelet-client-key=${pki.kubeletClientKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--cert-dir=${join(n.dir, 'apiserver-certs')}`,
      '--profiling=false',
      '--v=1',
    ];
  }

  private controllerManagerArgv(): string[] {
    const pki = this.pki!;
    return [
      this.bin('kube-controller-manager'),
      `--kubeconfig=${this.internalKubeconfig('controller-manager')}`,
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${KUBE_NET.podCidr}`,
      '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${KUBE_NET.serviceCidr}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.ca}`,
      // Each controller acts as its own service account (system:controller:*), which is what the
      // default RBAC roles are written for (kubeadm runs it this way).
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--secure-port=0',
      '--v=1',
    ];
  }

  /**
   * The Node objects, made before their kubelets register, with the pod CIDR each has in the lab
   * and on k3d (node-0 10.42.0.0/24, …): the controller-manager's range allocator keeps a CIDR a
   * node already has, so the order in which kubelets come up cannot reshuffle them.
   */
  private nodeObjects(): string {
    const items = Array.from({ length: this.opts.nodes }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Node',
      // flanneld writes its annotations into the map without making one (kube.go AcquireLease):
      // a Node the kubelet registered always has annotations, one made here must too.
      metadata: {
        name: this.names.nodeName(i),
        labels: { 'rcnc.io/run': this.opts.runId ?? this.id },
        annotations: { 'rcnc.io/pod-cidr': 'set at creation to match the lab and k3d' },
      },
      spec: { podCIDR: KUBE_NET.nodePodCidr(i), podCIDRs: [KUBE_NET.nodePodCidr(i)] },
    }));
    return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  }

  private async waitApi(): Promise<void> {
    await waitFor({
      target: `kube-apiserver of cluster ${this.id} to answer /readyz`,
      timeoutMs: 90_000,
      intervalMs: 250,
      check: async () => {
        await this.daemons.assertRunning('etcd');
        await this.daemons.assertRunning('kube-apiserver');
        const r = await this.kubectl(['get', '--raw', '/readyz'], { reject: false, timeoutMs: 10_000 });
        return { done: r.exitCode === 0, state: (r.stdout || r.stderr).trim().split('\n').slice(-1)[0] ?? '' };
      },
      isFatal: (e) => e instanceof TopologyError,
    });
  }

  /** The daemons of node i, by their names in this.daemons. */
  private nodeDaemons(i: number): string[] {
    const name = this.names.nodeName(i);
    return ['containerd', 'kubelet', 'flanneld', 'kube-proxy'].map((d) => `${d}-${name}`);
  }

  /**
   * Node i goes down as a k3d node does under `docker stop`, its machine gone at once: every
   * process of the node (containerd and its shims, kubelet, flanneld, kube-proxy, every pod's
   * processes) is killed with SIGKILL, and its link on the hub goes down, so it drops off the node
   * network while its eth0 keeps its address and routes for when it comes back (the lab's
   * stopNode does the same to its node). Its state on disk stays: containerd's root and state,
   * the kubelet's root, the CNI's allocations. From here the control plane sees what it sees of a
   * lost node: no kubelet posts the node's status or renews its Lease.
   */
  async stopNode(i: number): Promise<void> {
    this.requireOwnNode(i, 'stop');
    if (this.stoppedNodes.has(i)) {
      return;
    }
    this.stoppedNodes.add(i);
    await run(['ip', '-n', this.names.hub, 'link', 'set', this.names.veth(`n${i}`), 'down']);
    this.daemons.forget(this.nodeDaemons(i));
    await killAll(() => this.nodeOnlyPids(i), `node-${i} of kube cluster ${this.id}`);
  }

  /**
   * Node i back after stopNode: its link up, then its daemons started again on the state they left
   * (the images are still in containerd's root). Resolves once its kubelet has reported the node
   * Ready again since the start; the pods bound to it are the kubelet's to restart from there.
   */
  async startStoppedNode(i: number): Promise<void> {
    this.requireOwnNode(i, 'start');
    if (!this.stoppedNodes.has(i)) {
      return;
    }
    const since = Date.now();
    await run(['ip', '-n', this.names.hub, 'link', 'set', this.names.veth(`n${i}`), 'up']);
    await this.startNode(i, { again: true });
    this.stoppedNodes.delete(i);
    await this.waitNodeBack(i, since);
  }

  private requireOwnNode(i: number, what: string): void {
    if (this.attachedTo) {
      throw new TopologyError(
        `cannot ${what} node-${i} of kube cluster ${this.id}: its daemons belong to the process that started it`,
      );
    }
    if (!Number.isInteger(i) || i < 0 || i >= this.opts.nodes) {
      throw new TopologyError(`kube cluster ${this.id} has no node ${i} (it has ${this.opts.nodes})`);
    }
  }

  /** Every process of node i alone: in its network namespace, and under its cgroup root. */
  private nodeOnlyPids(i: number): Promise<number[]> {
    return clusterPids({ id: this.id, namespaces: [this.names.node(i)], cgroupBase: this.cgroupRoots[i] });
  }

  /**
   * A Ready condition the kubelet posted after `since`: until the node controller marks a stopped
   * node Unknown (its grace period, tens of seconds), the API still shows the Ready it had.
   */
  private async waitNodeBack(i: number, since: number): Promise<void> {
    const name = this.names.nodeName(i);
    await waitFor({
      target: `${name} of kube cluster ${this.id} to report Ready after its restart`,
      timeoutMs: this.opts.readyTimeoutMs ?? 120_000,
      intervalMs: 500,
      check: async () => {
        for (const d of this.nodeDaemons(i)) {
          await this.daemons.assertRunning(d);
        }
        const r = await this.kubectl(['get', 'node', name, '-o', 'json'], { reject: false });
        const ready =
          r.exitCode === 0
            ? (JSON.parse(r.stdout) as NodeJson).status?.conditions?.find((c) => c.type === 'Ready')
            : undefined;
        // Heartbeats carry whole seconds.
        const fresh = !!ready?.lastHeartbeatTime && Date.parse(ready.lastHeartbeatTime) >= since - 1000;
        return {
          done: ready?.status === 'True' && fresh,
          state: ready
            ? `Ready=${ready.status} (${ready.message ?? ''}), last heartbeat ${ready.lastHeartbeatTime ?? 'none'}`
            : r.stderr.trim() || 'no Ready condition',
        };
      },
      isFatal: (e) => e instanceof TopologyError,
    });
  }

  private async startNode(i: number, o: { again?: boolean } = {}): Promise<void> {
    const n = this.names;
    const place = this.nodePlace(i);
    const p = nodePaths(n.nodeDir(i));
    const name = n.nodeName(i);
    this.log(`kube ${n.id}: ${name} — containerd, images, kubelet, flanneld, kube-proxy`);
    for (const d of [p.cniConfDir, p.cniDataDir, join(p.dir, 'flannel'), p.kubeletRoot, join(p.dir, 'containerd')]) {
      await mkdir(d, { recursive: true });
    }
    await this.startRuntime(i, p, { importImages: !o.again });
    await writeFile(join(p.cniConfDir, '10-flannel.conflist'), flannelCniConfig(p));
    // No DNS server runs in the cluster: pods get the nodes' resolv.conf (127.0.0.1), so lookups
    // fail at once instead of waiting out this machine's resolver (the lab does the same).
    const resolv = join(n.dir, 'resolv.conf');
    const kubeletCfg = join(p.dir, 'kubelet.json');
    await writeFile(
      kubeletCfg,
      kubeletConfig({ paths: p, caFile: this.pki!.ca, cgroupRoot: this.cgroupRoots[i]!, resolvConf: resolv }),
    );
    await this.daemons.start(`kubelet-${name}`, place, [
      this.bin('kubelet'),
      `--config=${kubeletCfg}`,
      `--kubeconfig=${this.internalKubeconfig(`kubelet-${name}`)}`,
      `--hostname-override=${name}`,
      `--node-ip=${KUBE_NET.nodeIP(i)}`,
      `--root-dir=${p.kubeletRoot}`,
      '--v=1',
    ]);
    const netConf = join(n.dir, 'net-conf.json');
    await writeFile(netConf, flannelNetConf());
    await this.daemons.start(
      `flanneld-${name}`,
      place,
      [
        this.bin('flanneld'),
        '--kube-subnet-mgr',
        `--kubeconfig-file=${this.internalKubeconfig('flannel')}`,
        '--iface=eth0',
        '--ip-masq',
        `--net-config-path=${netConf}`,
        `--subnet-file=${p.subnetFile}`,
      ],
      // flanneld outside a pod learns its node's name from NODE_NAME (pkg/subnet/kube/kube.go).
      { NODE_NAME: name },
    );
    const proxyCfg = join(p.dir, 'kube-proxy.json');
    await writeFile(
      proxyCfg,
      kubeProxyConfig({ kubeconfig: this.internalKubeconfig('kube-proxy'), nodeName: name, mode: this.opts.proxyMode }),
    );
    await this.daemons.start(`kube-proxy-${name}`, place, [this.bin('kube-proxy'), `--config=${proxyCfg}`, '--v=1']);
  }

  /** containerd of node i, answering on its socket, with the pause and Redis images imported. */
  private async startRuntime(i: number, p: NodePaths, o: { importImages: boolean }): Promise<void> {
    const place = this.nodePlace(i);
    const name = this.names.nodeName(i);
    const cniBin = await this.cniBinDir();
    await writeFile(
      join(p.dir, 'containerd.toml'),
      containerdConfig(p, { cniBinDir: cniBin, sandboxImage: PAUSE_REF }),
    );
    await this.daemons.start(`containerd-${name}`, place, ['containerd', '--config', join(p.dir, 'containerd.toml')]);
    const ctr = (args: string[]) =>
      run(inPlace(place, ['ctr', '--address', p.containerdSock, ...args]), { timeoutMs: 120_000 });
    await waitFor({
      target: `containerd of ${name} to answer on ${p.containerdSock}`,
      timeoutMs: 30_000,
      intervalMs: 100,
      check: async () => {
        await this.daemons.assertRunning(`containerd-${name}`);
        const r = await run(inPlace(place, ['ctr', '--address', p.containerdSock, 'version']), { reject: false });
        return { done: r.exitCode === 0, state: r.stderr.trim().split('\n').slice(-1)[0] ?? '' };
      },
      isFatal: (e) => e instanceof TopologyError,
    });
    for (const img of o.importImages ? [this.opts.images.pause, this.opts.images.redis] : []) {
      await ctr(['-n', 'k8s.io', 'images', 'import', '--no-unpack=false', img.file]);
    }
  }

  /** CNI plugins in one folder (containerd 1.6 takes one bin_dir): Debian's and flannel's. */
  private async cniBinDir(): Promise<string> {
    const dir = join(this.names.dir, 'cni-bin');
    await mkdir(dir, { recursive: true });
    const have = new Set(await readdir(dir));
    for (const plugin of await readdir(CNI_BIN)) {
      if (!have.has(plugin)) {
        await symlink(join(CNI_BIN, plugin), join(dir, plugin));
      }
    }
    if (!have.has('flannel')) {
      await symlink(this.bin('flannel'), join(dir, 'flannel'));
    }
    return dir;
  }

  private async waitNodesReady(): Promise<void> {
    await waitFor({
      target: `${this.opts.nodes} node(s) of kube cluster ${this.id} to be Ready`,
      timeoutMs: this.opts.readyTimeoutMs ?? 120_000,
      intervalMs: 500,
      check: async () => {
        for (const rec of this.daemons.records) {
          await this.daemons.assertRunning(rec.name);
        }
        const r = await this.kubectl(['get', 'nodes', '-o', 'json'], { reject: false });
        const nodes = r.exitCode === 0 ? (JSON.parse(r.stdout) as { items: NodeJson[] }).items : [];
        const ready = nodes.filter((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        const state = nodes
          .map(
            (x) =>
              `${x.metadata.name}: ${x.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? 'no status'}`,
          )
          .join('; ');
        return { done: ready.length === this.opts.nodes, state: state || r.stderr.trim() };
      },
      isFatal: (e) => e instanceof TopologyError,
    });
  }

  /** Every process of the nodes: their daemons, and the shims and pods' processes that outlive containerd. */
  nodePids(): Promise<number[]> {
    const namespaces = Array.from({ length: this.opts.nodes }, (_, i) => this.names.node(i));
    return clusterPids({ id: this.id, namespaces, state: { cgroupBase: this.cgroupBase } as KubeClusterState });
  }

  private async killLeftovers(): Promise<void> {
    await killAll(() => this.nodePids(), `kube cluster ${this.id}`);
  }

  async stop(): Promise<void> {
    this.untrack?.();
    await this.td.run();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

interface NodeJson {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; message?: string; lastHeartbeatTime?: string }[] };
}
