// Inbound cluster-bus connections that come from no pod address (ss/netstat): their source was
// rewritten on the way (docs/datapath.md#masquerade-source-address). Such a connection only harms
// when the peer behind it announces nothing, since Redis then records the rewritten source
// (docs/datapath.md#redis-announce); the ones known to come from a peer that announces are marked
// harmless.
import { inbound } from '../probes/sockets.ts';
import type { NatedConnection, NatMapping } from './report-types.ts';
import { announces, isLoopback, type Cluster } from './who-is-who.ts';

/** Why a rewritten connection does no harm, when the files show it. */
function whyHarmless(c: Cluster, conn: NatedConnection, mappings: NatMapping[]): Partial<NatedConnection> {
  const from = mappings.find((m) => m.seenAt === conn.pod && m.as === `${conn.peer} > ${conn.local}`)?.capturedAt;
  const peer = from === undefined ? undefined : c.pods.get(from);
  if (peer && announces(peer)) {
    return { from: peer.name, harmless: `${peer.name} announces ${peer.self}` };
  }
  // Only when every Redis pod was collected: a listed pod whose files are missing may announce nothing.
  const collected = [...c.inputs.pods.keys()].map((name) => c.pods.get(name)!);
  const all = c.members.every((m) => c.inputs.pods.has(m));
  if (all && collected.length > 1 && collected.every(announces)) {
    return { ...(from ? { from } : {}), harmless: 'every collected pod announces its address' };
  }
  return from ? { from } : {};
}

export function natedConnections(c: Cluster, mappings: NatMapping[]): NatedConnection[] {
  const out: NatedConnection[] = [];
  for (const p of c.pods.values()) {
    const seen = new Set<string>();
    for (const s of inbound(c.inputs.pods.get(p.name)?.sockets.flatMap((t) => t.entries) ?? [], p.busPort)) {
      if (!s.peer || isLoopback(s.peer.ip) || c.podIps.has(s.peer.ip)) {
        continue;
      }
      const local = `${s.local.ip}:${s.local.port}`;
      const peer = `${s.peer.ip}:${s.peer.port}`;
      if (seen.has(`${local} ${peer}`)) {
        continue;
      }
      seen.add(`${local} ${peer}`);
      const o = c.owner(s.peer.ip);
      const conn: NatedConnection = { pod: p.name, local, peer, class: o.class, owner: o.owner };
      out.push({ ...conn, ...whyHarmless(c, conn, mappings) });
    }
  }
  return out;
}
