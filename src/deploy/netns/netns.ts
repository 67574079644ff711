// The netns provider: a k3d-shaped cluster built from Linux network namespaces on this machine.
//
//   hub namespace ── bridge br-<id> 172.18.0.1/16 (k3d's docker network; also the "external client",
//   │                 which is what a Linux host is on a k3d network: docs/datapath.md#external-client)
//   ├─ node n0: eth0 172.18.0.2, CNI devices, kube-proxy + CNI iptables, host-network pods
//   │   └─ pod namespaces (veth into the node), one per non-host-network pod
//   └─ node n1 …
//
// Safety: nothing here creates a link in, or changes, the root namespace. Links are created with
// `ip -n <lab ns>` and their peers go straight into another lab namespace; commands that must run
// inside a namespace go through `ip netns exec`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubeProxyMode } from '../../model/profiles.ts';
import { TopologyError, UsageError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { shutdownReason, Teardown, trackForSignals } from '../../util/teardown.ts';
import { waitFor } from '../../util/wait.ts';
import { attachedView } from '../attach.ts';
import { checkPodNames } from '../pod-names.ts';
import {
  CLUSTER_DOMAIN,
  headlessName,
  podDnsName,
  type AttachSpec,
  type Capture,
  type CaptureOptions,
  type ExecOptions,
  type ExecResult,
  type ExecTarget,
  type Gaps,
  type LoadBalancerInfo,
  type NodeInfo,
  type NodePortServiceSpec,
  type PodInfo,
  type PodSpec,
  type Provider,
  type Requirement,
  type ServiceInfo,
  type StartedTopology,
  type TopologySpec,
} from '../provider.ts';
import { startTcpdump } from '../tcpdump.ts';
import { restoreDocument } from './iptables.ts';
import { kubeProxyNftDocument } from './kube-proxy-nft.ts';
import { KUBELET_FIREWALL, kubeProxyTables, type ProxiedService } from './kube-proxy.ts';
import { ETC_NETNS, labNames, MAX_NODES, newLabId } from './names.ts';
import { ownRecord, removeRecord, writeRecord } from './ownership.ts';
import { datapath, labProfiles, NODE_NET, type Datapath, type NodeAddressing, type PodAttachment } from './profiles.ts';
import {
  cniNetworkName,
  klipperTables,
  portmapTables,
  serviceLbIngress,
  SVCLB_SYSCTLS,
  type HostPortPod,
} from './service-lb.ts';
import { killNamespaceProcesses } from './sweep.ts';
import { labRequirements } from './system.ts';

/** The namespace the lab's Services are named in, as kube-proxy's rules name them (`rcnc/<name>:<port>`). */
export const SERVICE_NAMESPACE = 'rcnc';
/** k3s's `--service-cidr` (docs/datapath.md#k3s-defaults), which every ClusterIP the lab hands out is in. */
export const SERVICE_CIDR = '10.43.0.0/16';
const POD_READY_TIMEOUT_MS = 20_000;

interface PodState {
  spec: PodSpec;
  info: PodInfo;
  ns: string;
  slot: number;
  veth?: string;
  proc?: ChildProcess;
  exited?: Promise<void>;
  logPath: string;
  /** Whether the kubelet wants the container running (false while deleted, killed on purpose or its node is down). */
  wanted: boolean;
  /** Container restarts in this pod generation, for the CrashLoopBackOff delay. */
  restarts: number;
  restartTimer?: NodeJS.Timeout;
  /** Set by killContainer to hold the next restart back. */
  nextRestartDelayMs?: number;
}

/** One svclb pod (ServiceLB's DaemonSet pod of a LoadBalancer Service on a node): a namespace, no process. */
interface SvclbPod {
  service: LoadBalancerInfo;
  node: number;
  ns: string;
  /** Its address as the CNI gave it, with the prefix length (`10.42.0.7/24`). */
  address: string;
  containerId: string;
}

export interface NetnsOptions {
  /** Report run id recorded in the lab's owner file (for `rcnc clean` messages). */
  runId?: string;
}

/** Labs this process runs, by id: what `attach` finds (a lab's "namespace" is its id). */
const liveLabs = new Map<string, NetnsTopology>();

export class NetnsProvider implements Provider {
  readonly name = 'netns' as const;
  /** The lab has every capability: nodes, namespaces and processes are this machine's own. */
  readonly gaps: Gaps = {};
  constructor(private readonly opts: NetnsOptions = {}) {}

  check(): Promise<Requirement[]> {
    return labRequirements();
  }

  start(spec: TopologySpec): Promise<StartedTopology> {
    return NetnsTopology.start(spec, this.opts);
  }

  /** The pods of a lab this process runs, by lab id and label selector; the lab keeps running. */
  attach(spec: AttachSpec): Promise<StartedTopology> {
    const lab = liveLabs.get(spec.namespace);
    if (!lab) {
      const running = [...liveLabs.keys()].join(', ') || 'none';
      return Promise.reject(new UsageError(`no lab ${spec.namespace} runs in this process (running: ${running})`));
    }
    return Promise.resolve(attachedView(lab, spec));
  }
}

export class NetnsTopology implements StartedTopology {
  readonly provider = 'netns' as const;
  readonly nodes: NodeInfo[];
  readonly services: ServiceInfo[];
  readonly loadBalancers: LoadBalancerInfo[];
  readonly spec: TopologySpec;
  readonly externalIP = NODE_NET.gateway;
  private readonly names: ReturnType<typeof labNames>;
  private readonly addressing: NodeAddressing[];
  private readonly podStates = new Map<string, PodState>();
  private readonly svclbs: SvclbPod[] = [];
  private readonly teardown = new Teardown();
  private readonly namespaces = new Set<string>();
  private readonly nextSlot: number[];
  private vethCounter = 0;
  private stopping = false;
  /** Captures being started: teardown waits for them, or a tcpdump could start after the kill. */
  private readonly startingCaptures = new Set<Promise<unknown>>();
  private readonly stoppedNodes = new Set<number>();
  private readonly partitions = new Set<string>();
  private untrack: () => void = () => {};

  private constructor(
    readonly id: string,
    spec: TopologySpec,
    private readonly dp: Datapath,
  ) {
    // A copy: addPods grows it, the caller's object stays as given.
    this.spec = { ...spec, pods: [...spec.pods], services: [...(spec.services ?? [])] };
    this.names = labNames(id);
    this.addressing = Array.from({ length: spec.nodes }, (_, i) => dp.addressing(i));
    this.nextSlot = this.addressing.map(() => 2);
    this.nodes = this.addressing.map((a) => ({
      name: `node-${a.index}`,
      index: a.index,
      ip: a.ip,
      cniAddresses: { ...a.cniAddresses },
      podCidr: a.podCidr,
    }));
    this.services = (spec.services ?? []).map((s, i) => ({ ...s, clusterIP: clusterIpFor(i) }));
    const nodeIps = this.nodes.map((n) => n.ip);
    this.loadBalancers = (spec.loadBalancers ?? []).map((s, i) => ({
      ...s,
      clusterIP: loadBalancerIpFor(i),
      ingress: serviceLbIngress(nodeIps, s.externalTrafficPolicy, spec.pods.find((p) => p.name === s.pod)?.node),
    }));
  }

  get profile() {
    return this.spec.profile;
  }

  static async start(spec: TopologySpec, opts: NetnsOptions = {}): Promise<NetnsTopology> {
    const dp = datapath(spec.profile);
    if (!dp) {
      throw new UsageError(`the netns lab has no profile "${spec.profile}"; use one of: ${labProfiles().join(', ')}`);
    }
    validateSpec(spec, dp);
    const stopping = shutdownReason();
    if (stopping) {
      throw new TopologyError(`not building a lab: this process is shutting down (${stopping})`);
    }
    const topo = new NetnsTopology(newLabId(), spec, dp);
    topo.untrack = trackForSignals(topo);
    try {
      await topo.build(opts);
      liveLabs.set(topo.id, topo);
      return topo;
    } catch (e) {
      await topo.stop().catch(() => {});
      if (e instanceof TopologyError || e instanceof UsageError) {
        throw e;
      }
      throw new TopologyError(`could not build the ${spec.profile} lab: ${(e as Error).message}`, { cause: e });
    }
  }

  private async build(opts: NetnsOptions): Promise<void> {
    const { names, spec } = this;
    // The owner record comes first and goes last: no namespace of this lab ever exists without a
    // record that proves its owner alive to another process's sweep.
    await writeRecord(await ownRecord(this.id, names.dir, opts.runId));
    this.teardown.defer('remove owner record', () => removeRecord(this.id));
    await mkdir(names.dir, { recursive: true, mode: 0o700 });
    this.teardown.defer('remove lab dir', () => rm(names.dir, { recursive: true, force: true }));

    for (const p of spec.pods) {
      this.newPodState(p);
    }

    const allNs = [names.hub, ...this.addressing.map((a) => names.node(a.index))];
    allNs.push(...[...this.podStates.values()].filter((s) => !s.info.hostNetwork).map((s) => s.ns));
    this.teardown.defer('delete namespaces and their processes', () => this.deleteNamespaces());
    await this.addNamespaces(allNs);

    // The docker network: one bridge in the hub, one veth per node whose peer is the node's eth0.
    const hub = ['link set lo up', `link add ${names.hubBridge} type bridge`, `link set ${names.hubBridge} up`];
    hub.push(`addr add ${NODE_NET.gateway}/${NODE_NET.len} dev ${names.hubBridge}`);
    for (const a of this.addressing) {
      const up = names.nodeUplink(a.index);
      hub.push(
        `link add ${up} type veth peer name eth0 netns ${names.node(a.index)}`,
        `link set ${up} master ${names.hubBridge} up`,
      );
    }
    await ipBatch(names.hub, hub);

    await Promise.all(this.addressing.map((a) => this.buildNode(a)));
    await Promise.all([...this.podStates.values()].map((s) => this.plumbPod(s)));
    if (spec.headless?.length) {
      this.teardown.defer("remove the pods' hosts files", () => this.removeHostsFiles());
      await this.writeHostsFiles();
    }
    await this.buildServiceLb();
    await this.syncRules();
    await Promise.all([...this.podStates.values()].map((s) => this.startPod(s)));
  }

  /**
   * ServiceLB: one svclb pod per LoadBalancer Service and node, holding klipper-lb's rules; its
   * hostPorts become portmap chains on the node at every rule sync.
   */
  private async buildServiceLb(): Promise<void> {
    for (const service of this.loadBalancers) {
      for (const a of this.addressing) {
        const name = `svclb-${service.name}-${a.index}`;
        this.svclbs.push({
          service,
          node: a.index,
          ns: this.names.pod(name),
          address: '',
          containerId: createHash('sha256').update(`${this.id}/${name}`).digest('hex'),
        });
      }
    }
    await this.addNamespaces(this.svclbs.map((s) => s.ns));
    await Promise.all(
      this.svclbs.map(async (s) => {
        const node = this.addressing[s.node]!;
        const slot = this.nextSlot[node.index]!++;
        const ip = this.dp.podIp(node, slot);
        const veth =
          this.dp.hostVethName?.(this.id, `svclb-${s.service.name}`, 0) ?? this.names.podVeth(this.vethCounter++);
        const att = this.dp.attachPod(node, ip, veth, s.ns);
        s.address = /addr add (\S+) dev eth0/.exec(att.podIp.join('\n'))?.[1] ?? `${ip}/32`;
        await this.applyAttachment(node, att, s.ns, SVCLB_SYSCTLS);
        const rules = klipperTables({
          policy: s.service.externalTrafficPolicy,
          clusterIP: s.service.clusterIP,
          hostIP: node.ip,
          ports: s.service.ports,
        });
        await run(['ip', 'netns', 'exec', s.ns, 'iptables-restore'], { input: restoreDocument([rules]) });
      }),
    );
  }

  /** The portmap chains of the svclb pods on a node. */
  private hostPortTables(node: number) {
    const pods: HostPortPod[] = this.svclbs
      .filter((s) => s.node === node)
      .map((s) => ({ containerId: s.containerId, address: s.address, ports: s.service.ports.map((p) => p.port) }));
    return portmapTables(cniNetworkName(this.spec.profile), pods);
  }

  dnsName(pod: string): string | undefined {
    return podDnsName(this.spec, pod, SERVICE_NAMESPACE);
  }

  /**
   * Cluster DNS for the headless Services, without a DNS server: every pod's /etc/hosts holds the
   * kubelet's lines and the answers CoreDNS gives for each headless name (publishNotReadyAddresses:
   * a pod resolves as soon as it has an IP). `ip netns exec`, which starts every process of a pod,
   * mounts /etc/netns/<ns>/hosts over /etc/hosts; the file is rewritten in place when a pod comes
   * back at a new IP, so running processes resolve the new address, as they would from CoreDNS.
   * Only pods resolve these names: nodes and the external client do not use cluster DNS.
   */
  private async writeHostsFiles(): Promise<void> {
    const headless = this.spec.headless ?? [];
    if (headless.length === 0) {
      return;
    }
    const answers = headless.flatMap((h) =>
      h.pods.map(
        (pod) => `${this.state(pod).info.ip}\t${headlessName(pod, h.name, SERVICE_NAMESPACE)} ${pod}.${h.name}`,
      ),
    );
    const pods = [...this.podStates.values()].filter((s) => !s.info.hostNetwork);
    await Promise.all(
      pods.map(async (s) => {
        const dir = join(ETC_NETNS, s.ns);
        await mkdir(dir, { recursive: true });
        const text = [
          `# rcnc lab ${this.id}: the kubelet's lines and cluster DNS answers for the headless Services`,
          '127.0.0.1\tlocalhost',
          '::1\tlocalhost ip6-localhost ip6-loopback',
          ...answers,
          '',
        ].join('\n');
        // In place (same inode): the bind mount of a running pod follows it.
        await writeFile(join(dir, 'hosts'), text);
        // No DNS server runs in the lab: a lookup of any other name is refused at once instead of
        // waiting out the host's resolver, which no lab namespace can reach.
        await writeFile(
          join(dir, 'resolv.conf'),
          `search ${SERVICE_NAMESPACE}.svc.${CLUSTER_DOMAIN}\nnameserver 127.0.0.1\n`,
        );
      }),
    );
  }

  private async removeHostsFiles(): Promise<void> {
    await Promise.all(
      [...this.podStates.values()]
        .filter((s) => !s.info.hostNetwork)
        .map((s) => rm(join(ETC_NETNS, s.ns), { recursive: true, force: true })),
    );
  }

  private newPodState(p: PodSpec): PodState {
    const st: PodState = {
      spec: p,
      ns: p.hostNetwork ? this.names.node(p.node) : this.names.pod(p.name),
      slot: 0,
      logPath: '',
      wanted: false,
      restarts: 0,
      info: {
        name: p.name,
        node: p.node,
        ip: '',
        hostIP: this.addressing[p.node]!.ip,
        hostNetwork: !!p.hostNetwork,
        generation: 0,
      },
    };
    this.podStates.set(p.name, st);
    return st;
  }

  private async addNamespaces(list: string[]): Promise<void> {
    for (const ns of list) {
      this.namespaces.add(ns);
    }
    await run(['ip', '-b', '-'], { input: list.map((ns) => `netns add ${ns}`).join('\n') + '\n' });
  }

  private async buildNode(a: NodeAddressing): Promise<void> {
    const ns = this.names.node(a.index);
    // eth0 gets its address before any CNI device so MASQUERADE's device-walk fallback picks the
    // node IP, as on a real node (docs/datapath.md#device-walk-fallback).
    const base = [
      'link set lo up',
      `addr add ${a.ip}/${NODE_NET.len} dev eth0`,
      'link set eth0 up',
      `route add default via ${NODE_NET.gateway}`,
    ];
    const devices = this.dp.nodeDevices(a, this.addressing);
    await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...this.dp.sysctls()]);
    await ipBatch(ns, [...base, ...devices.ip]);
    const sets = this.dp.ipsets?.();
    if (sets) {
      await run(['ip', 'netns', 'exec', ns, 'ipset', 'restore'], { input: sets });
    }
    if (devices.bridge.length) {
      await bridgeBatch(ns, devices.bridge);
    }
  }

  /** Creates the pod's interface and address (a new IP each time: host-local IPAM moves on). */
  private async plumbPod(s: PodState): Promise<void> {
    const node = this.addressing[s.info.node]!;
    if (s.info.hostNetwork) {
      s.info.ip = node.ip;
      return;
    }
    s.slot = this.nextSlot[node.index]!++;
    if (s.slot > 254) {
      throw new TopologyError(`node-${node.index} ran out of pod addresses in ${node.podCidr}`);
    }
    s.info.ip = this.dp.podIp(node, s.slot);
    s.veth = this.dp.hostVethName?.(this.id, s.spec.name, s.info.generation) ?? this.names.podVeth(this.vethCounter++);
    await this.applyAttachment(node, this.dp.attachPod(node, s.info.ip, s.veth, s.ns), s.ns);
  }

  /** Plumbs a pod's interface: the node's side, then the pod's, with their sysctls. */
  private async applyAttachment(
    node: NodeAddressing,
    att: PodAttachment,
    podNs: string,
    extraPodSysctls: string[] = [],
  ): Promise<void> {
    const nodeNs = this.names.node(node.index);
    await ipBatch(nodeNs, att.nodeIp);
    if (att.nodeBridge.length) {
      await bridgeBatch(nodeNs, att.nodeBridge);
    }
    if (att.nodeSysctls?.length) {
      await run(['ip', 'netns', 'exec', nodeNs, 'sysctl', '-q', '-w', ...att.nodeSysctls]);
    }
    await ipBatch(podNs, att.podIp);
    const podSysctls = [...new Set([...(att.podSysctls ?? []), ...extraPodSysctls])];
    if (podSysctls.length) {
      await run(['ip', 'netns', 'exec', podNs, 'sysctl', '-q', '-w', ...podSysctls]);
    }
  }

  /** Rewrites every node's ruleset (kube-proxy's full sync after an endpoint change). */
  private async syncRules(): Promise<void> {
    const proxied = [...this.services, ...this.loadBalancers].map((svc): ProxiedService => {
      const pod = this.podStates.get(svc.pod)!;
      return {
        namespace: SERVICE_NAMESPACE,
        name: svc.name,
        clusterIP: svc.clusterIP,
        policy: svc.externalTrafficPolicy,
        ports: svc.ports,
        endpoint: pod.info.ip ? { ip: pod.info.ip, node: pod.info.node } : null,
        ...('ingress' in svc ? { loadBalancerIPs: (svc as LoadBalancerInfo).ingress } : {}),
      };
    });
    const nftables = this.dp.supportsServices && kubeProxyMode(this.spec.profile) === 'nftables';
    await Promise.all(
      this.addressing.map(async (a) => {
        const ns = this.names.node(a.index);
        // In nftables mode kube-proxy's rules are its own nft table; the iptables side keeps the
        // kubelet's KUBE-FIREWALL, which iptables mode's kube-proxy writes a copy of.
        const kube = !this.dp.supportsServices
          ? []
          : nftables
            ? [KUBELET_FIREWALL]
            : [kubeProxyTables(a.index, proxied, this.dp.clusterCidr)];
        // kube-proxy prepends its jumps; flannel appends below them, Felix keeps its own on top.
        const cni = this.dp.cniTables(a);
        // portmap appends its PREROUTING/OUTPUT jumps after everyone's and prepends its POSTROUTING one.
        const parts = [...(this.dp.hooksOnTop ? [cni, ...kube] : [...kube, cni]), this.hostPortTables(a.index)];
        await run(['ip', 'netns', 'exec', ns, 'iptables-restore'], { input: restoreDocument(parts) });
        if (nftables) {
          // The whole table again, in one transaction, as kube-proxy's full sync writes it.
          const options = { clusterCidr: this.dp.clusterCidr, serviceCidr: SERVICE_CIDR, nodeIp: a.ip };
          await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], {
            input: kubeProxyNftDocument(a.index, proxied, options),
          });
        }
      }),
    );
  }

  private async startPod(s: PodState): Promise<void> {
    const dirs = this.podDirs(s.spec.name);
    await mkdir(dirs.config, { recursive: true });
    await mkdir(dirs.data, { recursive: true });
    await mkdir(join(this.names.dir, 'logs'), { recursive: true });
    for (const [file, content] of Object.entries(s.spec.files ?? {})) {
      await writeFile(join(dirs.config, file), content);
    }
    s.info.generation += 1;
    s.logPath = join(this.names.dir, 'logs', `${s.spec.name}.${s.info.generation}.log`);
    const vars: Record<string, string> = {
      POD_IP: s.info.ip,
      HOST_IP: s.info.hostIP,
      POD_NAME: s.spec.name,
      CONFIG_DIR: dirs.config,
      DATA_DIR: dirs.data,
    };
    s.restarts = 0;
    s.wanted = true;
    this.launch(
      s,
      s.spec.command.map((arg) => arg.replace(/\$\((\w+)\)/g, (m, v: string) => vars[v] ?? m)),
    );
    await this.awaitReady(s);
  }

  /** Starts the container process; when it exits on its own, restarts it as the kubelet would. */
  private launch(s: PodState, argv: string[]): void {
    // A lab stopped while it still builds (a signal's shutdown) must start nothing more: a process
    // spawned after the teardown listed its namespace's processes would outlive the lab.
    if (this.stopping) {
      throw new TopologyError(`not starting pod ${s.spec.name}: the lab is being torn down`);
    }
    const fd = openSync(s.logPath, 'a');
    try {
      // setpriv --pdeathsig: if this process dies without tearing down (SIGKILL), the kernel
      // kills the pod's process too, so no redis-server outlives its run.
      const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', s.ns, ...argv], {
        cwd: this.podDirs(s.spec.name).data,
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      s.proc = child;
      s.exited = new Promise((resolve) => child.once('exit', () => resolve()).once('error', () => resolve()));
      void s.exited.then(() => {
        if (!s.wanted || this.stopping || s.proc !== child) {
          return;
        }
        // restartPolicy Always: at once the first time, then CrashLoopBackOff (10 s doubling, 5 min cap).
        const backoff = s.restarts === 0 ? 0 : Math.min(10_000 * 2 ** (s.restarts - 1), 300_000);
        const delay = s.nextRestartDelayMs ?? backoff;
        s.nextRestartDelayMs = undefined;
        s.restarts += 1;
        s.restartTimer = setTimeout(() => {
          if (s.wanted && !this.stopping) {
            this.launch(s, argv);
          }
        }, delay);
      });
    } finally {
      closeSync(fd);
    }
  }

  private async awaitReady(s: PodState): Promise<void> {
    if (!s.spec.readiness && !s.spec.readyLogLine) {
      return;
    }
    const readiness = s.spec.readiness ?? [];
    const readyLine = s.spec.readyLogLine;
    // The log dies with the lab, so failures quote its last lines rather than point at it.
    const logTail = async () => {
      const log = (await readFile(s.logPath, 'utf8').catch(() => '')).trim();
      return log ? `its log ends: ${log.split('\n').slice(-3).join(' | ')}` : 'its log is empty';
    };
    await waitFor({
      target: `pod ${s.spec.name} ready (${readyLine ? `log line "${readyLine}"` : readiness.join(' ')})`,
      timeoutMs: POD_READY_TIMEOUT_MS,
      intervalMs: readyLine ? 5 : 25,
      isFatal: (e) => e instanceof TopologyError,
      check: async () => {
        if (s.proc?.exitCode != null) {
          throw new TopologyError(
            `pod ${s.spec.name} exited with code ${s.proc.exitCode} (${s.spec.command.join(' ')}); ${await logTail()}`,
          );
        }
        if (readyLine) {
          // Reading the container's log is far cheaper than a process per probe, which counts
          // when a hundred pods start at once.
          const log = await readFile(s.logPath, 'utf8').catch(() => '');
          return { done: log.includes(readyLine), state: log.trim().split('\n').at(-1) || '(empty log)' };
        }
        const r = await this.exec({ pod: s.spec.name }, readiness, { reject: false, timeoutMs: 2000 });
        return { done: r.exitCode === 0, state: (r.stdout + r.stderr).trim() || `exit ${r.exitCode}` };
      },
    }).catch(async (e) => {
      if (e instanceof TopologyError) {
        throw e;
      }
      throw new TopologyError(`${(e as Error).message}; ${await logTail()}`, { cause: e });
    });
  }

  private podDirs(name: string) {
    return { config: join(this.names.dir, 'pods', name, 'config'), data: join(this.names.dir, 'pv', name) };
  }

  pods(): PodInfo[] {
    return [...this.podStates.values()].map((s) => ({ ...s.info }));
  }

  pod(name: string): PodInfo {
    const s = this.podStates.get(name);
    if (!s) {
      throw new UsageError(`no pod named ${name} in lab ${this.id}`);
    }
    return { ...s.info };
  }

  private nsOf(target: ExecTarget): string {
    if ('pod' in target) {
      const s = this.podStates.get(target.pod);
      if (!s) {
        throw new UsageError(`no pod named ${target.pod} in lab ${this.id}`);
      }
      return s.ns;
    }
    if ('node' in target) {
      if (!this.addressing[target.node]) {
        throw new UsageError(`no node ${target.node} in lab ${this.id}`);
      }
      return this.names.node(target.node);
    }
    return this.names.hub;
  }

  exec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    return run(['ip', 'netns', 'exec', this.nsOf(target), ...argv], opts);
  }

  spawn(target: ExecTarget, argv: string[]): ChildProcess {
    // Lives in a lab namespace, so teardown's per-namespace kill reaps it if the caller does not.
    return spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', this.nsOf(target), ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  capture(target: ExecTarget, opts: CaptureOptions): Promise<Capture> {
    if (this.stopping) {
      return Promise.reject(new TopologyError(`not starting a capture: lab ${this.id} is being torn down`));
    }
    // Captures live in the lab dir and end with the lab; probes copy what they keep. A cell can
    // fail while one is still starting (captures start beside the formation): stop() waits for the
    // start to settle, so no tcpdump appears in a namespace, or a file in the lab dir, after teardown.
    const started = startTcpdump(['ip', 'netns', 'exec', this.nsOf(target)], {
      ...opts,
      dir: join(this.names.dir, 'captures'),
    });
    this.startingCaptures.add(started);
    void started.then(
      () => this.startingCaptures.delete(started),
      () => this.startingCaptures.delete(started),
    );
    return started;
  }

  localDataDir(pod: string): string | undefined {
    return this.podStates.has(pod) ? this.podDirs(pod).data : undefined;
  }

  async logs(pod: string, opts: { allRestarts?: boolean } = {}): Promise<string> {
    const s = this.podStates.get(pod);
    if (!s) {
      throw new UsageError(`no pod named ${pod} in lab ${this.id}`);
    }
    if (!opts.allRestarts) {
      return readFile(s.logPath, 'utf8').catch(() => '');
    }
    const generations = Array.from({ length: s.info.generation }, (_, i) =>
      join(this.names.dir, 'logs', `${pod}.${i + 1}.log`),
    );
    return (await Promise.all(generations.map((f) => readFile(f, 'utf8').catch(() => '')))).join('');
  }

  private state(name: string): PodState {
    const s = this.podStates.get(name);
    if (!s) {
      throw new UsageError(`no pod named ${name} in lab ${this.id}`);
    }
    return s;
  }

  async deletePod(name: string, opts: { node?: number } = {}): Promise<PodInfo> {
    const s = this.state(name);
    const node = opts.node ?? s.info.node;
    if (!this.addressing[node]) {
      throw new UsageError(`cannot reschedule ${name} to node ${node}: no such node`);
    }
    if (this.stoppedNodes.has(node)) {
      throw new UsageError(`cannot schedule ${name} on node-${node}: the node is stopped`);
    }
    await this.killPod(s);
    s.info.node = node;
    s.info.hostIP = this.addressing[node]!.ip;
    if (s.info.hostNetwork) {
      s.ns = this.names.node(node);
      s.info.ip = s.info.hostIP;
    } else {
      await run(['ip', 'netns', 'del', s.ns]);
      await this.addNamespaces([s.ns]);
      await this.plumbPod(s);
    }
    await this.writeHostsFiles();
    await this.syncRules();
    await this.startPod(s);
    return { ...s.info };
  }

  async deletePods(names: string[]): Promise<PodInfo[]> {
    const states = names.map((n) => this.state(n));
    await Promise.all(states.map((s) => this.killPod(s)));
    await Promise.all(
      states
        .filter((s) => !s.info.hostNetwork)
        .map(async (s) => {
          await run(['ip', 'netns', 'del', s.ns]);
          await this.addNamespaces([s.ns]);
          await this.plumbPod(s);
        }),
    );
    await this.writeHostsFiles();
    await this.syncRules();
    await Promise.all(states.map((s) => this.startPod(s)));
    return states.map((s) => ({ ...s.info }));
  }

  async killContainer(name: string, opts: { signal?: NodeJS.Signals; restartDelayMs?: number } = {}): Promise<void> {
    const s = this.state(name);
    const pid = s.proc?.pid;
    if (!pid || s.proc?.exitCode != null) {
      throw new UsageError(`pod ${name} has no running container to kill`);
    }
    s.nextRestartDelayMs = opts.restartDelayMs;
    process.kill(-pid, opts.signal ?? 'SIGKILL');
    await s.exited;
  }

  async addPods(pods: PodSpec[], services: NodePortServiceSpec[] = []): Promise<PodInfo[]> {
    validateSpec(
      { ...this.spec, pods: [...this.spec.pods, ...pods], services: [...(this.spec.services ?? []), ...services] },
      this.dp,
    );
    this.spec.pods.push(...pods);
    const added = pods.map((p) => this.newPodState(p));
    await this.addNamespaces(added.filter((a) => !a.info.hostNetwork).map((a) => a.ns));
    for (const svc of services) {
      this.services.push({ ...svc, clusterIP: clusterIpFor(this.services.length) });
    }
    await Promise.all(added.map((a) => this.plumbPod(a)));
    await this.writeHostsFiles();
    await this.syncRules();
    await Promise.all(added.map((a) => this.startPod(a)));
    return added.map((a) => ({ ...a.info }));
  }

  async stopNode(node: number): Promise<void> {
    if (!this.addressing[node]) {
      throw new UsageError(`no node ${node} in lab ${this.id}`);
    }
    this.stoppedNodes.add(node);
    const onNode = [...this.podStates.values()].filter((s) => s.info.node === node);
    await Promise.all(onNode.map((s) => this.killPod(s)));
    // Like `docker stop` of a k3d node: it drops off the docker network. The hub side goes down,
    // so the node's eth0 loses carrier but keeps its routes for when it comes back.
    await ipBatch(this.names.hub, [`link set ${this.names.nodeUplink(node)} down`]);
  }

  async startNode(node: number): Promise<void> {
    if (!this.stoppedNodes.delete(node)) {
      return;
    }
    await ipBatch(this.names.hub, [`link set ${this.names.nodeUplink(node)} up`]);
    const onNode = [...this.podStates.values()].filter((s) => s.info.node === node);
    await Promise.all(onNode.map((s) => this.startPod(s)));
  }

  async partition(a: number, b: number): Promise<void> {
    this.partitions.add(partitionKey(a, b));
    await this.syncPartitions([a, b]);
  }

  async heal(a: number, b: number): Promise<void> {
    this.partitions.delete(partitionKey(a, b));
    await this.syncPartitions([a, b]);
  }

  /**
   * Partitions live in the raw table, which neither kube-proxy's nor the CNI's ruleset touches:
   * each side drops what arrives from the other node (its IP, hence VXLAN, and its pod CIDR).
   */
  private async syncPartitions(nodes: number[]): Promise<void> {
    await Promise.all(
      nodes.map((n) => {
        const rules: string[] = [];
        for (const key of this.partitions) {
          const [x, y] = key.split('-').map(Number) as [number, number];
          const other = x === n ? y : y === n ? x : undefined;
          if (other === undefined) {
            continue;
          }
          const o = this.addressing[other]!;
          for (const src of [o.ip, o.podCidr]) {
            rules.push(
              `-A RCNC-PARTITION -s ${src} -m comment --comment "rcnc partition node-${n}|node-${other}" -j DROP`,
            );
          }
        }
        const doc = [
          '*raw',
          ':PREROUTING ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          ':RCNC-PARTITION - [0:0]',
          '-A PREROUTING -j RCNC-PARTITION',
          ...rules,
          'COMMIT',
          '',
        ];
        return run(['ip', 'netns', 'exec', this.names.node(n), 'iptables-restore'], { input: doc.join('\n') });
      }),
    );
  }

  /** SIGTERM, a short grace period, then SIGKILL: what the kubelet does, shortened. */
  private async killPod(s: PodState): Promise<void> {
    s.wanted = false;
    clearTimeout(s.restartTimer);
    if (signalPod(s, 'SIGTERM')) {
      const timer = setTimeout(() => signalPod(s, 'SIGKILL'), 2000);
      await s.exited;
      clearTimeout(timer);
    }
    if (!s.info.hostNetwork) {
      await killNamespaceProcesses(s.ns);
    }
  }

  private async deleteNamespaces(): Promise<void> {
    const list = [...this.namespaces];
    // By handle first: a pod process spawned a moment ago may not have entered its namespace yet,
    // so listing the namespace would miss it. Each leads its own process group (detached).
    this.podStates.forEach((s) => signalPod(s, 'SIGKILL'));
    await Promise.all(list.map((ns) => killNamespaceProcesses(ns)));
    await Promise.all([...this.podStates.values()].map((s) => s.exited));
    const present = new Set(
      (await run(['ip', 'netns', 'list'], { reject: false })).stdout.split('\n').map((l) => l.split(' ')[0]),
    );
    const doomed = list.filter((ns) => present.has(ns));
    if (doomed.length) {
      await run(['ip', '-b', '-'], { input: doomed.map((ns) => `netns del ${ns}`).join('\n') + '\n' });
    }
    this.namespaces.clear();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    liveLabs.delete(this.id);
    for (const st of this.podStates.values()) {
      clearTimeout(st.restartTimer);
    }
    this.untrack();
    await Promise.allSettled([...this.startingCaptures]);
    await this.teardown.run();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Signals a pod's process group (its process leads one: detached); false when it is not running. */
function signalPod(s: PodState, signal: NodeJS.Signals): boolean {
  const pid = s.proc?.pid;
  if (!pid || s.proc?.exitCode != null || s.proc?.signalCode != null) {
    return false;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
  return true;
}

function validateSpec(spec: TopologySpec, dp: Datapath): void {
  if (!Number.isInteger(spec.nodes) || spec.nodes < 1 || spec.nodes > MAX_NODES) {
    throw new UsageError(`a lab needs 1 to ${MAX_NODES} nodes, got ${spec.nodes}`);
  }
  const names = checkPodNames(spec.pods, 32);
  for (const p of spec.pods) {
    if (!(p.node >= 0 && p.node < spec.nodes)) {
      throw new UsageError(`pod ${p.name} is placed on node ${p.node}, which does not exist`);
    }
  }
  for (const h of spec.headless ?? []) {
    for (const pod of h.pods) {
      if (!names.has(pod)) {
        throw new UsageError(`headless service ${h.name} selects pod ${pod}, which is not in the spec`);
      }
    }
  }
  for (const s of spec.services ?? []) {
    if (!dp.supportsServices) {
      throw new UsageError(
        `profile ${dp.name} has no kube-proxy NAT; NodePort Services make no sense there (use pod-ip or host-network)`,
      );
    }
    if (!names.has(s.pod)) {
      throw new UsageError(`service ${s.name} selects pod ${s.pod}, which is not in the spec`);
    }
  }
  validateLoadBalancers(spec, dp, names);
}

function validateLoadBalancers(spec: TopologySpec, dp: Datapath, pods: Set<string>): void {
  const hostPorts = new Map<number, string>();
  for (const s of spec.loadBalancers ?? []) {
    if (!dp.supportsServices) {
      throw new UsageError(`profile ${dp.name} has no kube-proxy; LoadBalancer Services make no sense there`);
    }
    if (!pods.has(s.pod)) {
      throw new UsageError(`LoadBalancer service ${s.name} selects pod ${s.pod}, which is not in the spec`);
    }
    // ServiceLB binds each Service port as a hostPort on every node: a second Service on the same
    // port would leave its svclb pods Pending.
    for (const p of s.ports) {
      const taken = hostPorts.get(p.port);
      if (taken) {
        throw new UsageError(
          `LoadBalancer services ${taken} and ${s.name} both use port ${p.port}; ServiceLB needs distinct ports`,
        );
      }
      hostPorts.set(p.port, s.name);
    }
  }
}

const clusterIpFor = (i: number) => `10.43.${1 + Math.floor(i / 250)}.${(i % 250) + 2}`;
// LoadBalancer Services take ClusterIPs from their own block, so addPods' NodePort Services never collide.
const loadBalancerIpFor = (i: number) => `10.43.${101 + Math.floor(i / 250)}.${(i % 250) + 2}`;
const partitionKey = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);

const ipBatch = (ns: string, lines: string[]) => run(['ip', '-n', ns, '-b', '-'], { input: lines.join('\n') + '\n' });
const bridgeBatch = (ns: string, lines: string[]) =>
  run(['bridge', '-n', ns, '-b', '-'], { input: lines.join('\n') + '\n' });
