// The verdict, and why: "nothing wrong" is said only when the files read could have shown each
// problem analyze looks for: for a Redis Cluster, a pods list with addresses (a pod that never
// joined is in no view, only there) and the CLUSTER NODES view of every Redis pod in it; for
// Sentinel, a pods list to check recorded addresses against. Otherwise the run is not cleared, and
// says what to collect next. With problems, it says what would show more.
import type { AnalyzeGhost, Coverage, Recommendation, VerdictKind } from './report-types.ts';
import { isClusterMode } from './stale.ts';
import type { Cluster } from './who-is-who.ts';

export interface Verdict {
  verdict: VerdictKind;
  /** What was checked, one sentence each (for a clear verdict). */
  checks: string[];
  /** Why the files cannot rule problems out (for a not-cleared verdict). */
  gaps: string[];
  /** What to collect next, one item each. */
  next: string[];
}

const PODS_LIST = 'kubectl get pods -o wide (with -n NAMESPACE): the pods and their IPs';

function clusterGaps(c: Cluster, next: string[]): string[] {
  const gaps: string[] = [];
  if (!c.podsListed) {
    gaps.push('no pods list with IPs was read: a pod that never joined is in no CLUSTER NODES view, only there');
    next.push(PODS_LIST);
  }
  const missing = c.members.filter((m) => !c.inputs.pods.get(m)?.view);
  if (!c.views.length) {
    gaps.push('no CLUSTER NODES view was read: ghosts, unjoined pods and misplaced entries show there');
  }
  if (missing.length) {
    gaps.push(
      `no CLUSTER NODES view of ${missing.join(', ')}: a pod that failed to join shows it only in its own view`,
    );
  }
  if (missing.length || !c.views.length) {
    next.push(
      `CLUSTER NODES of ${missing.length ? missing.join(', ') : 'every Redis pod'} (kubectl exec POD -- redis-cli cluster nodes)`,
    );
  }
  return gaps;
}

function checksDone(c: Cluster, cov: Coverage): string[] {
  const checks: string[] = [];
  if (c.views.length) {
    checks.push(
      `CLUSTER NODES of every Redis pod (${cov.views.length}): each knows its own address, and every entry is at a pod IP, or at a node IP with a NodePort, with no handshake or noaddr entry`,
    );
    checks.push(`the pods list: every Redis pod in it (${c.members.length}) is in the views`);
  }
  if (cov.logs.length) {
    checks.push(`Redis logs of ${cov.logs.length} pod(s): no failed dial-back and no address update to a NAT address`);
  }
  if (cov.sockets.length) {
    checks.push(
      `socket tables of ${cov.sockets.length} pod(s): no rewritten inbound cluster-bus connection from a pod that announces nothing`,
    );
  }
  if (cov.sentinel.length) {
    checks.push(
      `INFO replication and Sentinel transcripts of ${cov.sentinel.length} pod(s): every replica, sentinel and master recorded at an address a pod holds`,
    );
  }
  const roles = [...c.inputs.pods.values()].filter((f) => f.role).length;
  if (roles) {
    checks.push(`ROLE of ${roles} pod(s): every replica follows an address a pod holds`);
  }
  return checks;
}

/** What would show more about the problems found. */
function problemNext(c: Cluster, ghosts: AnalyzeGhost[], fixes: Recommendation[]): string[] {
  const next: string[] = [];
  if (ghosts.some((g) => !g.pod)) {
    next.push('the CLUSTER NODES views and logs of every Redis pod: whose ghost each unattributed entry is');
  }
  if (fixes.some((f) => f.settings.some((s) => s.includes('<NodePort of'))) && !c.inputs.kube.read.services) {
    next.push('kubectl get svc -o wide (services.txt): the NodePorts the fix needs');
  }
  if (fixes.some((f) => f.settings.some((s) => s.includes('<node IP of'))) && !c.inputs.kube.read.nodes) {
    next.push('kubectl get nodes -o wide (nodes.txt), with the pods list: the node IP the fix needs');
  }
  if (fixes.some((f) => f.pod.startsWith('<')) && !c.podsListed) {
    next.push(`${PODS_LIST}: which pod the unnamed view is`);
  }
  return next;
}

export function decide(
  c: Cluster,
  cov: Coverage,
  found: { problems: string[]; next: string[]; ghosts: AnalyzeGhost[]; recommendations: Recommendation[] },
): Verdict {
  const next = [...found.next];
  if (found.problems.length) {
    next.push(...problemNext(c, found.ghosts, found.recommendations));
    return { verdict: 'problems', checks: [], gaps: [], next: [...new Set(next)] };
  }
  let gaps: string[];
  if (isClusterMode(c)) {
    gaps = clusterGaps(c, next);
  } else if (cov.sentinel.length) {
    gaps = c.podsListed
      ? []
      : ['no pods list with IPs was read: recorded addresses cannot be checked against the pods'];
    if (!c.podsListed) {
      next.push(PODS_LIST);
    }
  } else {
    gaps = [
      'no CLUSTER NODES view, CLUSTER INFO or Sentinel transcript was read: sockets, captures and logs alone cannot show that every pod joined',
    ];
    next.push('CLUSTER NODES of every Redis pod (kubectl exec POD -- redis-cli cluster nodes)', PODS_LIST);
  }
  return gaps.length
    ? { verdict: 'not-cleared', checks: [], gaps, next: [...new Set(next)] }
    : { verdict: 'clear', checks: checksDone(c, cov), gaps: [], next: [] };
}
