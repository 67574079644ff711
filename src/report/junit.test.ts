import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { junitXml } from './junit.ts';
import { buildResults, readResults } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/**
 * Just enough XML for this file's output: elements, double-quoted attributes, text, the five
 * predefined entities and numeric references. Throws on anything unbalanced, so it doubles as a
 * well-formedness check.
 */
function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, text: '', children: [] };
  const stack = [root];
  const token = /<\?[^?]*\?>|<(\/?)([\w-]+)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(xml)) !== null) {
    consumed = token.lastIndex;
    const [whole, closing, name, attrs, selfClosing, text] = match;
    const top = stack[stack.length - 1];
    if (!top) {
      throw new Error('unbalanced document');
    }
    if (whole.startsWith('<?')) {
      continue;
    }
    if (text !== undefined) {
      top.text += decode(text);
    } else if (closing) {
      if (top.name !== name) {
        throw new Error(`</${name}> closes <${top.name}>`);
      }
      stack.pop();
    } else {
      const element: XmlElement = {
        name: name ?? '',
        attributes: parseAttributes(attrs ?? ''),
        text: '',
        children: [],
      };
      top.children.push(element);
      if (!selfClosing) {
        stack.push(element);
      }
    }
  }
  if (consumed !== xml.length) {
    throw new Error(`cannot parse XML at offset ${consumed}: ${xml.slice(consumed, 40)}`);
  }
  if (stack.length !== 1) {
    throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  }
  return root;
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/([\w-]+)="([^"]*)"/g)) {
    attributes[name ?? ''] = decode(value ?? '');
  }
  return attributes;
}

function decode(text: string): string {
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d+);)/.test(text)) {
    throw new Error(`bare & in ${text}`);
  }
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, entity: string) =>
    entity.startsWith('#') ? String.fromCodePoint(Number(entity.slice(1))) : (named[entity] ?? ''),
  );
}

function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((child) => child.name === name) ?? [];
}

function properties(testcase: XmlElement | undefined): Record<string, string> {
  const props = children(children(testcase, 'properties')[0], 'property');
  return Object.fromEntries(props.map((p) => [p.attributes['name'] ?? '', p.attributes['value'] ?? '']));
}

describe('junitXml', () => {
  let results: ResultsFile;
  let suites: XmlElement[];
  let testsuites: XmlElement | undefined;

  beforeAll(async () => {
    results = await readResults(FIXTURE);
    const xml = junitXml(results);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    testsuites = children(parseXml(xml), 'testsuites')[0];
    suites = children(testsuites, 'testsuite');
  });

  /** A cell's testcase: named after its id, with its compatibility word when it has one. */
  function testcase(id: string): XmlElement | undefined {
    return suites
      .flatMap((suite) => children(suite, 'testcase'))
      .find((tc) => tc.attributes['name'] === id || tc.attributes['name']?.startsWith(`${id} [`));
  }

  const systemOut = (id: string) => children(testcase(id), 'system-out').map((out) => out.text);

  test('counts every cell in the root element, timed by the run wall clock', () => {
    expect(testsuites?.attributes).toMatchObject({
      name: 'rcnc',
      tests: '12',
      failures: '2',
      skipped: '1',
      errors: '0',
      // 10:15:00.000 to 10:19:10.500, not the cells' sum (169.964 s).
      time: '250.500',
    });
  });

  test('has one testsuite per scenario family with its own counts, untimed when its wall time is unknown', () => {
    expect(suites.map((suite) => suite.attributes)).toEqual([
      expect.objectContaining({ name: 'nat-meet', tests: '5', failures: '1', skipped: '1' }),
      expect.objectContaining({ name: 'snat', tests: '4', failures: '0', skipped: '0' }),
      expect.objectContaining({ name: 'recovery', tests: '3', failures: '1', skipped: '0' }),
    ]);
    // This file predates family wall times: a guess (the sum of the cells) would overstate it.
    expect(suites.map((suite) => suite.attributes['time'])).toEqual([undefined, undefined, undefined]);
    expect(children(suites[0], 'testcase')).toHaveLength(5);
  });

  test("a family's testsuite time is its file's wall clock, whatever its cells add up to", () => {
    const timed = { ...results, familyWallMs: { 'nat-meet': 31_250, recovery: 40_000 } };
    const xml = children(parseXml(junitXml(timed)), 'testsuites')[0];
    const times = children(xml, 'testsuite').map((suite) => [suite.attributes['name'], suite.attributes['time']]);
    expect(times).toEqual([
      ['nat-meet', '31.250'],
      ['snat', undefined],
      ['recovery', '40.000'],
    ]);
  });

  test('names each testcase after its cell and its word, in classname rcnc.<family>, with seconds', () => {
    expect(testcase('netns/flannel-vxlan/nodeport/announce-none')?.attributes).toEqual({
      classname: 'rcnc.nat-meet',
      name: 'netns/flannel-vxlan/nodeport/announce-none [works-with-announce]',
      time: '18.342',
    });
    expect(testcase('netns/no-nat/nodeport/announce-none/local/dial-node-1')?.attributes).toMatchObject({
      classname: 'rcnc.snat',
      name: 'netns/no-nat/nodeport/announce-none/local/dial-node-1 [dropped]',
    });
    // Nothing observed, no word: the bare id.
    expect(testcase('k3d/flannel-vxlan/nodeport/announce-none')?.attributes['name']).toBe(
      'k3d/flannel-vxlan/nodeport/announce-none',
    );
  });

  test("each cell's system-out is its story in one line: the word, what was seen, the fix", () => {
    expect(systemOut('netns/flannel-vxlan/nodeport/announce-none')).toEqual([
      'works-with-announce: ghost 10.42.0.1:6379@16379 seen by redis-0 (bridge-gateway: cni0@node-0); ' +
        'failed dial-back to 10.42.0.1:16379 from redis-0 — fix: cluster-announce-ip <node IP>; ' +
        'cluster-announce-port <client NodePort>; cluster-announce-bus-port <bus NodePort>',
    ]);
    expect(systemOut('netns/flannel-vxlan/pod-ip/announce-none')).toEqual(['works: meet ok']);
    expect(systemOut('k3d/flannel-vxlan/nodeport/announce-none')).toEqual(['skipped: no Docker daemon answers']);
    for (const cell of results.cells) {
      expect(systemOut(cell.id), cell.id).toHaveLength(1);
      expect(systemOut(cell.id)[0], cell.id).not.toContain('\n');
    }
  });

  test('records the dimensions, the provenance and the compatibility word as properties', () => {
    expect(properties(testcase('netns/flannel-vxlan/nodeport/announce-none'))).toEqual({
      family: 'nat-meet',
      provider: 'netns',
      profile: 'flannel-vxlan',
      exposure: 'nodeport',
      announce: 'none',
      policy: 'Cluster',
      nodes: '1',
      provenance: 'netns lab emulation of flannel VXLAN',
      emulation: 'true',
      compatibility: 'works-with-announce',
      fix: 'cluster-announce-ip <node IP>\ncluster-announce-port <client NodePort>\ncluster-announce-bus-port <bus NodePort>',
    });
    expect(properties(testcase('netns/no-nat/nodeport/announce-none/local/dial-node-0'))).toMatchObject({
      policy: 'Local',
      variant: 'dial node-0',
      compatibility: 'kept',
    });
    // The known answer of a dropped path, and the word of a failing cell derived from what it observed.
    expect(properties(testcase('netns/no-nat/nodeport/announce-none/local/dial-node-1'))['fix']).toMatch(
      /^dial the NodePort on a node that hosts an endpoint/,
    );
    expect(properties(testcase('netns/calico-vxlan/nodeport/announce-none'))['compatibility']).toBe('breaks');
    expect(properties(testcase('k3d/flannel-vxlan/nodeport/announce-none'))).toMatchObject({
      provenance: 'k3d: flannel VXLAN',
      emulation: 'false',
    });
  });

  test('names the versions of a real system', () => {
    const cell = results.cells.find((c) => c.id === 'k3d/flannel-vxlan/nodeport/announce-none') as CellResult;
    const real = {
      ...cell,
      provenance: {
        provider: 'k3d',
        emulation: false,
        label: 'k3d v5.9.0: flannel',
        versions: { k3s: 'v1.35.5+k3s1' },
      },
    } as CellResult;
    const xml = junitXml(
      buildResults({
        runId: 'x',
        startedAt: new Date(0),
        finishedAt: new Date(0),
        cells: [real],
        environment: results.environment,
      }),
    );
    const tc = children(children(children(parseXml(xml), 'testsuites')[0], 'testsuite')[0], 'testcase')[0];
    expect(properties(tc)).toMatchObject({ provenance: 'k3d v5.9.0: flannel', 'version.k3s': 'v1.35.5+k3s1' });
  });

  test('reports failures with expected and observed, skips with their reason', () => {
    const failed = testcase('netns/calico-vxlan/nodeport/announce-none');
    const failure = children(failed, 'failure')[0];
    expect(failure?.attributes['message']).toBe('unexpected ghost class tunnel | expected node-ip');
    expect(failure?.text).toMatch(/^expected: meet fails, ghost class node-ip/);
    expect(failure?.text).toContain('\nobserved: meet fails, ghost class tunnel; ghost 10.244.1.0:6379@16379');
    expect(failure?.text).toContain('\ncompatibility: breaks\n');
    const recovery = children(testcase('netns/calico-vxlan/pod-ip/announce-none/3-nodes/partition-link'), 'failure')[0];
    expect(recovery?.text).toMatch(/^expected: heals by itself \(after the partition heals/);
    expect(recovery?.text).toContain(
      '\nobserved: dropped all traffic between node-0 and node-1 (both still reach node-2), then healed; did not recover',
    );

    // A failed cell that announcing fixes says so, and how, in its failure text.
    const fixable = results.cells.find((c) => c.id === 'netns/flannel-vxlan/nodeport/announce-none') as CellResult;
    const xml = junitXml({ ...results, cells: [{ ...fixable, verdict: { status: 'fail', reason: 'unexpected' } }] });
    const failedFixable = children(children(children(parseXml(xml), 'testsuites')[0], 'testsuite')[0], 'testcase')[0];
    expect(children(failedFixable, 'failure')[0]?.text).toContain(
      '\ncompatibility: works-with-announce\nfix: cluster-announce-ip <node IP>; cluster-announce-port <client NodePort>; cluster-announce-bus-port <bus NodePort>\n',
    );

    const skipped = children(testcase('k3d/flannel-vxlan/nodeport/announce-none'), 'skipped')[0];
    expect(skipped?.attributes['message']).toBe('no Docker daemon answers');

    const passed = testcase('netns/flannel-vxlan/pod-ip/announce-none');
    expect(passed?.children.map((child) => child.name)).toEqual(['properties', 'system-out']);
  });

  test('escapes markup, quotes and newlines, and drops characters XML cannot hold', () => {
    const base = results.cells.find((cell) => cell.verdict.status === 'fail') as CellResult;
    const nasty = {
      ...base,
      id: `a&b/<c>/"d"/'e'`,
      verdict: { status: 'fail', reason: '\u001b[31mexpected\u001b[39m <ok> & "fine"\u0000\u0007\nline two' },
    } as CellResult;
    const xml = junitXml(
      buildResults({
        runId: 'x',
        startedAt: new Date(0),
        finishedAt: new Date(0),
        cells: [nasty],
        environment: results.environment,
      }),
    );
    // eslint-disable-next-line no-control-regex -- asserting that no raw control character is left
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    const tc = children(children(children(parseXml(xml), 'testsuites')[0], 'testsuite')[0], 'testcase')[0];
    expect(tc?.attributes['name']).toBe(`a&b/<c>/"d"/'e' [breaks]`);
    const failure = children(tc, 'failure')[0];
    expect(failure?.attributes['message']).toBe('expected <ok> & "fine"');
    expect(failure?.text).toContain('reason: expected <ok> & "fine"\nline two');
  });
});
