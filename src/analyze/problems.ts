// The problems, one sentence each, and for each pod that needs a fix the reasons it does: a peer
// recorded it at an address that does not reach it (a ghost, a misplaced entry, a failed dial-back
// whose entry has timed out, an address update to a NAT address).
import { hasFlag } from '../probes/cluster-nodes.ts';
import { hostOf } from '../util/address.ts';
import { ownerText } from './address-owners.ts';
import { attribute } from './ghosts.ts';
import type {
  AnalyzeAddressUpdate,
  AnalyzeFailedDialBack,
  AnalyzeGhost,
  NatedConnection,
  NatMapping,
} from './report-types.ts';
import { staleReplicas } from './stale.ts';
import { announces, unexplained, type Cluster } from './who-is-who.ts';

export interface Findings {
  natMappings: NatMapping[];
  natedConnections: NatedConnection[];
  ghosts: AnalyzeGhost[];
  failedDialBacks: AnalyzeFailedDialBack[];
  addressUpdates: AnalyzeAddressUpdate[];
}

export interface Problems {
  problems: string[];
  /** Pod → why it needs to announce, in the order found. */
  reasons: Map<string, string[]>;
}

export const shortId = (id: string) => id.slice(0, 8);

export const addReason = (out: Problems, pod: string, why: string) =>
  out.reasons.set(pod, [...(out.reasons.get(pod) ?? []), why]);

/**
 * A noaddr entry of a pod that another view reaches at its current address, after a PONG from
 * another node id at its old one: the address was reused (diagnoses.ts reused-ip, whose fix is a
 * MEET from the pod holding the entry), not announced wrong, so announcing fixes nothing.
 */
function reusedAddress(c: Cluster, g: AnalyzeGhost): boolean {
  const p = g.pod ? c.pods.get(g.pod) : undefined;
  const mismatch = `PONG contains mismatching sender ID. About node ${g.nodeId}`;
  return (
    !!p?.ip &&
    g.flags.includes('noaddr') &&
    [...c.inputs.pods.values()].some((x) => x.log?.text.includes(mismatch)) &&
    c.views.some((v) =>
      v.nodes.some(
        (n) =>
          n.id === g.nodeId &&
          n.ip === p.ip &&
          n.port === p.port &&
          n.linkState === 'connected' &&
          !hasFlag(n, 'noaddr') &&
          !hasFlag(n, 'handshake'),
      ),
    )
  );
}

function ghostProblems(c: Cluster, f: Findings, out: Problems): void {
  for (const g of f.ghosts) {
    const owner = ownerText(c.owner(hostOf(g.address)));
    const what = `${g.seenBy} holds ${shortId(g.nodeId)} at ${g.address} (${g.flags.join(',')}; ${g.class}, ${owner})`;
    if (g.pod && reusedAddress(c, g)) {
      out.problems.push(
        `${what}: it stands for ${g.pod}, which another pod reaches at its current address: its old one was reused`,
      );
    } else if (g.pod) {
      out.problems.push(`${what}: it stands for ${g.pod}`);
      addReason(out, g.pod, `${g.seenBy} recorded it at ${g.address} (${owner}), an address that does not reach it`);
    } else if (g.flags.includes('noaddr')) {
      out.problems.push(`${what}: a stale entry; CLUSTER FORGET ${g.nodeId} on every node if that node is gone`);
    } else {
      out.problems.push(what);
    }
  }
}

/** A pod that others know by a usable entry, but at an address that is not one of its own. */
function misplacedProblems(c: Cluster, out: Problems): void {
  for (const p of c.pods.values()) {
    if (!p.nodeId) {
      continue;
    }
    for (const v of c.views) {
      const e = v.pod === p.name ? undefined : v.nodes.find((n) => n.id === p.nodeId);
      if (e && unexplained(c, e) && !hasFlag(e, 'handshake')) {
        const o = c.owner(e.ip);
        out.problems.push(
          `${v.pod} knows ${p.name} at ${e.ip}:${e.port}@${e.cport} (${o.class}, ${ownerText(o)}), not at an address of ${p.name}`,
        );
        addReason(out, p.name, `${v.pod} knows it at ${e.ip}:${e.port}@${e.cport} (${ownerText(o)})`);
      }
    }
  }
}

/**
 * A failed dial-back to a rewritten address. When no view holds its node id any more (the
 * handshake entry timed out before the views were taken) the log is all that is left: the
 * sentence says which pod it stood for, and that pod gets the fix.
 */
function dialBackProblems(c: Cluster, f: Findings, out: Problems): void {
  for (const d of f.failedDialBacks) {
    if (d.class === 'pod') {
      continue;
    }
    const owner = ownerText(c.owner(hostOf(d.address)));
    const what = `${d.pod} failed to dial ${shortId(d.nodeId)} back at ${d.address} (${d.class}, ${owner}): ${d.error}`;
    const inAView = c.views.some((v) => v.nodes.some((n) => n.id === d.nodeId));
    const who = d.standsFor && !inAView ? attribute(c, f.natMappings, d.pod, d.nodeId, hostOf(d.address)) : undefined;
    if (!who) {
      out.problems.push(what);
      continue;
    }
    const gone = c.views.some((v) => v.pod === d.pod)
      ? `${shortId(d.nodeId)} is not in ${d.pod}'s CLUSTER NODES view: its handshake entry had timed out`
      : `${d.pod}'s CLUSTER NODES view was not collected`;
    out.problems.push(`${what}: it stands for ${who.pod} (${who.why}; ${gone})`);
    addReason(
      out,
      who.pod,
      `${d.pod} failed to dial it back at ${d.address} (${owner}), an address that does not reach it`,
    );
  }
}

function updateProblems(c: Cluster, f: Findings, out: Problems): void {
  for (const u of f.addressUpdates) {
    if (u.class === 'pod' || u.class === 'node-ip') {
      continue;
    }
    const owner = ownerText(c.owner(hostOf(u.address)));
    out.problems.push(`${u.pod} updated ${shortId(u.nodeId)} to ${u.address} (${u.class}, ${owner}): a NAT address`);
    const p = c.podById.get(u.nodeId);
    if (p && p.name !== u.pod) {
      addReason(out, p.name, `${u.pod} updated it to ${u.address} (${owner}), an address that does not reach it`);
    }
  }
}

/** Rewritten inbound bus connections while some pod announces nothing: the ingredients of a ghost. */
function natedProblem(c: Cluster, f: Findings, out: Problems): void {
  const unannounced = [...c.pods.values()].filter((p) => p.self !== undefined && !announces(p));
  if (!f.natedConnections.length || !unannounced.length) {
    return;
  }
  const receivers = [...new Set(f.natedConnections.map((x) => x.pod))].join(', ');
  const sources = [
    ...new Set(f.natedConnections.map((x) => `${hostOf(x.peer)} ${x.class}, ${ownerText(c.owner(hostOf(x.peer)))}`)),
  ].join('; ');
  out.problems.push(
    `${f.natedConnections.length} inbound cluster-bus connection(s) reach ${receivers} from no pod (${sources}) while ` +
      `${unannounced.map((p) => p.name).join(', ')} announce(s) no address: Redis records a peer that announces ` +
      'nothing at the address its connection comes from',
  );
}

// A replica's link is down for a moment while it connects and syncs; longer than this is a problem.
export const LINK_DOWN_PROBLEM_S = 10;

/**
 * A replica whose link to its master has been down a while, with who owns the address it dials
 * (one whose master address no pod holds is stale.ts's).
 */
function replicationProblems(c: Cluster, out: Problems): void {
  const stale = new Set(staleReplicas(c).map((s) => s.pod));
  for (const [pod, files] of c.inputs.pods) {
    if (stale.has(pod)) {
      continue;
    }
    const r = files.replication?.fields;
    const downFor = Number(r?.master_link_down_since_seconds);
    if (r?.role !== 'slave' || r.master_link_status !== 'down' || !r.master_host || !(downFor >= LINK_DOWN_PROBLEM_S)) {
      continue;
    }
    const o = c.owner(r.master_host);
    out.problems.push(
      `${pod} replicates from ${r.master_host}:${r.master_port ?? '?'} (${o.class}, ${ownerText(o)}) and its link has been down for ${downFor} s`,
    );
  }
}

/** Entries a view marks failing: the viewer's peers agree they cannot reach that node's bus port. */
function failProblems(c: Cluster, out: Problems): void {
  for (const v of c.views) {
    for (const n of v.nodes.filter((x) => !hasFlag(x, 'myself') && (hasFlag(x, 'fail') || hasFlag(x, 'fail?')))) {
      out.problems.push(
        `${v.pod} marks ${shortId(n.id)} at ${n.ip}:${n.port}@${n.cport} ${n.flags.join(',')}: its cluster bus (port ${n.cport}) does not answer there`,
      );
    }
  }
}

export function findProblems(c: Cluster, f: Findings): Problems {
  const out: Problems = { problems: [], reasons: new Map() };
  ghostProblems(c, f, out);
  misplacedProblems(c, out);
  dialBackProblems(c, f, out);
  updateProblems(c, f, out);
  natedProblem(c, f, out);
  replicationProblems(c, out);
  failProblems(c, out);
  return out;
}
