// sentinel: where Sentinel records replicas and sentinels over each exposure, whether it can fail
// over, what clients at three vantage points get from it, and what a failover and a rolling update
// under load cost. Every assertion reads a real Redis or Sentinel reply, a log line or packets.
import { describe, test } from 'vitest';
import { analyzeDir } from '../../src/analyze/index.ts';
import type { SentinelVantage } from '../../src/model/results.ts';
import { cellsFor, providerGap, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { sentinelCells } from './cells.ts';
import { runSentinel } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(sentinelCells, config);

const reaching = (clients: { vantage: SentinelVantage; connected: boolean; role?: string }[]) =>
  clients
    .filter((c) => c.connected && c.role === 'master')
    .map((c) => c.vantage)
    .sort();

describe.skipIf(cells.length === 0)('sentinel', () => {
  for (const cell of cells) {
    // Cells run side by side, each in its own lab; `expect` comes from the test's own context.
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runSentinel);
      const obs = run.record.observation!;
      const e = cell.expectation;
      const story = [...obs.notes, ...obs.events].join('\n');

      // Every sentinel knows the two others.
      for (const v of run.views) {
        expect(v.sentinels, `${v.sentinel}: ${v.sentinelsText}`).toHaveLength(2);
      }
      if (cell.options.kind === 'whole-restart') {
        const r = obs.restart!;
        expect(r.outcome, `${r.detail ?? ''}\n${story}`).toBe(e.survivesRestart ? 'recovered' : 'lost');
        if (!e.survivesRestart) {
          // Sentinel still hands out the master's pod IP from before the restart; the clients
          // inside the cluster are handed it and nothing answers there.
          const before = new Set(obs.deployed.handedOut.map((line) => line.split(' ')[1]));
          expect([...before]).toEqual([r.newMaster]);
          const handed = r.clients!.filter((c) => c.answer !== undefined);
          expect(handed.length, JSON.stringify(r.clients)).toBeGreaterThan(0);
          for (const c of handed) {
            expect(c.answer).toBe(r.newMaster);
            expect(c.connected, JSON.stringify(c)).toBe(false);
          }
        }
        // With names: every sentinel hands out the master by name and records every replica and
        // sentinel by name; after a second whole restart the master is found and reached.
        const fix = obs.fix!;
        expect(fix, story).toBeDefined();
        expect(new Set(fix.state.handedOut.map((line) => line.split(' ')[1])).size).toBe(1);
        expect(fix.state.handedOut[0]).toMatch(/ redis-\d\.redis-headless\.\S+\.svc\.cluster\.local:6379$/);
        for (const rec of fix.state.records) {
          expect(rec.member, JSON.stringify(rec)).toBeDefined();
          expect(rec.address).toMatch(/\.redis-headless\./);
        }
        expect(fix.restart!.outcome, fix.restart!.detail).toBe('recovered');
        expect(reaching(fix.restart!.clients!)).toEqual([...e.clientsReach].sort());
        expect(run.record.compatibility).toBe('works-with-announce');
        return;
      }
      if (cell.options.kind !== 'views') {
        const f = obs.failover!;
        expect(f.outcome, f.detail ?? story).toBe('promoted');
        expect(f.client!.ops).toBeGreaterThan(0);
        expect(f.client!.waitConfirmedWrites).toBeGreaterThan(0);
        expect(f.client!.lostWaitConfirmedWrites).toBe(0);
        // The read-back read every acknowledged write: zero lost means zero lost.
        expect(f.client!.unreadWrites).toBe(0);
        expect(reaching(f.clients!)).toEqual([...e.clientsReach].sort());
        expect(run.record.compatibility).toBe('works');
        return;
      }

      // What the master lists and what Sentinel records, against the pods' true addresses.
      expect(obs.deployed.masterInfo.length, story).toBeGreaterThan(0);
      if (e.replicas === 'true-address') {
        expect(obs.rewritten, JSON.stringify(obs.rewritten)).toEqual([]);
      } else {
        expect(obs.rewriteClasses).toEqual(e.rewriteClasses);
        // Every rewritten record is an address the master listed: Sentinel took it from INFO.
        const listed = obs.deployed.masterInfo.map((l) => l.split(' ')[0]);
        for (const r of obs.rewritten) {
          expect(listed).toContain(r.address);
        }
        // The packets: the replication connections arrive at the master from the rewritten sources,
        // and the same connection seen in a replica's pod left it from the replica's own address.
        if (obs.captureSkipped && (await providerGap(cell, 'capture', config))) {
          await ctx.annotate(`packet assertions skipped: ${obs.captureSkipped}`);
        } else {
          for (const r of obs.rewritten) {
            expect(obs.replicationSources, story).toContain(r.address.split(':')[0]);
          }
          const paired = obs.natMappings ?? [];
          expect(paired.length, 'no replication connection matched in both captures').toBeGreaterThan(0);
          for (const m of paired) {
            expect(obs.replicationSources).toContain(m.as.split(':')[0]);
            expect(m.flow.split(':')[0]).toBe(
              obs.members
                .find((l) => l.startsWith(`${m.capturedAt} `))
                ?.split(' ')[2]
                ?.split(':')[0],
            );
          }
        }
      }
      // Clients as deployed.
      expect(reaching(obs.deployed.clients), JSON.stringify(obs.deployed.clients)).toEqual([...e.clientsReach].sort());
      // A failover as deployed.
      const promoted = obs.failover?.outcome === 'promoted';
      expect(promoted, obs.failover?.detail ?? story).toBe(e.failover);
      if (cell.dims.exposure === 'nodeport' && e.replicas === 'rewritten') {
        expect(obs.collapsed?.length, story).toBeGreaterThan(0);
        expect(obs.failover?.detail).toMatch(/NOGOODSLAVE/);
        expect(
          obs.events.some((l) => /\+sdown slave/.test(l)),
          story,
        ).toBe(true);
      }
      if (cell.dims.exposure === 'loadbalancer' && e.replicas === 'rewritten') {
        // The rewritten replica addresses answer as the master (through ServiceLB), and Sentinel
        // turns the master into a replica.
        expect(
          obs.probes?.every((p) => p.answeredBy === 'redis-0'),
          JSON.stringify(obs.probes),
        ).toBe(true);
        expect(
          obs.events.some((l) => /\+convert-to-slave/.test(l)),
          story,
        ).toBe(true);
      }
      if (e.fixWorks !== undefined) {
        expect(obs.fix, story).toBeDefined();
        const fix = obs.fix!;
        expect(fix.state.records.filter((r) => r.kind === 'replica' && !r.member)).toEqual([]);
        expect(fix.failover?.outcome, fix.failover?.detail).toBe(e.fixWorks ? 'promoted' : expect.anything());
        expect(reaching(fix.state.clients)).toEqual(['outside', 'pod-other-node', 'pod-same-node']);
        expect(reaching(fix.failover?.clients ?? [])).toEqual(['outside', 'pod-other-node', 'pod-same-node']);
        expect(run.record.compatibility).toBe('works-with-announce');
      } else {
        expect(obs.fix).toBeUndefined();
        expect(run.record.compatibility).toBe('works');
      }
      // rcnc analyze, given the transcripts of the deployed state, finds the same rewritten replicas.
      if (run.analyzeDir) {
        const analysis = await analyzeDir(run.analyzeDir);
        const found = new Set(analysis.sentinel.rewrittenReplicas.map((r) => r.address));
        expect([...found].sort()).toEqual([...new Set(obs.rewritten.map((r) => r.address))].sort());
      }
    });
  }
});
