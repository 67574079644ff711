// Redis Cluster on any topology: the pods and per-pod NodePort Services to ask a provider for, the
// addresses each exposure gives, and the bootstrap paths users run (`redis-cli --cluster create`,
// and the manual ADDSLOTSRANGE + MEET + `--cluster add-node --cluster-slave` path). Everything after
// start goes through `topology.exec`, so the same code drives the lab and a real cluster.
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Announce, Exposure, TrafficPolicy } from '../model/dimensions.ts';
import { DeployError } from '../util/errors.ts';
import { waitFor } from '../util/wait.ts';
import type { NodePortServiceSpec, PodSpec, StartedTopology, TopologySpec } from './provider.ts';
import { redisCliCall } from './redis-cli.ts';
import { renderReply, RespError, respPipeline, type RespValue } from './resp.ts';

export const REDIS_PORT = 6379;
export const BUS_PORT_INCR = 10000; // CLUSTER_PORT_INCR in cluster.c
export const CLIENT_NODEPORT_BASE = 30000;
export const BUS_NODEPORT_BASE = 31000;
export const SLOTS = 16384;
/** The unix socket every Redis pod also listens on, in its data dir. */
export const UNIX_SOCKET = 'redis.sock';

export interface RedisMember {
  name: string;
  ordinal: number;
  node: number;
  /** Members with `announce` start with cluster-announce-ip/port/bus-port for their exposure. */
  announce: boolean;
}

export interface RedisClusterPlan {
  exposure: Exposure;
  policy: TrafficPolicy;
  members: RedisMember[];
  nodeTimeoutMs: number;
  redisServer: string;
  redisCli: string;
  /** Keep data across restarts (appendonly); off for cells that only look at the bus. */
  persistence?: boolean;
  /**
   * A password every member wants (`requirepass`) and replicas give their master (`masterauth`),
   * as Bitnami's chart deploys by default. It is in each pod's redis.conf, never in an argv.
   */
  password?: string;
  /**
   * TLS only, as Bitnami's chart deploys it with TLS: no plain port (`port 0`), the client port on
   * TLS, the bus and replication on TLS, client certificates required. The PEMs are each pod's
   * files (a mounted Secret); redis-cli gets them on stdin (deploy/redis-cli.ts).
   */
  tls?: TlsFiles;
}

/** PEM contents: the CA, and the certificate and key every member (and redis-cli) presents. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Where a member's TLS files are, in its config dir. */
const TLS_ARGS = [
  '--tls-cert-file',
  '$(CONFIG_DIR)/tls.crt',
  '--tls-key-file',
  '$(CONFIG_DIR)/tls.key',
  '--tls-ca-cert-file',
  '$(CONFIG_DIR)/ca.crt',
];

export interface Address {
  ip: string;
  port: number;
  cport: number;
}

export const fmt = (a: Address): string => `${a.ip}:${a.port}`;

export function memberPorts(plan: RedisClusterPlan, m: RedisMember) {
  // host-network pods share their node's namespace, so each needs its own port and bus port
  // (docs/datapath.md#host-network-ports); ordinals keep them distinct on every node.
  const port = plan.exposure === 'host-network' ? REDIS_PORT + m.ordinal : REDIS_PORT;
  return {
    port,
    busPort: port + BUS_PORT_INCR,
    nodePort: CLIENT_NODEPORT_BASE + m.ordinal,
    busNodePort: BUS_NODEPORT_BASE + m.ordinal,
  };
}

/** `name value` pairs a member announces for this exposure; `$(VAR)`s are downward-API values. */
export function announceSettings(plan: RedisClusterPlan, m: RedisMember, values?: { podIP: string; hostIP: string }) {
  const p = memberPorts(plan, m);
  const podIP = values?.podIP ?? '$(POD_IP)';
  const hostIP = values?.hostIP ?? '$(HOST_IP)';
  switch (plan.exposure) {
    case 'pod-ip':
      return [['cluster-announce-ip', podIP]] as [string, string][];
    case 'nodeport':
      return [
        ['cluster-announce-ip', hostIP],
        ['cluster-announce-port', String(p.nodePort)],
        ['cluster-announce-bus-port', String(p.busNodePort)],
      ] as [string, string][];
    case 'host-network':
      return [
        ['cluster-announce-ip', hostIP],
        ['cluster-announce-port', String(p.port)],
        ['cluster-announce-bus-port', String(p.busPort)],
      ] as [string, string][];
    case 'loadbalancer':
      throw noLoadBalancer();
  }
}

/** The Cluster cells have no LoadBalancer exposure: a cluster bus behind ServiceLB is not a setup users run. */
const noLoadBalancer = () =>
  new DeployError('Redis Cluster has no loadbalancer exposure here (the sentinel scenario has one)');

export function redisConf(plan: RedisClusterPlan, m: RedisMember): string {
  const p = memberPorts(plan, m);
  return [
    ...(plan.tls
      ? ['port 0', `tls-port ${p.port}`, 'tls-cluster yes', 'tls-replication yes', 'tls-auth-clients yes']
      : [`port ${p.port}`]),
    'bind 0.0.0.0',
    'protected-mode no',
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    `cluster-node-timeout ${plan.nodeTimeoutMs}`,
    // "Connection with Node … failed" is logged at verbose level (cluster.c clusterLinkConnectHandler).
    'loglevel verbose',
    'logfile ""',
    'daemonize no',
    'save ""',
    `appendonly ${plan.persistence ? 'yes' : 'no'}`,
    // Every acknowledged write reaches disk before the reply: the restart scenarios count keys.
    ...(plan.persistence ? ['appendfsync always'] : []),
    // 7.0 waits 5 s for more replicas before a diskless full sync; a replica that has not synced
    // refuses to fail over, so the wait would only delay every scenario.
    'repl-diskless-sync-delay 0',
    ...(plan.password ? [`requirepass ${plan.password}`, `masterauth ${plan.password}`] : []),
    '',
  ].join('\n');
}

export function redisPods(plan: RedisClusterPlan): PodSpec[] {
  return plan.members.map((m) => {
    const p = memberPorts(plan, m);
    const announce = m.announce ? announceSettings(plan, m).flatMap(([k, v]) => [`--${k}`, v]) : [];
    return {
      name: m.name,
      node: m.node,
      hostNetwork: plan.exposure === 'host-network',
      // The unix socket lets a provider that shares the data dir talk to Redis without a process.
      command: [
        plan.redisServer,
        '$(CONFIG_DIR)/redis.conf',
        '--unixsocket',
        `$(DATA_DIR)/${UNIX_SOCKET}`,
        ...(plan.tls ? TLS_ARGS : []),
        ...announce,
      ],
      files: {
        'redis.conf': redisConf(plan, m),
        ...(plan.tls ? { 'ca.crt': plan.tls.ca, 'tls.crt': plan.tls.cert, 'tls.key': plan.tls.key } : {}),
      },
      readiness: [
        plan.redisCli,
        ...(plan.tls
          ? [
              '--tls',
              '--cacert',
              '$(CONFIG_DIR)/ca.crt',
              '--cert',
              '$(CONFIG_DIR)/tls.crt',
              '--key',
              '$(CONFIG_DIR)/tls.key',
            ]
          : []),
        '-p',
        String(p.port),
        'ping',
      ],
      // server.c serverLog after the listeners are bound (7.0: "Ready to accept connections").
      readyLogLine: 'Ready to accept connections',
    };
  });
}

/** One NodePort Service per pod, selecting it by name, with fixed client and bus NodePorts. */
export function redisServices(plan: RedisClusterPlan): NodePortServiceSpec[] {
  if (plan.exposure !== 'nodeport') {
    return [];
  }
  return plan.members.map((m) => {
    const p = memberPorts(plan, m);
    return {
      name: `${m.name}-np`,
      pod: m.name,
      externalTrafficPolicy: plan.policy,
      ports: [
        { name: 'client', port: p.port, targetPort: p.port, nodePort: p.nodePort },
        { name: 'bus', port: p.busPort, targetPort: p.busPort, nodePort: p.busNodePort },
      ],
    };
  });
}

export function redisTopologySpec(
  plan: RedisClusterPlan,
  profile: TopologySpec['profile'],
  nodes: number,
  externalClient = false,
): TopologySpec {
  return { profile, nodes, pods: redisPods(plan), services: redisServices(plan), externalClient };
}

export interface MemberPlanOptions {
  count: number;
  nodes: number;
  /** Which members announce; default none. */
  announce?: (ordinal: number) => boolean;
  /** Node of each member; default round-robin. */
  placement?: (ordinal: number) => number;
}

export function members(opts: MemberPlanOptions): RedisMember[] {
  return Array.from({ length: opts.count }, (_, i) => ({
    name: `redis-${i}`,
    ordinal: i,
    node: opts.placement?.(i) ?? i % opts.nodes,
    announce: opts.announce?.(i) ?? false,
  }));
}

export function planFor(opts: {
  exposure: Exposure;
  policy?: TrafficPolicy;
  announce: Announce;
  members: RedisMember[];
  nodeTimeoutMs?: number;
  redisServer?: string;
  redisCli?: string;
  persistence?: boolean;
  password?: string;
  tls?: TlsFiles;
}): RedisClusterPlan {
  return {
    exposure: opts.exposure,
    policy: opts.policy ?? 'Cluster',
    members: opts.members,
    nodeTimeoutMs: opts.nodeTimeoutMs ?? 5000,
    redisServer: opts.redisServer ?? 'redis-server',
    redisCli: opts.redisCli ?? 'redis-cli',
    persistence: opts.persistence,
    ...(opts.password ? { password: opts.password } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  };
}

/** What the Redis layer needs of a topology: addresses, and exec. */
export type RedisHost = Pick<StartedTopology, 'exec' | 'pod' | 'nodes' | 'localDataDir'>;

/** Talks to one deployed Redis Cluster through a topology's exec. */
export class RedisCluster {
  constructor(
    readonly topology: RedisHost,
    readonly plan: RedisClusterPlan,
  ) {}

  member(name: string): RedisMember {
    const m = this.plan.members.find((x) => x.name === name);
    if (!m) {
      throw new DeployError(`no Redis member named ${name}`);
    }
    return m;
  }

  /** The address the member is reached at over the exposure (what it should be known as). */
  address(m: RedisMember, viaNode?: number): Address {
    const pod = this.topology.pod(m.name);
    const p = memberPorts(this.plan, m);
    switch (this.plan.exposure) {
      case 'pod-ip':
        return { ip: pod.ip, port: p.port, cport: p.busPort };
      case 'host-network':
        return { ip: pod.hostIP, port: p.port, cport: p.busPort };
      case 'nodeport': {
        const ip = viaNode === undefined ? pod.hostIP : this.topology.nodes[viaNode]!.ip;
        return { ip, port: p.nodePort, cport: p.busNodePort };
      }
      case 'loadbalancer':
        throw noLoadBalancer();
    }
  }

  /** Runs redis-cli against the member's own server from inside its pod. */
  async cli(m: RedisMember, args: string[], timeoutMs = 10_000): Promise<string> {
    const socket = this.socketOf(m);
    let out: string;
    if (socket) {
      out = await this.onSocket(socket, [args], timeoutMs).then(
        ([reply]) => renderReply(reply!) + '\n',
        (e: Error) => `Could not connect to Redis at ${socket}: ${e.message}`,
      );
    } else {
      const r = await this.redisCli(m, ['-p', String(memberPorts(this.plan, m).port), ...args], { timeoutMs });
      out = r.stdout + r.stderr;
    }
    if (/^(ERR|WRONGTYPE|MOVED|ASK|CLUSTERDOWN|Could not connect)/m.test(out)) {
      throw new DeployError(`redis-cli ${args.join(' ')} on ${m.name} failed: ${out.trim()}`);
    }
    return out;
  }

  /**
   * The member's Redis unix socket on this machine, when the provider shares the pod's data dir
   * (the netns lab): commands then go straight to Redis, with no process per command. Elsewhere
   * they go through redis-cli in the pod.
   */
  private socketOf(m: RedisMember): string | undefined {
    const dir = this.topology.localDataDir?.(m.name);
    return dir ? join(dir, UNIX_SOCKET) : undefined;
  }

  /** Commands on a member's unix socket, after an AUTH where the plan has a password. */
  private async onSocket(socket: string, commands: string[][], timeoutMs: number): Promise<RespValue[]> {
    if (!this.plan.password) {
      return respPipeline(socket, commands, timeoutMs);
    }
    const [auth, ...replies] = await respPipeline(socket, [['AUTH', this.plan.password], ...commands], timeoutMs);
    if (auth instanceof RespError) {
      throw new DeployError(`AUTH on ${socket} failed: ${renderReply(auth)}`);
    }
    return replies;
  }

  /**
   * redis-cli ARGS… in the member's pod; with the plan's password and TLS, handed to it outside its argv
   * (deploy/redis-cli.ts). `input` follows the password on stdin.
   */
  private redisCli(m: RedisMember, args: string[], opts: { timeoutMs: number; input?: string; reject?: boolean }) {
    const call = redisCliCall(this.plan.redisCli, args, { password: this.plan.password, tls: this.plan.tls });
    const input = (call.input ?? '') + (opts.input ?? '');
    return this.topology.exec({ pod: m.name }, call.argv, { ...opts, ...(input ? { input } : {}) });
  }

  /** CONFIG SET cluster-node-timeout on every given member. */
  async setNodeTimeout(members: RedisMember[], ms: number): Promise<void> {
    await Promise.all(members.map((m) => this.cli(m, ['config', 'set', 'cluster-node-timeout', String(ms)])));
  }

  myId(m: RedisMember): Promise<string> {
    return this.cli(m, ['cluster', 'myid']).then((s) => s.trim());
  }

  /** `redis-cli --cluster create` over the exposure addresses, from the first member's pod. */
  async createWithRedisCli(masters: RedisMember[], replicasPerMaster = 0): Promise<string> {
    const first = masters[0];
    if (!first) {
      throw new DeployError('createWithRedisCli needs at least one member');
    }
    const addrs = masters.map((m) => fmt(this.address(m)));
    const r = await this.redisCli(
      first,
      ['--cluster', 'create', ...addrs, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      { timeoutMs: 60_000, reject: false },
    );
    if (r.exitCode !== 0 || !/\[OK\] All 16384 slots covered/.test(r.stdout)) {
      throw new DeployError(
        `redis-cli --cluster create failed (exit ${r.exitCode}): ${lastLines(r.stdout + r.stderr)}`,
      );
    }
    return r.stdout;
  }

  /**
   * ADDSLOTSRANGE on every master (slots split evenly), then every pair of the masters and `others`
   * (replicas to be) meets over the exposure.
   */
  async createManually(masters: RedisMember[], others: RedisMember[] = []): Promise<void> {
    const per = Math.floor(SLOTS / masters.length);
    await Promise.all(
      masters.map((m, i) => {
        const start = i * per;
        const end = i === masters.length - 1 ? SLOTS - 1 : start + per - 1;
        return this.cli(m, ['cluster', 'addslotsrange', String(start), String(end)]);
      }),
    );
    await this.meetAll([...masters, ...others]);
  }

  /**
   * Every pair meets directly, so forming does not wait on gossip rounds: member i sends MEET to
   * every member after it, all in one pipeline per member (one connection, one write).
   */
  async meetAll(members: RedisMember[]): Promise<void> {
    await Promise.all(
      members.slice(0, -1).map(async (m, i) => {
        const meets = members.slice(i + 1).map((to) => {
          const a = this.address(to);
          return ['CLUSTER', 'MEET', a.ip, String(a.port), String(a.cport)];
        });
        const socket = this.socketOf(m);
        const replies = socket
          ? (await this.onSocket(socket, meets, 30_000)).map(renderReply)
          : (
              await this.redisCli(m, ['-p', String(memberPorts(this.plan, m).port)], {
                input: meets.map((c) => c.join(' ')).join('\n') + '\n',
                timeoutMs: 30_000,
              })
            ).stdout.split('\n');
        const refused = replies.filter((l) => l.trim() && l.trim() !== 'OK');
        if (refused.length) {
          throw new DeployError(`CLUSTER MEET from ${m.name} failed: ${refused.slice(0, 3).join(' | ')}`);
        }
      }),
    );
  }

  /** CLUSTER MEET from `from` to `to`'s exposure address, with the bus port given explicitly. */
  async meet(from: RedisMember, to: RedisMember, viaNode?: number): Promise<Address> {
    const a = this.address(to, viaNode);
    await this.cli(from, ['cluster', 'meet', a.ip, String(a.port), String(a.cport)]);
    return a;
  }

  /**
   * `redis-cli --cluster add-node <joiner pod-ip:port> <entry address> --cluster-slave`, run from
   * the joiner's pod as operators do. Returns whether it claimed success and its last line.
   */
  async addNode(
    joiner: RedisMember,
    entry: RedisMember,
    opts: { slave?: boolean; masterId?: string; viaNode?: number } = {},
  ): Promise<{ ok: boolean; lastLine: string; output: string; entry: Address }> {
    const p = memberPorts(this.plan, joiner);
    const pod = this.topology.pod(joiner.name);
    const entryAddr = this.address(entry, opts.viaNode);
    const args = ['--cluster', 'add-node', `${pod.ip}:${p.port}`, fmt(entryAddr)];
    if (opts.slave) {
      args.push('--cluster-slave');
    }
    if (opts.masterId) {
      args.push('--cluster-master-id', opts.masterId);
    }
    const r = await this.redisCli(joiner, args, { timeoutMs: 60_000, reject: false });
    // redis-cli colours its --cluster output even when stdout is not a terminal.
    const output = stripVTControlCharacters(r.stdout + r.stderr);
    const lastLine = output.trim().split('\n').at(-1) ?? '';
    return {
      ok: r.exitCode === 0 && /\[OK\] New node added correctly/.test(output),
      lastLine,
      output,
      entry: entryAddr,
    };
  }

  /**
   * Makes `replica` a replica of `master`: MEET over the exposure, wait until the replica knows the
   * master's id (REPLICATE refuses unknown nodes), then CLUSTER REPLICATE.
   */
  async replicate(replica: RedisMember, master: RedisMember): Promise<void> {
    const id = await this.myId(master);
    await this.meet(replica, master);
    await waitFor({
      target: `${replica.name} to know ${master.name} (${id.slice(0, 8)})`,
      timeoutMs: 20_000,
      intervalMs: 50,
      check: async () => {
        const nodes = await this.cli(replica, ['cluster', 'nodes']);
        const line = nodes.split('\n').find((l) => l.startsWith(id));
        return { done: !!line && !/handshake|noaddr/.test(line), state: line ?? 'unknown' };
      },
    });
    await this.cli(replica, ['cluster', 'replicate', id]);
  }

  /** `INFO replication` fields of a member. */
  async replication(m: RedisMember): Promise<Record<string, string>> {
    const text = await this.cli(m, ['info', 'replication']);
    return Object.fromEntries(
      text
        .split(/\r?\n/)
        .filter((l) => l.includes(':'))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
    );
  }

  /** Sets the member's announce settings at runtime; returns them as `name value` lines. */
  async announce(m: RedisMember): Promise<string[]> {
    const pod = this.topology.pod(m.name);
    const settings = announceSettings(this.plan, m, { podIP: pod.ip, hostIP: pod.hostIP });
    for (const [k, v] of settings) {
      await this.cli(m, ['config', 'set', k, v]);
    }
    return settings.map(([k, v]) => `${k} ${v}`);
  }
}

const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');
