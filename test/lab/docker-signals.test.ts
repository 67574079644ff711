// A Docker host is torn down on SIGTERM, and after SIGKILL `rcnc clean` removes it and nothing of a
// live run. It kills an owner on purpose and sweeps, so it runs one at a time with the other files
// that do (src/suite/vitest-projects.ts, SWEEPING_END_TO_END): beside them, another file's listing
// would count the killed host as its own leftover, or its sweep would take what another file killed.
// Where no daemon can be had (no root, no docker.io) it skips with the reason; REQUIRE_DOCKER=1 fails.
import { execa } from 'execa';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { providerFor } from '../../src/suite/harness.ts';
import { currentRunConfig, requireVariable } from '../../src/suite/run-config.ts';
import { holdFixture } from './holder.ts';
import { dockerLeftovers, noDocker } from './leftovers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const config = currentRunConfig();
const CELL = 'docker/docker-userland-proxy/nodeport/announce-none';

const holdDocker = () => holdFixture('hold-docker', /dk[0-9a-f]{6}/);

describe('docker provider: signals and rcnc clean', () => {
  let skipReason: string | undefined;

  beforeAll(async () => {
    const cell = natMeetCells('docker').find((c) => c.id === CELL)!;
    skipReason = (await providerFor(cell, { ...config, require: { ...config.require, docker: false } })).skipReason;
    if (skipReason && config.require.docker) {
      throw new Error(`${requireVariable('docker')}=1 but no Docker daemon can be had here: ${skipReason}`);
    }
  });

  test('SIGTERM tears a Docker host down; after SIGKILL `rcnc clean` removes it and keeps a live one', async (ctx) => {
    if (skipReason) {
      ctx.skip(skipReason);
    }
    const live = holdDocker();
    const killed = holdDocker();
    const [liveId, killedId] = await Promise.all([live.ready, killed.ready]);
    expect((await dockerLeftovers(liveId)).namespaces).toHaveLength(2); // the Docker host and the outside machine

    killed.child.kill('SIGKILL');
    await killed.child;
    expect((await dockerLeftovers(killedId)).namespaces).toHaveLength(2);
    const clean = await execa('node', ['bin/rcnc.mjs', 'clean'], { cwd: ROOT, reject: false });
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stdout).toContain(`removed docker host ${killedId}`);
    expect(clean.stdout).toMatch(new RegExp(`kept docker host ${liveId}: its owner .* is still alive`));
    expect(await dockerLeftovers(killedId)).toEqual(noDocker);
    const held = await dockerLeftovers(liveId);
    expect(held.namespaces).toHaveLength(2);
    expect(held.processes.length).toBeGreaterThan(0); // its dockerd still runs

    live.child.kill('SIGTERM');
    expect((await live.child).exitCode).toBe(143);
    expect(await dockerLeftovers(liveId)).toEqual(noDocker);
  });
});
