// The rules results.json is checked with (src/report/validate.ts), small enough to need no
// dependency: each rule looks at one value and adds a problem naming its JSON path and what was
// expected, e.g. `cells[2].verdict.status: expected one of pass, fail, skip, got "ok"`. Each
// scenario family writes its expectation's and observation's rules with these; the shapes several
// families share (a load client's figures, a NAT mapping, a timeline) are here.

export type Problems = string[];
export type Rule = (problems: Problems, value: unknown, at: string) => void;
type UnknownRecord = Record<string, unknown>;

export const expected = (problems: Problems, at: string, what: string, value: unknown) =>
  problems.push(`${at}: expected ${what}, got ${describe(value)}`);

export const str: Rule = (p, v, at) => (typeof v === 'string' ? undefined : expected(p, at, 'a string', v));
export const nonEmpty: Rule = (p, v, at) =>
  typeof v === 'string' && v !== '' ? undefined : expected(p, at, 'a non-empty string', v);
export const bool: Rule = (p, v, at) => (typeof v === 'boolean' ? undefined : expected(p, at, 'a boolean', v));
export const ms: Rule = (p, v, at) => (isFiniteNumber(v) ? undefined : expected(p, at, 'a number of milliseconds', v));
export const nonNegative: Rule = (p, v, at) =>
  isFiniteNumber(v) && v >= 0 ? undefined : expected(p, at, 'milliseconds >= 0', v);
export const count: Rule = (p, v, at) => (isCount(v) ? undefined : expected(p, at, 'a count', v));
export const date: Rule = (p, v, at) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : expected(p, at, 'an ISO date string', v);

export const oneOf =
  (values: readonly string[]): Rule =>
  (p, v, at) =>
    typeof v === 'string' && values.includes(v) ? undefined : expected(p, at, `one of ${values.join(', ')}`, v);

export const optional =
  (rule: Rule): Rule =>
  (p, v, at) =>
    v === undefined ? undefined : rule(p, v, at);

export const nullable =
  (rule: Rule): Rule =>
  (p, v, at) =>
    v === null ? undefined : rule(p, v, at);

export const arrayOf =
  (rule: Rule, what = 'an array'): Rule =>
  (p, v, at) => {
    if (!Array.isArray(v)) {
      return expected(p, at, what, v);
    }
    v.forEach((item, i) => rule(p, item, `${at}[${i}]`));
  };

export const strings: Rule = (p, v, at) =>
  Array.isArray(v) && v.every((item) => typeof item === 'string')
    ? undefined
    : expected(p, at, 'an array of strings', v);

export const recordOf =
  (rule: Rule, what: string): Rule =>
  (p, v, at) => {
    if (!isRecord(v) || !Object.values(v).every((item) => passes(rule, item))) {
      return expected(p, at, what, v);
    }
  };

export const fields =
  (spec: Record<string, Rule>): Rule =>
  (p, v, at) => {
    if (!isRecord(v)) {
      return expected(p, at, 'an object', v);
    }
    for (const [key, rule] of Object.entries(spec)) {
      rule(p, v[key], `${at}.${key}`);
    }
  };

export function passes(rule: Rule, value: unknown): boolean {
  const problems: Problems = [];
  rule(problems, value, '');
  return problems.length === 0;
}

export function isRecord(x: unknown): x is UnknownRecord {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

/** A short rendering of a wrong value for messages; long values are cut so one problem stays one line. */
export function describe(x: unknown): string {
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

// ---------------------------------------------------------------------------------------------
// Shapes several families record (src/model/results.ts).

/** A ClientSummary: what the load client saw during a fault. */
export const CLIENT_SUMMARY = fields({
  ops: count,
  errors: count,
  errorWindowMs: nullable(nonNegative),
  errorWindowFromMs: optional(ms),
  errorWindowToMs: optional(ms),
  failedAtMs: optional(arrayOf(ms)),
  failedTookMs: optional(arrayOf(nonNegative)),
  ackedWrites: count,
  lostAckedWrites: count,
  waitConfirmedWrites: count,
  lostWaitConfirmedWrites: count,
  unreadWrites: optional(count),
  unreadError: optional(str),
  p99Ms: optional(nonNegative),
});

export const TIMELINE = arrayOf(fields({ atMs: ms, event: nonEmpty, detail: optional(str) }));

export const NAT_MAPPINGS = arrayOf(
  fields({ capturedAt: str, flow: str, seenAt: str, as: str, matchedPackets: count }),
);
