// `junit.xml`: the same cells for CI test tabs (GitHub, GitLab, Jenkins). One <testsuite> per
// scenario family, one <testcase> per cell, dimensions as <properties> so a CI UI can filter on them.
import { evidenceSummary } from './markdown.ts';
import type { CellResult, ResultsFile } from './results.ts';

export function junitXml(results: ResultsFile): string {
  const families = new Map<string, CellResult[]>();
  for (const cell of results.cells) {
    const family = families.get(cell.dims.scenario);
    if (family) {
      family.push(cell);
    } else {
      families.set(cell.dims.scenario, [cell]);
    }
  }
  const scenarios = [...families.keys()].sort(compareStrings);
  const { pass, fail, skip } = results.summary;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attributes({
      name: 'rcnc',
      tests: pass + fail + skip,
      failures: fail,
      errors: 0,
      skipped: skip,
      time: seconds(totalMs(results.cells)),
      timestamp: results.startedAt,
    })}>`,
    ...scenarios.flatMap((scenario) => testsuite(results, scenario, families.get(scenario) ?? [])),
    '</testsuites>',
  ];
  return lines.join('\n') + '\n';
}

function testsuite(results: ResultsFile, scenario: string, cells: CellResult[]): string[] {
  const sorted = [...cells].sort((a, b) => compareStrings(a.id, b.id));
  const count = (status: CellResult['verdict']['status']) => sorted.filter((c) => c.verdict.status === status).length;
  const head = `  <testsuite ${attributes({
    name: scenario,
    tests: sorted.length,
    failures: count('fail'),
    errors: 0,
    skipped: count('skip'),
    time: seconds(totalMs(sorted)),
    timestamp: results.startedAt,
    hostname: results.environment.hostname,
  })}>`;
  return [head, ...sorted.flatMap((cell) => testcase(cell)), '  </testsuite>'];
}

function testcase(cell: CellResult): string[] {
  const head = `    <testcase ${attributes({
    classname: `rcnc.${cell.dims.scenario}`,
    name: cell.id,
    time: seconds(cell.durationMs),
  })}>`;
  return [head, ...properties(cell), ...outcome(cell), '    </testcase>'];
}

function properties(cell: CellResult): string[] {
  const { provider, profile, exposure, announce, policy, nodes, variant } = cell.dims;
  const compatibility = cell.verdict.compatibility ?? cell.compatibility;
  const fix = cell.fix ?? cell.verdict.fix;
  const entries: [string, string | number | undefined][] = [
    ['provider', provider],
    ['profile', profile],
    ['exposure', exposure],
    ['announce', announce],
    ['policy', policy],
    ['nodes', nodes],
    ['variant', variant],
    ['compatibility', compatibility],
    ['fix', fix],
  ];
  const lines = entries.flatMap(([name, value]) =>
    value === undefined ? [] : [`        <property ${attributes({ name, value })}/>`],
  );
  return ['      <properties>', ...lines, '      </properties>'];
}

function outcome(cell: CellResult): string[] {
  const { status, reason } = cell.verdict;
  if (status === 'skip') {
    return [`      <skipped ${attributes({ message: reason ?? 'skipped' })}/>`];
  }
  if (status === 'pass') {
    return [];
  }
  const message = firstLine(reason) || 'unexpected result';
  const body = [`expected: ${describeExpected(cell)}`, `observed: ${describeObserved(cell)}`];
  if (reason) {
    body.push(`reason: ${reason}`);
  }
  return [`      <failure ${attributes({ message, type: 'unexpected' })}>${escapeText(body.join('\n'))}</failure>`];
}

function describeExpected(cell: CellResult): string {
  const { meet, ghostClass, fixWorks, summary, source } = cell.expectation;
  const facts = [`meet ${meet}`];
  if (ghostClass) {
    facts.push(`ghost class ${ghostClass}`);
  }
  if (fixWorks !== undefined) {
    facts.push(fixWorks ? 'announcing fixes it' : 'announcing does not fix it');
  }
  return `${facts.join(', ')} (${summary}; source: ${source})`;
}

function describeObserved(cell: CellResult): string {
  const observation = cell.observation;
  if (!observation) {
    return 'nothing recorded (the cell failed before its probes ran)';
  }
  const facts = [`meet ${observation.meet}`];
  if (observation.ghostClass) {
    facts.push(`ghost class ${observation.ghostClass}`);
  }
  if (observation.fix) {
    facts.push(`after the fix meet ${observation.fix.meet}`);
  }
  const evidence = evidenceSummary(cell);
  return facts.join(', ') + (evidence ? `; ${evidence}` : '');
}

function totalMs(cells: CellResult[]): number {
  return cells.reduce((sum, cell) => sum + cell.durationMs, 0);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split(/\r?\n/)[0]?.trim() ?? '';
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${escapeAttribute(String(value))}"`)
    .join(' ');
}

// ANSI colour codes come from assertion messages; ESC and most C0 controls are illegal in XML 1.0,
// and one of them makes the whole file unreadable to CI parsers.
// eslint-disable-next-line no-control-regex -- the escape character is what identifies a colour code
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const INVALID_XML =
  // eslint-disable-next-line no-control-regex -- matching the control characters XML 1.0 forbids is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function clean(text: string): string {
  return text.replace(ANSI, '').replace(INVALID_XML, '');
}

export function escapeText(text: string): string {
  return clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Newlines and tabs are encoded so attribute-value normalisation keeps them. */
export function escapeAttribute(text: string): string {
  return escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
