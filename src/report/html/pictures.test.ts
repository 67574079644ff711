// The pictures draw what the observation holds and say it in words; with less to go on they draw
// less, and with nothing timed they draw nothing.
import { describe, expect, test } from 'vitest';
import { recoveryTimeline, timelineMarks } from '../../../scenarios/recovery/timeline.ts';
import type { RecoveryObservation } from '../../../scenarios/recovery/types.ts';
import { allCells } from '../../../scenarios/registry.ts';
import { snatPicture } from '../../../scenarios/snat/html.ts';
import type { SnatObservation } from '../../../scenarios/snat/types.ts';
import { PROVIDERS } from '../../model/dimensions.ts';
import type { CellRecordOf, CellResult, ResultsFile } from '../../model/results.ts';
import { durationChart, LABEL_CHARS } from './durations.ts';

const recovery = (extra: Partial<RecoveryObservation>): RecoveryObservation => ({
  action: 'deleted pod redis-0',
  recovered: true,
  notes: [],
  ...extra,
});

const descOf = (markup: string[]) => /<desc id="[^"]+">([^<]*)<\/desc>/.exec(markup.join('\n'))?.[1];

describe('recoveryTimeline', () => {
  test('adds the fault, the promotion and healthy-again when the scenario recorded only figures', () => {
    const marks = timelineMarks(recovery({ failover: { promoted: 'redis-3', afterMs: 4233 }, recoveryMs: 5646 }));
    expect(marks.map((mark) => `${mark.label}@${mark.atMs}:${mark.tone}`)).toEqual([
      'fault@0:fault',
      'promoted redis-3@4233:info',
      'healthy@5646:good',
    ]);
    const svg = recoveryTimeline(recovery({ failover: { promoted: 'redis-3', afterMs: 4233 }, recoveryMs: 5646 }), 'x');
    expect(descOf(svg)).toBe('fault at 0ms (deleted pod redis-0). promoted redis-3 at 4.2s. healthy at 5.6s.');
    // No client ran: no client lane, a shorter picture.
    expect(svg.join('')).not.toContain('class="lane-label"');
    expect(svg.join('')).toContain('viewBox="0 0 720 82"');
  });

  test('places healthy after the remediation only when the remediation has a moment', () => {
    const remediated = recovery({ remediation: 'CLUSTER MEET', recoveryMs: 2000 });
    expect(recoveryTimeline(remediated, 'x')).toEqual([]);
    const timed = recovery({
      remediation: 'CLUSTER MEET',
      recoveryMs: 2000,
      timeline: [
        { atMs: -500, event: 'restart' },
        { atMs: 0, event: 'fault' },
        { atMs: 9000, event: 'remediation', detail: 'CLUSTER MEET from redis-0' },
      ],
    });
    expect(timelineMarks(timed).map((mark) => `${mark.label}@${mark.atMs}`)).toEqual([
      'restart@-500',
      'fault@0',
      'remediation@9000',
      'healthy@11000',
    ]);
    expect(recoveryTimeline(timed, 'x').join('')).toContain('>restart -500ms</text>');
  });

  test('draws the client window even without recorded moments, and says when the cluster did not recover', () => {
    const svg = recoveryTimeline(
      recovery({
        recovered: false,
        client: {
          ops: 10,
          errors: 4,
          errorWindowMs: 300,
          errorWindowFromMs: 100,
          errorWindowToMs: 400,
          failedAtMs: [100, 200, 300, 400],
          ackedWrites: 5,
          lostAckedWrites: 0,
          waitConfirmedWrites: 0,
          lostWaitConfirmedWrites: 0,
        },
      }),
      'x',
    );
    expect(svg.join('')).toMatch(/<path d="(M[\d.]+ 62v14){4}" class="failed-tick"\/>/);
    expect(descOf(svg)).toBe(
      'fault at 0ms (deleted pod redis-0). Client commands failed from 100ms to 400ms: 4 of 10 failed, 4 drawn as ticks. ' +
        'The cluster did not recover.',
    );
  });
});

describe('the client lane of a failover', () => {
  // The figures of a real cluster failover (netns pod-ip, 3 nodes): errors for 4.6 s, but the last
  // command to fail was issued at 3.2 s and hung 1.4 s before it failed.
  const client = {
    ops: 1203,
    errors: 174,
    errorWindowMs: 4575.18,
    errorWindowFromMs: 4,
    errorWindowToMs: 4579,
    failedAtMs: [4, 18, 134, 35, 2634, 3101, 3027, 3193],
    failedTookMs: [1, 2, 3, 1, 5, 1386, 1550, 9],
    ackedWrites: 756,
    lostAckedWrites: 0,
    waitConfirmedWrites: 19,
    lostWaitConfirmedWrites: 0,
  };
  const svg = recoveryTimeline(recovery({ failover: { promoted: 'redis-3', afterMs: 4565 }, client }), 'x').join('\n');
  const band = /<rect x="([\d.]+)" y="60" width="([\d.]+)" height="18" class="error-window"\/>/.exec(svg);
  const spans = /<path d="([^"]+)" class="failed-span"\/>/.exec(svg)?.[1] ?? '';
  const xs = [...spans.matchAll(/[MH]([\d.]+)/g)].map((m) => Number(m[1]));

  test('draws each failed command from its issue to its failure, over exactly the band', () => {
    expect(band).not.toBeNull();
    const [from, width] = [Number(band![1]), Number(band![2])];
    expect(xs.length).toBeGreaterThan(0);
    expect(Math.min(...xs)).toBeCloseTo(from, 0);
    expect(Math.max(...xs)).toBeCloseTo(from + width, 0);
  });

  test('labels the band with the same interval, and says so in words', () => {
    expect(svg).toContain('>errors for 4.6s</text>');
    expect(descOf([svg])).toContain(
      'Client commands failed from 4ms to 4.6s: 174 of 1203 failed, 8 drawn from when each was issued to when it failed.',
    );
  });
});

describe('snatPicture', () => {
  test('draws nothing for a kept source', () => {
    const observation: SnatObservation = {
      path: 'p',
      from: 'external',
      source: '1.1.1.1',
      target: '2.2.2.2:1',
      seen: '1.1.1.1:2',
      rewrite: 'none',
      owner: '',
      evidence: '',
      notes: [],
    };
    expect(snatPicture({ observation } as CellRecordOf<'snat'>, 'x')).toEqual([]);
  });
});

describe('durationChart', () => {
  test('draws one bar per cell, longest first, each a link, folded under its total', () => {
    const cell = (id: string, durationMs: number) => ({ id, family: 'snat', durationMs }) as CellResult;
    const cells = [cell('a', 1000), cell('b', 3000), cell('c', 2000)];
    const results = { cells, startedAt: '2025-03-01T10:00:00Z', finishedAt: '2025-03-01T10:00:10Z' } as ResultsFile;
    const anchors = new Map(cells.map((c) => [c, `cell-${c.id}`]));
    const chart = durationChart(results, anchors).join('\n');
    expect(chart).toMatch(
      /^<details class="durations"><summary>Time per cell \(3 cells, 6\.0s of cell time in a 10\.0s run\)<\/summary>/,
    );
    expect([...chart.matchAll(/<a href="#(cell-\w)">/g)].map((m) => m[1])).toEqual(['cell-b', 'cell-c', 'cell-a']);
    expect(descOf([chart])).toBe('Each bar is one cell&#39;s duration. b (snat) 3.0s; c (snat) 2.0s; a (snat) 1.0s.');
    expect(durationChart({ ...results, cells: [] }, new Map())).toEqual([]);
  });

  test('long ids keep what tells them apart: each label differs, fits, and ends with the variant', () => {
    // Every cell of every provider's full matrix in one chart: 436 ids, most longer than a label.
    const cells = PROVIDERS.flatMap((provider) => allCells(provider, 'full')).map(
      (cell, i) => ({ id: cell.id, family: cell.family, durationMs: 1000 + i }) as CellResult,
    );
    const results = { cells, startedAt: '2025-03-01T10:00:00Z', finishedAt: '2025-03-01T11:00:00Z' } as ResultsFile;
    const chart = durationChart(results, new Map()).join('\n');
    const bars = [...chart.matchAll(/<title>([^<]+)<\/title>\n<text [^>]*class="bar-label"[^>]*>([^<]+)<\/text>/g)].map(
      (m) => ({ id: m[1]!, label: m[2]! }),
    );
    expect(bars).toHaveLength(cells.length);
    expect(new Set(bars.map((bar) => bar.label)).size).toBe(bars.length);
    for (const { id, label } of bars) {
      expect(label.length, label).toBeLessThanOrEqual(LABEL_CHARS);
      expect(label.endsWith(`/${id.split('/').at(-1)}`) || label === id, label).toBe(true);
      // The label is the id with runs of whole parts left out, each run one '…'.
      const pattern = label
        .split('/')
        .map((part) => (part === '…' ? '[^/]+(?:/[^/]+)*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      expect(id, label).toMatch(new RegExp(`^${pattern}$`));
    }
    // The three bars cutting from the left made read alike: `…an/nodeport/announce-none/2-nodes/…`.
    const label = (id: string) => bars.find((bar) => bar.id === id)?.label;
    const local = ['flannel-vxlan', 'calico-vxlan', 'calico-crosssubnet'].map((profile) =>
      label(`netns/${profile}/nodeport/announce-none/2-nodes/external-nodeport-local`),
    );
    expect(
      local.map((l) => l?.split('/').find((part) => part.includes('-vxlan') || part.includes('crosssubnet'))),
    ).toEqual(['flannel-vxlan', 'calico-vxlan', 'calico-crosssubnet']);
  });
});
