// snat: which source a Redis server sees on every path, per profile and traffic policy, proved by
// the server's own view of the connection and by the SYN in a capture; blocked paths are proved
// by an empty capture at the server paired with the SYN at the ingress node.
import { afterAll, describe, test } from 'vitest';
import type { StartedTopology } from '../../src/deploy/provider.ts';
import {
  cellProvider,
  cellsFor,
  inPool,
  orSkipMissingCapability,
  SCENARIO_TEST_TIMEOUT_MS,
  scenarioContext,
} from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { hostOf } from '../../src/util/address.ts';
import { snatCells } from './cells.ts';
import { runSnatCell, startSnatLab } from './run.ts';

const config = currentRunConfig();
const cells = cellsFor(snatCells, config);

// One lab per provider, profile and policy, shared by that group's cells: building it costs more
// than probing a path. Labs run side by side; the cells of one lab run one after another, since
// each captures every SYN to the shared server.
const labs = new Map<string, Promise<StartedTopology>>();
const turns = new Map<string, Promise<unknown>>();
const inTurn = <T>(key: string, body: () => Promise<T>): Promise<T> => {
  const next = (turns.get(key) ?? Promise.resolve()).then(body, body);
  turns.set(
    key,
    next.catch(() => undefined),
  );
  return next;
};
afterAll(async () => {
  await Promise.allSettled([...labs.values()].map(async (l) => (await l).stop()));
});

describe.skipIf(cells.length === 0)('snat', () => {
  cells.forEach((cell, seq) => {
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const provider = await cellProvider(ctx, cell, config);
      const key = `${cell.dims.provider}/${cell.dims.profile}/${cell.dims.policy}`;
      const { record, probe } = await inTurn(key, () =>
        inPool(cell, config, () =>
          orSkipMissingCapability(ctx, cell, async () => {
            let lab = labs.get(key);
            if (!lab) {
              const withService = cell.dims.profile !== 'no-nat';
              lab = startSnatLab(provider, cell.dims.profile, cell.dims.policy, withService, config.redis);
              labs.set(key, lab);
            }
            return runSnatCell(await lab, cell, seq, scenarioContext(cell, config));
          }),
        ),
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
