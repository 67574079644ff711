// `rcnc collect` on real Kubernetes, as a user runs it: a one-node cluster (upstream Kubernetes,
// flannel VXLAN, kube-proxy iptables) reached only through its written kubeconfig; the NodePort
// meet failure deployed on it with `rcnc reproduce nat-meet --provider kubeconfig --keep` (the
// joiner's MEET arrives through the NodePort without cluster-announce-ip, so the master records it
// at the flannel bridge gateway 10.42.0.1); then the real `rcnc collect` and `rcnc analyze` CLIs.
// Both must name the joiner and the announce fix and exit 1; collect must change no pod; and
// nothing may be left once the namespace is removed and the cluster stopped. Then the same
// deployment behind a password (requirepass set in every pod, the password in a Secret, secrets
// planted in the pods' logs): without it collect stops in one line; with --password-secret and
// --bundle it finds what it found before, and the archive holds no secret. Then a Redis Cluster
// that speaks only TLS, as Bitnami's chart deploys it (tls-redis.ts), collected with --tls-dir, -c
// and REDISCLI_AUTH, and its certificates also taken from their Secret. Then `rcnc run
// --collect-on-failure`'s kube path: a nat-meet cell that fails on this cluster leaves a bundle of
// its live pods. One cluster serves the whole file.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test, type TestContext } from 'vitest';
import type { NatMeetOptions } from '../../scenarios/nat-meet/cells.ts';
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { judgeNatMeet, natMeetSeen } from '../../scenarios/nat-meet/judge.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { analyzeDir } from '../../src/analyze/analyze.ts';
import { accessFault } from '../../src/analyze/collect-access.ts';
import { parse } from '../../src/cli/args.ts';
import { accessRequest, resolveAccess } from '../../src/cli/collect-access.ts';
import { KubeClient } from '../../src/deploy/k8s/apply.ts';
import { execInPod } from '../../src/deploy/k8s/exec.ts';
import { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { KUBE_NET } from '../../src/deploy/kube/names.ts';
import { KubeProvider } from '../../src/deploy/kube/provider.ts';
import { KubeconfigProvider } from '../../src/deploy/kubeconfig/kubeconfig.ts';
import { namespaceRecords } from '../../src/deploy/kubeconfig/leftovers.ts';
import { describeUnmet } from '../../src/deploy/provider.ts';
import { redisCliCall, type RedisAccess } from '../../src/deploy/redis-cli.ts';
import type { Cell } from '../../src/model/cell.ts';
import { failedChecks } from '../../src/model/checks.ts';
import { BUNDLE_NAME, collectingOnFailure, type CollectContext } from '../../src/suite/collect-on-failure.ts';
import { scenarioContext } from '../../src/suite/harness.ts';
import { RequirementError } from '../../src/util/errors.ts';
import { kubeTestCluster } from './test-cluster.ts';
import {
  AUTH_SECRET,
  CERTS,
  deployTlsCluster,
  makeCertificates,
  REDIS_CONTAINER,
  SIDECAR,
  TLS_SECRET,
} from './tls-redis.ts';

const config = inject('rcnc');
const REPO = join(import.meta.dirname, '..', '..');
const NODE_IP = KUBE_NET.nodeIP(0);

/** The kube provider's own requirements decide: unmet, the tests skip, or fail under REQUIRE_KUBE=1. */
const unmetReason = (async () => {
  const provider = new KubeProvider({
    profile: 'flannel-vxlan',
    redis: config.redis,
    kubeBin: config.kubeCluster?.bin,
  });
  return describeUnmet(await provider.check()) || undefined;
})();

async function requireKube(ctx: TestContext): Promise<void> {
  const reason = await unmetReason;
  if (reason && config.require.kube) {
    throw new RequirementError(`REQUIRE_KUBE=1 but the kube cluster cannot run here: ${reason}`);
  }
  if (reason) {
    ctx.skip(reason);
  }
}

let started: Promise<KubeCluster> | undefined;
const cluster = () => (started ??= kubeTestCluster(config));

const rcnc = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [join(REPO, 'bin', 'rcnc.mjs'), ...args], { cwd: REPO, reject: false, env });

/** Scratch dirs rcnc's commands make in the temp dir (deploy, attach, bundle): none may outlive them. */
const scratchDirs = async () =>
  (await readdir(tmpdir())).filter((f) => /^rcnc-(k8s-[0-9a-f]{6}|collect|bundle)-[A-Za-z0-9]{6}$/.test(f));

/** Every file under `dir`, with its text. */
async function filesOf(dir: string): Promise<Map<string, string>> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  return new Map(
    await Promise.all(
      names.map(async (e) => [join(e.parentPath, e.name), await readFile(join(e.parentPath, e.name), 'utf8')] as const),
    ),
  );
}

/** The analysis must have read every view: no authentication error, no connection failure. */
async function expectUsableViews(dir: string, pods: string[]) {
  const analysis = await analyzeDir(dir);
  expect(analysis.warnings.filter((w) => /authentication error|could not connect|error reply/.test(w.problem))).toEqual(
    [],
  );
  expect(analysis.checked.views.sort()).toEqual([...pods].sort());
  for (const [file, text] of await filesOf(dir)) {
    if (/\.(cluster-nodes|info-replication)\.txt$/.test(file)) {
      expect(text, file).not.toMatch(/NOAUTH|WRONGPASS|I\/O error|Connection reset|Error/);
    }
  }
}

/** The Redis pods as the API server has them: a collect that changed something shows here. */
async function podStates(kube: KubeClient, namespace: string) {
  const pods = (await kube.core.listNamespacedPod({ namespace })).items;
  return pods.map((p) => ({
    name: p.metadata?.name,
    uid: p.metadata?.uid,
    containers: (p.spec?.containers ?? []).map((c) => c.name),
    ephemeral: p.spec?.ephemeralContainers?.length ?? 0,
    restarts: p.status?.containerStatuses?.map((c) => c.restartCount),
  }));
}

let kept: string | undefined;

afterAll(async () => {
  const c = await started?.catch(() => undefined);
  await c?.stop();
});

describe('rcnc collect on real Kubernetes, through the written kubeconfig', { timeout: 600_000 }, () => {
  test('reproduce --keep leaves the NodePort meet failure; collect and analyze name the joiner and the announce fix, exit 1', async (ctx) => {
    await requireKube(ctx);
    const t0 = performance.now();
    const c = await cluster();
    const kubeconfig = c.names.kubeconfig;
    const scratchBefore = await scratchDirs();
    const tCluster = performance.now();
    // What the kubeconfig provider learns of this cluster: its nodes, and no StorageClass to claim
    // from (upstream Kubernetes ships none), so pods keep their data in emptyDirs.
    const provider = new KubeconfigProvider({ kubeconfig });
    expect(describeUnmet(await provider.check())).toBe('');
    expect(provider.nodeLimit).toBe(c.nodeCount);
    expect(provider.gaps['durable-data']).toMatch(/^the cluster has no default StorageClass \(has: none\)/);

    const reproduced = await rcnc([
      'reproduce',
      'nat-meet',
      '--provider',
      'kubeconfig',
      '--kubeconfig',
      kubeconfig,
      '--image',
      c.opts.images.redis.ref,
      '--keep',
    ]);
    // Read first: a cell that failed half-way keeps its namespace too, and the last test removes it.
    kept = /namespace (rcnc-[0-9a-f]{6}) \(context /.exec(reproduced.stderr)?.[1];
    expect(reproduced.exitCode, reproduced.stdout + reproduced.stderr).toBe(0);
    expect(reproduced.stdout).toContain('5. Verdict: meet FAILED (expected: fails).');
    expect(kept, reproduced.stderr).toBeDefined();
    const namespace = kept!;
    const tReproduce = performance.now();

    const kube = new KubeClient(provider.load());
    const before = await podStates(kube, namespace);
    expect(before.map((p) => p.name)).toEqual(['redis-0', 'redis-1', 'redis-2', 'redis-3']);

    const dir = await mkdtemp(join(tmpdir(), 'rcnc-kube-collected-'));
    try {
      const collected = await rcnc(['collect', '--kubeconfig', kubeconfig, '-n', namespace, dir]);
      const tCollect = performance.now();
      console.log(['rcnc collect (kube):', collected.stderr, collected.stdout].join('\n'));
      expect(collected.exitCode, collected.stdout + collected.stderr).toBe(1);
      expect(collected.stderr).toContain(`from 4 Redis pod(s) of ${namespace}`);
      for (const out of [collected.stdout, (await rcnc(['analyze', dir])).stdout]) {
        // The joiner, and the announce fix with its node's IP and its own NodePorts.
        expect(out).toContain(
          `redis-3: cluster-announce-ip ${NODE_IP}, cluster-announce-port 30003, cluster-announce-bus-port 31003`,
        );
        expect(out).toContain(
          `$ kubectl -n ${namespace} exec redis-3 -- redis-cli -p 6379 CONFIG SET cluster-announce-ip ${NODE_IP}`,
        );
        // Why: the master's dial-back to the bridge gateway (inferred from node-0's pod CIDR), for
        // redis-3. The problem line names redis-3 only when the ghost entry has already timed out
        // (otherwise the ghost's own line does); the dial-back table always does.
        expect(out).toMatch(/redis-0 failed to dial \w+ back at 10\.42\.0\.1:16379 \(bridge-gateway, cni0@node-0/);
        expect(out).toMatch(
          /redis-0 -> 10\.42\.0\.1:16379 for \w+: .*\(x\d+; bridge-gateway, cni0@node-0.*stands for redis-3/,
        );
      }
      const analyzed = await rcnc(['analyze', dir]);
      expect(analyzed.exitCode, analyzed.stdout + analyzed.stderr).toBe(1);
      console.log(
        `figures: cluster ${Math.round(tCluster - t0)} ms, reproduce --keep ${Math.round(tReproduce - tCluster)} ms, ` +
          `collect ${Math.round(tCollect - tReproduce)} ms`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Collect created, changed and deleted nothing in the cluster, and left nothing here.
    expect(await podStates(kube, namespace)).toEqual(before);
    expect(await scratchDirs()).toEqual(scratchBefore);
  });

  test('behind a password: without it one line and nothing written; with --password-secret and --bundle the same analysis, and no secret in the archive', async (ctx) => {
    await requireKube(ctx);
    if (!kept) {
      ctx.skip('the first test left no namespace');
    }
    const namespace = kept!;
    const c = await cluster();
    const kubeconfig = c.names.kubeconfig;
    const kube = new KubeClient(new KubeconfigProvider({ kubeconfig }).load());
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const token = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(12).toString('base64url')}.${randomBytes(9).toString('base64url')}`;
    const planted = [`requirepass ${password}`, `Authorization: Bearer ${token}`, `token: ${token}`];
    const pods = ['redis-0', 'redis-1', 'redis-2', 'redis-3'];
    await kube.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: AUTH_SECRET },
        data: { 'redis-password': Buffer.from(password).toString('base64') },
      },
    });
    const inPod = (pod: string, argv: string[], input?: string) =>
      execInPod(kube.exec, { namespace, pod, container: 'main', argv, input, timeoutMs: 30_000 });
    // Every pod at once: an exec is a round trip through the API server and the kubelet.
    await Promise.all(
      pods.map(async (pod) => {
        // Lines in the container's log (its stdout), where a chart's start script might print them.
        await inPod(pod, ['sh', '-c', 'printf "%s\\n" "$@" >/proc/1/fd/1', 'plant', ...planted]);
        // The password on stdin (-x), not in redis-cli's argv.
        for (const setting of ['masterauth', 'requirepass']) {
          const set = await inPod(pod, ['redis-cli', '-p', '6379', '-x', 'config', 'set', setting], password);
          expect(set.stdout.trim(), `${pod} ${setting}: ${set.stderr}`).toBe('OK');
        }
      }),
    );
    const t0 = performance.now();
    const before = await podStates(kube, namespace);
    const work = await mkdtemp(join(tmpdir(), 'rcnc-kube-collect-pw-'));
    try {
      const refused = join(work, 'refused');
      const r = await rcnc(['collect', '--kubeconfig', kubeconfig, '-n', namespace, refused]);
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(
        /^rcnc: redis-0, redis-1, redis-2 and 1 more answered "NOAUTH Authentication required\.": Redis wants a password; pass --password-secret NAME\/KEY .*; see 'rcnc collect --help'$/,
      );
      expect(existsSync(refused)).toBe(false);

      const dir = join(work, 'evidence');
      const bundle = join(work, 'evidence.tar.gz');
      const secretArgs = ['--password-secret', `${AUTH_SECRET}/redis-password`, '--bundle', bundle];
      const tRefused = performance.now();
      const collected = await rcnc(['collect', '--kubeconfig', kubeconfig, '-n', namespace, ...secretArgs, dir]);
      console.log(['rcnc collect --password-secret (kube):', collected.stderr].join('\n'));
      console.log(
        `figures: collect refused for NOAUTH ${Math.round(tRefused - t0)} ms, ` +
          `collect --password-secret --bundle ${Math.round(performance.now() - tRefused)} ms`,
      );
      expect(collected.exitCode, collected.stdout + collected.stderr).toBe(1);
      expect(collected.stderr).toContain(
        `rcnc collect: access: password from --password-secret ${AUTH_SECRET}/redis-password`,
      );
      // What the first test found without a password, found again through it.
      expect(collected.stdout).toContain(
        `redis-3: cluster-announce-ip ${NODE_IP}, cluster-announce-port 30003, cluster-announce-bus-port 31003`,
      );
      expect(collected.stdout + collected.stderr).not.toContain(password);
      await expectUsableViews(dir, pods);
      // The password is replaced in the files written; the other planted secrets stay in the
      // dir (the user's own logs) and are redacted only in the bundle.
      const logs = [...(await filesOf(dir)).entries()].filter(([f]) => f.endsWith('.log.txt'));
      expect(logs.map(([, t]) => t).join('')).toContain('requirepass <redacted>');

      const unpacked = join(work, 'unpacked');
      await mkdir(unpacked);
      await execa('tar', ['-xzf', bundle, '-C', unpacked]);
      for (const secret of [password, token]) {
        const found = await execa('grep', ['-rlF', '--', secret, unpacked], { reject: false });
        expect(found.exitCode, `${secret} in ${found.stdout}`).toBe(1);
      }
      const root = join(unpacked, 'evidence');
      const versions = JSON.parse(await readFile(join(root, 'versions.json'), 'utf8')) as Record<string, unknown>;
      expect(versions).toMatchObject({
        kubernetes: expect.stringMatching(/^v1\.\d+\.\d+/),
        redis: Object.fromEntries(pods.map((p) => [p, expect.stringMatching(/^\d+\.\d+\.\d+$/)])),
      });
      expect(await readFile(join(root, 'analysis.txt'), 'utf8')).toContain(`redis-3: cluster-announce-ip ${NODE_IP}`);
      const log0 = await readFile(join(root, 'collected', 'redis-0.log.txt'), 'utf8');
      expect(log0).toContain('Authorization: Bearer <redacted>');
      expect(log0).toContain('token: <redacted>');
      expect(log0).toMatch(/Ready to accept connections/);
      const manifest = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
      expect(manifest.files.map((f) => f.path)).toEqual(
        expect.arrayContaining(['collected/redis-0.cluster-nodes.txt', 'analysis.json', 'versions.json']),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    expect(await podStates(kube, namespace)).toEqual(before);
  });

  test('TLS only, as Bitnami deploys it: --tls-dir with -c and REDISCLI_AUTH, and the certificates from their Secret', async (ctx) => {
    await requireKube(ctx);
    const c = await cluster();
    const kubeconfig = c.names.kubeconfig;
    const provider = new KubeconfigProvider({ kubeconfig });
    const kube = new KubeClient(provider.load());
    const namespace = `rcnc-tls-${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    await kube.createNamespace(namespace, c.id);
    const work = await mkdtemp(join(tmpdir(), 'rcnc-kube-collect-tls-'));
    try {
      const tls = await makeCertificates();
      const pods = await deployTlsCluster(kube, { namespace, image: c.opts.images.redis.ref, password, tls });
      const t0 = performance.now();
      const dir = join(work, 'evidence');
      const args = [
        'collect',
        '--kubeconfig',
        kubeconfig,
        '-n',
        namespace,
        '-c',
        REDIS_CONTAINER,
        '--tls-dir',
        CERTS,
        dir,
      ];
      const collected = await rcnc(args, { REDISCLI_AUTH: password });
      console.log(['rcnc collect --tls-dir (kube):', collected.stderr, collected.stdout].join('\n'));
      console.log(`figures: collect over TLS ${Math.round(performance.now() - t0)} ms`);
      expect([0, 1], collected.stdout + collected.stderr).toContain(collected.exitCode);
      expect(collected.stderr).toContain(`from 3 Redis pod(s) of ${namespace}`);
      await expectUsableViews(dir, pods);
      for (const pod of pods) {
        const view = await readFile(join(dir, `${pod}.cluster-nodes.txt`), 'utf8');
        expect(view.trim().split('\n')).toHaveLength(3);
        expect(view).toMatch(/ myself,master - 0 \d+ \d+ connected \d+-\d+$/m);
        // -c: the Redis container's log, not the sidecar's (empty).
        expect(await readFile(join(dir, `${pod}.log.txt`), 'utf8')).toMatch(/Ready to accept connections/);
      }

      // The certificates from their Secret, handed in on stdin: they work even from the sidecar,
      // which has none of the files mounted.
      const request = await accessRequest(
        parse('collect', [
          '--tls-secret',
          TLS_SECRET,
          '--password-secret',
          `${AUTH_SECRET}/redis-password`,
          '-n',
          namespace,
          dir,
        ]).values,
        {},
      );
      const { access } = await resolveAccess(request, (name) => provider.readSecret(namespace, name));
      expect(access.tls).toEqual({ ca: tls.ca, cert: tls.cert, key: tls.key });
      const ask = async (container: string, a: RedisAccess) => {
        const call = redisCliCall('redis-cli', ['-p', '6379', 'cluster', 'nodes'], a);
        const r = await execInPod(kube.exec, {
          namespace,
          pod: pods[0]!,
          container,
          argv: call.argv,
          input: call.input,
        });
        return { pod: pods[0]!, exitCode: r.exitCode ?? 255, stdout: r.stdout, stderr: r.stderr };
      };
      const fromSecret = await ask(SIDECAR, access);
      expect(fromSecret.stdout).toMatch(/ myself,master /);
      expect(accessFault(fromSecret, access)).toBeUndefined();
      // Without TLS the port closes on redis-cli, and collect would say to pass --tls-dir.
      const plain = await ask(REDIS_CONTAINER, { password });
      expect(accessFault(plain, { password })?.kind, plain.stdout + plain.stderr).toBe('needs-tls');
    } finally {
      await rm(work, { recursive: true, force: true });
      await kube.deleteNamespace(namespace);
    }
  });

  test('removing the kept namespace leaves no record of it for rcnc clean', async (ctx) => {
    await requireKube(ctx);
    if (!started || !kept) {
      ctx.skip('nothing was kept');
    }
    const c = await cluster();
    const kube = new KubeClient(new KubeconfigProvider({ kubeconfig: c.names.kubeconfig }).load());
    await kube.deleteNamespace(kept!);
    const { records } = await namespaceRecords().readAll();
    // reproduce --keep handed the namespace over: no record of it for `rcnc clean` to act on.
    expect(records.filter((r) => r.namespace === kept)).toEqual([]);
    kept = undefined;
  });

  // After the kept failure is gone: its NodePorts (30000…) are the ones this cell's Services take.
  // `rcnc run --collect-on-failure` on kube: the CLI's wiring is proven on the lab
  // (test/lab/collect.test.ts); here a kube cell's real topology is what gets collected. The cell is
  // the NodePort join without announce, judged against the expectation a user who trusts NodePorts
  // holds (the join works): real kube-proxy and flannel still rewrite the MEET's source, so the
  // judge fails the cell on what the cluster did, and the failure is what the bundle must show. The
  // fix is left out (as `reproduce --keep` does), so the pods are collected in the failed state.
  test('run --collect-on-failure: a kube cell that fails keeps a bundle of its live pods, and nothing else', async (ctx) => {
    await requireKube(ctx);
    const c = await cluster();
    const base = natMeetCells('kube').find((x) => x.id === 'kube/flannel-vxlan/nodeport/announce-none');
    expect(base?.dims.nodes).toBe(1);
    const cell: Cell<'nat-meet', NatMeetOptions> = {
      ...base!,
      expectation: { meet: 'ok', summary: 'a user expects the join over NodePort to work', source: 'none' },
    };
    const reportDir = await mkdtemp(join(tmpdir(), 'rcnc-collect-on-failure-'));
    try {
      const runConfig = { ...config, reportDir };
      const provider = new KubeProvider({ profile: 'flannel-vxlan', redis: config.redis, cluster: c });
      // What vitest gives a scenario test: hooks run once the verdict is known, and the record.
      const finished: (() => Promise<void>)[] = [];
      const test: CollectContext = {
        onTestFinished: ((fn: () => Promise<void>) => void finished.push(fn)) as CollectContext['onTestFinished'],
        task: { meta: {}, result: {} },
      };
      const collecting = collectingOnFailure(test, cell, runConfig, provider);
      const run = await runNatMeet(collecting.provider, cell, { ...scenarioContext(cell, runConfig), keep: true });
      const checks = judgeNatMeet(cell, await natMeetSeen(cell, run));
      expect(failedChecks(checks).map((x) => x.name)).toContain('meet');
      test.task.meta.rcnc = { ...run.record, checks };
      test.task.result = { state: 'fail' };
      for (const hook of finished) {
        await hook();
      }

      const slug = 'kube_flannel-vxlan_nodeport_announce-none';
      const rel = `artifacts/${slug}/${BUNDLE_NAME}`;
      const record = test.task.meta.rcnc;
      expect(record.collected).toEqual({
        bundle: rel,
        note: expect.stringMatching(
          /^\d+ collected files and the analysis, 0 value\(s\) redacted; collected in \d+\.\d s before teardown/,
        ),
      });
      expect(record.artifacts).toContain(rel);
      await ctx.annotate(`collect-on-failure on kube: ${record.collected?.note ?? ''}`);
      const runDir = join(reportDir, runConfig.runId);
      // Only the bundle is kept: the collected folder went with the verdict.
      expect(existsSync(join(runDir, 'artifacts', slug, 'collect-on-failure'))).toBe(false);

      const out = join(reportDir, 'bundle');
      await mkdir(out);
      await execa('tar', ['xzf', join(runDir, rel), '-C', out]);
      const collected = join(out, 'collect-on-failure', 'collected');
      const files = await readdir(collected);
      const wanted = ['redis-0', 'redis-1', 'redis-2', 'redis-3'].flatMap((pod) =>
        ['cluster-nodes', 'info-replication', 'log'].map((kind) => `${pod}.${kind}.txt`),
      );
      expect(files).toEqual(expect.arrayContaining(wanted));
      // The socket table with the tool the image has (busybox's netstat here).
      for (const pod of ['redis-0', 'redis-3']) {
        expect(files.filter((f) => new RegExp(`^${pod}\\.(ss|netstat|proc-net-tcp)\\.txt$`).test(f))).toHaveLength(1);
      }
      // Read from the live pods before teardown: the joiner is in no master's view, and its own
      // view knows the entry master at the address it announces (node IP and NodePort).
      const joinerId = (await readFile(join(collected, 'redis-3.cluster-nodes.txt'), 'utf8'))
        .split('\n')
        .find((l) => l.includes('myself'))
        ?.split(' ')[0];
      expect(joinerId).toMatch(/^[0-9a-f]{40}$/);
      for (const master of ['redis-0', 'redis-1', 'redis-2']) {
        const view = await readFile(join(collected, `${master}.cluster-nodes.txt`), 'utf8');
        expect(view, master).not.toContain(joinerId!);
      }
      const analysis = await readFile(join(out, 'collect-on-failure', 'analysis.txt'), 'utf8');
      expect(analysis).not.toMatch(/Nothing wrong found/);
      expect(analysis).toContain('redis-3');
      expect(analysis).toMatch(new RegExp(`cluster-announce-ip ${NODE_IP.replace(/\./g, '\\.')}`));
    } finally {
      await rm(reportDir, { recursive: true, force: true });
    }
  });
});
