// The report for people: the fix first, then the problems (or what could not be checked), what was
// inferred, the evidence, and what could not be read. Works from the JSON report alone.
import { hostOf } from '../util/address.ts';
import { cleanText } from '../util/text.ts';
import type { Diagnosis } from './diagnoses.ts';
import type { AnalyzeReport, ReadItem, Recommendation } from './report-types.ts';

const shortId = (id: string) => id.slice(0, 8);

const section = (title: string, lines: string[]) =>
  lines.length ? ['', `${title}:`, ...lines.map((l) => `  ${l}`)] : [];

const FIX_NOTE =
  '(kubectl exec uses the pod’s default container: add -c CONTAINER, and -a PASSWORD to redis-cli, when yours need ' +
  'them. CONFIG SET lasts until the pod restarts: put the same settings in its redis.conf or arguments too.)';

function fixLines(r: AnalyzeReport): string[] {
  const one = (x: Recommendation) => [
    x.settings.length
      ? `${x.pod}: ${x.settings.join(', ')}${x.exact ? '' : '  (fill in the <…> values; services.txt gives NodePorts)'}`
      : `${x.pod}: ${x.then}`,
    `  why: ${x.reason}`,
    ...(x.commands ?? []).map((cmd) => `  $ ${cmd}`),
  ];
  const lines = r.recommendations.flatMap(one);
  return lines.length ? [...lines, FIX_NOTE] : [];
}

function verdict(r: AnalyzeReport): string[] {
  if (r.problems.length) {
    return section(
      `Problems (${r.problems.length})`,
      r.problems.map((p) => `- ${p}`),
    );
  }
  if (r.verdict === 'not-cleared') {
    return section(
      'Not cleared: nothing wrong was found, but these files cannot rule problems out',
      r.gaps.map((g) => `- ${g}`),
    );
  }
  const head =
    r.unchecked.length === 0
      ? 'No problems found: every node is known at a pod or node address, no ghosts, no failed dial-backs.'
      : 'Nothing wrong found, and the files show every Redis pod, but not everything could be checked (see below).';
  return [
    '',
    head,
    ...section(
      'Checked',
      r.checks.map((c) => `- ${c}`),
    ),
  ];
}

/**
 * Each diagnosis: what, whose, why, and the fix with its snippets (indented, ready to copy). A
 * command list or snippet an earlier diagnosis already printed (`shown`) is referred to, not repeated.
 */
export function diagnosisLines(d: Diagnosis, shown = new Set<string>()): string[] {
  const once = (key: string, lines: string[], ref: string) => {
    if (shown.has(key)) {
      return [ref];
    }
    shown.add(key);
    return lines;
  };
  return [
    `- ${d.kind}${d.certainty === 'likely' ? ' (likely)' : ''}: ${d.addresses.join(', ')}`,
    `  owner now: ${d.owner}`,
    ...(d.previousOwner ? [`  held before by: ${d.previousOwner}`] : []),
    ...(d.seenBy.length ? [`  seen by: ${d.seenBy.join(', ')}`] : []),
    `  cause: ${d.cause}`,
    `  fix: ${d.fix.summary}`,
    ...(d.fix.commands.length
      ? once(
          d.fix.commands.join('\n'),
          d.fix.commands.map((c) => `    $ ${c}`),
          '    (the commands above)',
        )
      : []),
    ...d.fix.snippets.flatMap((sn) =>
      once(
        sn.title + sn.text,
        [
          `  ${sn.title}${sn.source ? ` (source: ${sn.source})` : ''}:`,
          ...sn.text.split('\n').map((l) => `      ${l}`),
        ],
        `  ${sn.title}: as above`,
      ),
    ),
    ...d.next.map((n) => `  collect: ${n}`),
  ];
}

/** All diagnoses, each command list and snippet printed once. */
const diagnosesLines = (r: AnalyzeReport) => {
  const shown = new Set<string>();
  return r.diagnoses.flatMap((d) => diagnosisLines(d, shown));
};

const OWNER_FROM: Record<NonNullable<ReadItem['ownerFrom']>, string> = {
  'file name': '',
  command: ' (by its command)',
  content: ' (by its content)',
  unnamed: ' (nothing tells which pod)',
};

/** What each file or transcript part was read as, when any was not in rcnc's own layout. */
function readLines(r: AnalyzeReport): string[] {
  const own = r.read.every((x) => !x.file.includes(':') && (x.ownerFrom === undefined || x.ownerFrom === 'file name'));
  return own
    ? []
    : r.read.map(
        (x) => `${x.file}: ${x.as}${x.owner ? ` of ${x.owner}${OWNER_FROM[x.ownerFrom ?? 'file name']}` : ''}`,
      );
}

function evidence(r: AnalyzeReport): string[] {
  const inferred = new Set(r.inferences.map((i) => i.address));
  const owner = (address: string, o: string) => (inferred.has(hostOf(address)) ? `${o}, inferred` : o);
  return [
    ...section(
      'Inbound cluster-bus connections from no pod (ss/netstat)',
      r.natedConnections.map(
        (c) =>
          `${c.pod.padEnd(12)} ${c.local.padEnd(22)} <- ${c.peer.padEnd(22)} ${c.class} (${owner(c.peer, c.owner)})` +
          (c.harmless ? ` — NATed but harmless: ${c.harmless}` : ''),
      ),
    ),
    ...section(
      'NAT seen in packet captures (same packets at both ends)',
      r.natMappings.map(
        (m) => `[${m.capturedAt}] ${m.flow.replace(' > ', ' → ')}  ==  [${m.seenAt}] ${m.as.replace(' > ', ' → ')}`,
      ),
    ),
    ...section(
      'Ghost entries (CLUSTER NODES)',
      r.ghosts.map(
        (g) =>
          `${g.seenBy} sees ${shortId(g.nodeId)} at ${g.address} ${g.flags.join(',')}: ${g.class} (${owner(g.address, g.owner)})${g.pod ? `, stands for ${g.pod}` : ''}`,
      ),
    ),
    ...section(
      'Failed dial-backs (Redis logs)',
      r.failedDialBacks.map(
        (f) =>
          `${f.pod} -> ${f.address} for ${shortId(f.nodeId)}: ${f.error} (x${f.count}; ${f.class}, ${owner(f.address, f.owner)})` +
          (f.standsFor ? `, stands for ${f.standsFor}` : ''),
      ),
    ),
    ...section(
      'Sentinel: replicas and sentinels at rewritten addresses (INFO replication, SENTINEL replicas/sentinels)',
      [...r.sentinel.listedAt, ...r.sentinel.rewrittenReplicas, ...r.sentinel.rewrittenSentinels].map(
        (x) =>
          `${x.seenBy} (${x.source}) ${x.address}${x.flags.length ? ` ${x.flags.join(',')}` : ''}: ${x.class} (${x.owner})`,
      ),
    ),
    ...section(
      'Address updates (Redis logs)',
      r.addressUpdates.map(
        (u) => `${u.pod} now knows ${shortId(u.nodeId)} at ${u.address}: ${u.class} (${owner(u.address, u.owner)})`,
      ),
    ),
  ];
}

export function renderAnalyzeText(r: AnalyzeReport): string {
  const out: string[] = [
    `rcnc analyze: ${r.pods.length} pod(s), ${r.nodes.length} node(s), ${r.files.length} file(s) read`,
    ...section(`Fix (${r.recommendations.length} pod(s))`, fixLines(r)),
    ...verdict(r),
    ...section(`Diagnoses (${r.diagnoses.length})`, diagnosesLines(r)),
    ...section(
      'Not checked',
      r.unchecked.map((u) => `- ${u}`),
    ),
    ...section(
      'Collect next',
      r.next.map((n) => `- ${n}`),
    ),
    ...section(
      'Inferred (not in the files; add `ip addr` of each node and full kubectl tables to confirm)',
      r.inferences.map((i) => `${i.address} is ${i.owner}: ${i.basis}`),
    ),
    ...evidence(r),
    ...section('Read', readLines(r)),
    ...section(
      'Warnings',
      r.warnings.map((w) => `${w.file}${w.line ? `:${w.line}` : ''}: ${w.problem}`),
    ),
  ];
  // Names come from file names: nothing a file system allows reaches the terminal as a control code.
  return cleanText(out.join('\n')) + '\n';
}
