// Checks a parsed results.json against schemaVersion 2 before any writer reads it: hand-written
// rules, so the check needs no dependency. Every field a writer reads is checked (per family:
// expectation, observation, the compatibility word); what only passes through is not. Each problem
// names the JSON path and what was expected, e.g. `cells[2].verdict.status: expected one of pass,
// fail, skip, got "ok"`.
import {
  ADDRESS_CLASSES,
  ANNOUNCES,
  EXPOSURES,
  FAMILIES,
  POLICIES,
  PROFILES,
  PROVIDERS,
  type Family,
} from '../model/dimensions.ts';
import {
  FAILOVER_OUTCOMES,
  HEALS,
  RESULTS_SCHEMA_VERSION,
  REWRITE_CLASSES,
  SENTINEL_VANTAGES,
  type CellRecord,
} from '../model/results.ts';
import { compatibilityFor, VOCABULARY } from '../model/vocabulary.ts';

type Problems = string[];
type Rule = (problems: Problems, value: unknown, at: string) => void;
type UnknownRecord = Record<string, unknown>;

const REWRITES = REWRITE_CLASSES;
const MEETS = ['ok', 'fails'];
const STATUSES = ['pass', 'fail', 'skip'];

// ---------------------------------------------------------------------------------------------
// Rules.

const expected = (problems: Problems, at: string, what: string, value: unknown) =>
  problems.push(`${at}: expected ${what}, got ${describe(value)}`);

const str: Rule = (p, v, at) => (typeof v === 'string' ? undefined : expected(p, at, 'a string', v));
const nonEmpty: Rule = (p, v, at) =>
  typeof v === 'string' && v !== '' ? undefined : expected(p, at, 'a non-empty string', v);
const bool: Rule = (p, v, at) => (typeof v === 'boolean' ? undefined : expected(p, at, 'a boolean', v));
const ms: Rule = (p, v, at) => (isFiniteNumber(v) ? undefined : expected(p, at, 'a number of milliseconds', v));
const nonNegative: Rule = (p, v, at) =>
  isFiniteNumber(v) && v >= 0 ? undefined : expected(p, at, 'milliseconds >= 0', v);
const count: Rule = (p, v, at) => (isCount(v) ? undefined : expected(p, at, 'a count', v));
const date: Rule = (p, v, at) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : expected(p, at, 'an ISO date string', v);

const oneOf =
  (values: readonly string[]): Rule =>
  (p, v, at) =>
    typeof v === 'string' && values.includes(v) ? undefined : expected(p, at, `one of ${values.join(', ')}`, v);

const optional =
  (rule: Rule): Rule =>
  (p, v, at) =>
    v === undefined ? undefined : rule(p, v, at);

const nullable =
  (rule: Rule): Rule =>
  (p, v, at) =>
    v === null ? undefined : rule(p, v, at);

const arrayOf =
  (rule: Rule, what = 'an array'): Rule =>
  (p, v, at) => {
    if (!Array.isArray(v)) {
      return expected(p, at, what, v);
    }
    v.forEach((item, i) => rule(p, item, `${at}[${i}]`));
  };

const strings: Rule = (p, v, at) =>
  Array.isArray(v) && v.every((item) => typeof item === 'string')
    ? undefined
    : expected(p, at, 'an array of strings', v);

const recordOf =
  (rule: Rule, what: string): Rule =>
  (p, v, at) => {
    if (!isRecord(v) || !Object.values(v).every((item) => check(rule, item))) {
      return expected(p, at, what, v);
    }
  };

const fields =
  (spec: Record<string, Rule>): Rule =>
  (p, v, at) => {
    if (!isRecord(v)) {
      return expected(p, at, 'an object', v);
    }
    for (const [key, rule] of Object.entries(spec)) {
      rule(p, v[key], `${at}.${key}`);
    }
  };

function check(rule: Rule, value: unknown): boolean {
  const problems: Problems = [];
  rule(problems, value, '');
  return problems.length === 0;
}

// ---------------------------------------------------------------------------------------------
// The schema.

const ENVIRONMENT = fields({
  node: str,
  kernel: str,
  hostname: str,
  redis: optional(str),
  rcnc: optional(fields({ version: nonEmpty, commit: optional(str) })),
  iptables: optional(str),
  kubeProxyMode: optional(str),
});

const DIMS = fields({
  provider: oneOf(PROVIDERS),
  profile: oneOf(PROFILES),
  exposure: oneOf(EXPOSURES),
  announce: oneOf(ANNOUNCES),
  policy: oneOf(POLICIES),
  nodes: (p, v, at) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : expected(p, at, 'an integer >= 1', v)),
  variant: optional(str),
  scenario: (p, v, at) =>
    v === undefined ? undefined : p.push(`${at}: moved to the cell's family in schemaVersion 2`),
});

const PROVENANCE = fields({
  provider: oneOf(PROVIDERS),
  emulation: bool,
  label: nonEmpty,
  versions: optional(recordOf(str, 'an object of version strings')),
});

const VERDICT = fields({ status: oneOf(STATUSES), reason: optional(str) });

const NAT_MEET_EXPECTATION = fields({
  meet: oneOf(MEETS),
  ghostClass: optional(oneOf(ADDRESS_CLASSES)),
  fixWorks: optional(bool),
  summary: str,
  source: str,
});

const NAT_MEET_OBSERVATION = fields({
  meet: oneOf(MEETS),
  ghosts: arrayOf(fields({ seenBy: str, nodeId: str, address: str, flags: strings })),
  ghostOwner: optional(str),
  ghostClass: optional(oneOf(ADDRESS_CLASSES)),
  failedDialBacks: arrayOf(fields({ pod: str, nodeId: str, address: str })),
  joinerSelf: optional(str),
  addNode: optional(fields({ ok: bool, lastLine: str })),
  busPeers: arrayOf(fields({ pod: str, local: str, peer: str, class: oneOf(ADDRESS_CLASSES) })),
  clusterState: optional(str),
  slotsAssigned: optional(count),
  fix: optional(fields({ settings: strings, meet: oneOf(MEETS), clusterState: str })),
  natMappings: optional(arrayOf(fields({ capturedAt: str, flow: str, seenAt: str, as: str, matchedPackets: count }))),
  captureSkipped: optional(str),
  notes: strings,
});

const SNAT_EXPECTATION = fields({ rewrite: oneOf(REWRITES), summary: str, source: str, knownFix: optional(str) });

const SNAT_OBSERVATION = fields({
  path: str,
  from: str,
  source: str,
  target: str,
  seen: optional(str),
  rewrite: oneOf(REWRITES),
  owner: str,
  evidence: str,
  notes: strings,
});

const RECOVERY_EXPECTATION = fields({ heals: oneOf(HEALS), summary: str, source: str });

const CLIENT = fields({
  ops: count,
  errors: count,
  errorWindowMs: nullable(nonNegative),
  errorWindowFromMs: optional(ms),
  errorWindowToMs: optional(ms),
  failedAtMs: optional(arrayOf(ms)),
  ackedWrites: count,
  lostAckedWrites: count,
  waitConfirmedWrites: count,
  lostWaitConfirmedWrites: count,
  unreadWrites: optional(count),
  p99Ms: optional(nonNegative),
});

const RECOVERY_OBSERVATION = fields({
  action: str,
  timeline: optional(arrayOf(fields({ atMs: ms, event: nonEmpty, detail: optional(str) }))),
  duringFault: optional(str),
  failover: optional(fields({ promoted: str, afterMs: nonNegative })),
  remediation: optional(str),
  recovered: bool,
  recoveryMs: optional(nonNegative),
  keys: optional(fields({ written: count, readable: count })),
  client: optional(CLIENT),
  clusterState: optional(str),
  slotsAssigned: optional(count),
  notes: strings,
});

const SENTINEL_EXPECTATION = fields({
  replicas: oneOf(['true-address', 'rewritten']),
  rewriteClasses: optional(arrayOf(oneOf(ADDRESS_CLASSES))),
  failover: bool,
  fixWorks: optional(bool),
  clientsReach: arrayOf(oneOf(SENTINEL_VANTAGES)),
  keepsConfirmedWrites: optional(bool),
  survivesRestart: optional(bool),
  summary: str,
  source: str,
});

const SENTINEL_RECORD = fields({
  seenBy: str,
  kind: oneOf(['replica', 'sentinel']),
  address: str,
  flags: strings,
  member: optional(str),
  class: oneOf(ADDRESS_CLASSES),
  owner: str,
});

const CLIENT_REACH = fields({
  vantage: oneOf(SENTINEL_VANTAGES),
  from: str,
  asked: str,
  answer: optional(str),
  connected: bool,
  role: optional(str),
  error: optional(str),
});

const SENTINEL_STATE = fields({
  masterInfo: strings,
  handedOut: strings,
  records: arrayOf(SENTINEL_RECORD),
  clients: arrayOf(CLIENT_REACH),
});

const SENTINEL_FAILOVER = fields({
  how: str,
  outcome: oneOf(FAILOVER_OUTCOMES),
  promoted: optional(str),
  newMaster: optional(str),
  afterMs: optional(nonNegative),
  detail: optional(str),
  clients: optional(arrayOf(CLIENT_REACH)),
  client: optional(CLIENT),
  timeline: optional(arrayOf(fields({ atMs: ms, event: nonEmpty, detail: optional(str) }))),
});

const SENTINEL_OBSERVATION = fields({
  members: strings,
  deployed: SENTINEL_STATE,
  rewritten: arrayOf(SENTINEL_RECORD),
  rewriteClasses: arrayOf(oneOf(ADDRESS_CLASSES)),
  collapsed: optional(strings),
  probes: optional(
    arrayOf(fields({ address: str, answeredBy: optional(str), role: optional(str), error: optional(str) })),
  ),
  failover: optional(SENTINEL_FAILOVER),
  restart: optional(SENTINEL_FAILOVER),
  fix: optional(
    fields({
      settings: strings,
      state: SENTINEL_STATE,
      failover: optional(SENTINEL_FAILOVER),
      restart: optional(SENTINEL_FAILOVER),
    }),
  ),
  natMappings: optional(arrayOf(fields({ capturedAt: str, flow: str, seenAt: str, as: str, matchedPackets: count }))),
  replicationSources: optional(strings),
  captureSkipped: optional(str),
  events: strings,
  notes: strings,
});

const FAMILY_RULES: Record<Family, { expectation: Rule; observation: Rule }> = {
  'nat-meet': { expectation: NAT_MEET_EXPECTATION, observation: NAT_MEET_OBSERVATION },
  snat: { expectation: SNAT_EXPECTATION, observation: SNAT_OBSERVATION },
  recovery: { expectation: RECOVERY_EXPECTATION, observation: RECOVERY_OBSERVATION },
  sentinel: { expectation: SENTINEL_EXPECTATION, observation: SENTINEL_OBSERVATION },
};

const CELL_COMMON = fields({
  id: nonEmpty,
  title: str,
  dims: DIMS,
  provenance: optional(PROVENANCE),
  fix: optional(str),
  skipReason: optional(str),
  sharedCores: optional(str),
  timings: recordOf(ms, 'an object of millisecond numbers'),
  artifacts: strings,
  verdict: VERDICT,
  durationMs: nonNegative,
});

// ---------------------------------------------------------------------------------------------
// The file.

export function validateResults(x: unknown): string[] {
  const problems: Problems = [];
  if (!isRecord(x)) {
    return ['results: expected an object, got ' + describe(x)];
  }
  if (x['schemaVersion'] !== RESULTS_SCHEMA_VERSION) {
    problems.push(`schemaVersion: expected ${RESULTS_SCHEMA_VERSION}, got ${describe(x['schemaVersion'])}`);
  }
  nonEmpty(problems, x['runId'], 'runId');
  date(problems, x['startedAt'], 'startedAt');
  date(problems, x['finishedAt'], 'finishedAt');
  ENVIRONMENT(problems, x['environment'], 'environment');
  const cells = x['cells'];
  if (!Array.isArray(cells)) {
    problems.push(`cells: expected an array, got ${describe(cells)}`);
  } else {
    cells.forEach((cell, i) => validateCell(problems, cell, `cells[${i}]`));
    validateSummary(problems, x['summary'], cells);
  }
  return problems;
}

function validateCell(problems: Problems, cell: unknown, at: string): void {
  if (!isRecord(cell)) {
    problems.push(`${at}: expected an object, got ${describe(cell)}`);
    return;
  }
  CELL_COMMON(problems, cell, at);
  const family = cell['family'];
  if (!(FAMILIES as readonly unknown[]).includes(family)) {
    oneOf(FAMILIES)(problems, family, `${at}.family`);
    return;
  }
  const rules = FAMILY_RULES[family as Family];
  rules.expectation(problems, cell['expectation'], `${at}.expectation`);
  const observed = cell['observation'] !== undefined;
  const before = problems.length;
  optional(rules.observation)(problems, cell['observation'], `${at}.observation`);
  const words = Object.keys(VOCABULARY[family as Family].words);
  const word = cell['compatibility'];
  optional(oneOf(words))(problems, word, `${at}.compatibility`);
  // A word is derived from the observation; a stored one that says otherwise would mislead every reader.
  if (observed && problems.length === before && typeof word === 'string' && words.includes(word)) {
    const supported = compatibilityFor(cell as unknown as CellRecord);
    if (supported !== word) {
      problems.push(`${at}.compatibility: "${word}" contradicts the observation, which supports "${supported}"`);
    }
  }
}

function validateSummary(problems: Problems, summary: unknown, cells: unknown[]): void {
  if (!isRecord(summary)) {
    problems.push(`summary: expected an object, got ${describe(summary)}`);
    return;
  }
  const counts: Record<string, number> = { pass: 0, fail: 0, skip: 0 };
  for (const cell of cells) {
    const status = isRecord(cell) && isRecord(cell['verdict']) ? cell['verdict']['status'] : undefined;
    if (typeof status === 'string' && status in counts) {
      counts[status] = (counts[status] ?? 0) + 1;
    }
  }
  for (const [key, expectedCount] of Object.entries(counts)) {
    const value = summary[key];
    if (!isCount(value)) {
      problems.push(`summary.${key}: expected a count, got ${describe(value)}`);
    } else if (value !== expectedCount) {
      problems.push(`summary.${key}: is ${value} but ${expectedCount} cell(s) have status ${key}`);
    }
  }
}

export function isRecord(x: unknown): x is UnknownRecord {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

/** A short rendering of a wrong value for messages; long values are cut so one problem stays one line. */
function describe(x: unknown): string {
  if (x === undefined) {
    return 'nothing';
  }
  if (Array.isArray(x)) {
    return 'an array';
  }
  if (x === null) {
    return 'null';
  }
  if (typeof x === 'object') {
    return 'an object';
  }
  const text = JSON.stringify(x);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
