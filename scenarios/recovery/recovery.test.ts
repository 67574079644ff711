// recovery: does the cluster come back from the faults Redis-on-Kubernetes users meet, how long
// does it take, and what did clients see? Measured figures go to results.json; the assertions are
// about recovery itself, never about speed.
import { describe, test } from 'vitest';
import { hasFlag } from '../../src/probes/cluster-nodes.ts';
import { cellsFor, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { recoveryCells } from './cells.ts';
import { runRecovery } from './run.ts';
import { recoveryCompatibility } from './words.ts';

const config = currentRunConfig();
const cells = cellsFor(recoveryCells, config);

describe.skipIf(cells.length === 0)('recovery', () => {
  for (const cell of cells) {
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runRecovery);
      const rec = run.recovery;
      const kind = cell.options.kind;

      expect(rec.recovered, `${rec.action}: ${rec.duringFault ?? ''} ${rec.notes.join('; ')}`).toBe(true);
      // Healed the way the expectation says: by itself, or only after the remediation.
      expect(recoveryCompatibility(rec)).toBe(
        cell.expectation.heals === 'by-itself' ? 'heals' : 'heals-after-remediation',
      );
      // Healthy again: every member knows every other, connected, at its current address.
      expect(rec.notes).toEqual([]);
      for (const v of run.views) {
        expect(v.info.cluster_state).toBe('ok');
      }
      expect(rec.keys?.readable).toBe(rec.keys?.written);

      if (kind === 'whole-restart') {
        if (cell.dims.exposure === 'pod-ip') {
          expect(rec.duringFault).toMatch(/state=fail/);
          expect(rec.remediation).toMatch(/CLUSTER MEET/);
        } else {
          expect(rec.remediation).toBeUndefined();
        }
      }
      if (kind === 'node-loss' || kind === 'isolate-node' || kind === 'failover') {
        expect(rec.failover?.promoted).toBe('redis-3');
      }
      if (kind === 'node-loss' || kind === 'failover') {
        // A replica starts its election only once its master is FAIL (cluster.c
        // clusterHandleSlaveFailover), so the heir's own view shows FAIL no later than its promotion.
        const at = (event: string) => rec.timeline?.find((e) => e.event === event)?.atMs;
        expect(at('fault')).toBe(0);
        expect(at('fail')).toBeDefined();
        expect(at('fail')!).toBeLessThanOrEqual(at('promoted')!);
        expect(at('promoted')).toBe(rec.failover?.afterMs);
      }
      if (kind === 'partition-link') {
        expect(rec.duringFault).toMatch(/flagged redis-1 (master,)?fail\?/);
        expect(rec.duringFault).toMatch(/FAIL flags: none; promotions: none/);
      }
      if (kind === 'isolate-node') {
        const self = run.views.find((v) => v.member === 'redis-0')!.nodes.find((n) => hasFlag(n, 'myself'))!;
        expect(self.flags).toContain('slave');
      }
      if (rec.client) {
        expect(rec.client.ops).toBeGreaterThan(0);
        expect(rec.client.lostWaitConfirmedWrites).toBe(0);
        expect(rec.client.failedAtMs?.length).toBe(Math.min(rec.client.errors, 300));
      }
    });
  }
});
