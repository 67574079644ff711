// `rcnc analyze DIR [--format text|json|markdown]`: diagnoses the files a user collected from a real cluster (or a lab
// run) with the same probes the scenarios use. What DIR may hold is ANALYZE_FILES_HELP below (the
// CLI help prints it). Files may be UTF-8 (with or without a BOM) or UTF-16 LE/BE (PowerShell's
// `>`), with LF or CRLF line ends; anything else that is not text is reported once and skipped.
// Only regular files (or links to them) up to 64 MiB are read: devices, FIFOs and sockets are
// refused by what they are, before anything is opened.
//
// Nothing here throws on file content: unknown files and unreadable lines become warnings that
// name the file and line (at most a few per file). The only errors are about DIR itself
// (UsageError). Steps, each in its own file:
//   read-dir.ts, transcript-text.ts              listing DIR (subfolders too), decoding each file
//   transcript-parts.ts, read-parts.ts           cutting a transcript at its prompts
//   recognise.ts (+ the readers it names)        what each piece is, by content
//   inputs.ts, owners.ts                         evidence per pod and node, and whose each piece is
//   who-is-who.ts, address-owners.ts             pods, nodes, and who owns an address
//   nat-mappings.ts, nated-connections.ts        NAT from capture pairs; rewritten inbound bus links
//   ghosts.ts, log-findings.ts                   ghosts and who they stand for; dial-backs, updates
//   problems.ts, unjoined.ts, stale.ts, fixes.ts the problems and the fix per pod
//   verdict.ts                                   clear, problems, or not cleared, and what to collect
//   render-text.ts                               the text report
import { UsageError } from '../util/errors.ts';
import { diagnose, diagnosisProblem, recogniseDeployer } from './diagnoses.ts';
import { fixesFor } from './fixes.ts';
import { findGhosts } from './ghosts.ts';
import { readInputs, type Inputs, type PodFiles } from './inputs.ts';
import { addressUpdates, failedDialBacks } from './log-findings.ts';
import { natMappings } from './nat-mappings.ts';
import { natedConnections } from './nated-connections.ts';
import { addReason, findProblems, type Findings, type Problems } from './problems.ts';
import { EXPECTED_FILES } from './read-dir.ts';
import { KINDS } from './recognise.ts';
import { renderAnalyzeMarkdown } from './render-markdown.ts';
import { renderAnalyzeText } from './render-text.ts';
import type { AnalyzeReport, AnalyzeWarning, Coverage } from './report-types.ts';
import { analyzeSentinel } from './sentinel.ts';
import { findStale } from './stale.ts';
import { findUnjoined, unjoinedProblems } from './unjoined.ts';
import { decide } from './verdict.ts';
import { printable } from './warnings.ts';
import { whoIsWho, type Cluster } from './who-is-who.ts';

export type * from './report-types.ts';
export { EXPECTED_FILES, renderAnalyzeText };

/** What `rcnc analyze --format` prints: the text report, the AnalyzeReport as JSON, or Markdown for a ticket. */
export const ANALYZE_FORMATS = ['text', 'json', 'markdown'] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

/** What DIR may hold, for `rcnc analyze --help`. */
export const ANALYZE_FILES_HELP = `  Files of any name, in subfolders too, or one terminal transcript with its prompts
  ($ kubectl exec redis-0 -- redis-cli cluster nodes, 127.0.0.1:6379> role, …): each output is
  told by its content. Whose it is comes from its prompt (kubectl exec POD, kubectl logs POD,
  redis-cli -h HOST), a file name like redis-0.cluster-nodes.txt, or the content itself.
  Redis:      cluster nodes / info / shards / slots, nodes.conf, role (also once per pod),
              info (any section), the log (kubectl logs POD), redis.conf,
              redis-cli --cluster create|check|add-node and redis-trib output
  Sentinel:   sentinel replicas|slaves|sentinels|masters|get-master-addr-by-name <master>,
              sentinel.conf, the sentinel's log
  Sockets:    ss -tanp, netstat -anop, cat /proc/net/tcp /proc/net/tcp6; tcpdump -nn -tt -v text
  Kubernetes: kubectl get pods|nodes|svc -o wide (also -o json, -o yaml, -o jsonpath lists),
              kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR
  Nodes:      ip addr (or ip -o addr, ifconfig) of each node
  The more of these, the more it can tell: it says what to collect next.`;

/** Pods whose files of each kind held at least one record. */
function coverage(inputs: Inputs): Coverage {
  const pods = (has: (f: PodFiles) => boolean) =>
    [...inputs.pods.entries()].filter(([, f]) => has(f)).map(([name]) => name);
  return {
    views: pods((f) => (f.view?.nodes.length ?? 0) > 0),
    logs: pods((f) => (f.log?.redisLines ?? 0) > 0),
    sockets: pods((f) => f.sockets.some((s) => s.entries.length > 0)),
    captures: pods((f) => (f.packets?.length ?? 0) > 0),
    sentinel: pods((f) => !!f.replication || !!f.sentinel),
  };
}

/** The kinds of problem that could not be looked for, because no file of that kind parsed. */
function uncheckedKinds(c: Coverage): string[] {
  // A Sentinel setup has no cluster bus: its transcripts are the whole story.
  if (c.sentinel.length && !c.views.length) {
    return [];
  }
  return [
    ...(c.views.length
      ? []
      : ['ghosts and misplaced entries: no CLUSTER NODES view was read (kubectl exec POD -- redis-cli cluster nodes)']),
    ...(c.logs.length ? [] : ['failed dial-backs and address updates: no Redis log was read (kubectl logs POD)']),
    ...(c.sockets.length
      ? []
      : [
          'rewritten cluster-bus connections: no socket table was read (kubectl exec POD -- netstat -anop, or ss -tanp)',
        ]),
  ];
}

/** Problems about pods that never joined, told apart from what the other findings already say. */
function joinProblems(c: Cluster, found: Problems): { problems: string[]; next: string[] } {
  const u = findUnjoined(c);
  // A pod another problem already names (it stands behind a ghost or a failed dial-back) needs no
  // second sentence; what to collect next still applies.
  const named = new Set(found.reasons.keys());
  for (const s of u.selfless.filter((x) => x.peers > 0)) {
    addReason(
      found,
      s.pod,
      `its own view has no address for itself (${s.self}): nobody ever sent it a MEET it could answer`,
    );
  }
  const own = unjoinedProblems(c, {
    selfless: u.selfless.filter((s) => !named.has(s.pod) || s.peers === 0),
    absent: u.absent.filter((p) => !named.has(p)),
  });
  const next = unjoinedProblems(c, u).next;
  return { problems: own.problems, next };
}

/** Reads and analyzes DIR. Throws UsageError only when DIR itself cannot be listed. */
export async function analyzeDir(dir: string): Promise<AnalyzeReport> {
  const inputs = await readInputs(dir);
  const c = whoIsWho(inputs);
  const mappings = natMappings(c);
  const findings: Findings = {
    natMappings: mappings,
    natedConnections: natedConnections(c, mappings),
    ghosts: findGhosts(c, mappings),
    failedDialBacks: failedDialBacks(c, mappings),
    addressUpdates: addressUpdates(c),
  };
  const found = findProblems(c, findings);
  const joins = joinProblems(c, found);
  const stale = findStale(c);
  const sentinel = analyzeSentinel(c);
  const checked = coverage(inputs);
  const deployer = recogniseDeployer(c);
  const stated = [...found.problems, ...joins.problems, ...stale.problems, ...sentinel.problems];
  const recommendations = [...fixesFor(c, findings, found), ...stale.recommendations, ...sentinel.recommendations];
  const diagnoses = diagnose(c, { ...findings, sentinel, recommendations });
  // A diagnosis whose addresses no stated problem names is a problem of its own: it counts.
  const unstated = diagnoses.filter(
    (d) => !d.addresses.some((a) => stated.some((p) => p.includes(a.replace(/:\d+(@\d+)?$/, '')))),
  );
  const problems = [...stated, ...unstated.map(diagnosisProblem)];
  const verdict = decide(c, checked, {
    problems,
    next: [...joins.next, ...stale.next, ...unstated.flatMap((d) => d.next)],
    ghosts: findings.ghosts,
    recommendations,
  });
  return {
    files: inputs.files,
    pods: [...c.pods.values()].filter((p) => inputs.pods.has(p.name)),
    nodes: [...c.nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    natedConnections: findings.natedConnections,
    natMappings: findings.natMappings,
    ghosts: findings.ghosts,
    failedDialBacks: findings.failedDialBacks,
    addressUpdates: findings.addressUpdates,
    recommendations,
    problems,
    warnings: inputs.warnings.done(),
    inferences: c.inferences,
    checked,
    unchecked: uncheckedKinds(checked),
    sentinel,
    read: inputs.read,
    verdict: verdict.verdict,
    checks: verdict.checks,
    gaps: verdict.gaps,
    next: verdict.next,
    diagnoses,
    ...(deployer ? { deployer } : {}),
  };
}

// What a report needs to say anything: evidence of these kinds (kubectl tables and node addresses
// alone only describe the topology).
const TELLING: ReadonlySet<string> = new Set([
  KINDS['cluster-info'],
  KINDS['cluster-shards'],
  KINDS['cluster-slots'],
  KINDS.role,
  KINDS['cluster-tool'],
]);

/** Whether anything in the report can show a problem or its absence. */
const usable = (r: AnalyzeReport) =>
  r.checked.views.length + r.checked.logs.length + r.checked.sockets.length + r.checked.sentinel.length > 0 ||
  r.checked.captures.length >= 2 ||
  r.read.some((x) => TELLING.has(x.as));

/** A warning that a whole file, or a whole part of one, was not used. */
const isUnused = (w: AnalyzeWarning) =>
  w.line === 0 ||
  /^(?:this output is an authentication error|redis-cli could not connect|kubectl failed|a Redis error reply)/.test(
    w.problem,
  );

/** One line: why nothing in DIR could be used. */
function nothingUsable(dir: string, r: AnalyzeReport): string {
  const unused = r.warnings.filter((w) => isUnused(w) && !/^missing:/.test(w.problem));
  const shown = unused
    .slice(0, 3)
    .map((w) => `${w.file}${w.line ? `:${w.line}` : ''} ${w.problem}`)
    .join('; ');
  const more = unused.length > 3 ? `; and ${unused.length - 3} more` : '';
  const why = unused.length
    ? `${shown}${more}`
    : `${r.files.join(', ')} hold(s) no CLUSTER NODES view, CLUSTER INFO, ROLE, Redis log line, socket, Sentinel transcript or pair of captures`;
  return `rcnc: nothing usable in ${dir}: ${why}; collect ${EXPECTED_FILES} (see 'rcnc analyze --help')`;
}

/**
 * What `rcnc analyze DIR [--format F]` prints and exits with: 0 nothing wrong, and the files could
 * have shown each problem looked for (the text lists what was checked); 1 problems found, or
 * nothing found but the files cannot rule problems out (the text says what to collect next); 2
 * DIR missing or unreadable, or nothing in it usable.
 */
export async function analyzeCommand(
  dir: string,
  format: AnalyzeFormat | boolean,
): Promise<{ output: string; exitCode: number }> {
  // true/false: --json or not, as collect.ts asks.
  const as: AnalyzeFormat = format === true ? 'json' : format === false ? 'text' : format;
  let report: AnalyzeReport;
  try {
    report = await analyzeDir(dir);
  } catch (e) {
    if (e instanceof UsageError) {
      return { output: `rcnc: ${printable(e.message)}\n`, exitCode: 2 };
    }
    throw e;
  }
  if (report.files.length + report.warnings.filter(isUnused).length === 0) {
    return {
      output: `rcnc: ${printable(dir)} holds none of the files analyze reads; collect ${EXPECTED_FILES} into it (see 'rcnc analyze --help')\n`,
      exitCode: 2,
    };
  }
  if (!usable(report)) {
    return { output: printable(nothingUsable(dir, report)) + '\n', exitCode: 2 };
  }
  return {
    output:
      as === 'json'
        ? JSON.stringify(report, null, 2) + '\n'
        : as === 'markdown'
          ? renderAnalyzeMarkdown(report)
          : renderAnalyzeText(report),
    exitCode: report.verdict === 'clear' ? 0 : 1,
  };
}
