// SNAT classification: for each path a connection can take to a Redis pod (pod to pod, through a
// NodePort from a pod, from a node, from outside), what source address does the server see, and
// which device's address is it? Three observations per path must agree: the server's own view of
// the connection (CLIENT INFO), the SYN in a capture inside the server pod, and, for a path that
// should be blocked, an empty capture at the server paired with one at the ingress node that
// proves the SYN was sent.
import type { Cell } from '../cells.ts';
import type { Capture, ExecTarget, Provider, StartedTopology, TrafficPolicy } from '../deploy/provider.ts';
import { stopAndParse, type ParsedCapture } from '../probes/capture.ts';
import { addressBook, classifyRewrite, type RewriteClass } from '../probes/snat.ts';
import { ArtifactSink } from '../report/artifacts.ts';
import type { CellRecord, Compatibility, SnatObservation } from '../report/results.ts';
import { ProbeError } from '../util/errors.ts';

export const SNAT_PATHS = [
  'pod-same-node',
  'pod-other-node',
  'nodeport-local-endpoint',
  'nodeport-remote-endpoint',
  'node-nodeport',
  'external-nodeport-local',
  'external-nodeport-remote',
] as const;
export type SnatPath = (typeof SNAT_PATHS)[number];

export interface SnatOptions {
  path: SnatPath;
}

const SERVER_PORT = 6379;
const NODE_PORT = 30000;
const CONNECT_TIMEOUT_MS = 3000;

/** Server on node-0, a client pod on each node, one NodePort Service in front of the server. */
export function startSnatLab(
  provider: Provider,
  profile: Cell['dims']['profile'],
  policy: TrafficPolicy,
  withService: boolean,
) {
  const idle = (name: string, node: number) => ({ name, node, command: ['sleep', '3600'] });
  return provider.start({
    profile,
    nodes: 2,
    pods: [
      {
        name: 'server',
        node: 0,
        command: [
          process.env.RCNC_REDIS_SERVER ?? 'redis-server',
          '--port',
          String(SERVER_PORT),
          '--protected-mode',
          'no',
          '--save',
          '',
        ],
        readiness: [process.env.RCNC_REDIS_CLI ?? 'redis-cli', '-p', String(SERVER_PORT), 'ping'],
      },
      idle('client-0', 0),
      idle('client-1', 1),
    ],
    services: withService
      ? [
          {
            name: 'server-np',
            pod: 'server',
            externalTrafficPolicy: policy,
            ports: [{ name: 'redis', port: SERVER_PORT, targetPort: SERVER_PORT, nodePort: NODE_PORT }],
          },
        ]
      : [],
    externalClient: true,
  });
}

interface Route {
  from: ExecTarget;
  fromName: string;
  /** The address the connection really comes from (before any rewrite). */
  trueSource: string;
  host: string;
  port: number;
  /** Node the connection enters the cluster at (NodePort paths): where the sanity capture runs. */
  ingress?: number;
}

function route(topo: StartedTopology, path: SnatPath): Route {
  const server = topo.pod('server').ip;
  const node = (i: number) => topo.nodes[i]!.ip;
  const pod = (name: string) => ({ from: { pod: name }, fromName: name, trueSource: topo.pod(name).ip });
  const external = { from: { external: true as const }, fromName: 'external', trueSource: topo.externalIP! };
  switch (path) {
    case 'pod-same-node':
      return { ...pod('client-0'), host: server, port: SERVER_PORT };
    case 'pod-other-node':
      return { ...pod('client-1'), host: server, port: SERVER_PORT };
    case 'nodeport-local-endpoint':
      return { ...pod('client-0'), host: node(0), port: NODE_PORT, ingress: 0 };
    case 'nodeport-remote-endpoint':
      return { ...pod('client-1'), host: node(1), port: NODE_PORT, ingress: 1 };
    case 'node-nodeport':
      return { from: { node: 1 }, fromName: 'node-1', trueSource: node(1), host: node(1), port: NODE_PORT, ingress: 1 };
    case 'external-nodeport-local':
      return { ...external, host: node(0), port: NODE_PORT, ingress: 0 };
    case 'external-nodeport-remote':
      return { ...external, host: node(1), port: NODE_PORT, ingress: 1 };
  }
}

const synFilter = (port: number) =>
  `tcp dst port ${port} and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0`;

export interface SnatProbe {
  observation: SnatObservation;
  server: ParsedCapture;
  ingress?: ParsedCapture;
}

/** Connects over one path and reports what the server saw, with packet evidence. */
export async function probePath(topo: StartedTopology, path: SnatPath, seq: number): Promise<SnatProbe> {
  const r = route(topo, path);
  const book = addressBook(topo);
  const captures: Capture[] = [];
  try {
    const server = await topo.capture(
      { pod: 'server' },
      { name: `${path}-${seq}-server`, filter: synFilter(SERVER_PORT), maxSeconds: 30 },
    );
    captures.push(server);
    const ingress =
      r.ingress === undefined
        ? undefined
        : await topo.capture(
            { node: r.ingress },
            { name: `${path}-${seq}-ingress`, filter: synFilter(r.port), iface: 'eth0', maxSeconds: 30 },
          );
    if (ingress) {
      captures.push(ingress);
    }
    // CLIENT INFO describes the very connection it arrives on: the server's view of its peer.
    const reply = await topo.exec(
      r.from,
      [process.env.RCNC_REDIS_CLI ?? 'redis-cli', '-h', r.host, '-p', String(r.port), 'client', 'info'],
      {
        reject: false,
        timeoutMs: CONNECT_TIMEOUT_MS,
      },
    );
    const seen = /\baddr=(\S+):(\d+)/.exec(reply.stdout);
    const serverCap = await stopAndParse(server);
    const ingressCap = ingress ? await stopAndParse(ingress) : undefined;
    const syns = serverCap.packets.filter((p) => p.dst.port === SERVER_PORT);
    const packetSource = syns[0]?.src.ip;
    if (!seen) {
      if (syns.length > 0) {
        throw new ProbeError(
          `${path}: the server received a SYN from ${packetSource} but ${r.fromName} got no reply: ${(reply.stdout + reply.stderr).trim()}`,
        );
      }
      // An empty capture proves nothing on its own: the ingress capture must show the SYN was sent.
      if (!ingressCap || ingressCap.packets.length === 0) {
        throw new ProbeError(
          `this check might be broken: ${path} got no reply and neither the server nor the ingress node saw a SYN (${(reply.stdout + reply.stderr).trim()})`,
        );
      }
      return {
        observation: {
          path,
          from: r.fromName,
          source: r.trueSource,
          target: `${r.host}:${r.port}`,
          rewrite: 'unreachable',
          owner: 'dropped',
          evidence: `SYN seen at node-${r.ingress} eth0, none at the server`,
        },
        server: serverCap,
        ingress: ingressCap,
      };
    }
    const seenIp = seen[1]!;
    if (packetSource !== seenIp) {
      throw new ProbeError(
        `${path}: CLIENT INFO says the peer is ${seenIp} but the SYN at the server came from ${packetSource ?? 'nobody'}`,
      );
    }
    const c = classifyRewrite(r.trueSource, seenIp, book);
    return {
      observation: {
        path,
        from: r.fromName,
        source: r.trueSource,
        target: `${r.host}:${r.port}`,
        seen: `${seenIp}:${seen[2]}`,
        rewrite: c.rewrite,
        owner: c.owner,
        evidence: `CLIENT INFO addr=${seenIp}:${seen[2]}; SYN at the server from ${packetSource}`,
      },
      server: serverCap,
      ingress: ingressCap,
    };
  } finally {
    await Promise.allSettled(captures.map((c) => c.stop()));
  }
}

/** Runs one snat cell on a lab shared by the cells of its profile and policy. */
export async function runSnatCell(
  topo: StartedTopology,
  cell: Cell<SnatOptions>,
  seq: number,
  opts: { artifacts?: boolean } = {},
) {
  const t0 = performance.now();
  const probe = await probePath(topo, cell.options.path, seq);
  const artifacts = new ArtifactSink(cell.id);
  if (opts.artifacts !== false) {
    for (const cap of [probe.server, probe.ingress]) {
      if (cap) {
        await artifacts.save(`${cap.name}.pcap`, await import('node:fs/promises').then((fs) => fs.readFile(cap.file)));
        await artifacts.save(`${cap.name}.tcpdump.txt`, cap.text);
      }
    }
  }
  const rw: RewriteClass = probe.observation.rewrite;
  const compatibility: Compatibility =
    rw === 'none' ? 'works' : rw === 'unreachable' ? 'breaks' : 'works-with-announce';
  const record: CellRecord = {
    id: cell.id,
    title: cell.title,
    dims: cell.dims,
    expectation: cell.expectation,
    observation: {
      meet: rw === 'unreachable' ? 'fails' : 'ok',
      ghosts: [],
      failedDialBacks: [],
      busPeers: [],
      snat: probe.observation,
      notes: [],
    },
    compatibility,
    fix:
      compatibility === 'works-with-announce'
        ? `Redis nodes reached over this path record ${probe.observation.seen?.split(':')[0]} (${probe.observation.owner}): set cluster-announce-ip/port/bus-port on every node`
        : undefined,
    timings: { probe: Math.round(performance.now() - t0) },
    artifacts: artifacts.paths,
  };
  return { record, probe };
}
