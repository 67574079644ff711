// Real Kubernetes in the run's namespaces (the kube provider's cluster), end to end: nodes Ready at
// the pinned version with the lab's pod CIDRs, reached through the written kubeconfig by kubectl
// from this machine; the root namespace unchanged; and nothing of the cluster left after a stop, or
// after its starter is sent SIGTERM, or SIGKILLed and `rcnc clean` runs.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { ensureKubeBinaries } from '../../src/deploy/kube/build.ts';
import { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { clusterImages } from '../../src/deploy/kube/images.ts';
import { KUBE_NET } from '../../src/deploy/kube/names.ts';
import { findClusters } from '../../src/deploy/kube/sweep.ts';
import { KUBE_VERSIONS } from '../../src/deploy/kube/versions.ts';
import { waitFor } from '../../src/util/wait.ts';
import { rootSnapshot } from '../lab/root.ts';
import { traces } from './cluster-traces.ts';

const config = inject('rcnc');
const root = process.getuid?.() === 0;
const REPO = join(import.meta.dirname, '..', '..');

describe.skipIf(!root)('kube cluster (real Kubernetes in namespaces)', { timeout: 600_000 }, () => {
  test('nodes Ready at the pinned version with their pod CIDRs, through the written kubeconfig; nothing left after stop', async () => {
    const before = await rootSnapshot();
    const { dir } = await ensureKubeBinaries({ kubeBin: config.kubeCluster?.bin });
    const cluster = await KubeCluster.start({
      nodes: 3,
      proxyMode: 'iptables',
      bin: dir,
      images: await clusterImages(dir, config.redis),
    });
    const id = cluster.id;
    try {
      // kubectl on this machine, through the loopback relay: the kubeconfig a person would use.
      const r = await execa(join(dir, 'kubectl'), [
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
      expect(await traces(id)).not.toEqual([]);
    } finally {
      await cluster.stop();
    }
    expect(await traces(id)).toEqual([]);
    expect(await rootSnapshot()).toEqual(before);
  });

  test('a starter killed with SIGKILL leaves the cluster to rcnc clean, which removes all of it', async () => {
    const { dir } = await ensureKubeBinaries({ kubeBin: config.kubeCluster?.bin });
    await clusterImages(dir, config.redis);
    const script = join(REPO, 'test', 'kube', 'start-cluster.ts');
    // One process (no npx or tsx wrapper in between): the SIGKILL reaches the cluster's starter itself.
    const child = execa(
      'node',
      ['--import', 'tsx', script, dir, config.redis.server, config.redis.cli, 'e2e-sigkill'],
      { cwd: REPO, reject: false, all: true },
    );
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
  test('a starter sent SIGTERM once its nodes are Ready stops the whole cluster before it exits', async () => {
    const { dir } = await ensureKubeBinaries({ kubeBin: config.kubeCluster?.bin });
    await clusterImages(dir, config.redis);
    const script = join(REPO, 'test', 'kube', 'start-cluster.ts');
    const child = execa(
      'node',
      ['--import', 'tsx', script, dir, config.redis.server, config.redis.cli, 'e2e-sigterm'],
      { cwd: REPO, reject: false, all: true },
    );
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
    child.kill('SIGTERM');
    await child;
    // Its own teardown, not a sweep: no `rcnc clean` here, and the record goes with the rest.
    expect(await traces(id)).toEqual([]);
    expect((await findClusters()).map((c) => c.id)).not.toContain(id);
  });
});
