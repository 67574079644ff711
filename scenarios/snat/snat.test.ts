// snat: which source a Redis server sees on every path, per profile and traffic policy, proved by
// the server's own view of the connection and by the SYN in a capture; blocked paths are proved
// by an empty capture at the server paired with the SYN at the ingress node (judge.ts).
import { afterAll, describe, test } from 'vitest';
import type { Provider, StartedTopology } from '../../src/deploy/provider.ts';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import {
  cellProvider,
  cellsFor,
  inPool,
  orSkipMissingCapability,
  redisFor,
  SCENARIO_TEST_TIMEOUT_MS,
  scenarioContext,
  skipIfRunStopped,
  stopRunAfter,
} from '../../src/suite/harness.ts';
import { providerGate } from '../../src/suite/pool.ts';
import { currentRunConfig } from '../../src/suite/run-config.ts';
import { snatCells } from './cells.ts';
import { judgeSnat } from './judge.ts';
import { runSnatCell, startSnatLab } from './run.ts';

const config = currentRunConfig();
const labKey = (c: { dims: { provider: string; profile: string; policy: string } }) =>
  `${c.dims.provider}/${c.dims.profile}/${c.dims.policy}`;
const cells = cellsFor(snatCells, config);

// One lab per provider, profile and policy, shared by that group's cells: building it costs more
// than probing a path. Labs run side by side; the cells of one lab run one after another (each
// captures every SYN to the shared server), and the lab stops after its last cell, so a provider
// that runs one topology at a time (docs/docker.md#one-runtime-per-process) gets to the next.
interface Group {
  left: number;
  lab?: Promise<StartedTopology>;
  release?: () => void;
  turn: Promise<unknown>;
}
const groups = new Map<string, Group>();
for (const c of cells) {
  const g = groups.get(labKey(c)) ?? { left: 0, turn: Promise.resolve() };
  g.left += 1;
  groups.set(labKey(c), g);
}

/** The group's lab, started by its first cell (after the provider's gate, when it has one). */
function groupLab(cell: (typeof cells)[number], provider: Provider): Promise<StartedTopology> {
  const g = groups.get(labKey(cell))!;
  g.lab ??= (async () => {
    if (provider.topologiesAtOnce) {
      await new Promise<void>((held) => {
        void providerGate(provider.name, provider.topologiesAtOnce!).run(
          () => new Promise<void>((release) => ((g.release = release), held())),
        );
      });
    }
    const withService = cell.dims.profile !== 'no-nat';
    return startSnatLab(provider, cell.dims.profile, cell.dims.policy, withService, redisFor(cell, config));
  })();
  return g.lab;
}

async function leaveGroup(key: string): Promise<void> {
  const g = groups.get(key)!;
  g.left -= 1;
  if (g.left === 0) {
    await stopGroup(g);
  }
}

/** Stops the group's lab; a lab that failed to start was its cells' error, one that fails to stop is reported. */
async function stopGroup(g: Group): Promise<void> {
  const lab = g.lab;
  g.lab = undefined;
  try {
    await lab?.then(
      (l) => l.stop(),
      () => undefined,
    );
  } finally {
    g.release?.();
    g.release = undefined;
  }
}

/** Cells of one group in order, one at a time. */
function inTurn<T>(key: string, body: () => Promise<T>): Promise<T> {
  const g = groups.get(key)!;
  const next = g.turn.then(body, body);
  g.turn = next.catch(() => undefined);
  return next;
}

afterAll(() => Promise.all([...groups.values()].map(stopGroup)));

describe.skipIf(cells.length === 0)('snat', () => {
  cells.forEach((cell, seq) => {
    test.concurrent(cell.id, { timeout: SCENARIO_TEST_TIMEOUT_MS }, async (ctx) => {
      const { expect } = ctx;
      const provider = await cellProvider(ctx, cell, config);
      const key = labKey(cell);
      const { record, probe } = await inTurn(key, async () => {
        try {
          skipIfRunStopped(ctx, config);
          const lab = await groupLab(cell, provider).catch((e: unknown) => {
            // The group's lab is built outside the pool: a failed build stops a --fail-fast run
            // here, or each cell of the group would fail on it in turn.
            stopRunAfter(cell, config);
            throw e;
          });
          return await inPool({ ctx, cell, config }, () =>
            orSkipMissingCapability(ctx, cell, () => runSnatCell(lab, cell, seq, scenarioContext(cell, config))),
          );
        } finally {
          await leaveGroup(key);
        }
      });
      record.checks = judgeSnat(cell, probe);
      ctx.task.meta.rcnc = record;
      expect(failedChecks(record.checks), failedChecksText(record.checks, probe.observation.evidence)).toEqual([]);
    });
  });
});
