// Checks a parsed results.json against schemaVersion 2 before any writer reads it: hand-written
// rules (src/model/rules.ts), so the check needs no dependency. Every field a writer reads is
// checked (per family, by the family's own schema: expectation, observation, the compatibility
// word); what only passes through is not. Each problem names the JSON path and what was expected,
// e.g. `cells[2].verdict.status: expected one of pass, fail, skip, got "ok"`.
import { familyModule } from '../../scenarios/registry.ts';
import { ANNOUNCES, EXPOSURES, FAMILIES, POLICIES, PROFILES, PROVIDERS, type Family } from '../model/dimensions.ts';
import { RESULTS_SCHEMA_VERSION, type CellRecord } from '../model/results.ts';
import {
  arrayOf,
  bool,
  count,
  date,
  describe,
  expected,
  fields,
  isCount,
  isRecord,
  ms,
  nonEmpty,
  nonNegative,
  oneOf,
  optional,
  recordOf,
  str,
  strings,
  type Problems,
  type Rule,
} from '../model/rules.ts';
import { wordOf } from './words.ts';

export { isRecord } from '../model/rules.ts';

const STATUSES = ['pass', 'fail', 'skip'];

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

/** Family names to wall-clock milliseconds. */
const FAMILY_WALL: Rule = (p, v, at) => {
  recordOf(nonNegative, 'an object of millisecond numbers')(p, v, at);
  for (const name of isRecord(v) ? Object.keys(v) : []) {
    oneOf(FAMILIES)(p, name, `${at} key`);
  }
};

const SHARD: Rule = (p, v, at) => {
  fields({ index: count, count, selected: count })(p, v, at);
  if (isRecord(v) && isCount(v['index']) && isCount(v['count']) && !(v['index'] >= 1 && v['index'] <= v['count'])) {
    p.push(`${at}: index ${v['index']} is not between 1 and count ${v['count']}`);
  }
};

const VERDICT = fields({ status: oneOf(STATUSES), reason: optional(str) });

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
  collected: optional(fields({ bundle: optional(str), note: str })),
  checks: optional(arrayOf(fields({ name: nonEmpty, expected: str, observed: str, ok: bool }))),
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
  optional(FAMILY_WALL)(problems, x['familyWallMs'], 'familyWallMs');
  optional(SHARD)(problems, x['shard'], 'shard');
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
  const rules = familyModule(family as Family).schema;
  rules.expectation(problems, cell['expectation'], `${at}.expectation`);
  const observed = cell['observation'] !== undefined;
  const before = problems.length;
  optional(rules.observation)(problems, cell['observation'], `${at}.observation`);
  const words = Object.keys(familyModule(family as Family).words.words);
  const word = cell['compatibility'];
  optional(oneOf(words))(problems, word, `${at}.compatibility`);
  // A word is derived from the observation; a stored one that says otherwise would mislead every reader.
  if (observed && problems.length === before && typeof word === 'string' && words.includes(word)) {
    const supported = wordOf(cell as unknown as CellRecord);
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
