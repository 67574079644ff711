// NAT reconstruction from two captures of the same traffic taken at two points (say, in the
// joining pod and in the master's pod). Addresses and ports differ between the points — that is
// the NAT being looked for — and tcpdump prints sequence numbers relative to what each capture saw
// first, so neither can be matched on. What NAT leaves alone is matched instead:
//   - the TCP timestamp option (TS val/ecr; iptables NAT never rewrites it), the flags and the
//     payload length, for every segment that carries timestamps (Linux does by default);
//   - the absolute sequence/ack numbers of SYN and SYN-ACK, which tcpdump prints unrelativised,
//     so handshakes match even when timestamps are off.
// Retransmissions carry a fresh TS val on Linux, so each copy matches its own counterpart;
// duplicates of one segment inside a capture (`-i any` on a node sees it on several interfaces)
// count once. A connection pair needs MIN_MATCHED_PACKETS distinct matching segments, so that two
// unrelated connections that happen to share one (flags, TS, length) are never paired.
import { endpointText, flowText, type Packet, type PacketEndpoint } from './tcpdump-text.ts';

export const MIN_MATCHED_PACKETS = 2;

export interface NatMapping {
  /** Name of the capture the flow is written as seen from (capture A). */
  capturedAt: string;
  /** `ip:port > ip:port` as seen at A, oriented from the connection's initiator when known. */
  flow: string;
  /** Name of the other capture (B). */
  seenAt: string;
  /** The same flow as seen at B, same orientation. */
  as: string;
  /** Distinct segments found in both captures (both directions). */
  matchedPackets: number;
}

export interface CaptureSide {
  name: string;
  packets: readonly Packet[];
}

/** Whether the two points saw different addresses or ports, i.e. something translated the flow. */
export const isTranslated = (m: NatMapping): boolean => m.flow !== m.as;

/** `a:p → vip:vp  ==  nat:q → b:r`; with `names`, each side is prefixed by its capture. */
export function formatNatMapping(m: NatMapping, opts: { names?: boolean } = {}): string {
  const arrow = (f: string) => f.replace(' > ', ' → ');
  return opts.names
    ? `[${m.capturedAt}] ${arrow(m.flow)}  ==  [${m.seenAt}] ${arrow(m.as)}`
    : `${arrow(m.flow)}  ==  ${arrow(m.as)}`;
}

// What identifies one segment at both points. undefined: nothing NAT-proof to match on.
function signature(p: Packet): string | undefined {
  if (p.tsval !== undefined) {
    return `ts|${p.flags}|${p.tsval}|${p.tsecr ?? ''}|${p.length}`;
  }
  if (p.flags.includes('S') && typeof p.seq === 'number') {
    return `syn|${p.flags}|${p.seq}|${p.ack ?? ''}`;
  }
  return undefined;
}

interface Connection {
  /** Canonical key: the two endpoints, sorted. */
  key: string;
  /** The initiator → responder flow. */
  forward: string;
  reverse: string;
}

interface Indexed {
  /** directed flow → distinct signatures seen on it */
  flows: Map<string, Set<string>>;
  /** directed flow → its connection */
  conns: Map<string, Connection>;
}

function index(packets: readonly Packet[]): Indexed {
  const flows = new Map<string, Set<string>>();
  const conns = new Map<string, Connection>();
  const byKey = new Map<string, Connection>();
  const ordered = [...packets].sort((x, y) => x.time - y.time || x.line - y.line);
  // Orientation first: a SYN (or the SYN-ACK answering it) anywhere in the capture names the
  // initiator; without either, the side talking *to* the lower port is taken as the client
  // (servers, NodePorts and bus ports sit below the ephemeral range).
  const initiator = new Map<string, string>();
  for (const p of ordered) {
    const key = connKey(p.src, p.dst);
    if (initiator.has(key) || !p.flags.includes('S')) {
      continue;
    }
    initiator.set(key, p.flags.includes('.') ? flowText(p.dst, p.src) : flowText(p.src, p.dst));
  }
  for (const p of ordered) {
    const dir = flowText(p.src, p.dst);
    const key = connKey(p.src, p.dst);
    let c = byKey.get(key);
    if (!c) {
      const back = flowText(p.dst, p.src);
      const forward = initiator.get(key) ?? (p.dst.port <= p.src.port ? dir : back);
      c = { key, forward, reverse: forward === dir ? back : dir };
      byKey.set(key, c);
    }
    conns.set(dir, c);
    const sig = signature(p);
    if (sig === undefined) {
      continue;
    }
    let set = flows.get(dir);
    if (!set) {
      flows.set(dir, (set = new Set()));
    }
    set.add(sig);
  }
  return { flows, conns };
}

const connKey = (a: PacketEndpoint, b: PacketEndpoint): string => {
  const x = endpointText(a);
  const y = endpointText(b);
  return x < y ? `${x}|${y}` : `${y}|${x}`;
};

/**
 * Pairs the connections of two captures and returns, for each pair, the flow as written at A and
 * at B. Identity pairs (no translation) are included: they prove the two points saw the same,
 * untranslated traffic; filter with `isTranslated` for the NAT ones. Passing one capture as both
 * sides (a node's `-i any` capture holds pre- and post-NAT copies) skips the trivial self-pairs.
 */
export function reconstructNat(a: CaptureSide, b: CaptureSide): NatMapping[] {
  const A = index(a.packets);
  const B = index(b.packets);
  const same = a.packets === b.packets;

  const bySig = new Map<string, string[]>();
  for (const [flow, sigs] of B.flows) {
    for (const sig of sigs) {
      const list = bySig.get(sig);
      if (list) {
        list.push(flow);
      } else {
        bySig.set(sig, [flow]);
      }
    }
  }

  // Score per (connection at A, orientation at B): both directions of a connection add up, each
  // onto the B flow that the A connection's *forward* direction corresponds to.
  const scores = new Map<string, { connA: Connection; connB: Connection; bForward: string; score: number }>();
  for (const [flowA, sigs] of A.flows) {
    const connA = A.conns.get(flowA)!;
    const isForward = flowA === connA.forward;
    for (const sig of sigs) {
      for (const flowB of bySig.get(sig) ?? []) {
        const connB = B.conns.get(flowB)!;
        if (same && connB.key === connA.key) {
          continue;
        }
        const bForward = isForward ? flowB : flowB === connB.forward ? connB.reverse : connB.forward;
        const key = `${connA.key}#${bForward}`;
        const s = scores.get(key);
        if (s) {
          s.score++;
        } else {
          scores.set(key, { connA, connB, bForward, score: 1 });
        }
      }
    }
  }

  // Greedy one-to-one assignment, best evidence first; ties broken by text so output is stable.
  const candidates = [...scores.values()]
    .filter((c) => c.score >= MIN_MATCHED_PACKETS)
    .sort(
      (x, y) =>
        y.score - x.score || x.connA.forward.localeCompare(y.connA.forward) || x.bForward.localeCompare(y.bForward),
    );
  const usedA = new Set<string>();
  const usedB = new Set<string>();
  const out: NatMapping[] = [];
  for (const c of candidates) {
    if (usedA.has(c.connA.key) || usedB.has(c.connB.key)) {
      continue;
    }
    usedA.add(c.connA.key);
    usedB.add(c.connB.key);
    out.push({ capturedAt: a.name, flow: c.connA.forward, seenAt: b.name, as: c.bForward, matchedPackets: c.score });
  }
  return out.sort((x, y) => x.flow.localeCompare(y.flow) || x.as.localeCompare(y.as));
}
