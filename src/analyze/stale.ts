// Addresses nothing holds any more, and the cluster's own word on its health. After every pod of a
// Redis Cluster restarts with a new IP, each nodes.conf still holds the old ones: replicas keep
// dialling their masters' old addresses (`redis-cli role`: `slave 10.1.207.222 6379 connecting`),
// no node hears from another and CLUSTER INFO says `cluster_state:fail` (redis/redis#15136). A
// node learns a peer's new address only from a MEET or from gossip (cluster.c
// nodeUpdateAddressIfNeeded), so one MEET per pod at its current address heals it; a replica whose
// master is still unknown then needs CLUSTER REPLICATE. A sentinel that hands out a master address
// no pod holds is the same staleness (bitnami/charts#10067).
import { hostOf } from '../util/address.ts';
import type { ClusterInfoRead, PodFiles } from './inputs.ts';
import type { Recommendation } from './report-types.ts';
import { rewriteReason } from './sentinel.ts';
import type { Cluster } from './who-is-who.ts';

export interface Stale {
  problems: string[];
  next: string[];
  recommendations: Recommendation[];
}

/** Whether nothing the pods list knows answers at `host:port`. */
const held = (c: Cluster, address: string) => rewriteReason(c, address) === undefined;

/** A replica's master and link, by ROLE or by INFO replication; undefined for other roles. */
function follows(f: PodFiles) {
  const r = f.role?.reply;
  if (r?.role === 'slave' && r.master) {
    return { master: `${r.master.host}:${r.master.port}`, state: r.state ?? '?', up: r.state === 'connected' };
  }
  const i = f.replication?.fields;
  if (i?.['role'] === 'slave' && i['master_host']) {
    const down = Number(i['master_link_down_since_seconds']);
    const state = down > 0 ? `down for ${down} s` : (i['master_link_status'] ?? '?');
    return { master: `${i['master_host']}:${i['master_port'] ?? '?'}`, state, up: i['master_link_status'] === 'up' };
  }
  return undefined;
}

/** Replicas (by ROLE or INFO replication) whose master address no pod holds. */
export function staleReplicas(c: Cluster): { pod: string; master: string; state: string }[] {
  const out: { pod: string; master: string; state: string }[] = [];
  for (const [pod, f] of c.inputs.pods) {
    const r = follows(f);
    if (r && !r.up && c.podsListed && !held(c, r.master)) {
      out.push({ pod, master: r.master, state: r.state });
    }
  }
  return out;
}

/** Whether the evidence is of a Redis Cluster (not Sentinel): a view, CLUSTER INFO, SHARDS, the cluster tool. */
export const isClusterMode = (c: Cluster): boolean =>
  c.views.length > 0 ||
  c.inputs.clusterInfos.length > 0 ||
  c.inputs.shards.length > 0 ||
  c.inputs.clusterTool.length > 0;

function podAddresses(c: Cluster): string[] {
  const fromList = c.inputs.kube.podAddresses;
  return fromList.length
    ? [...new Set(fromList)]
    : c.members.flatMap((m) => (c.pods.get(m)?.ip ? [c.pods.get(m)!.ip!] : []));
}

/** CLUSTER MEET from one pod to every pod's current address, then CLUSTER REPLICATE where needed. */
function meetAgain(c: Cluster, stale: { pod: string; master: string }[]): Recommendation {
  const masters = [...c.inputs.pods.entries()].filter(([, f]) => f.role?.reply.role === 'master').map(([p]) => p);
  const from = masters[0] ?? c.members[0] ?? stale[0]!.pod;
  const self = c.pods.get(from)?.ip;
  const port = c.pods.get(from)?.port ?? 6379;
  const targets = podAddresses(c).filter((ip) => ip !== self);
  const cli = (pod: string) => `kubectl exec ${pod} -- redis-cli`;
  return {
    pod: from,
    settings: [],
    then:
      `CLUSTER MEET every pod at its current address from ${from}; then CLUSTER REPLICATE <node id of its master> on each replica ` +
      'whose ROLE still shows an old address (CLUSTER NODES gives the ids). To keep it from coming back, announce a stable name ' +
      '(cluster-announce-hostname and cluster-preferred-endpoint-type hostname, Redis 7) or MEET again on start',
    reason: `${stale.length} replica(s) follow master addresses no pod holds (${[...new Set(stale.map((s) => s.master))].join(', ')}): every pod restarted with a new IP and nodes.conf still holds the old ones, so no node reaches another`,
    exact: false,
    commands: [
      ...targets.map((ip) => `${cli(from)} CLUSTER MEET ${ip} ${port}`),
      ...stale.map((s) => `${cli(s.pod)} CLUSTER REPLICATE <node id of ${s.pod}'s master>`),
    ],
  };
}

function clusterInfoProblem(i: ClusterInfoRead): string | undefined {
  const f = i.fields;
  if (f['cluster_state'] !== 'fail') {
    return undefined;
  }
  const who = i.owner ?? `the node in ${i.file}`;
  const slots = `${f['cluster_slots_ok'] ?? '?'} of ${f['cluster_slots_assigned'] ?? '?'} assigned slots ok, ${f['cluster_slots_pfail'] ?? '?'} pfail, ${f['cluster_slots_fail'] ?? '?'} fail`;
  const known = Number(f['cluster_known_nodes'] ?? 0);
  const deaf =
    f['cluster_stats_messages_received'] === '0' && known > 1
      ? `; it has received no cluster-bus message from the ${known - 1} other node(s) it knows`
      : '';
  return `${who}: cluster_state:fail (${slots})${deaf}`;
}

export function findStale(c: Cluster): Stale {
  const out: Stale = { problems: [], next: [], recommendations: [] };
  const stale = staleReplicas(c);
  for (const s of stale) {
    out.problems.push(
      `${s.pod} replicates from ${s.master} (link ${s.state}): no pod holds ${hostOf(s.master)}, a stale master address`,
    );
  }
  if (stale.length && isClusterMode(c)) {
    out.recommendations.push(meetAgain(c, stale));
  }
  for (const [pod, f] of c.inputs.pods) {
    const master = f.sentinel?.master;
    if (master && c.podsListed && !held(c, master)) {
      out.problems.push(
        `${pod} hands out ${master} as the master: no pod holds ${hostOf(master)}, a stale master address (SENTINEL RESET <master> on every sentinel, or SENTINEL FAILOVER <master>)`,
      );
    }
  }
  for (const s of c.inputs.shards) {
    for (const n of s.nodes.filter((x) => x.ip && c.podsListed && !held(c, `${x.ip}:${x.port}`))) {
      out.problems.push(
        `${s.owner ?? `the node in ${s.file}`} lists ${n.id ? `${n.id.slice(0, 8)} ` : 'a node '}at ${n.ip}:${n.port}${n.health ? ` (${n.health})` : ''}: no pod holds ${n.ip}`,
      );
    }
  }
  for (const i of c.inputs.clusterInfos) {
    const p = clusterInfoProblem(i);
    if (p) {
      out.problems.push(p);
      if (!c.views.length) {
        out.next.push(
          'CLUSTER NODES of every pod (kubectl exec POD -- redis-cli cluster nodes): which peers each node fails to reach, and at which addresses',
        );
      }
    }
  }
  staleSelves(c, out);
  toolProblems(c, out);
  return out;
}

/** A node whose own view gives it an address no pod holds: a stale nodes.conf, or an old announce. */
function staleSelves(c: Cluster, out: Stale): void {
  if (!c.podsListed) {
    return;
  }
  for (const p of c.pods.values()) {
    const self = p.self?.split('@')[0];
    if (self && !self.startsWith(':') && !held(c, self) && p.ip && hostOf(self) !== p.ip) {
      out.problems.push(
        `${p.name}'s own view gives it ${self}, which no pod holds (its pod IP is ${p.ip}): an address left in nodes.conf from before a restart, or an announce setting that is out of date`,
      );
    }
  }
}

/** The address a redis.conf announces, `ip:port`, when it sets cluster-announce-ip. */
function announced(d: Map<string, string[]>): string | undefined {
  const ip = d.get('cluster-announce-ip')?.[0];
  return ip ? `${ip}:${d.get('cluster-announce-port')?.[0] ?? d.get('port')?.[0] ?? '6379'}` : undefined;
}

function toolProblems(c: Cluster, out: Stale): void {
  const announces = c.inputs.configs.flatMap((f) => {
    const a = announced(f.directives);
    return a ? [{ file: f.file, address: a }] : [];
  });
  for (const t of c.inputs.clusterTool) {
    for (const a of announces.filter((x) => t.addresses.length && !t.addresses.includes(x.address))) {
      out.problems.push(
        `${a.file} announces ${a.address}, but ${t.file} was given ${t.addresses.join(', ')}: peers learn one address from the MEET and the node announces another`,
      );
    }
    const cmd = `redis-cli --cluster ${t.command ?? 'create'}`;
    if (t.stuckJoining) {
      const given = t.addresses.length ? ` between the addresses it was given (${t.addresses.join(', ')})` : '';
      out.problems.push(
        `${t.file}: ${cmd} waited for the nodes to join and never finished: their cluster-bus handshakes did not complete${given}`,
      );
      out.next.push(
        'CLUSTER NODES of each node it was given (handshake and noaddr entries show at which address a peer recorded it) and their logs (Connection with Node … failed)',
      );
    }
    // A create over Service ClusterIPs never joins (kelseyhightower/kubernetes-redis-cluster#1):
    // only the Services list can tell such addresses from pod IPs.
    if (!c.services.length && t.addresses.length) {
      out.next.push(
        `kubectl get svc -o wide: whether the addresses ${t.file} was given (${t.addresses.map(hostOf).join(', ')}) are Service ClusterIPs, which a cluster must not be created over`,
      );
    }
    const foreign = c.podsListed ? t.addresses.filter((a) => !held(c, a)) : [];
    if (foreign.length) {
      out.problems.push(
        `${t.file}: ${cmd} was given ${foreign.join(', ')}: no pod holds these addresses (pod IPs, or a node IP with a NodePort)`,
      );
    }
    for (const e of t.errors.slice(0, 3)) {
      out.problems.push(`${t.file}: ${e}`);
    }
  }
}
