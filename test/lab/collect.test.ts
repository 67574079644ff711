// `rcnc collect` end to end on the netns lab: the NAT meet failure is built on a one-node
// flannel-vxlan lab (three masters announcing node IP + NodePorts, a replica joining over the bus
// NodePort without announcing), behind a password and TLS as Bitnami's chart deploys them
// (requirepass and masterauth; TLS only, on the bus too, client certificates required), the lab is
// kept running, and the same code `rcnc collect` runs against a real cluster attaches to its pods
// by namespace (the lab id) and selector. Without the password, or without TLS, it stops in one
// line with the fix and writes nothing; with both (REDISCLI_AUTH, --cacert/--cert/--key) it
// gathers the files, captures a few seconds of traffic, and analyzes them. The analysis must find what the
// cluster really shows: the ghost at cni0, the NAT mapping from the two captures, the refused
// dial-back, and the fix (announce the node IP and the NodePorts); and the --bundle archive must
// hold none of the secrets planted in a pod's log.
//
// Then `rcnc run --collect-on-failure`, through the CLI, on a cell that really fails: its
// redis-server announces an address no pod holds, so the joiner never meets. The failed cell must
// leave a bundle of its live pods in its artifacts, named in results.json, junit.xml, index.html and
// the end of the run, and nothing else behind.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { collectAndAnalyze } from '../../src/analyze/collect.ts';
import { analyzeDir } from '../../src/analyze/index.ts';
import { accessRequest, resolveAccess } from '../../src/cli/collect-access.ts';
import type { FlagValues } from '../../src/cli/flags.ts';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { describeUnmet } from '../../src/deploy/provider.ts';
import { members, planFor, RedisCluster, redisTopologySpec, type RedisMember } from '../../src/deploy/redis-cluster.ts';
import type { ResultsFile } from '../../src/model/results.ts';
import { readView, waitForMeet } from '../../src/probes/convergence.ts';
import { findFailedConnections } from '../../src/probes/logs.ts';
import { RequirementError, UsageError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import { makeCertificates } from '../kube/tls-redis.ts';
import { labSkipReason, leftovers } from './leftovers.ts';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('rcnc collect on the netns lab', () => {
  test('behind a password and TLS: refused in one line without either; with both the analysis finds ghost, mapping, dial-back and fix, and the bundle holds no secret', async (ctx) => {
    const provider = new NetnsProvider({ runId: process.env.RCNC_RUN_ID });
    const reason = labSkipReason ?? (describeUnmet(await provider.check()) || undefined);
    if (reason) {
      if (process.env.RCNC_REQUIRE_LAB === '1') {
        throw new RequirementError(`RCNC_REQUIRE_LAB=1 but the netns lab cannot run here: ${reason}`);
      }
      ctx.skip(reason);
    }
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const tls = await makeCertificates();
    const token = randomBytes(12).toString('base64url');
    // A long node timeout keeps the entry master's handshake entry (the ghost) alive while collecting.
    const plan = planFor({
      exposure: 'nodeport',
      announce: 'none',
      members: members({ count: 4, nodes: 1, announce: (i) => i < 3 }),
      nodeTimeoutMs: 60_000,
      password,
      tls,
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
    // Secrets in redis-0's log: Redis logs a closed client's name (verbose), here the password
    // itself and a variable that holds another.
    for (const name of [password, `REDIS_PASSWORD=${token}`]) {
      await cluster.cli(m0, ['client', 'setname', name]);
    }
    await waitFor({
      target: "redis-0's log to hold the planted client names",
      timeoutMs: 10_000,
      intervalMs: 100,
      check: async () => {
        const log = await topo.logs('redis-0');
        return { done: log.includes(password) && log.includes(token), state: 'not yet logged' };
      },
    });

    const work = await mkdtemp(join(tmpdir(), 'rcnc-collect-lab-'));
    const dir = join(work, 'evidence');
    const target = { namespace: topo.id, selector: 'app.kubernetes.io/managed-by=rcnc' };
    try {
      // The PEMs as files on this machine, as --cacert, --cert and --key take them.
      const pems = { cacert: join(work, 'ca.crt'), cert: join(work, 'tls.crt'), key: join(work, 'tls.key') };
      await writeFile(pems.cacert, tls.ca);
      await writeFile(pems.cert, tls.cert);
      await writeFile(pems.key, tls.key);
      // As `[REDISCLI_AUTH=…] rcnc collect [--cacert … --cert … --key …]` gets it.
      const accessOf = async (flags: FlagValues<'collect'>, env: NodeJS.ProcessEnv) =>
        resolveAccess(await accessRequest(flags, env), () => {
          throw new Error('no Secret is read here');
        });
      const refusedWith = async (flags: FlagValues<'collect'>, env: NodeJS.ProcessEnv) => {
        const refused = join(work, 'refused');
        const a = await accessOf(flags, env);
        const e = await collectAndAnalyze(provider, target, { dir: refused, namespace: 'default', access: a.access })
          .then(() => undefined)
          .catch((e: unknown) => e);
        expect(existsSync(refused)).toBe(false);
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      };
      expect(await refusedWith(pems, {})).toMatch(
        /^redis-0, redis-1, redis-2 and 1 more answered "NOAUTH Authentication required\.": Redis wants a password; pass --password-secret NAME\/KEY .* or set REDISCLI_AUTH; see 'rcnc collect --help'$/,
      );
      expect(await refusedWith({}, { REDISCLI_AUTH: password })).toMatch(
        /^redis-0, redis-1, redis-2 and 1 more closed the connection \(".*"\): the port may want TLS; pass --tls-dir .*, --tls-secret NAME, or --cacert FILE; see 'rcnc collect --help'$/,
      );

      const access = await accessOf(pems, { REDISCLI_AUTH: password });
      const bundle = join(work, 'evidence.tar.gz');
      const run = await collectAndAnalyze(provider, target, {
        dir,
        captureSeconds: 5,
        namespace: 'default',
        access: access.access,
        accessFrom: access.from,
        bundle: { file: bundle, versions: {} },
      });
      console.log(['rcnc collect (netns lab):', ...run.log, '', run.output].join('\n'));
      expect(run.exitCode, run.output).toBe(1);
      expect(run.log.join('\n') + run.output).not.toContain(password);

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
      // The failed dial-back. Over a TLS bus Redis 7.0.15 logs it as "Connection with Node …
      // failed: (null)" (redis-0's log in this test): the refused connect's reason does not reach
      // the log, only the failure.
      expect(analysis.failedDialBacks).toContainEqual(
        expect.objectContaining({
          pod: 'redis-0',
          address: `${ghostIp}:16379`,
          standsFor: 'redis-3',
          error: expect.stringMatching(/refused|^\(null\)$/i),
        }),
      );
      // The fix: the joiner announces its node's IP and its NodePorts.
      expect(analysis.recommendations.find((r) => r.pod === 'redis-3')?.settings).toEqual([
        `cluster-announce-ip ${nodeIp}`,
        'cluster-announce-port 30003',
        'cluster-announce-bus-port 31003',
      ]);
      expect(run.output).toContain(`cluster-announce-ip ${nodeIp}`);
      // Every view is usable: no authentication error among them.
      expect(analysis.warnings.filter((w) => /authentication error|error reply/.test(w.problem))).toEqual([]);

      const unpacked = join(work, 'unpacked');
      await mkdir(unpacked);
      await execa('tar', ['-xzf', bundle, '-C', unpacked]);
      // A line of the private key's body stands for the key.
      const keyLine = tls.key.split('\n').find((l) => l.length > 40)!;
      for (const secret of [password, token, keyLine]) {
        const found = await execa('grep', ['-rlF', '--', secret, unpacked], { reject: false });
        expect(found.exitCode, `${secret} in ${found.stdout}`).toBe(1);
      }
      const log0 = await readFile(join(unpacked, 'evidence', 'collected', 'redis-0.log.txt'), 'utf8');
      expect(log0).toContain('name=<redacted>');
      expect(log0).toContain('name=REDIS_PASSWORD=<redacted>');
      expect(await readFile(join(unpacked, 'evidence', 'analysis.txt'), 'utf8')).toContain(
        `redis-3: cluster-announce-ip ${nodeIp}`,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

const ROOT = join(import.meta.dirname, '..', '..');
/** An address no pod holds (TEST-NET-1, RFC 5737). */
const NOWHERE = '192.0.2.1';

/** redis-server on PATH, as the run would find it. */
function redisServerOnPath(): string {
  const found = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((d) => join(d, 'redis-server'))
    .find((p) => existsSync(p));
  if (!found) {
    throw new RequirementError('redis-server is not on PATH');
  }
  return found;
}

describe.skipIf(!!labSkipReason)('rcnc run --collect-on-failure on the lab', () => {
  // One cell that waits out its meet bound (30 s) before it is judged.
  test(
    'a cell that really fails keeps a bundle of its live pods, named in every report',
    { timeout: 5 * 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rcnc-collect-on-failure-'));
      try {
        // Every node announces an address nobody can reach: the joiner's MEET never completes.
        const wrong = join(dir, 'redis-server');
        await writeFile(wrong, `#!/bin/sh\nexec ${redisServerOnPath()} "$@" --cluster-announce-ip ${NOWHERE}\n`);
        await chmod(wrong, 0o755);
        const cell = 'netns/flannel-vxlan/pod-ip/announce-none';
        const slug = 'netns_flannel-vxlan_pod-ip_announce-none';
        const before = await leftovers();
        const r = await execa(
          'node',
          ['bin/rcnc.mjs', 'run', '--cell', cell, '--collect-on-failure', '--redis-server', wrong, '--report-dir', dir],
          { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } },
        );
        expect(r.exitCode, r.stderr).toBe(1);
        const rel = `artifacts/${slug}/collect-on-failure.tar.gz`;
        expect(r.stdout).toContain(`✗ ${cell}`);
        expect(r.stdout).toContain(`    collected: ${rel}`);

        const run = join(dir, 'latest');
        const results = JSON.parse(await readFile(join(run, 'results.json'), 'utf8')) as ResultsFile;
        const record = results.cells[0]!;
        expect(record.verdict.status).toBe('fail');
        expect(record.checks?.find((c) => c.name === 'meet')).toMatchObject({ ok: false });
        expect(record.collected).toEqual({
          bundle: rel,
          note: expect.stringMatching(
            /^\d+ collected files and the analysis, 0 value\(s\) redacted; collected in \d+\.\d s before teardown/,
          ),
        });
        expect(record.artifacts).toContain(rel);
        expect(await readFile(join(run, 'junit.xml'), 'utf8')).toContain(`collected: ${rel}`);
        expect(await readFile(join(run, 'index.html'), 'utf8')).toContain(rel);
        // Only the bundle: what was collected for it is gone.
        expect(existsSync(join(run, 'artifacts', slug, 'collect-on-failure'))).toBe(false);

        const out = join(dir, 'bundle');
        await mkdir(out);
        await execa('tar', ['xzf', join(run, rel), '-C', out]);
        const files = await readdir(join(out, 'collect-on-failure', 'collected'));
        for (const pod of ['redis-0', 'redis-1', 'redis-2', 'redis-3']) {
          for (const kind of ['cluster-nodes', 'info-replication', 'ss', 'log']) {
            expect(files).toContain(`${pod}.${kind}.txt`);
          }
        }
        // Read from the live pods before teardown: the joiner's view holds the address they announced.
        const joinerView = await readFile(
          join(out, 'collect-on-failure', 'collected', 'redis-3.cluster-nodes.txt'),
          'utf8',
        );
        expect(joinerView).toContain(`${NOWHERE}:6379@16379`);
        // The analysis names the cause and the fix: announce the pod's own address.
        const analysis = await readFile(join(out, 'collect-on-failure', 'analysis.txt'), 'utf8');
        expect(analysis).toMatch(
          new RegExp(`recorded it at ${esc(NOWHERE)}:6379@16379 .*an address that does not reach it`),
        );
        expect(analysis).toMatch(/redis-0: cluster-announce-ip 10\.42\.0\.\d+/);
        expect(JSON.parse(await readFile(join(out, 'collect-on-failure', 'manifest.json'), 'utf8')).files.length).toBe(
          files.length + 3,
        );
        expect(await leftovers()).toEqual(before);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
