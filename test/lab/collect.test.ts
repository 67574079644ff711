// `rcnc collect` end to end on the netns lab: the NAT meet failure is built on a one-node
// flannel-vxlan lab (three masters announcing node IP + NodePorts, a replica joining over the bus
// NodePort without announcing), the lab is kept running, and the same code `rcnc collect` runs
// against a real cluster attaches to its pods by namespace (the lab id) and selector, gathers the
// files, captures a few seconds of traffic, and analyzes them. The analysis must find what the
// cluster really shows: the ghost at cni0, the NAT mapping from the two captures, the refused
// dial-back, and the fix (announce the node IP and the NodePorts).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { collectAndAnalyze } from '../../src/analyze/collect.ts';
import { analyzeDir } from '../../src/analyze/index.ts';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { describeUnmet } from '../../src/deploy/provider.ts';
import { members, planFor, RedisCluster, redisTopologySpec, type RedisMember } from '../../src/deploy/redis-cluster.ts';
import { readView, waitForMeet } from '../../src/probes/convergence.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { RequirementError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import { labSkipReason } from './leftovers.ts';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('rcnc collect on the netns lab', () => {
  test('attaches to a NAT-meet failure, collects, and the analysis finds ghost, mapping, dial-back and fix', async (ctx) => {
    const provider = new NetnsProvider({ runId: process.env.RCNC_RUN_ID });
    const reason = labSkipReason ?? (describeUnmet(await provider.check()) || undefined);
    if (reason) {
      if (process.env.RCNC_REQUIRE_LAB === '1') {
        throw new RequirementError(`RCNC_REQUIRE_LAB=1 but the netns lab cannot run here: ${reason}`);
      }
      ctx.skip(reason);
    }
    // A long node timeout keeps the entry master's handshake entry (the ghost) alive while collecting.
    const plan = planFor({
      exposure: 'nodeport',
      announce: 'none',
      members: members({ count: 4, nodes: 1, announce: (i) => i < 3 }),
      nodeTimeoutMs: 60_000,
    });
    await using topo = await provider.start(redisTopologySpec(plan, 'flannel-vxlan', 1));
    const cluster = new RedisCluster(topo, plan);
    const [m0, m1, m2, joiner] = plan.members as [RedisMember, RedisMember, RedisMember, RedisMember];
    await cluster.createManually([m0, m1, m2]);
    await waitForMeet(cluster, { members: [m0, m1, m2], requireStateOk: false });
    const added = await cluster.addNode(joiner, m0, { slave: true });
    expect(added.ok, added.output).toBe(true);
    // The failure, as the entry master shows it: a handshake entry it cannot dial back.
    const seen = await waitFor({
      target: 'redis-0 to hold a handshake entry whose dial-back is refused',
      timeoutMs: 30_000,
      intervalMs: 200,
      check: async () => {
        const view = await readView(cluster, m0);
        const ghost = view.nodes.find((n) => n.flags.includes('handshake'));
        const failed = findFailedConnections(await topo.logs('redis-0')).find((f) => f.ip === ghost?.ip);
        return {
          done: !!failed,
          state: ghost ? `ghost ${ghost.ip}, no failed dial-back yet` : 'no ghost',
          value: ghost,
        };
      },
    });
    const ghostIp = seen.value!.ip;
    const nodeIp = topo.nodes[0]!.ip;

    const dir = await mkdtemp(join(tmpdir(), 'rcnc-collect-lab-'));
    try {
      const run = await collectAndAnalyze(
        provider,
        { namespace: topo.id, selector: 'app.kubernetes.io/managed-by=rcnc' },
        { dir, captureSeconds: 5, namespace: 'default' },
      );
      console.log(['rcnc collect (netns lab):', ...run.log, '', run.output].join('\n'));
      expect(run.exitCode, run.output).toBe(1);

      const files = await readdir(dir);
      for (const pod of ['redis-0', 'redis-1', 'redis-2', 'redis-3']) {
        for (const kind of ['cluster-nodes', 'info-replication', 'ss', 'netstat', 'tcpdump', 'log']) {
          expect(files).toContain(`${pod}.${kind}.txt`);
        }
      }
      expect(files).toEqual(expect.arrayContaining(['pods.txt', 'nodes.txt', 'services.txt', 'podcidrs.txt']));
      expect(files).toContain('node-0.ip-addr.txt');
      expect((await readdir(join(dir, 'pcap'))).sort()).toEqual([
        'redis-0.pcap',
        'redis-1.pcap',
        'redis-2.pcap',
        'redis-3.pcap',
      ]);

      const analysis = await analyzeDir(dir);
      const joinerIp = topo.pod('redis-3').ip;
      const entryIp = topo.pod('redis-0').ip;
      // The ghost: redis-0 holds the joiner at the bridge gateway, with the default ports.
      expect(analysis.ghosts).toContainEqual(
        expect.objectContaining({
          seenBy: 'redis-0',
          address: `${ghostIp}:6379@16379`,
          class: 'bridge-gateway',
          pod: 'redis-3',
        }),
      );
      // The NAT mapping: the joiner's connection to a NodePort of node-0 arrives at redis-0 from cni0.
      expect(analysis.natMappings).toContainEqual(
        expect.objectContaining({
          capturedAt: 'redis-3',
          flow: expect.stringMatching(new RegExp(`^${esc(joinerIp)}:\\d+ > ${esc(nodeIp)}:3[01]000$`)),
          seenAt: 'redis-0',
          as: expect.stringMatching(new RegExp(`^${esc(ghostIp)}:\\d+ > ${esc(entryIp)}:1?6379$`)),
        }),
      );
      // The refused dial-back.
      expect(analysis.failedDialBacks).toContainEqual(
        expect.objectContaining({
          pod: 'redis-0',
          address: `${ghostIp}:16379`,
          error: expect.stringMatching(/refused/i),
        }),
      );
      // The fix: the joiner announces its node's IP and its NodePorts.
      expect(analysis.recommendations.find((r) => r.pod === 'redis-3')?.settings).toEqual([
        `cluster-announce-ip ${nodeIp}`,
        'cluster-announce-port 30003',
        'cluster-announce-bus-port 31003',
      ]);
      expect(run.output).toContain(`cluster-announce-ip ${nodeIp}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
