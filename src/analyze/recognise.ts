// What a piece of text is, told from its content: each kind of output analyze reads has a
// recogniser that says how much of the text it explains (the share of its lines). The command the
// text was printed by, and the file's name, only break ties. A text that mixes kinds without
// prompts between them (`cluster info` followed by `role` of each pod, as pasted in
// redis/redis#15136) is cut where its lines change kind, and each run is recognised on its own.
import { parseClusterNodes } from '../probes/cluster-nodes.ts';
import { parseRedisLog } from '../probes/logs.ts';
import { parseMasterAddress, parseSentinelEntries } from '../probes/sentinel.ts';
import { parseSocketTable } from '../probes/sockets.ts';
import { parseTcpdump } from '../probes/tcpdump-text.ts';
import { CLUSTER_TOOL_LINE } from './cluster-tool.ts';
import { parseInterfaces } from './ip-addr.ts';
import { isHeaderlessPodRow, parseKubeJson, parseKubeYaml, parsePodList } from './kube-objects.ts';
import { parseKubectlTable } from './kubectl.ts';
import { isSentinelConf } from './redis-config.ts';
import { pairsText, replyValues } from './redis-reply.ts';
import { parseRole, parseRolesPerPod } from './roles.ts';

/** Every kind of text analyze reads, and what it says about it when listing what it read. */
export const KINDS = {
  'cluster-nodes': 'CLUSTER NODES',
  'nodes-conf': 'nodes.conf',
  'cluster-info': 'CLUSTER INFO',
  'cluster-shards': 'CLUSTER SHARDS',
  'cluster-slots': 'CLUSTER SLOTS',
  role: 'ROLE',
  'roles-per-pod': 'ROLE of each pod',
  info: 'INFO',
  'sentinel-replicas': 'SENTINEL replicas',
  'sentinel-sentinels': 'SENTINEL sentinels',
  'sentinel-masters': 'SENTINEL masters',
  'sentinel-master-addr': 'SENTINEL get-master-addr-by-name',
  'sentinel-conf': 'sentinel.conf',
  'redis-conf': 'redis.conf',
  log: 'Redis log',
  'cluster-tool': 'redis-cli --cluster / redis-trib output',
  sockets: 'socket table (ss, netstat, /proc/net/tcp)',
  tcpdump: 'tcpdump text',
  'kube-pods': 'kubectl get pods',
  'kube-nodes': 'kubectl get nodes',
  'kube-services': 'kubectl get svc',
  'kube-podcidrs': 'node pod CIDRs (custom-columns)',
  'kube-json': 'kubectl -o json',
  'kube-yaml': 'kubectl -o yaml',
  'pod-list': 'a list of pods or pod IPs (jsonpath, -o name)',
  interfaces: 'ip addr / ifconfig',
  'auth-error': 'an authentication error',
  'redis-error': 'a Redis error reply',
  'connect-error': 'a connection error',
  'kubectl-error': 'a kubectl error',
} as const;
export type Kind = keyof typeof KINDS;

/** Kinds that are not evidence but say why there is none. */
export const ERROR_KINDS: ReadonlySet<Kind> = new Set(['auth-error', 'redis-error', 'connect-error', 'kubectl-error']);

// Lines kubectl and redis-cli add around output; they say nothing about what the output is.
const NOISE =
  /^(?:Defaulted container|Defaulting container name|Warning: Using a password with|Unable to use a TTY|If you don't see a command prompt|command terminated with exit code)/;

const nonBlank = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !NOISE.test(l.trim()));
const share = (explained: number, text: string) => {
  const n = nonBlank(text).length;
  return n === 0 ? 0 : Math.min(1, explained / n);
};
const countLines = (text: string, re: RegExp) => nonBlank(text).filter((l) => re.test(l)).length;

// kubectl --timestamps (and most log shippers) put an RFC 3339 time in front of each line.
export const LOG_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)\s+/gm;

const INFO_LINE = /^(?:# [A-Z][A-Za-z]*\s*$|[a-z][a-z0-9_]*:\S*)/;
const REDIS_CONF_DIRECTIVES =
  /^(?:port|bind|protected-mode|cluster-enabled|cluster-config-file|cluster-node-timeout|cluster-announce-(?:ip|port|bus-port|tls-port|hostname)|cluster-preferred-endpoint-type|cluster-require-full-coverage|replica-announce-(?:ip|port)|slave-announce-(?:ip|port)|replicaof|slaveof|requirepass|masterauth|masteruser|dir|dbfilename|appendonly|appendfilename|save|maxmemory(?:-policy)?|daemonize|loglevel|logfile|tcp-keepalive|timeout|include|rename-command|pidfile|tls-\S+|io-threads|databases)\s/;
const ERRORS: [Kind, RegExp][] = [
  [
    'auth-error',
    /NOAUTH Authentication required|WRONGPASS invalid username-password|AUTH failed|-NOAUTH|invalid password/i,
  ],
  ['connect-error', /^Could not connect to Redis at |^Error: (?:Connection refused|Server closed the connection)/m],
  ['kubectl-error', /^(?:Error from server|error: |Unable to connect to the server|The connection to the server)/m],
  ['redis-error', /^(?:\(error\) )?(?:ERR|NOPERM|LOADING|CLUSTERDOWN|MASTERDOWN|BUSY|MISCONF|NOREPLICAS|READONLY) /m],
];

/** Lines that only these kinds print: where a mixed text is cut. */
const LINE_KINDS: [Kind, RegExp][] = [
  ['cluster-info', /^(?:total_)?cluster_[a-z_]+:/],
  ['cluster-nodes', /^[0-9a-f]{40} \S*:\d+/],
  ['log', /^(?:\S+Z\s+)?\d+:[XCSM] \d{2} [A-Z][a-z]{2} \d{4} /],
  ['cluster-tool', CLUSTER_TOOL_LINE],
  ['tcpdump', /^(?:\d\d:\d\d:\d\d\.\d+|\d{9,}\.\d+) (?:\S+ (?:In|Out|B|M|P) )?IP6? /],
  ['info', INFO_LINE],
];

function kubeTableScore(text: string, required: string[][]): number {
  let best = 0;
  for (const cols of required) {
    const { rows } = parseKubectlTable(text, cols);
    const headers = nonBlank(text).filter((l) => cols.every((c) => l.split(/\s{2,}|\t/).includes(c))).length;
    best = Math.max(best, rows.length ? share(rows.length + headers, text) : 0);
  }
  return best;
}

function sentinelEntriesKind(text: string): Kind | undefined {
  const entries = parseSentinelEntries(pairsText(text));
  if (!entries.length) {
    return undefined;
  }
  const flags = entries.map((e) => e['flags'] ?? '').join(',');
  return /\bsentinel\b/.test(flags)
    ? 'sentinel-sentinels'
    : /\bmaster\b/.test(flags) && !/\bslave\b/.test(flags)
      ? 'sentinel-masters'
      : entries[0]!['runid'] !== undefined || /\bslave\b/.test(flags)
        ? 'sentinel-replicas'
        : undefined;
}

const isShards = (v: string[]) => v.includes('slots') && v.includes('nodes') && v.includes('id');
const isSlots = (v: string[]) =>
  /^\d+$/.test(v[0] ?? '') &&
  /^\d+$/.test(v[1] ?? '') &&
  /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]+)$/i.test(v[2] ?? '') &&
  /^\d+$/.test(v[3] ?? '');

/** How much of `text` each kind explains, 0..1; only kinds that explain something are listed. */
export function scores(text: string, hintKind?: string, full = text): Map<Kind, number> {
  const out = new Map<Kind, number>();
  const put = (k: Kind, s: number) => s > 0 && out.set(k, Math.max(out.get(k) ?? 0, s));
  const lines = nonBlank(text);
  if (!lines.length) {
    return out;
  }
  for (const [kind, re] of ERRORS) {
    if (re.test(text) && lines.length <= 4) {
      put(kind, 1);
    }
  }
  const nodes = parseClusterNodes(text.replace(/^vars .*$/gm, ''));
  if (nodes.nodes.length) {
    const vars = countLines(text, /^vars currentEpoch /);
    put(vars ? 'nodes-conf' : 'cluster-nodes', share(nodes.nodes.length + vars, text));
  }
  put(
    'cluster-info',
    countLines(text, /^cluster_state:/) ? share(countLines(text, /^(?:total_)?cluster_[a-z_]+:/), text) : 0,
  );
  const info = countLines(text, INFO_LINE) - countLines(text, /^(?:total_)?cluster_/);
  put('info', /^(?:# [A-Z]|role:|redis_version:|master\d+:name=)/m.test(text) ? share(info, text) : 0);
  scoreReplies(text, put);
  put('sentinel-conf', isSentinelConf(text) ? 1 : 0);
  const conf = countLines(text, REDIS_CONF_DIRECTIVES);
  put('redis-conf', conf >= 2 ? share(conf + countLines(text, /^\s*#/), text) : 0);
  const log = parseRedisLog(text.replace(LOG_PREFIX, '')).filter((l) => l.pid !== undefined).length;
  put('log', share(log, text));
  const tool = countLines(text, CLUSTER_TOOL_LINE);
  put('cluster-tool', tool >= 2 ? share(tool + countLines(text, /^(?:\.+|\S+:\d+)$/), text) : 0);
  const sockets = parseSocketTable(text);
  put('sockets', sockets.format === 'unknown' ? 0 : share(lines.length - sockets.warnings.length, text));
  const packets = parseTcpdump(text);
  put('tcpdump', packets.packets.length ? share(lines.length - packets.warnings.length, text) : 0);
  scoreKube(text, full, hintKind, put);
  const ifs = parseInterfaces(text);
  put('interfaces', ifs.interfaces.some((i) => i.ipv4.length) ? share(lines.length - ifs.warnings.length, text) : 0);
  return out;
}

function scoreReplies(text: string, put: (k: Kind, s: number) => void): void {
  const values = replyValues(text);
  const perPod = parseRolesPerPod(text);
  if (perPod.length) {
    // From the first pod's name line on: what comes before is some other output.
    put(
      'roles-per-pod',
      share(
        nonBlank(
          text
            .split('\n')
            .slice(perPod[0]!.line - 1)
            .join('\n'),
        ).length,
        text,
      ),
    );
  } else if (parseRole(text) && values.length <= 64) {
    put('role', 1);
  }
  const sentinel = sentinelEntriesKind(text);
  if (sentinel) {
    put(sentinel, 1);
  }
  if (parseMasterAddress(values.join('\n')) && values.length === 2) {
    put('sentinel-master-addr', 1);
  }
  if (isShards(values)) {
    put('cluster-shards', 1);
  } else if (isSlots(values)) {
    put('cluster-slots', 1);
  }
}

function scoreKube(text: string, full: string, hintKind: string | undefined, put: (k: Kind, s: number) => void): void {
  put(
    'kube-pods',
    Math.max(
      kubeTableScore(text, [
        ['NAME', 'IP'],
        ['NAME', 'READY', 'STATUS'],
      ]),
      share(nonBlank(text).filter(isHeaderlessPodRow).length, text),
    ),
  );
  put('kube-nodes', kubeTableScore(text, [['NAME', 'INTERNAL-IP']]));
  put('kube-services', kubeTableScore(text, [['NAME', 'TYPE', 'PORT(S)']]));
  put(
    'kube-podcidrs',
    kubeTableScore(text, [
      ['NAME', 'CIDR'],
      ['NAME', 'PODCIDR'],
      ['NAME', 'POD-CIDR'],
    ]),
  );
  // JSON and YAML are read whole: their first lines alone do not parse.
  const t = full.trim();
  if (t.startsWith('{')) {
    const o = parseKubeJson(t);
    put('kube-json', o && o.pods.length + o.nodes.length + o.services.length ? 1 : 0);
  } else if (/^(?:apiVersion|kind|items):/m.test(t)) {
    const o = parseKubeYaml(t);
    put('kube-yaml', o.pods.length + o.nodes.length + o.services.length ? 1 : 0);
  }
  const list = parsePodList(text);
  // A bare line of addresses says what it is only with the command that printed it.
  if (list && (list.pods.length || hintKind === 'kube-pods')) {
    put('pod-list', 1);
  }
}

// Recognising looks at a text's first lines only: a long capture or log is one kind throughout.
const SAMPLE_LINES = 400;
// Longer texts are never cut into runs.
const MAX_CUT_LINES = 5000;

/** The kind that explains most of `text`; hints win ties and near-ties. */
export function bestKind(text: string, hints: (string | undefined)[]): { kind: Kind; score: number } | undefined {
  const s = scores(text.split('\n', SAMPLE_LINES).join('\n'), hints[0], text);
  const ranked = [...s.entries()]
    .map(([kind, score]) => ({ kind, score: score + (hints.includes(kind) ? 0.25 : 0) }))
    .sort((a, b) => b.score - a.score);
  const top = ranked[0];
  return top ? { kind: top.kind, score: s.get(top.kind)! } : undefined;
}

/** One recognised run of a text: its lines (1-based, inclusive) and kind. */
export interface Segment {
  from: number;
  to: number;
  kind?: Kind;
}

const lineKind = (line: string): Kind | 'other' => LINE_KINDS.find(([, re]) => re.test(line))?.[0] ?? 'other';

/** Runs of lines of one line kind; blank lines stay with the run before them. */
function runs(lines: string[]): Segment[] {
  const out: (Segment & { lk: Kind | 'other' })[] = [];
  lines.forEach((l, i) => {
    const lk = l.trim() === '' && out.length ? out.at(-1)!.lk : lineKind(l);
    const last = out.at(-1);
    if (last && last.lk === lk) {
      last.to = i + 1;
    } else {
      out.push({ from: i + 1, to: i + 1, lk });
    }
  });
  return out;
}

const MIN_SCORE = 0.5;

/**
 * The text's kind, or its runs' kinds when it mixes kinds: cut only when that explains more lines
 * than any one kind does for the whole.
 */
export function recognise(text: string, hints: (string | undefined)[]): Segment[] {
  const lines = text.split('\n');
  const whole = bestKind(text, hints);
  const wholeExplained = (whole?.score ?? 0) * nonBlank(text).length;
  if ((!whole || whole.score < 1) && lines.length <= MAX_CUT_LINES) {
    const cut = runs(lines).map((r) => {
      const t = lines.slice(r.from - 1, r.to).join('\n');
      const k = bestKind(t, hints);
      return {
        ...r,
        kind: k && k.score >= MIN_SCORE ? k.kind : undefined,
        explained: (k?.score ?? 0) * nonBlank(t).length,
      };
    });
    const merged = mergeRuns(cut);
    const explained = cut.reduce((n, r) => n + (r.kind ? r.explained : 0), 0);
    if (new Set(merged.map((m) => m.kind).filter(Boolean)).size >= 2 && explained > wholeExplained + 1) {
      return merged;
    }
  }
  return [{ from: 1, to: lines.length, ...(whole && whole.score >= MIN_SCORE ? { kind: whole.kind } : {}) }];
}

/** Neighbouring runs of the same kind are one. */
function mergeRuns(cut: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const r of cut) {
    const last = out.at(-1);
    if (last && last.kind === r.kind) {
      last.to = r.to;
    } else {
      out.push({ from: r.from, to: r.to, ...(r.kind ? { kind: r.kind } : {}) });
    }
  }
  return out;
}
