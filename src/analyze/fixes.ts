// The fix for each pod a peer recorded at a rewritten address: announce the address others reach it
// by (docs/datapath.md#redis-announce) and MEET again. Over NodePorts that is its node's INTERNAL-IP
// (pods.txt NODE → nodes.txt) and its NodePorts (services.txt, else what a capture shows, else a
// named placeholder); otherwise its pod IP and own ports. Given as settings and as the commands to
// run with `kubectl exec`.
import { hasFlag, type ClusterNode } from '../probes/cluster-nodes.ts';
import { hostOf } from '../util/address.ts';
import type { Findings, Problems } from './problems.ts';
import type { AnalyzedPod, Recommendation } from './report-types.ts';
import { isNodePort, unexplained, type Cluster } from './who-is-who.ts';

const ends = (flow: string) => flow.split(' > ').map(hostOf) as [string, string];
const lastPort = (flow: string) => Number(flow.split(':').at(-1));

/** The member to MEET: the one that recorded the pod at a bad address (it joined through it), else a master. */
function meetTarget(c: Cluster, f: Findings, p: AnalyzedPod): ClusterNode | undefined {
  const own = c.views.find((v) => v.pod === p.name)?.nodes ?? [];
  const ok = own.filter((n) => !hasFlag(n, 'myself') && n.linkState === 'connected' && n.ip && !unexplained(c, n));
  const entries = [
    ...f.ghosts.filter((g) => g.pod === p.name).map((g) => g.seenBy),
    ...f.failedDialBacks.filter((d) => d.standsFor === p.name).map((d) => d.pod),
  ].map((name) => c.pods.get(name)?.nodeId);
  return ok.find((n) => entries.includes(n.id)) ?? ok.find((n) => hasFlag(n, 'master')) ?? ok[0];
}

/** The pod's NodePort for `port`: from services.txt, else from a capture of a connection to it. */
function nodePortFor(c: Cluster, f: Findings, p: AnalyzedPod, port: number, nth: number) {
  const svc = c.services.find(
    (s) => s.type === 'NodePort' && Object.entries(s.selector).some(([k, v]) => k.endsWith('pod-name') && v === p.name),
  );
  const fromSvc =
    svc?.ports.find((x) => x.port === port)?.nodePort ??
    (svc?.ports.length === 2 ? [...svc.ports].sort((a, b) => a.port - b.port)[nth]?.nodePort : undefined);
  if (fromSvc) {
    return { svc, port: fromSvc };
  }
  const m = f.natMappings.find(
    (x) => ends(x.as)[1] === p.ip && x.as.endsWith(`:${port}`) && c.nodeIps.has(ends(x.flow)[1]),
  );
  return { svc, ...(m ? { port: lastPort(m.flow), ip: ends(m.flow)[1] } : {}) };
}

function announceSettings(c: Cluster, f: Findings, p: AnalyzedPod): { settings: string[]; exact: boolean } {
  const client = nodePortFor(c, f, p, p.port, 0);
  const bus = nodePortFor(c, f, p, p.busPort, 1);
  // Peers known at NodePorts: at a node IP, or (without nodes.txt) at any address no pod holds.
  const nodePortEvident =
    client.svc !== undefined ||
    client.port !== undefined ||
    bus.port !== undefined ||
    c.views.some((v) =>
      v.nodes.some(
        (n) =>
          isNodePort(n.port) &&
          isNodePort(n.cport) &&
          (c.nodeIps.has(n.ip) || (!c.inputs.kube.read.nodes && n.ip !== '' && !c.podIps.has(n.ip))),
      ),
    );
  if (!nodePortEvident) {
    return {
      settings: [
        `cluster-announce-ip ${p.ip ?? `<pod IP of ${p.name}>`}`,
        `cluster-announce-port ${p.port}`,
        `cluster-announce-bus-port ${p.busPort}`,
      ],
      exact: p.ip !== undefined,
    };
  }
  const ip = p.nodeIP ?? bus.ip ?? client.ip;
  return {
    settings: [
      `cluster-announce-ip ${ip ?? `<node IP of ${p.name}>`}`,
      `cluster-announce-port ${client.port ?? `<NodePort of ${p.name}:${p.port}>`}`,
      `cluster-announce-bus-port ${bus.port ?? `<NodePort of ${p.name}:${p.busPort}>`}`,
    ],
    exact: ip !== undefined && client.port !== undefined && bus.port !== undefined,
  };
}

function recommend(c: Cluster, f: Findings, p: AnalyzedPod, reason: string): Recommendation {
  const { settings, exact } = announceSettings(c, f, p);
  const target = meetTarget(c, f, p);
  const then = target
    ? `then CLUSTER MEET again: redis-cli -p ${p.port} cluster meet ${target.ip} ${target.port} ${target.cport}`
    : 'then CLUSTER MEET again, from this pod to a healthy member at the address the others know it by';
  const ns = c.namespaces.get(p.name);
  const cli = `kubectl ${ns ? `-n ${ns} ` : ''}exec ${p.name} -- redis-cli -p ${p.port}`;
  const meet = target
    ? `${target.ip} ${target.port} ${target.cport}`
    : '<IP> <port> <bus port> of a healthy member, as the others know it';
  const commands = [...settings.map((s) => `${cli} CONFIG SET ${s}`), `${cli} CLUSTER MEET ${meet}`];
  return { pod: p.name, settings, then, reason, exact, commands };
}

/** One recommendation per pod with reasons, sorted by pod. */
export function fixesFor(c: Cluster, f: Findings, found: Problems): Recommendation[] {
  const out: Recommendation[] = [];
  for (const [podName, why] of [...found.reasons.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const p = c.pods.get(podName)!;
    if (p.self?.startsWith(':')) {
      why.push(`its own view has no address for itself (${p.self}): nobody ever sent it a MEET it could answer`);
    }
    out.push(recommend(c, f, p, [...new Set(why)].join('; ')));
  }
  return out;
}
