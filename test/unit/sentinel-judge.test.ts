// The failover judge on a recorded cell: a read-back that could not read an acknowledged write
// fails the cell and says what the client got, so a failed run can be read without a rerun.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sentinelCells } from '../../scenarios/sentinel/cells.ts';
import { judgeSentinel } from '../../scenarios/sentinel/judge.ts';
import type { CellRecordOf } from '../../src/model/results.ts';

const ID = 'netns/flannel-vxlan/nodeport/announce-ip/2-nodes/failover';
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/report/sentinel.results.json'), 'utf8'),
) as { cells: CellRecordOf<'sentinel'>[] };
const recorded = fixture.cells.find((c) => c.id === ID)!;
const cell = sentinelCells().find((c) => c.id === ID)!;

function judged(client: Record<string, unknown>) {
  const record = structuredClone(recorded);
  Object.assign(record.observation!.failover!.client!, client);
  const views = ['sentinel-0', 'sentinel-1', 'sentinel-2'].map((s) => ({ sentinel: s, sentinels: [{}, {}] }));
  const checks = judgeSentinel(cell, { record, views } as never);
  return checks.find((c) => c.name === 'acknowledged writes not read back')!;
}

test('every acknowledged write read back: the check passes', () => {
  expect(recorded.observation?.failover?.client).toBeDefined();
  const c = judged({ unreadWrites: 0 });
  expect(c, JSON.stringify(c)).toMatchObject({ ok: true, observed: '0' });
});

test('writes the read-back could not read fail the check, with the error the client got', () => {
  const c = judged({ unreadWrites: 287, unreadError: 'Command timed out' });
  expect(c.ok).toBe(false);
  expect(c.observed).toBe('287 (Command timed out)');
});
