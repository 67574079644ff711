// NAT maps from every pair of packet captures: the same segments seen at two pods with different
// addresses are one connection rewritten on its way (see src/probes/nat-map.ts for the matching).
import { isTranslated, reconstructNat } from '../probes/nat-map.ts';
import type { Packet, PacketEndpoint } from '../probes/tcpdump-text.ts';
import { hostOf } from '../util/address.ts';
import { compareStrings } from '../util/text.ts';
import type { NatMapping } from './report-types.ts';
import type { Cluster } from './who-is-who.ts';

// Pod DNS names that carry the address: `10-42-0-5.ns.pod.cluster.local`; EC2-style node names
// `ip-10-0-1-5.ec2.internal`.
const DASHED = /^(?:ip-)?(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/;

/**
 * A capture printed without -n names hosts: pods by DNS (`redis-0.redis.ns.svc.cluster.local`, a
 * StatefulSet pod behind a headless Service, or `10-42-0-5.ns.pod.cluster.local`) and nodes by
 * their names (`k3d-demo-server-0`). Names are turned back into addresses through pods.txt (pod
 * IP) and nodes.txt (INTERNAL-IP), so flows compare with -nn captures and with ss.
 */
export function resolveHostNames(p: Packet, c: Pick<Cluster, 'pods' | 'nodes'>): Packet {
  const resolve = (e: PacketEndpoint): PacketEndpoint => {
    if (!e.host) {
      return e;
    }
    const label = e.ip.split('.')[0]!;
    const dashed = DASHED.exec(label);
    const ip =
      c.nodes.get(e.ip)?.internalIP ??
      (dashed ? dashed.slice(1).join('.') : undefined) ??
      c.pods.get(label)?.ip ??
      c.nodes.get(label)?.internalIP;
    return ip ? { ip, port: e.port } : e;
  };
  return p.src.host || p.dst.host ? { ...p, src: resolve(p.src), dst: resolve(p.dst) } : p;
}

const source = (flow: string) => hostOf(flow.split(' > ')[0]!);

/** Translated connections between every two captures, each written from its initiator's capture. */
export function natMappings(c: Cluster): NatMapping[] {
  // By pod name: which capture of a pair is read first decides how a mapping is written.
  const captures = [...c.inputs.pods.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .filter(([, f]) => f.packets)
    .map(([name, f]) => ({ name, packets: f.packets!.map((p) => resolveHostNames(p, c)) }));
  const out: NatMapping[] = [];
  for (let i = 0; i < captures.length; i++) {
    for (let j = i + 1; j < captures.length; j++) {
      for (const m of reconstructNat(captures[i]!, captures[j]!).filter(isTranslated)) {
        // Written from the initiator's own capture, so `flow` is the connection as its pod made it.
        const swap = source(m.flow) !== c.pods.get(m.capturedAt)?.ip && source(m.as) === c.pods.get(m.seenAt)?.ip;
        out.push(
          swap
            ? { capturedAt: m.seenAt, flow: m.as, seenAt: m.capturedAt, as: m.flow, matchedPackets: m.matchedPackets }
            : m,
        );
      }
    }
  }
  return out.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt) || a.flow.localeCompare(b.flow));
}
