import { cp, lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FAMILIES } from '../model/dimensions.ts';
import type { ResultsFile } from '../model/results.ts';
import { compatibilityMarkdown } from './markdown.ts';
import { stepSummaryMarkdown } from './step-summary.ts';
import { buildResults, readResults, validateResults, writeReports } from './write.ts';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.sample.json', import.meta.url));

let sample: ResultsFile;
beforeAll(async () => {
  sample = JSON.parse(await readFile(FIXTURE, 'utf8')) as ResultsFile;
});

/** A deep copy to break on purpose. */
function mutable(): Record<string, unknown> & { cells: Record<string, unknown>[] } {
  return structuredClone(sample) as unknown as Record<string, unknown> & { cells: Record<string, unknown>[] };
}

describe('validateResults', () => {
  test('accepts the sample fixture', () => {
    expect(validateResults(sample)).toEqual([]);
  });

  test('rejects a different schemaVersion', () => {
    const data = { ...mutable(), schemaVersion: 1 };
    expect(validateResults(data)).toContain('schemaVersion: expected 2, got 1');
  });

  test('rejects missing cells', () => {
    const data: Record<string, unknown> = mutable();
    delete data['cells'];
    expect(validateResults(data)).toContain('cells: expected an array, got nothing');
  });

  test('rejects a bad verdict status and names the cell', () => {
    const data = mutable();
    data.cells[0] = { ...data.cells[0], verdict: { status: 'ok' } };
    const problems = validateResults(data);
    expect(problems).toContain('cells[0].verdict.status: expected one of pass, fail, skip, got "ok"');
  });

  test('rejects a summary that does not match the cells', () => {
    const data = { ...mutable(), summary: { pass: 10, fail: 2, skip: 1 } };
    expect(validateResults(data)).toEqual(['summary.pass: is 10 but 9 cell(s) have status pass']);
  });

  test('rejects wrong dimensions, a v1 scenario field and non-objects', () => {
    const data = mutable();
    const dims = { ...(data.cells[1]?.['dims'] as object), announce: 'hostname', nodes: 0, scenario: 'nat-meet' };
    data.cells[1] = { ...data.cells[1], dims };
    expect(validateResults(data)).toEqual([
      'cells[1].dims.announce: expected one of none, ip, got "hostname"',
      'cells[1].dims.nodes: expected an integer >= 1, got 0',
      "cells[1].dims.scenario: moved to the cell's family in schemaVersion 2",
    ]);
    expect(validateResults(null)).toEqual(['results: expected an object, got null']);
    expect(validateResults([])).toEqual(['results: expected an object, got an array']);
  });

  test('checks each family against its own expectation and observation', () => {
    const data = mutable();
    const byId = (id: string) => data.cells.findIndex((cell) => cell['id'] === id);
    const snat = byId('netns/no-nat/nodeport/announce-none');
    const recovery = byId('netns/flannel-vxlan/nodeport/announce-ip/3-nodes/failover');
    const natMeet = byId('netns/flannel-vxlan/nodeport/announce-none');
    data.cells[snat] = { ...data.cells[snat], expectation: { meet: 'fails', summary: 's', source: 's' } };
    const observation = data.cells[recovery]?.['observation'] as Record<string, unknown>;
    data.cells[recovery] = {
      ...data.cells[recovery],
      observation: { ...observation, recovered: 'yes', timeline: [{ atMs: 'soon', event: 'fault' }] },
    };
    data.cells[natMeet] = { ...data.cells[natMeet], family: 'operator' };
    expect(validateResults(data)).toEqual(
      [
        `cells[${natMeet}].family: expected one of ${FAMILIES.join(', ')}, got "operator"`,
        `cells[${recovery}].observation.timeline[0].atMs: expected a number of milliseconds, got "soon"`,
        `cells[${recovery}].observation.recovered: expected a boolean, got "yes"`,
        `cells[${snat}].expectation.rewrite: expected one of none, bridge-gateway, tunnel, node-ip, unknown, unreachable, got nothing`,
      ].sort((a, b) => Number(/\[(\d+)\]/.exec(a)?.[1]) - Number(/\[(\d+)\]/.exec(b)?.[1])),
    );
  });

  test('rejects a compatibility word of another family, or one its observation contradicts', () => {
    const data = mutable();
    const at = data.cells.findIndex((cell) => cell['id'] === 'netns/no-nat/nodeport/announce-none');
    data.cells[at] = { ...data.cells[at], compatibility: 'works' };
    expect(validateResults(data)).toEqual([
      `cells[${at}].compatibility: expected one of kept, rewritten, dropped, got "works"`,
    ]);
    data.cells[at] = { ...data.cells[at], compatibility: 'kept' };
    expect(validateResults(data)).toEqual([
      `cells[${at}].compatibility: "kept" contradicts the observation, which supports "rewritten"`,
    ]);
  });

  test('checks provenance and the environment facts', () => {
    const data = mutable();
    data.cells[0] = { ...data.cells[0], provenance: { provider: 'k3d', emulation: 'no', label: '' } };
    data['environment'] = { ...(data['environment'] as object), rcnc: { commit: 'abc' }, iptables: 1 };
    expect(validateResults(data)).toEqual([
      'environment.rcnc.version: expected a non-empty string, got nothing',
      'environment.iptables: expected a string, got 1',
      'cells[0].provenance.emulation: expected a boolean, got "no"',
      'cells[0].provenance.label: expected a non-empty string, got ""',
    ]);
  });
});

describe('buildResults', () => {
  test('sorts cells by id and counts verdicts', () => {
    const built = buildResults({
      runId: 'r',
      startedAt: new Date('2025-03-01T10:15:00Z'),
      finishedAt: new Date('2025-03-01T10:16:00Z'),
      cells: [...sample.cells].reverse(),
      environment: sample.environment,
    });
    expect(built.cells.map((cell) => cell.id)).toEqual(sample.cells.map((cell) => cell.id));
    expect(built.summary).toEqual({ pass: 9, fail: 2, skip: 1 });
    expect(built.schemaVersion).toBe(2);
    expect(built.startedAt).toBe('2025-03-01T10:15:00.000Z');
    expect(validateResults(built)).toEqual([]);
  });
});

describe('files on disk', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcnc-write-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('readResults', () => {
    test('reads a results file or the report directory holding it', async () => {
      await expect(readResults(FIXTURE)).resolves.toEqual(sample);
      await writeReports(sample, { reportDir: dir, runId: 'r1' });
      await expect(readResults(join(dir, 'latest'))).resolves.toEqual(sample);
    });

    test('says what is wrong and what to do', async () => {
      const file = join(dir, 'results.json');
      await expect(readResults(file)).rejects.toThrow(/cannot read .*results\.json .*run `rcnc run` first/);

      await writeFile(file, '{"schemaVersion": 2,');
      await expect(readResults(file)).rejects.toThrow(/is not JSON .*run the suite again/);

      await writeFile(file, JSON.stringify({ ...sample, schemaVersion: 1 }));
      await expect(readResults(file)).rejects.toThrow(/has schemaVersion 1, this rcnc reads 2: use the rcnc version/);

      await writeFile(file, JSON.stringify({ ...sample, cells: 3 }));
      await expect(readResults(file)).rejects.toThrow(/not a valid rcnc results file: cells: expected an array/);

      const broken = mutable();
      broken.cells[0] = { ...broken.cells[0], verdict: { status: 'maybe' } };
      await writeFile(file, JSON.stringify(broken));
      await expect(readResults(file)).rejects.toThrow(
        /not a valid rcnc results file: cells\[0\]\.verdict\.status: expected one of pass, fail, skip/,
      );
    });
    test('a file that is no results file is called the wrong file, not a damaged one', async () => {
      // What `rcnc diff /etc/hostname X` read: a line of text.
      const text = join(dir, 'hostname');
      await writeFile(text, 'vm-7f3a\n');
      const other = join(dir, 'package.json');
      await writeFile(other, JSON.stringify({ name: 'x', version: '1.0.0' }));
      const list = join(dir, 'list.json');
      await writeFile(list, '[]');
      for (const [file, what] of [
        [text, 'it is not JSON'],
        [other, 'it is JSON, but without schemaVersion, runId and cells'],
        [list, 'it is JSON, but a list'],
      ] as const) {
        const error = await readResults(file).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(error?.message).toBe(
          `${file} is not an rcnc results.json (${what}): pass the results.json of a report directory, ` +
            'e.g. reports/latest/results.json, or the directory itself',
        );
      }
    });
  });

  describe('writeReports', () => {
    test('writes the four reports and a real latest/ copy, artifacts included', async () => {
      const runDir = join(dir, 'reports', sample.runId);
      await mkdir(join(runDir, 'artifacts', 'cell-a'), { recursive: true });
      await writeFile(join(runDir, 'artifacts', 'cell-a', 'nodes.txt'), 'ghost 10.42.0.1:6379@16379\n');
      // The artifacts the sample's cells list, where scenarios would have saved them.
      await cp(join(dirname(FIXTURE), 'artifacts'), join(runDir, 'artifacts'), { recursive: true });

      const written = await writeReports(sample, { reportDir: join(dir, 'reports'), runId: sample.runId });

      expect(written.dir).toBe(runDir);
      expect(written.latest).toBe(join(dir, 'reports', 'latest'));
      expect(written.files).toEqual(
        ['results.json', 'compatibility.md', 'junit.xml', 'index.html'].map((f) => join(runDir, f)),
      );
      // index.html carries the evidence read from the run directory.
      const html = await readFile(join(written.latest, 'index.html'), 'utf8');
      expect(html).toMatch(/<span class="ln ghost"[^>]*>3c1f0d9e[0-9a-f]{32} 10\.42\.0\.1:6379@16379 handshake/);
      for (const file of written.files) {
        expect((await lstat(file)).isFile()).toBe(true);
      }
      expect(JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8'))).toEqual(sample);

      const latestStat = await lstat(written.latest);
      expect(latestStat.isSymbolicLink()).toBe(false);
      expect(latestStat.isDirectory()).toBe(true);
      expect(await readFile(join(written.latest, 'results.json'), 'utf8')).toBe(
        await readFile(join(runDir, 'results.json'), 'utf8'),
      );
      expect(await readFile(join(written.latest, 'artifacts', 'cell-a', 'nodes.txt'), 'utf8')).toContain('10.42.0.1');
      // No temporary siblings are left next to latest/.
      expect((await readdir(join(dir, 'reports'))).sort()).toEqual([sample.runId, 'latest'].sort());
    });

    test('replaces latest/ with the newest run, even over an old symlink', async () => {
      const reportDir = join(dir, 'reports');
      await mkdir(join(reportDir, 'old-run', 'artifacts'), { recursive: true });
      await writeFile(join(reportDir, 'old-run', 'artifacts', 'stale.pcap'), '');
      await symlink(join(reportDir, 'old-run'), join(reportDir, 'latest'));

      await writeReports(sample, { reportDir, runId: 'new-run' });

      expect((await lstat(join(reportDir, 'latest'))).isSymbolicLink()).toBe(false);
      expect(await readdir(join(reportDir, 'latest'))).not.toContain('artifacts');
      // The symlink's target is another run's data: it must survive.
      expect(await readdir(join(reportDir, 'old-run', 'artifacts'))).toEqual(['stale.pcap']);

      const second = { ...sample, runId: 'newer-run' };
      await writeReports(second, { reportDir, runId: 'newer-run' });
      expect(JSON.parse(await readFile(join(reportDir, 'latest', 'results.json'), 'utf8')).runId).toBe('newer-run');
    });

    test("appends the run's summary to the step summary instead of overwriting it", async () => {
      const stepSummary = join(dir, 'step-summary.md');
      await writeFile(stepSummary, '# earlier step\n');
      const reportDir = join(dir, 'reports');
      await writeReports(sample, { reportDir, runId: 'a', stepSummary });
      await writeReports(sample, { reportDir, runId: 'b', stepSummary });
      const text = await readFile(stepSummary, 'utf8');
      const summary = (runId: string) => stepSummaryMarkdown(sample, { reportDir: join(reportDir, runId) });
      expect(text).toBe(`# earlier step\n${summary('a')}\n${summary('b')}\n`);
      // Not compatibility.md, whose links to index.html would be dead in a job summary.
      expect(text).not.toContain('](index.html#');
    });

    test('a step summary that cannot be appended to is reported apart: the reports are still written', async () => {
      const reportDir = join(dir, 'reports');
      const written = await writeReports(sample, { reportDir, runId: 'a', stepSummary: dir });
      expect(written.stepSummaryError).toBe('EISDIR');
      expect(JSON.parse(await readFile(join(reportDir, 'a', 'results.json'), 'utf8')).runId).toBe(sample.runId);
      expect(await readFile(join(reportDir, 'latest', 'compatibility.md'), 'utf8')).toBe(compatibilityMarkdown(sample));
    });

    test('refuses run ids that would escape or overwrite the report directory', async () => {
      for (const runId of ['latest', '../x', 'a/b', '', '.hidden']) {
        await expect(writeReports(sample, { reportDir: dir, runId }), runId).rejects.toThrow(/invalid run id/);
      }
    });
  });
});
