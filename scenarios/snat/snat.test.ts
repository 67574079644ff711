// snat: which source a Redis server sees on every path, per profile and traffic policy, proved by
// the server's own view of the connection and by the SYN in a capture; blocked paths are proved
// by an empty capture at the server paired with the SYN at the ingress node.
import { afterAll, describe, expect, test } from 'vitest';
import type { StartedTopology } from '../../src/deploy/provider.ts';
import { cellProvider, cellsFor, orSkipMissingCapability, scenarioContext } from '../../src/suite/harness.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { hostOf } from '../../src/util/address.ts';
import { snatCells } from './cells.ts';
import { runSnatCell, startSnatLab } from './run.ts';

const config = currentRunConfig();
const labKey = (c: { dims: { provider: string; profile: string; policy: string } }) =>
  `${c.dims.provider}/${c.dims.profile}/${c.dims.policy}`;
// Grouped by lab, so each lab is built once and stopped before the next starts (a provider may run
// one topology per process at a time: docs/docker.md#one-runtime-per-process).
const cells = cellsFor(snatCells, config).sort((a, b) => (labKey(a) < labKey(b) ? -1 : labKey(a) > labKey(b) ? 1 : 0));

// One lab per provider, profile and policy, shared by that group's cells: building it costs more
// than probing a path.
let current: { key: string; lab: Promise<StartedTopology> } | undefined;
const stopCurrent = async () => {
  const lab = current?.lab;
  current = undefined;
  await lab?.then((l) => l.stop()).catch(() => undefined);
};
afterAll(stopCurrent);

describe.skipIf(cells.length === 0)('snat', () => {
  cells.forEach((cell, seq) => {
    test(cell.id, async (ctx) => {
      const provider = await cellProvider(ctx, cell, config);
      const key = labKey(cell);
      if (current?.key !== key) {
        await stopCurrent();
        const lab = startSnatLab(
          provider,
          cell.dims.profile,
          cell.dims.policy,
          cell.dims.profile !== 'no-nat',
          config.redis,
        );
        current = { key, lab };
      }
      const lab = current.lab;
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
