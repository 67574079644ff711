// SNAT classification: for each path a connection can take to a Redis pod (pod to pod, through a
// NodePort from a pod, from a node, from outside), what source address does the server see, and
// which device's address is it? Three observations per path must agree: the server's own view of
// the connection (CLIENT INFO), the SYN in a capture inside the server pod, and, for a path that
// should be blocked, an empty capture at the server paired with one at the ingress node that
// proves the SYN was sent.
import { readFile } from 'node:fs/promises';
import type { Capture, ExecTarget, Provider, StartedTopology } from '../../src/deploy/provider.ts';
import { traitsOf } from '../../src/deploy/providers.ts';
import type { Cell } from '../../src/model/cell.ts';
import type { ProfileName, TrafficPolicy } from '../../src/model/dimensions.ts';
import type { CellRecordOf } from '../../src/model/results.ts';
import { classifyRewrite, currentAddressBook, type AddressBook } from '../../src/probes/address-class.ts';
import { stopAndParse, type ParsedCapture } from '../../src/probes/capture.ts';
import { initialRecord, type ScenarioContext } from '../../src/suite/harness.ts';
import { hostOf } from '../../src/util/address.ts';
import { ProbeError } from '../../src/util/errors.ts';
import type { SnatOptions, SnatPath } from './cells.ts';
import type { DockerSnatPath } from './docker-cells.ts';
import type { SnatObservation } from './types.ts';
import { snatCompatibility } from './words.ts';

const SERVER_PORT = 6379;
const NODE_PORT = 30000;
const CONNECT_TIMEOUT_MS = 3000;

/** Server on node-0, a client pod on each node, one NodePort Service in front of the server. */
export function startSnatLab(
  provider: Provider,
  profile: ProfileName,
  policy: TrafficPolicy,
  withService: boolean,
  redis: ScenarioContext['redis'],
) {
  const idle = (name: string, node: number) => ({ name, node, command: ['sleep', '3600'] });
  // Where a provider has one node (docker: the Docker host), both clients live there.
  const nodes = Math.min(2, traitsOf(provider.name).maxNodes ?? 2);
  return provider.start({
    profile,
    nodes,
    pods: [
      {
        name: 'server',
        node: 0,
        command: [redis.server, '--port', String(SERVER_PORT), '--protected-mode', 'no', '--save', ''],
        readiness: [redis.cli, '-p', String(SERVER_PORT), 'ping'],
      },
      idle('client-0', 0),
      idle('client-1', nodes - 1),
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

/** The first address of the node's pod CIDR: the bridge gateway (cni0, or a Docker bridge). */
function bridgeGateway(topo: StartedTopology): string {
  const [ip, bits] = topo.nodes[0]!.podCidr.split('/');
  const n = ip!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  const gw = n - (n % size) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(gw / 2 ** s) % 256).join('.');
}

/** Docker's paths: one host, the published port standing for the NodePort (docker-cells.ts). */
function dockerRoute(topo: StartedTopology, path: DockerSnatPath): Route {
  const host = topo.nodes[0]!.ip;
  const client = { from: { pod: 'client-0' }, fromName: 'client-0', trueSource: topo.pod('client-0').ip };
  const dockerHost = { from: { node: 0 }, fromName: 'docker-host' };
  switch (path) {
    case 'container-ip':
      return { ...client, host: topo.pod('server').ip, port: SERVER_PORT };
    case 'container-published-port':
      return { ...client, host, port: NODE_PORT };
    case 'container-gateway-published-port':
      return { ...client, host: bridgeGateway(topo), port: NODE_PORT };
    case 'host-published-port':
      return { ...dockerHost, trueSource: host, host, port: NODE_PORT };
    case 'host-loopback-published-port':
      return { ...dockerHost, trueSource: '127.0.0.1', host: '127.0.0.1', port: NODE_PORT };
    case 'outside-published-port':
      return {
        from: { external: true },
        fromName: 'outside',
        trueSource: topo.externalIP!,
        host,
        port: NODE_PORT,
        ingress: 0,
      };
  }
}

function route(topo: StartedTopology, path: SnatPath | DockerSnatPath): Route {
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
    default:
      return dockerRoute(topo, path);
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
export async function probePath(
  topo: StartedTopology,
  path: SnatPath | DockerSnatPath,
  seq: number,
  redisCli: string,
): Promise<SnatProbe> {
  const r = route(topo, path);
  const captures: Capture[] = [];
  try {
    const server = await topo.capture(
      { pod: 'server' },
      // eth0 only: a kubelet's exec readiness probe (redis-cli ping inside the container) opens
      // loopback connections to the same port at any time, and they are no path under test.
      { name: `${path}-${seq}-server`, filter: synFilter(SERVER_PORT), iface: 'eth0', maxSeconds: 30 },
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
    const reply = await topo.exec(r.from, [redisCli, '-h', r.host, '-p', String(r.port), 'client', 'info'], {
      reject: false,
      timeoutMs: CONNECT_TIMEOUT_MS,
    });
    const serverCap = await stopAndParse(server);
    const ingressCap = ingress ? await stopAndParse(ingress) : undefined;
    const book = await currentAddressBook(topo);
    const observation = observePath(book, path, r, reply.stdout + reply.stderr, serverCap, ingressCap);
    return { observation, server: serverCap, ingress: ingressCap };
  } finally {
    await Promise.allSettled(captures.map((c) => c.stop()));
  }
}

/**
 * What the path did, from the server's CLIENT INFO reply and the SYNs the captures saw; the two
 * must agree, and a path with no reply counts as dropped only when the ingress node saw the SYN.
 */
function observePath(
  book: AddressBook,
  path: SnatPath | DockerSnatPath,
  r: Route,
  reply: string,
  serverCap: ParsedCapture,
  ingressCap: ParsedCapture | undefined,
): SnatObservation {
  const seen = /\baddr=(\S+):(\d+)/.exec(reply);
  const packetSource = serverCap.packets.find((p) => p.dst.port === SERVER_PORT)?.src.ip;
  const base = { path, from: r.fromName, source: r.trueSource, target: `${r.host}:${r.port}`, notes: [] };
  if (!seen) {
    if (packetSource !== undefined) {
      throw new ProbeError(
        `${path}: the server received a SYN from ${packetSource} but ${r.fromName} got no reply: ${reply.trim()}`,
      );
    }
    // An empty capture proves nothing on its own: the ingress capture must show the SYN was sent.
    if (!ingressCap || ingressCap.packets.length === 0) {
      throw new ProbeError(
        `this check might be broken: ${path} got no reply and neither the server nor the ingress node saw a SYN (${reply.trim()})`,
      );
    }
    const evidence = `SYN seen at node-${r.ingress} eth0, none at the server`;
    return { ...base, rewrite: 'unreachable', owner: 'dropped', evidence };
  }
  const seenIp = seen[1]!;
  if (packetSource !== seenIp) {
    throw new ProbeError(
      `${path}: CLIENT INFO says the peer is ${seenIp} but the SYN at the server came from ${packetSource ?? 'nobody'}`,
    );
  }
  const c = classifyRewrite(r.trueSource, seenIp, book);
  return {
    ...base,
    seen: `${seenIp}:${seen[2]}`,
    rewrite: c.rewrite,
    owner: c.owner,
    evidence: `CLIENT INFO addr=${seenIp}:${seen[2]}; SYN at the server from ${packetSource}`,
  };
}

/** Runs one snat cell on a lab shared by the cells of its profile and policy. */
export async function runSnatCell(
  topo: StartedTopology,
  cell: Cell<'snat', SnatOptions>,
  seq: number,
  scenario: ScenarioContext,
): Promise<{ record: CellRecordOf<'snat'>; probe: SnatProbe }> {
  const t0 = performance.now();
  const probe = await probePath(topo, cell.options.path, seq, scenario.redis.cli);
  for (const cap of [probe.server, probe.ingress]) {
    if (cap && scenario.artifacts) {
      await scenario.artifacts.save(`${cap.name}.pcap`, await readFile(cap.file));
      await scenario.artifacts.save(`${cap.name}.tcpdump.txt`, cap.text);
    }
  }
  const observation = probe.observation;
  const compatibility = snatCompatibility(observation);
  const record: CellRecordOf<'snat'> = {
    ...initialRecord(cell),
    observation,
    compatibility,
    fix:
      compatibility === 'rewritten'
        ? `Redis nodes reached over this path record ${observation.seen ? hostOf(observation.seen) : '?'} (${observation.owner}): set cluster-announce-ip/port/bus-port on every node`
        : compatibility === 'dropped'
          ? cell.expectation.knownFix
          : undefined,
    timings: { probe: Math.round(performance.now() - t0) },
    artifacts: scenario.artifacts?.paths ?? [],
  };
  return { record, probe };
}
