// snat: which source a Redis server sees on every path, per profile and traffic policy, proved by
// the server's own view of the connection and by the SYN in a capture; blocked paths are proved
// by an empty capture at the server paired with the SYN at the ingress node.
import { afterAll, describe, expect, test } from 'vitest';
import type { StartedTopology } from '../../src/deploy/provider.ts';
import { cellProvider, cellsFor, orSkipMissingCapability, redisFor, scenarioContext } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { hostOf } from '../../src/util/address.ts';
import { snatCells } from './cells.ts';
import { runSnatCell, startSnatLab } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(snatCells, config);

// One lab per provider, profile and policy, shared by that group's cells: building it costs more
// than probing a path.
const labs = new Map<string, Promise<StartedTopology>>();
// Every lab goes, and a failure to remove one fails the file with its reason.
afterAll(async () => {
  const stopped = await Promise.allSettled(
    [...labs.values()].map(async (l) => (await l.catch(() => undefined))?.stop()),
  );
  const failed = stopped.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length) {
    throw new AggregateError(failed, failed.map((e) => e.message).join('; '));
  }
});

describe.skipIf(cells.length === 0)('snat', () => {
  cells.forEach((cell, seq) => {
    test(cell.id, async (ctx) => {
      const provider = await cellProvider(ctx, cell, config);
      const key = `${cell.dims.provider}/${cell.dims.profile}/${cell.dims.policy}`;
      let lab = labs.get(key);
      if (!lab) {
        lab = startSnatLab(
          provider,
          cell.dims.profile,
          cell.dims.policy,
          cell.dims.profile !== 'no-nat',
          redisFor(cell, config),
        );
        labs.set(key, lab);
      }
      const { record, probe } = await orSkipMissingCapability(ctx, cell, async () =>
        runSnatCell(await lab, cell, seq, scenarioContext(cell, config)),
      );
      ctx.task.meta.rcnc = record;
      const obs = probe.observation;

      expect(obs.rewrite, obs.evidence).toBe(cell.expectation.rewrite);
      if (obs.rewrite === 'unreachable') {
        expect(probe.server.packets).toEqual([]);
        expect(probe.ingress?.packets.length).toBeGreaterThan(0);
        return;
      }
      // The SYN at the server carries exactly the source the server reports.
      expect(probe.server.packets.length).toBeGreaterThan(0);
      expect(probe.server.packets[0]!.src.ip).toBe(hostOf(obs.seen!));
      if (obs.rewrite === 'none') {
        expect(hostOf(obs.seen!)).toBe(obs.source);
      } else {
        expect(hostOf(obs.seen!)).not.toBe(obs.source);
      }
    });
  });
});
