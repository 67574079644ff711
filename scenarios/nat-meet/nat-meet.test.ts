// nat-meet: does a node that joins over a given datapath become part of the cluster, and when it
// does not, what did the receiver record, and does announcing fix it? Every assertion reads a real
// Redis view, log line or socket table from the lab.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { analyzeDir } from '../../src/analyze/index.ts';
import { meetProblems } from '../../src/probes/convergence.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { flowText, parseTcpdump } from '../../src/probes/tcpdump-text.ts';
import { cellsFor, runScenarioCell, SCENARIO_TEST_TIMEOUT_MS, skipPartWithout } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { natMeetCells } from './cells.ts';
import { runNatMeet } from './run.ts';

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The SYNs a pod's capture holds, as `src:port > dst:port`, read from the files the cell collected. */
async function synFlows(clusterDir: string, pod: string): Promise<string[]> {
  const text = await readFile(join(clusterDir, `${pod}.tcpdump.txt`), 'utf8');
  return parseTcpdump(text)
    .packets.filter((p) => p.flags === 'S')
    .map((p) => flowText(p.src, p.dst));
}

const config = currentRunConfig();
const cells = cellsFor(natMeetCells, config);

describe.skipIf(cells.length === 0)('nat-meet', () => {
  for (const cell of cells) {
    // Cells run side by side, each in its own lab; `expect` comes from the test's own context.
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const run = await runScenarioCell(ctx, cell, config, runNatMeet);
      const obs = run.record.observation!;
      const entry = run.before.find((v) => v.member === 'redis-0')!;
      // The joiner is the member after those formed before the join (redis-3 with three masters).
      const joinerName = obs.joiner!.pod;

      expect(obs.meet, obs.notes.join('; ')).toBe(cell.expectation.meet);

      if (cell.expectation.meet === 'fails') {
        // The master recorded the joiner at the address MASQUERADE picked, with the default bus port.
        // Off the lab a provider may have declared it lacks node access (no prediction) or capture:
        // those checks then skip with its reason, noted on the test (a failure under REQUIRE_*=1).
        if (!run.predictedGhost && (await skipPartWithout(ctx, cell, 'node-exec', 'ghost prediction skipped'))) {
          return;
        }
        const predicted = run.predictedGhost!;
        const evidence = run.evidence!;
        expect(evidence.member).toBe('redis-0');
        // The ghost the cell found at redis-0 (a second MEET of a member, still in handshake, is none).
        const found = obs.ghosts.find((g) => g.seenBy === 'redis-0' && g.flags.includes('handshake'));
        const ghost = evidence.nodes.find((n) => n.id === found?.nodeId);
        expect(ghost, evidence.raw).toMatchObject({
          ip: predicted.ip,
          port: 6379,
          cport: 16379,
        });
        expect(obs.ghostOwner).toBe(predicted.owner);
        expect(obs.ghostClass).toBe(cell.expectation.ghostClass);
        // …and its dial-back to that address failed.
        const failed = findFailedConnections(run.logs['redis-0'] ?? '');
        expect(failed.map((f) => `${f.ip}:${f.port}`)).toContain(`${predicted.ip}:16379`);
        expect(failed.find((f) => f.ip === predicted.ip)?.error).toMatch(/refused/i);
        // The joiner never learned its own address (nobody sent it a MEET) but is a replica.
        expect(obs.joinerSelf).toBe(':6379@16379 myself,slave');
        // And redis-cli still claimed success.
        if (cell.options.join === 'add-node') {
          expect(obs.addNode).toMatchObject({
            ok: true,
            lastLine: expect.stringContaining('[OK] New node added correctly'),
          });
        }
        // The failure was proven while the join was still under way.
        expect(run.record.timings.toVerdict).toBeGreaterThan(0);
        // Packets at both ends: the joiner's MEET to the bus NodePort arrives from the ghost address.
        const joinerFlow = new RegExp(
          `^${esc(run.podIps[joinerName]!)}:\\d+ > ${esc(run.entry.ip)}:${run.entry.cport}$`,
        );
        if (obs.captureSkipped && (await skipPartWithout(ctx, cell, 'capture', 'packet assertions skipped'))) {
          // Noted on the test with the provider's reason.
        } else if (cell.options.relay === 'userland-proxy') {
          // A userland proxy ends the joiner's connection and opens its own from the ghost address:
          // two connections, one at each end, and no NAT mapping pairs them.
          expect(await synFlows(run.clusterDir!, joinerName)).toContainEqual(expect.stringMatching(joinerFlow));
          expect(await synFlows(run.clusterDir!, 'redis-0')).toContainEqual(
            expect.stringMatching(new RegExp(`^${esc(predicted.ip)}:\\d+ > ${esc(run.podIps['redis-0']!)}:16379$`)),
          );
          expect(obs.natMappings?.filter((m) => joinerFlow.test(m.flow))).toEqual([]);
        } else {
          expect(obs.natMappings, JSON.stringify(obs.natMappings)).toContainEqual(
            expect.objectContaining({
              capturedAt: joinerName,
              flow: expect.stringMatching(joinerFlow),
              as: expect.stringMatching(
                new RegExp(`^${esc(predicted.ip)}:\\d+ > ${esc(run.podIps['redis-0']!)}:16379$`),
              ),
            }),
          );
        }
        // rcnc analyze, given the files collected from this cell, tells the same story.
        const analysis = await analyzeDir(run.clusterDir!);
        expect(analysis.ghosts).toContainEqual(
          expect.objectContaining({
            seenBy: 'redis-0',
            address: `${predicted.ip}:6379@16379`,
            class: cell.expectation.ghostClass,
          }),
        );
        expect(analysis.failedDialBacks).toContainEqual(
          expect.objectContaining({ pod: 'redis-0', address: `${predicted.ip}:16379` }),
        );
        expect(analysis.recommendations.find((r) => r.pod === joinerName)?.settings).toEqual(obs.fix?.settings);

        // The fix: announce and MEET again; everyone then knows everyone.
        expect(obs.fix?.meet, obs.notes.join('; ')).toBe(cell.expectation.fixWorks ? 'ok' : 'fails');
        if (cell.expectation.fixWorks) {
          expect(meetProblems(run.after!)).toEqual([]);
          for (const v of run.after!) {
            expect(v.info.cluster_slots_assigned).toBe('16384');
          }
          expect(run.record.compatibility).toBe('works-with-announce');
        }
        return;
      }

      expect(meetProblems(run.before)).toEqual([]);
      for (const v of run.before) {
        expect(v.info.cluster_state).toBe('ok');
        expect(v.info.cluster_slots_assigned).toBe('16384');
      }
      expect(obs.ghosts).toEqual([]);
      expect(obs.busPeers.length).toBeGreaterThan(0);
      const peerClasses = new Set(obs.busPeers.map((p) => p.class));
      if (cell.dims.exposure === 'pod-ip') {
        expect([...peerClasses]).toEqual(['pod']);
      }
      if (cell.dims.exposure === 'host-network') {
        expect([...peerClasses]).toEqual(['node-ip']);
      }
      if (cell.dims.exposure === 'nodeport' && cell.dims.announce === 'none') {
        // Not NATed: the master knows the joiner by its pod IP, not by a NodePort.
        const joiner = run.before.find((v) => v.member === joinerName)!;
        expect(entry.nodes.find((n) => n.id === joiner.id)?.ip).toBe(run.podIps[joinerName]);
      }
      expect(run.record.compatibility).toBe('works');
      // rcnc analyze finds nothing wrong in the files collected from a healthy cell.
      const analysis = await analyzeDir(run.clusterDir!);
      expect(analysis.ghosts).toEqual([]);
      expect(analysis.failedDialBacks).toEqual([]);
      expect(analysis.problems).toEqual([]);
    });
  }
});
