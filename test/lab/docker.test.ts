// The docker provider end to end, in the default `npm test`: the nat-meet cell over a published
// port with the userland proxy on runs on a real Docker daemon through testcontainers (a private
// dockerd in its own network namespace when none answers), shows the bridge-gateway ghost and the
// fix converging, and leaves the root namespace and the process table as they were (a Docker host's
// SIGTERM and SIGKILL are test/lab/docker-signals.test.ts's, which runs one at a time with the
// other files that kill an owner or sweep). Then the cases whose threads ran on Docker. Where no daemon can be had (no root, no docker.io)
// the tests skip with the reason, and with REQUIRE_DOCKER=1 they fail instead.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { caseCells } from '../../scenarios/cases/cells.ts';
import { judgeCase } from '../../scenarios/cases/judge.ts';
import { pastedForms } from '../../scenarios/cases/pasted.ts';
import { runCase } from '../../scenarios/cases/run.ts';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { analyzeDir } from '../../src/analyze/analyze.ts';
import { diagnosisOf } from '../../src/analyze/any-name.ts';
import { describeUnmet, type Provider } from '../../src/deploy/provider.ts';
import { failedChecks, failedChecksText } from '../../src/model/checks.ts';
import { meetProblems } from '../../src/probes/convergence.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { providerFor, scenarioContext } from '../../src/suite/harness.ts';
import { currentRunConfig, requireVariable } from '../../src/suite/run-config.ts';
import { hostOf } from '../../src/util/address.ts';
import { dockerLeftovers, noDocker } from './leftovers.ts';
import { monitor, rootSnapshot } from './root.ts';

const config = currentRunConfig();
const CELL = 'docker/docker-userland-proxy/nodeport/announce-none';
// What a Docker host would leave in the root namespace if it ever touched it.
const DOCKER_TRACES = /rcnc-dk|docker0|br-[0-9a-f]{12}|veth|10\.253\.0\.|172\.1[6-9]\./;

describe('docker provider', () => {
  const cell = natMeetCells('docker').find((c) => c.id === CELL)!;
  let provider: Provider;
  let skipReason: string | undefined;

  beforeAll(async () => {
    // The harness's provider: the one `rcnc run` uses, recording the topology's provenance.
    const checked = await providerFor(cell, { ...config, require: { ...config.require, docker: false } });
    provider = checked.provider;
    skipReason = checked.skipReason;
    if (skipReason && config.require.docker) {
      throw new Error(`${requireVariable('docker')}=1 but no Docker daemon can be had here: ${skipReason}`);
    }
  });

  test('a published port with userland-proxy on: the gateway ghost, and announcing converges', async (ctx) => {
    if (skipReason) {
      ctx.skip(skipReason);
    }
    const root = await rootSnapshot();
    const mon = await monitor();
    const started = performance.now();
    const run = await runNatMeet(provider, cell, { redis: { server: config.redis.server, cli: config.redis.cli } });
    const seconds = (performance.now() - started) / 1000;
    await ctx.annotate(`cell ran in ${seconds.toFixed(1)} s (topology ${run.record.timings.topology} ms)`);
    const obs = run.record.observation!;

    // The master recorded the joiner at the Docker bridge's address, the route's source on the
    // Docker host, and its dial-back there was refused: docker-proxy carried the MEET.
    expect(obs.meet, obs.notes.join('; ')).toBe('fails');
    expect(obs.ghostClass).toBe('bridge-gateway');
    expect(obs.ghostOwner).toMatch(/^br-[0-9a-f]{12}@docker-host$/);
    const ghost = run.evidence!.nodes.find((n) => n.flags.includes('handshake'))!;
    expect(ghost).toMatchObject({ ip: run.predictedGhost!.ip, port: 6379, cport: 16379 });
    const failed = findFailedConnections(run.logs['redis-0'] ?? '');
    expect(failed.find((f) => f.ip === ghost.ip && f.port === 16379)?.error).toMatch(/refused/i);
    expect(obs.addNode?.ok).toBe(true);
    expect(hostOf(obs.joiner!.dialed)).toBe(run.entry.ip);

    // The fix: the Docker host's address and the published ports, then MEET again: every node
    // knows every other, connected.
    expect(obs.fix).toMatchObject({
      meet: 'ok',
      settings: [
        `cluster-announce-ip ${run.entry.ip}`,
        'cluster-announce-port 30003',
        'cluster-announce-bus-port 31003',
      ],
    });
    expect(meetProblems(run.after!)).toEqual([]);
    expect(run.record.compatibility).toBe('works-with-announce');
    expect(run.record.provenance).toMatchObject({
      provider: 'docker',
      emulation: false,
      versions: {
        docker: expect.any(String),
        containerd: expect.any(String),
        'userland-proxy': 'on',
        image: expect.stringMatching(/^(redis|rcnc\/redis):7/),
      },
    });

    // Nothing of it ever showed in the root namespace, and nothing of it is left.
    expect((await mon.stop()).filter((l) => DOCKER_TRACES.test(l))).toEqual([]);
    expect(await rootSnapshot()).toEqual(root);
    expect(await dockerLeftovers()).toEqual(noDocker);
  });
});

// The published failures whose threads ran Redis in containers on Docker hosts (redis/redis#5983,
// #5406 and its published ports), on a real daemon: the thread's failure shows, the fix works, and analyze reads what the
// case collected (never an all-clear; the same diagnosis renamed and as one pasted transcript), as
// scenarios/cases/cases.test.ts asserts of the lab's runs. One after the other: a process runs one
// private Docker daemon at a time (docs/docker.md#one-runtime-per-process).
describe('cases from Docker threads, on the docker provider', () => {
  for (const cell of caseCells('docker')) {
    test(cell.id, async (ctx) => {
      const { provider, skipReason } = await providerFor(cell, {
        ...config,
        require: { ...config.require, docker: false },
      });
      if (skipReason) {
        if (config.require.docker) {
          throw new Error(`${requireVariable('docker')}=1 but no Docker daemon can be had here: ${skipReason}`);
        }
        ctx.skip(skipReason);
      }
      const reportDir = await mkdtemp(join(tmpdir(), 'rcnc-docker-cases-'));
      try {
        const runConfig = { ...config, reportDir };
        const run = await runCase(provider, cell, scenarioContext(cell, runConfig));
        const o = run.record.observation!;
        const checks = judgeCase(cell, o);
        const story = [o.failure.evidence, o.applied.join('; '), o.fixed?.evidence, ...o.notes].join(' | ');
        expect(failedChecks(checks), failedChecksText(checks, story)).toEqual([]);
        expect(run.record.provenance).toMatchObject({ provider: 'docker', emulation: false });

        const { collected, renamed, transcript } = await pastedForms(join(reportDir, runConfig.runId), cell.id);
        const original = await analyzeDir(collected);
        expect(original.verdict, `analyze on ${collected}`).not.toBe('clear');
        expect(diagnosisOf(await analyzeDir(renamed))).toEqual(diagnosisOf(original));
        expect(diagnosisOf(await analyzeDir(transcript))).toEqual(diagnosisOf(original));
      } finally {
        await rm(reportDir, { recursive: true, force: true });
      }
    });
  }
});

test('the docker provider refuses Kubernetes profiles, and the netns lab refuses Docker ones', async () => {
  const { DockerProvider } = await import('../../src/deploy/docker/topology.ts');
  const { NetnsProvider } = await import('../../src/deploy/netns/netns.ts');
  const redis = { server: 'redis-server', cli: 'redis-cli' };
  const reqs = await DockerProvider.forProfile('flannel-vxlan', { redis }).check();
  expect(describeUnmet(reqs)).toMatch(/flannel-vxlan is a Kubernetes CNI/);
  await expect(new DockerProvider({ redis }).start({ profile: 'calico-vxlan', nodes: 1, pods: [] })).rejects.toThrow(
    /not calico-vxlan/,
  );
  await expect(new NetnsProvider().start({ profile: 'docker-iptables', nodes: 1, pods: [] })).rejects.toThrow(
    /no profile "docker-iptables"/,
  );
});
