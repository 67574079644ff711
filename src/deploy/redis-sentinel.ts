// Redis with Sentinel on any topology: one master, replicas and sentinels (real redis-sentinel),
// the pods and Services to ask a provider for per exposure, the address each member is reached at,
// the announce settings that make Sentinel record reachable addresses, and the steps users run
// (REPLICAOF, SENTINEL MONITOR, SENTINEL RESET/FAILOVER). Everything after start goes through
// `topology.exec`, so the same code drives the lab and a real cluster. The address rules are in
// docs/sentinel.md.
import { createHash } from 'node:crypto';
import type { Exposure, TrafficPolicy } from '../model/dimensions.ts';
import { DeployError } from '../util/errors.ts';
import type {
  LoadBalancerServiceSpec,
  NodePortServiceSpec,
  PodInfo,
  PodSpec,
  ServicePort,
  StartedTopology,
  TopologySpec,
} from './provider.ts';
import { REDIS_PORT } from './redis-cluster.ts';

export const SENTINEL_PORT = 26379;
/** The headless Service that names every data pod and sentinel, as a StatefulSet's serviceName does. */
export const HEADLESS_SERVICE = 'redis-headless';
export const MASTER_NAME = 'mymaster';
/** NodePorts: data pods 30000+i (as the Cluster members), sentinels 32000+j. */
export const DATA_NODEPORT_BASE = 30000;
export const SENTINEL_NODEPORT_BASE = 32000;
/** LoadBalancer ports: ServiceLB binds each as a hostPort on every node, so each Service needs its own. */
export const DATA_LB_PORT_BASE = REDIS_PORT;
export const SENTINEL_LB_PORT_BASE = SENTINEL_PORT;
/** The LoadBalancer Services' nodePorts (every LoadBalancer Service has them). */
const DATA_LB_NODEPORT_BASE = 30100;
const SENTINEL_LB_NODEPORT_BASE = 32100;

export type SentinelRole = 'data' | 'sentinel';

export interface SentinelMember {
  name: string;
  role: SentinelRole;
  ordinal: number;
  node: number;
}

/** How replicas and sentinels reach the master: over the cell's exposure, or by pod IP inside the cluster. */
export type ReplicationPath = 'exposure' | 'pod-ip';

export interface SentinelPlan {
  exposure: Exposure;
  policy: TrafficPolicy;
  /** redis-0 is the first master; the others replicate from it. */
  data: SentinelMember[];
  sentinels: SentinelMember[];
  replicationPath: ReplicationPath;
  /** Start every member with its announce settings (replica-announce-*, sentinel announce-*). */
  announce: boolean;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  redisServer: string;
  redisCli: string;
  /** The sentinel binary, and what follows its config file (`--sentinel` for a plain redis-server). */
  redisSentinel: { bin: string; args: string[] };
  /** appendonly with fsync every second: a restarted pod keeps what it had. */
  persistence: boolean;
  /** Idle pods the scenario runs clients from, one per node. */
  clientPods: boolean;
}

export interface SentinelPlanOptions {
  exposure: Exposure;
  policy?: TrafficPolicy;
  nodes: number;
  replicas?: number;
  sentinels?: number;
  replicationPath?: ReplicationPath;
  announce?: boolean;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  redisServer?: string;
  redisCli?: string;
  persistence?: boolean;
  clientPods?: boolean;
}

/**
 * The sentinel binary: Debian's `redis-sentinel` with its redis-server, or the given redis-server
 * in sentinel mode (`--sentinel`, server.c checkForSentinelMode), so a custom build is what runs.
 */
export const sentinelArgv = (redisServer: string): SentinelPlan['redisSentinel'] =>
  redisServer === 'redis-server' || redisServer === '/usr/bin/redis-server'
    ? { bin: 'redis-sentinel', args: [] }
    : { bin: redisServer, args: ['--sentinel'] };

export function sentinelPlan(o: SentinelPlanOptions): SentinelPlan {
  const member = (role: SentinelRole, prefix: string) => (_: unknown, i: number) => ({
    name: `${prefix}-${i}`,
    role,
    ordinal: i,
    node: i % o.nodes,
  });
  const server = o.redisServer ?? 'redis-server';
  return {
    exposure: o.exposure,
    policy: o.policy ?? 'Cluster',
    data: Array.from({ length: 1 + (o.replicas ?? 2) }, member('data', 'redis')),
    sentinels: Array.from({ length: o.sentinels ?? 3 }, member('sentinel', 'sentinel')),
    replicationPath: o.replicationPath ?? 'exposure',
    announce: o.announce ?? false,
    quorum: 2,
    downAfterMs: o.downAfterMs ?? 1000,
    failoverTimeoutMs: o.failoverTimeoutMs ?? 5000,
    redisServer: server,
    redisCli: o.redisCli ?? 'redis-cli',
    redisSentinel: sentinelArgv(server),
    persistence: o.persistence ?? false,
    clientPods: o.clientPods ?? true,
  };
}

export interface MemberPorts {
  /** What the process listens on in its pod (or on its node, with host network). */
  port: number;
  nodePort: number;
  lbPort: number;
  lbNodePort: number;
}

/** Host-network pods share their node's ports, so each member gets its own (docs/datapath.md#host-network-ports). */
export function portsOf(plan: SentinelPlan, m: SentinelMember): MemberPorts {
  const base = m.role === 'data' ? REDIS_PORT : SENTINEL_PORT;
  return {
    port: plan.exposure === 'host-network' ? base + m.ordinal : base,
    nodePort: (m.role === 'data' ? DATA_NODEPORT_BASE : SENTINEL_NODEPORT_BASE) + m.ordinal,
    lbPort: (m.role === 'data' ? DATA_LB_PORT_BASE : SENTINEL_LB_PORT_BASE) + m.ordinal,
    lbNodePort: (m.role === 'data' ? DATA_LB_NODEPORT_BASE : SENTINEL_LB_NODEPORT_BASE) + m.ordinal,
  };
}

export const members = (plan: SentinelPlan): SentinelMember[] => [...plan.data, ...plan.sentinels];

/** The port a member is reached at over the exposure (with the node IP for nodeport, host network and ServiceLB). */
export function exposurePort(plan: SentinelPlan, m: SentinelMember): number {
  const p = portsOf(plan, m);
  switch (plan.exposure) {
    case 'pod-ip':
    case 'host-network':
      return p.port;
    case 'nodeport':
      return p.nodePort;
    case 'loadbalancer':
      return p.lbPort;
  }
}

/**
 * `name value` pairs that make Sentinel record a member at the address it is reached at over the
 * exposure; `$(POD_IP)` / `$(HOST_IP)` are downward-API values unless given. ServiceLB publishes
 * every node's IP as ingress, so the pod's own node IP reaches its LoadBalancer Service too.
 */
export function announceSettings(
  plan: SentinelPlan,
  m: SentinelMember,
  values?: { podIP: string; hostIP: string },
): [string, string][] {
  const ip = plan.exposure === 'pod-ip' ? (values?.podIP ?? '$(POD_IP)') : (values?.hostIP ?? '$(HOST_IP)');
  const port = String(exposurePort(plan, m));
  return m.role === 'data'
    ? [
        ['replica-announce-ip', ip],
        ['replica-announce-port', port],
      ]
    : [
        ['announce-ip', ip],
        ['announce-port', port],
      ];
}

export function dataConf(plan: SentinelPlan, m: SentinelMember): string {
  const p = portsOf(plan, m);
  return [
    `port ${p.port}`,
    'bind 0.0.0.0',
    'protected-mode no',
    'logfile ""',
    'daemonize no',
    'save ""',
    `appendonly ${plan.persistence ? 'yes' : 'no'}`,
    // 7.0 waits 5 s for more replicas before a diskless full sync.
    'repl-diskless-sync-delay 0',
    '',
  ].join('\n');
}

/**
 * A sentinel's starting config. `sentinel monitor` is sent at bootstrap (the master's address is
 * known only once the pods run); the myid is fixed per pod name, as Bitnami's chart does, so a
 * restarted sentinel keeps its identity.
 */
export function sentinelConf(plan: SentinelPlan, s: SentinelMember): string {
  return [
    `port ${portsOf(plan, s).port}`,
    'logfile ""',
    'daemonize no',
    `sentinel myid ${createHash('sha1').update(s.name).digest('hex')}`,
    '',
  ].join('\n');
}

/**
 * The announce settings as arguments: `$(POD_IP)` / `$(HOST_IP)` are expanded from the downward
 * API at every start (a file would keep the first pod's values), and arguments override the file.
 */
export function announceArgs(plan: SentinelPlan, m: SentinelMember): string[] {
  if (!plan.announce) {
    return [];
  }
  return announceSettings(plan, m).flatMap(([k, v]) => (m.role === 'data' ? [`--${k}`, v] : ['--sentinel', k, v]));
}

/**
 * The config lives in the data dir after the first start: Sentinel rewrites its file with what it
 * learned (and refuses a read-only one), and REPLICAOF + CONFIG REWRITE keep a replica a replica
 * across restarts, as on a StatefulSet whose config sits on its volume.
 */
const startFromDataDir = (file: string, bin: string, args: string[]): string[] => [
  'sh',
  '-c',
  `test -f ${file} || cp "$0" ${file}; bin="$1"; shift; exec "$bin" ${file} "$@"`,
  `$(CONFIG_DIR)/${file}`,
  bin,
  ...args,
];

export function sentinelPods(plan: SentinelPlan): PodSpec[] {
  const hostNetwork = plan.exposure === 'host-network';
  const data = plan.data.map((m): PodSpec => ({
    name: m.name,
    node: m.node,
    hostNetwork,
    command: startFromDataDir('redis.conf', plan.redisServer, announceArgs(plan, m)),
    files: { 'redis.conf': dataConf(plan, m) },
    readiness: [plan.redisCli, '-p', String(portsOf(plan, m).port), 'ping'],
  }));
  const sentinels = plan.sentinels.map((s): PodSpec => ({
    name: s.name,
    node: s.node,
    hostNetwork,
    command: startFromDataDir('sentinel.conf', plan.redisSentinel.bin, [
      ...plan.redisSentinel.args,
      ...announceArgs(plan, s),
    ]),
    files: { 'sentinel.conf': sentinelConf(plan, s) },
    readiness: [plan.redisCli, '-p', String(portsOf(plan, s).port), 'ping'],
  }));
  const nodes = Math.max(...members(plan).map((m) => m.node)) + 1;
  const clients = plan.clientPods
    ? Array.from({ length: nodes }, (_, i): PodSpec => ({ name: `client-${i}`, node: i, command: ['sleep', '3600'] }))
    : [];
  return [...data, ...sentinels, ...clients];
}

const portName = (m: SentinelMember) => (m.role === 'data' ? 'redis' : 'sentinel');

/** One NodePort Service per member (NodePort exposure), selecting it by pod name. */
export function sentinelNodePorts(plan: SentinelPlan): NodePortServiceSpec[] {
  if (plan.exposure !== 'nodeport') {
    return [];
  }
  return members(plan).map((m) => {
    const p = portsOf(plan, m);
    const port: ServicePort = { name: portName(m), port: p.port, targetPort: p.port, nodePort: p.nodePort };
    return { name: `${m.name}-np`, pod: m.name, externalTrafficPolicy: plan.policy, ports: [port] };
  });
}

/** One LoadBalancer Service per member (LoadBalancer exposure), as Bitnami's externalAccess does. */
export function sentinelLoadBalancers(plan: SentinelPlan): LoadBalancerServiceSpec[] {
  if (plan.exposure !== 'loadbalancer') {
    return [];
  }
  return members(plan).map((m) => {
    const p = portsOf(plan, m);
    const port: ServicePort = { name: portName(m), port: p.lbPort, targetPort: p.port, nodePort: p.lbNodePort };
    return { name: `${m.name}-lb`, pod: m.name, externalTrafficPolicy: plan.policy, ports: [port] };
  });
}

export function sentinelTopologySpec(
  plan: SentinelPlan,
  profile: TopologySpec['profile'],
  nodes: number,
): TopologySpec {
  return {
    profile,
    nodes,
    pods: sentinelPods(plan),
    services: sentinelNodePorts(plan),
    loadBalancers: sentinelLoadBalancers(plan),
    // A StatefulSet's governing Service: it gives every pod its DNS name (docs/sentinel.md#hostnames).
    headless: [{ name: HEADLESS_SERVICE, pods: members(plan).map((m) => m.name) }],
    externalClient: true,
  };
}

export interface HostPort {
  ip: string;
  port: number;
}

export const hostPort = (a: HostPort): string => `${a.ip}:${a.port}`;

/** `10.42.0.1:6379` → { ip, port }; undefined for anything else. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(text.trim());
  return m ? { ip: m[1]!, port: Number(m[2]) } : undefined;
}

export type SentinelHost = Pick<StartedTopology, 'exec' | 'pod' | 'dnsName'>;

/** Talks to one deployed Sentinel setup through a topology's exec. */
export class RedisSentinelSet {
  constructor(
    readonly topology: SentinelHost,
    readonly plan: SentinelPlan,
  ) {}

  member(name: string): SentinelMember {
    const m = members(this.plan).find((x) => x.name === name);
    if (!m) {
      throw new DeployError(`no Sentinel member named ${name}`);
    }
    return m;
  }

  get master(): SentinelMember {
    return this.plan.data[0]!;
  }

  get replicas(): SentinelMember[] {
    return this.plan.data.slice(1);
  }

  /** Where the member is reached over the exposure: what it should be recorded as. */
  address(m: SentinelMember): HostPort {
    const pod = this.topology.pod(m.name);
    const ip = this.plan.exposure === 'pod-ip' ? pod.ip : pod.hostIP;
    return { ip, port: exposurePort(this.plan, m) };
  }

  /** Where the member is reached inside the cluster, by its pod IP (its node's IP with host network). */
  podAddress(m: SentinelMember): HostPort {
    return { ip: this.topology.pod(m.name).ip, port: portsOf(this.plan, m).port };
  }

  /** Where replicas and sentinels reach `m` as deployed. */
  replicationAddress(m: SentinelMember): HostPort {
    return this.plan.replicationPath === 'pod-ip' ? this.podAddress(m) : this.address(m);
  }

  /** The member's name under the headless Service, where the provider gives pods names. */
  dnsName(m: SentinelMember): string | undefined {
    return this.topology.dnsName?.(m.name);
  }

  /** Every address that reaches the member: its pod address, its exposure address, its DNS name. */
  trueAddresses(m: SentinelMember): string[] {
    const name = this.dnsName(m);
    return [
      ...new Set([
        hostPort(this.podAddress(m)),
        hostPort(this.address(m)),
        ...(name ? [hostPort({ ip: name, port: portsOf(this.plan, m).port })] : []),
      ]),
    ];
  }

  pod(m: SentinelMember): PodInfo {
    return this.topology.pod(m.name);
  }

  /** redis-cli against the member's own server, from inside its pod; Redis errors throw. */
  async cli(m: SentinelMember, args: string[], timeoutMs = 10_000): Promise<string> {
    const r = await this.topology.exec(
      { pod: m.name },
      [this.plan.redisCli, '-p', String(portsOf(this.plan, m).port), ...args],
      { timeoutMs },
    );
    const out = r.stdout + r.stderr;
    if (/^(ERR|NOGOODSLAVE|INPROG|NOMASTERLINK|READONLY|Could not connect)/m.test(out)) {
      throw new DeployError(`redis-cli ${args.join(' ')} on ${m.name} failed: ${out.trim()}`);
    }
    return r.stdout;
  }

  /** The same, returning an error reply as text instead of throwing (SENTINEL FAILOVER's NOGOODSLAVE). */
  async reply(m: SentinelMember, args: string[], timeoutMs = 10_000): Promise<string> {
    const r = await this.topology.exec(
      { pod: m.name },
      [this.plan.redisCli, '-p', String(portsOf(this.plan, m).port), ...args],
      { timeoutMs, reject: false },
    );
    return (r.stdout + r.stderr).trim();
  }

  /** REPLICAOF the master (at its replication address unless told), persisted with CONFIG REWRITE. */
  async replicate(
    replica: SentinelMember,
    master: SentinelMember = this.master,
    a: HostPort = this.replicationAddress(master),
  ): Promise<HostPort> {
    await this.cli(replica, ['replicaof', a.ip, String(a.port)]);
    await this.cli(replica, ['config', 'rewrite']);
    return a;
  }

  /** SENTINEL MONITOR the master at its replication address, then the per-master timings. */
  async monitor(s: SentinelMember, master: SentinelMember = this.master): Promise<HostPort> {
    const a = this.replicationAddress(master);
    await this.monitorAt(s, a);
    return a;
  }

  /** SENTINEL MONITOR at an address, then the per-master timings (MONITOR resets them). */
  private async monitorAt(s: SentinelMember, at: HostPort): Promise<void> {
    await this.cli(s, ['sentinel', 'monitor', MASTER_NAME, at.ip, String(at.port), String(this.plan.quorum)]);
    await this.cli(s, [
      'sentinel',
      'set',
      MASTER_NAME,
      'down-after-milliseconds',
      String(this.plan.downAfterMs),
      'failover-timeout',
      String(this.plan.failoverTimeoutMs),
      'parallel-syncs',
      '1',
    ]);
  }

  /**
   * Applies the announce settings at runtime, as a fixed manifest would at start: data pods
   * CONFIG SET + CONFIG REWRITE, and a new handshake (CLIENT KILL TYPE master) so the master
   * hears the announced address; sentinels SENTINEL CONFIG SET (one pair per call in 7.0).
   * Returns `pod: name value` lines.
   */
  async announce(): Promise<string[]> {
    const applied: string[] = [];
    for (const m of members(this.plan)) {
      const pod = this.pod(m);
      const settings = announceSettings(this.plan, m, { podIP: pod.ip, hostIP: pod.hostIP });
      for (const [k, v] of settings) {
        await this.cli(m, m.role === 'data' ? ['config', 'set', k, v] : ['sentinel', 'config', 'set', k, v]);
        applied.push(`${m.name}: ${m.role === 'data' ? '' : 'sentinel '}${k} ${v}`);
      }
      if (m.role === 'data') {
        await this.cli(m, ['config', 'rewrite']);
      }
    }
    for (const r of this.replicas) {
      await this.cli(r, ['client', 'kill', 'type', 'master']);
    }
    return applied;
  }

  /**
   * Names instead of addresses (docs/sentinel.md#hostnames), at runtime as a fixed manifest would
   * at start: data pods announce their headless-Service names (CONFIG SET + CONFIG REWRITE);
   * sentinels resolve and announce names and announce their own; replicas follow the master by
   * name, persisted; every sentinel monitors the master by name. Returns `pod: name value` lines.
   */
  async useHostnames(master: SentinelMember): Promise<string[]> {
    const applied: string[] = [];
    const nameOf = (m: SentinelMember) => {
      const name = this.dnsName(m);
      if (!name) {
        throw new DeployError(`${m.name} has no DNS name: the provider gives pods no headless-Service names`);
      }
      return name;
    };
    for (const s of this.plan.sentinels) {
      // resolve-hostnames first: a name is refused as an address without it.
      for (const [k, v] of [
        ['resolve-hostnames', 'yes'],
        ['announce-hostnames', 'yes'],
        ['announce-ip', nameOf(s)],
      ] as const) {
        await this.cli(s, ['sentinel', 'config', 'set', k, v]);
        applied.push(`${s.name}: sentinel ${k} ${v}`);
      }
    }
    for (const m of this.plan.data) {
      await this.cli(m, ['config', 'set', 'replica-announce-ip', nameOf(m)]);
      await this.cli(m, ['config', 'rewrite']);
      applied.push(`${m.name}: replica-announce-ip ${nameOf(m)}`);
    }
    const at = { ip: nameOf(master), port: portsOf(this.plan, master).port };
    for (const r of this.plan.data.filter((m) => m !== master)) {
      await this.cli(r, ['replicaof', at.ip, String(at.port)]);
      await this.cli(r, ['config', 'rewrite']);
      applied.push(`${r.name}: REPLICAOF ${hostPort(at)}`);
    }
    await this.remonitor(at);
    applied.push(`every sentinel: SENTINEL MONITOR ${MASTER_NAME} ${hostPort(at)} ${this.plan.quorum}`);
    return applied;
  }

  /** SENTINEL RESET on every sentinel: forget replicas and sentinels, learn them again. */
  async reset(): Promise<void> {
    for (const s of this.plan.sentinels) {
      await this.cli(s, ['sentinel', 'reset', MASTER_NAME]);
    }
  }

  /**
   * SENTINEL REMOVE on every sentinel, then MONITOR at the new address on every sentinel: removed
   * everywhere first, or a sentinel still monitoring would hand its newer config epoch (and the
   * old address) back to those already monitoring anew.
   */
  async remonitor(at: HostPort): Promise<void> {
    await this.unmonitor();
    await this.monitorEverywhere(at);
  }

  /**
   * SENTINEL REMOVE on every sentinel that still monitors the master. Also stops a failover in
   * flight: Sentinel's failover state lives in the master's record, so nothing more is sent to
   * the data pods once it is gone.
   */
  async unmonitor(): Promise<void> {
    for (const s of this.plan.sentinels) {
      const out = await this.reply(s, ['sentinel', 'remove', MASTER_NAME]);
      if (!/^OK/.test(out) && !/No such master/i.test(out)) {
        throw new DeployError(`redis-cli sentinel remove ${MASTER_NAME} on ${s.name} failed: ${out}`);
      }
    }
  }

  /** SENTINEL MONITOR at `at` on every sentinel (none may be monitoring it: see remonitor). */
  async monitorEverywhere(at: HostPort): Promise<void> {
    for (const s of this.plan.sentinels) {
      await this.monitorAt(s, at);
    }
  }

  /** `SENTINEL get-master-addr-by-name` as one sentinel answers it. */
  async masterAddress(s: SentinelMember): Promise<HostPort | undefined> {
    const lines = (await this.cli(s, ['sentinel', 'get-master-addr-by-name', MASTER_NAME])).trim().split('\n');
    return lines.length === 2 ? { ip: lines[0]!.trim(), port: Number(lines[1]) } : undefined;
  }

  /** `INFO replication` fields of a data member. */
  async replication(m: SentinelMember): Promise<Record<string, string>> {
    return infoFields(await this.cli(m, ['info', 'replication']));
  }

  /** Which data member answers as master now (by its own ROLE), if exactly one does. */
  async currentMasters(): Promise<SentinelMember[]> {
    const roles = await Promise.all(
      this.plan.data.map(async (m) => ({
        m,
        role: (await this.replication(m).catch((): Record<string, string> => ({})))['role'],
      })),
    );
    return roles.filter((r) => r.role === 'master').map((r) => r.m);
  }
}

/** `key:value` lines of an INFO section. */
export function infoFields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}
