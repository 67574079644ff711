// Real Kubernetes in the run's namespaces (the kube provider's cluster), end to end: nodes Ready at
// the pinned version with the lab's pod CIDRs, reached through the written kubeconfig by kubectl
// from this machine; real kube-proxy's rules on two nodes beside the lab's for the same Services;
// the root namespace unchanged; and nothing of a cluster left after its starter is sent SIGTERM
// (the same teardown a stop runs), or SIGKILLed and `rcnc clean` runs.
import type { V1Pod } from '@kubernetes/client-node';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, onTestFinished, test } from 'vitest';
import type { K8sTopology } from '../../src/deploy/k8s/topology.ts';
import { ensureKubeBinaries } from '../../src/deploy/kube/build.ts';
import { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { pidsUnder } from '../../src/deploy/kube/host.ts';
import { clusterImages } from '../../src/deploy/kube/images.ts';
import { KUBE_NET } from '../../src/deploy/kube/names.ts';
import { KubeProvider } from '../../src/deploy/kube/provider.ts';
import { findClusters } from '../../src/deploy/kube/sweep.ts';
import { KUBE_VERSIONS } from '../../src/deploy/kube/versions.ts';
import { NetnsProvider, SERVICE_NAMESPACE } from '../../src/deploy/netns/netns.ts';
import type { StartedTopology } from '../../src/deploy/provider.ts';
import { normaliseNftRuleset } from '../../src/probes/kube-proxy-nft-rules.ts';
import {
  compareRulesets,
  explainDifferences,
  formatDifference,
  normaliseIptablesSave,
} from '../../src/probes/kube-proxy-rules.ts';
import { waitFor } from '../../src/util/wait.ts';
import { rootSnapshot } from '../lab/root.ts';
import { traces } from './cluster-traces.ts';
import { clusterWords, proxiedSpec, saveDump, scopeOf } from './proxy-rules.ts';
import { kubeTestCluster } from './test-cluster.ts';

const config = inject('rcnc');
const root = process.getuid?.() === 0;
const REPO = join(import.meta.dirname, '..', '..');

/**
 * test/kube/start-cluster.ts as one process (no npx or tsx wrapper in between, so a signal reaches
 * the cluster's starter itself), with the binaries and images it needs ready. Wrapped: an execa
 * child is itself a promise, and returning it bare would wait for it to exit.
 */
async function starter(runId: string, mode: 'iptables' | 'nftables' = 'iptables') {
  const { dir } = await ensureKubeBinaries({ kubeBin: config.kubeCluster?.bin });
  const images = await clusterImages(dir, config.redis);
  const script = join(REPO, 'test', 'kube', 'start-cluster.ts');
  const child = execa('node', ['--import', 'tsx', script, dir, config.redis.server, config.redis.cli, runId, mode], {
    cwd: REPO,
    reject: false,
    all: true,
    // execa's kill() SIGKILLs 5 s after SIGTERM by default, and a cluster's teardown on a loaded
    // machine takes longer: a SIGTERM test must see the starter's own teardown, not a SIGKILL's leftovers.
    forceKillAfterDelay: false,
  });
  // A test that fails before it stops its starter: the starter's own teardown still runs.
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await child;
    }
  });
  return { child, bin: dir, images };
}

describe.skipIf(!root)('kube cluster (real Kubernetes in namespaces)', { timeout: 600_000 }, () => {
  // Taken before any cluster of this file starts; the last test compares (a shared cluster that
  // runs meanwhile must not have changed the root namespace either).
  let before: Record<string, string>;
  beforeAll(async () => {
    before = await rootSnapshot();
  });

  describe('a 3-node cluster', () => {
    let cluster: KubeCluster;
    beforeAll(async () => {
      cluster = await kubeTestCluster(config);
    }, 600_000);
    // The run's shared cluster is its owner's to stop (a no-op here); a cluster of this file's own
    // is stopped, and the SIGTERM test below shows what a stop leaves.
    afterAll(() => cluster?.stop(), 600_000);

    test('nodes Ready at the pinned version with their pod CIDRs, through the written kubeconfig', async () => {
      // kubectl on this machine, through the loopback relay: the kubeconfig a person would use.
      const r = await execa(join(cluster.opts.bin, 'kubectl'), [
        '--kubeconfig',
        cluster.names.kubeconfig,
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name} {.status.nodeInfo.kubeletVersion} {.spec.podCIDR} {.status.addresses[0].address} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      expect(r.stdout.trim().split('\n').sort()).toEqual(
        [0, 1, 2].map((i) => `node-${i} ${KUBE_VERSIONS.kubernetes} 10.42.${i}.0/24 ${KUBE_NET.nodeIP(i)} True`),
      );
      expect(await traces(cluster.id)).not.toEqual([]);
    });

    test("every daemon's TMPDIR is in the cluster's own dir, so what it writes there goes with the cluster", async () => {
      const pids = (await execa('ip', ['netns', 'pids', cluster.names.node(0)])).stdout.split('\n').filter(Boolean);
      const daemons: string[] = [];
      for (const pid of pids) {
        const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
        if (['containerd', 'kubelet', 'kube-proxy', 'flanneld'].includes(comm)) {
          const env = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
          daemons.push(`${comm} ${env.find((e) => e.startsWith('TMPDIR=')) ?? 'no TMPDIR'}`);
        }
      }
      expect(daemons.sort()).toEqual(
        ['containerd', 'flanneld', 'kube-proxy', 'kubelet'].map((d) => `${d} TMPDIR=${cluster.names.logs}`),
      );
    });

    // docs/kubernetes.md#kube-proxy-rules-beside-the-labs: every difference left after normalising
    // is one of the documented kinds, and each of those is there (a kube-proxy that stops writing
    // one fails this as surely as a lab rule that drifts).
    test('kube-proxy on node-0 and node-1 installs the rules the lab renders for the same Services', async () => {
      const spec = proxiedSpec(config.redis);
      await using lab = await new NetnsProvider().start(spec);
      await using kube = await new KubeProvider({ profile: 'flannel-vxlan', redis: config.redis, cluster }).start(spec);
      // RCNC_SAVE_RULES=DIR keeps each dump: how test/fixtures/kube-proxy/iptables-save.* were made.
      const saveTo = process.env['RCNC_SAVE_RULES'];
      for (const node of [0, 1]) {
        const [k, l] = [scopeOf(kube, kube.namespace), scopeOf(lab, SERVICE_NAMESPACE)];
        // Inside each node's network namespace (nsenter / ip netns exec), never the root one.
        const kText = (await kube.exec({ node }, ['iptables-save'])).stdout;
        const lText = (await lab.exec({ node }, ['iptables-save'])).stdout;
        if (saveTo) {
          const how = `iptables-save in node-${node}'s network namespace, by test/kube/cluster.e2e.test.ts with RCNC_SAVE_RULES set:`;
          await saveDump({
            dir: saveTo,
            file: `iptables-save.kube-proxy.node-${node}.txt`,
            how: `${how}\n${clusterWords('iptables')}`,
            text: kText,
            scope: k,
          });
          await saveDump({
            dir: saveTo,
            file: `iptables-save.lab.node-${node}.txt`,
            how: `${how}\nthe netns lab's node (flannel-vxlan) for the same topology.`,
            text: lText,
            scope: l,
          });
        }
        const [real, rendered] = [normaliseIptablesSave(kText, k), normaliseIptablesSave(lText, l)];
        // Something to compare: a ClusterIP rule per Service port, then the NodePort jump.
        expect(real.get('nat KUBE-SERVICES')?.rules, `node-${node}`).toHaveLength(9);
        const { known, unexplained } = explainDifferences(compareRulesets(real, rendered), rendered);
        expect(unexplained.map(formatDifference), `node-${node}`).toEqual([]);
        expect(known.map((d) => `${d.id} ×${d.differences.length}`).sort(), `node-${node}`).toEqual([
          'localhost-nodeport-counter ×8',
          'nfacct-counter ×2',
          'proxy-canary ×3',
        ]);
      }
    });
  });

  test('a starter killed with SIGKILL leaves the cluster to rcnc clean, which removes all of it', async () => {
    const { child } = await starter('e2e-sigkill');
    // Killed once its first node's containerd runs: mid-start, daemons, mounts and cgroups exist.
    const { value: id } = await waitFor({
      target: 'the cluster under test to start its first containerd',
      timeoutMs: 120_000,
      intervalMs: 200,
      check: async () => {
        const c = (await findClusters()).find((x) => x.state?.pid === child.pid);
        const running = c?.dir && existsSync(join(c.dir, 'logs', 'containerd-node-0.log'));
        return { done: !!running, state: c ? `cluster ${c.id}, no containerd yet` : 'no cluster yet', value: c?.id };
      },
    });
    child.kill('SIGKILL');
    await child;
    expect(await traces(id!)).not.toEqual([]);
    const clean = await execa('node', [join(REPO, 'bin', 'rcnc.mjs'), 'clean'], { reject: false, all: true });
    expect(clean.exitCode, clean.all).toBe(0);
    expect(clean.stdout).toContain(`removed kube cluster ${id}`);
    await waitFor({
      target: `every trace of kube cluster ${id} to be gone`,
      timeoutMs: 30_000,
      intervalMs: 200,
      check: async () => {
        const left = await traces(id!);
        return { done: left.length === 0, state: left.slice(0, 3).join(' | ') };
      },
    });
  });
  // The cluster this test stops runs kube-proxy in nftables mode, and first serves the rules
  // comparison of that mode (docs/kubernetes.md#kube-proxy-nftables-mode): a live check of what the
  // captures under test/fixtures/kube-proxy hold, on a cluster started here anyway.
  test('a starter sent SIGTERM once its nodes are Ready stops the whole cluster before it exits', async () => {
    const { child, bin, images } = await starter('e2e-sigterm', 'nftables');
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        const m = /READY ([0-9a-f]+)/.exec(b.toString());
        if (m) {
          resolve(m[1]!);
        }
      });
      void child.then((r) => reject(new Error(`the starter exited before its cluster was up: ${r.all}`)));
    });
    const id = await ready;
    expect(await traces(id)).not.toEqual([]);
    {
      const cluster = await attachTo(id, bin, images);
      await using kube = await new KubeProvider({ profile: 'flannel-vxlan', redis: config.redis, cluster }).start(
        proxiedSpec(config.redis),
      );
      await nftablesRulesBesideTheLab(kube);
      await nodeStoppedAndStarted(kube, cluster, starterCommands(child));
    }
    child.kill('SIGTERM');
    // 143: it exited through its own teardown (a SIGKILL would leave no exit code).
    const exited = await child;
    expect(exited.exitCode, exited.all).toBe(143);
    // Its own teardown, not a sweep: no `rcnc clean` here, and the record goes with the rest.
    expect(await traces(id)).toEqual([]);
    expect((await findClusters()).map((c) => c.id)).not.toContain(id);
    // Three clusters have run by now (the 3-node one, and the two started here); none changed the
    // root namespace.
    expect(await rootSnapshot()).toEqual(before);
  });
});

/** The running cluster `id` of another process (the starter), attached: its nodes and API server. */
async function attachTo(id: string, bin: string, images: KubeCluster['opts']['images']): Promise<KubeCluster> {
  const state = (await findClusters()).find((c) => c.id === id)?.state;
  expect(state?.proxyMode).toBe('nftables');
  return KubeCluster.attach({
    id,
    nodes: state!.nodes,
    proxyMode: state!.proxyMode,
    bin,
    images,
    relayPort: state!.relayPort,
    cgroupBase: state!.cgroupBase,
  });
}

/**
 * Real kube-proxy in nftables mode on node-0 and node-1 of the starter's cluster, beside the lab's
 * nftables rendering for the same Services on a lab in profile flannel-vxlan-nftables. After
 * normalising (src/probes/kube-proxy-nft-rules.ts) nothing may differ: the lab renders kube-proxy's
 * table as real kube-proxy v1.34.4 writes it.
 */
async function nftablesRulesBesideTheLab(kube: K8sTopology) {
  const spec = proxiedSpec(config.redis);
  await using lab = await new NetnsProvider().start({ ...spec, profile: 'flannel-vxlan-nftables' });
  for (const node of [0, 1]) {
    const nft = async (t: StartedTopology) => (await t.exec({ node }, ['nft', 'list', 'ruleset'])).stdout;
    const real = normaliseNftRuleset(await nft(kube), scopeOf(kube, kube.namespace));
    const rendered = normaliseNftRuleset(await nft(lab), scopeOf(lab, SERVICE_NAMESPACE));
    // Something to compare: every Service port's chains are there on the real node.
    expect(
      [...real.keys()].filter((k) => k.includes('chain service(NS/')),
      `node-${node}`,
    ).toHaveLength(8);
    expect(compareRulesets(real, rendered).map(formatDifference), `node-${node}`).toEqual([]);
  }
}

/** The starter's line protocol on its stdin and stdout (test/kube/start-cluster.ts). */
function starterCommands(child: ReturnType<typeof execa>) {
  const said: string[] = [];
  child.stdout!.on('data', (b: Buffer) => said.push(...b.toString().split('\n').filter(Boolean)));
  return async (command: string, answer: string) => {
    const from = said.length;
    child.stdin!.write(`${command}\n`);
    await waitFor({
      target: `the starter to answer ${command} with ${answer}`,
      timeoutMs: 180_000,
      intervalMs: 100,
      check: async () => {
        const since = said.slice(from);
        const failed = since.find((l) => l.startsWith('FAILED'));
        if (failed) {
          throw new Error(`${command}: ${failed}`);
        }
        return { done: since.includes(answer), state: since.at(-1) ?? 'no answer yet' };
      },
      isFatal: () => true,
    });
  };
}

/**
 * Node loss on the kube provider, on real programs: the starter stops node-1 (every process of
 * the node killed, its link on the hub down) and starts it again. While it is down, nothing of
 * the node runs (its pods' processes included) and node-0 still serves its pods; once it is back,
 * its kubelet has restarted its pods on the state they left and kube-proxy serves their NodePorts
 * to the client outside the cluster again, at whatever pod IP the new sandboxes got.
 */
async function nodeStoppedAndStarted(
  kube: K8sTopology,
  cluster: KubeCluster,
  ask: (command: string, answer: string) => Promise<void>,
) {
  const onNode1 = kube.pods().filter((p) => p.node === 1);
  expect(onNode1.map((p) => p.name).sort()).toEqual(['redis-1', 'redis-3']);
  const ping = (pod: string) => kube.exec({ pod }, ['redis-cli', 'ping'], { reject: false });
  expect((await ping('redis-1')).stdout.trim()).toBe('PONG');
  const nodePort = (pod: string) =>
    kube.services.flatMap((s) => (s.pod === pod ? s.ports : [])).find((p) => p.name === 'client')!.nodePort;
  const hub = cluster.names.hub;
  const throughNodePort = (pod: string) =>
    execa(
      'nsenter',
      [`--net=/run/netns/${hub}`, '--', 'redis-cli', '-h', KUBE_NET.nodeIP(1), '-p', String(nodePort(pod)), 'ping'],
      { reject: false, timeout: 5_000 },
    );
  expect((await throughNodePort('redis-1')).stdout.trim()).toBe('PONG');

  await ask('STOP 1', 'STOPPED 1');
  const pids = (await execa('ip', ['netns', 'pids', cluster.names.node(1)])).stdout.split('\n').filter(Boolean);
  expect(pids, 'processes left in node-1').toEqual([]);
  expect(pidsUnder(join('/sys/fs/cgroup/pids', cluster.cgroupRoots[1]!)), 'processes in node-1 cgroups').toEqual([]);
  const link = (await execa('ip', ['-n', hub, '-o', 'link', 'show', cluster.names.veth('n1')])).stdout;
  expect(link).toMatch(/state DOWN/);
  expect((await throughNodePort('redis-1')).stdout.trim()).not.toBe('PONG');
  expect((await ping('redis-0')).stdout.trim(), 'a pod of node-0').toBe('PONG');

  const startedAt = Date.now();
  await ask('START 1', 'STARTED 1');
  for (const pod of ['redis-1', 'redis-3']) {
    await waitFor({
      target: `${pod} on node-1 to run again, served through its NodePort on node-1`,
      timeoutMs: 120_000,
      intervalMs: 500,
      check: async () => {
        const r = await throughNodePort(pod);
        return { done: r.stdout.trim() === 'PONG', state: (r.stdout || r.stderr).trim() || `exit ${r.exitCode}` };
      },
    });
  }
  // The kubelet started new containers: not processes that survived the stop.
  const out = await cluster.kubectl(['get', 'pod', '-n', kube.namespace, 'redis-1', '-o', 'json']);
  const status = (JSON.parse(out.stdout) as V1Pod).status;
  const started = status?.containerStatuses?.[0]?.state?.running?.startedAt;
  expect(started && new Date(started).getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
}
