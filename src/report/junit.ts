// `junit.xml`: the same cells for CI test tabs (GitHub, GitLab, Jenkins). One <testsuite> per
// scenario family, one <testcase> per cell; dimensions, provenance and the compatibility word as
// <properties> so a CI UI can filter on them. The testcase outcome is the verdict. A test tab lists
// names and messages, not properties: the word is in the name (`… [works-with-announce]`), and the
// cell's story in one line — word, what the probes saw, the fix — is its <system-out>. Times are
// wall clock: the run's for <testsuites>, each family's file for its <testsuite> (cells run side
// by side, so their sum would overstate the run several times).
import { familyModule } from '../../scenarios/registry.ts';
import type { Family } from '../model/dimensions.ts';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { cleanText, compareStrings, firstLine } from '../util/text.ts';
import { answerOf } from './fixes.ts';
import { expectedText, fixLine, observedText, storyLine } from './summaries.ts';
import { byFamily, provenanceOf, wordLabelOf } from './words.ts';

export function junitXml(results: ResultsFile): string {
  const { pass, fail, skip } = results.summary;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attributes({
      name: 'rcnc',
      tests: pass + fail + skip,
      failures: fail,
      errors: 0,
      skipped: skip,
      time: seconds(Math.max(0, Date.parse(results.finishedAt) - Date.parse(results.startedAt))),
      timestamp: results.startedAt,
    })}>`,
    ...byFamily(results.cells).flatMap(([family, cells]) => testsuite(results, family, cells)),
    '</testsuites>',
  ];
  return lines.join('\n') + '\n';
}

function testsuite(results: ResultsFile, family: Family, cells: CellResult[]): string[] {
  const sorted = [...cells].sort((a, b) => compareStrings(a.id, b.id));
  const count = (status: CellResult['verdict']['status']) => sorted.filter((c) => c.verdict.status === status).length;
  // Files written before family wall times were recorded leave the time out rather than guess it.
  const wallMs = results.familyWallMs?.[family];
  const head = `  <testsuite ${attributes({
    name: family,
    tests: sorted.length,
    failures: count('fail'),
    errors: 0,
    skipped: count('skip'),
    ...(wallMs !== undefined ? { time: seconds(wallMs) } : {}),
    timestamp: results.startedAt,
    hostname: results.environment.hostname,
  })}>`;
  return [head, ...sorted.flatMap((cell) => testcase(cell)), '  </testsuite>'];
}

function testcase(cell: CellResult): string[] {
  const word = wordLabelOf(cell);
  const head = `    <testcase ${attributes({
    classname: `rcnc.${cell.family}`,
    name: word === undefined ? cell.id : `${cell.id} [${word}]`,
    time: seconds(cell.durationMs),
  })}>`;
  return [
    head,
    ...properties(cell),
    ...outcome(cell),
    `      <system-out>${escapeText(storyLine(cell))}</system-out>`,
    '    </testcase>',
  ];
}

function properties(cell: CellResult): string[] {
  const { provider, profile, exposure, announce, policy, nodes, variant } = cell.dims;
  const provenance = provenanceOf(cell);
  const versions = Object.entries(provenance.versions ?? {}).map(
    ([name, version]) => [`version.${name}`, version] as [string, string],
  );
  const entries: [string, string | number | undefined][] = [
    ['family', cell.family],
    ['provider', provider],
    ['profile', profile],
    ['exposure', exposure],
    ['announce', announce],
    ['policy', policy],
    ['nodes', nodes],
    ['variant', variant],
    ['provenance', provenance.label],
    ['emulation', String(provenance.emulation)],
    ...versions,
    ['compatibility', wordLabelOf(cell)],
    ['fix', answerOf(cell)],
    ...figureProperties(cell),
  ];
  const lines = entries.flatMap(([name, value]) =>
    value === undefined ? [] : [`        <property ${attributes({ name, value })}/>`],
  );
  return ['      <properties>', ...lines, '      </properties>'];
}

/** Figures the cell's family offers CI to chart (sentinel: time to a new master, the client's errors). */
function figureProperties(cell: CellResult): [string, string | number | undefined][] {
  const properties = familyModule(cell.family).report.junitProperties;
  return cell.observation && properties ? properties(cell.observation) : [];
}

function outcome(cell: CellResult): string[] {
  const { status, reason } = cell.verdict;
  if (status === 'skip') {
    return [`      <skipped ${attributes({ message: reason ?? cell.skipReason ?? 'skipped' })}/>`];
  }
  if (status === 'pass') {
    return [];
  }
  const message = firstLine(cleanText(reason ?? '')) || 'unexpected result';
  const word = wordLabelOf(cell);
  const fix = fixLine(cell);
  const body = [
    `expected: ${expectedText(cell)}`,
    `observed: ${observedText(cell)}`,
    ...(word !== undefined ? [`compatibility: ${word}`] : []),
    ...(fix !== undefined ? [`fix: ${fix}`] : []),
  ];
  if (reason) {
    body.push(`reason: ${reason}`);
  }
  if (cell.collected) {
    body.push(`collected: ${cell.collected.bundle ?? 'no bundle'} (${cell.collected.note})`);
  }
  return [`      <failure ${attributes({ message, type: 'unexpected' })}>${escapeText(body.join('\n'))}</failure>`];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${escapeAttribute(String(value))}"`)
    .join(' ');
}

// Besides the control characters cleanText drops, XML 1.0 forbids lone surrogates and U+FFFE/U+FFFF;
// one of them makes the whole file unreadable to CI parsers.
const INVALID_XML = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeText(text: string): string {
  return cleanText(text).replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
