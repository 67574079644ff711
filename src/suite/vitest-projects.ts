// The vitest projects, defined once: vitest.config.ts uses them for `npm test`, and `rcnc run`
// passes the lab project inline (with no config file) so the run config it built is the only one
// its workers can see.
import { join } from 'node:path';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { sharedClusterSocket } from '../deploy/kube/shared.ts';
import { traitsOf } from '../deploy/providers.ts';
import { isOneOf, PROVIDERS } from '../model/dimensions.ts';
import type { RunConfig } from './run-config.ts';

/** A test on the lab (scenario tests set their own, from the cell pool's budgets). */
export const LAB_CELL_BUDGET_MS = 120_000;
/**
 * Per-test and per-hook bounds for a run: the largest any of its providers asks for (its traits'
 * testBounds). A test that may start a k3d cluster gets the cluster's whole start budget on top of
 * its own, so a start always ends (and cleans up) by its own bounds before vitest could abandon
 * the test; the after-file hook deletes every cluster of the file.
 */
export function budgetsFor(config: Pick<RunConfig, 'filter'>): { testTimeout: number; hookTimeout: number } {
  const bounds = (config.filter.provider ?? ['netns'])
    .filter((p) => isOneOf(PROVIDERS, p))
    .map((p) => traitsOf(p).testBounds ?? { testMs: LAB_CELL_BUDGET_MS, hookMs: LAB_CELL_BUDGET_MS });
  return {
    testTimeout: Math.max(LAB_CELL_BUDGET_MS, ...bounds.map((b) => b.testMs)),
    hookTimeout: Math.max(LAB_CELL_BUDGET_MS, ...bounds.map((b) => b.hookMs)),
  };
}

/**
 * End-to-end files that kill an owner or sweep (`rcnc run` and `rcnc clean` sweep labs whose owner
 * died): beside each other, one file's sweep would remove what another file killed on purpose and
 * means to find, so they run one at a time with the scenario files.
 */
const SWEEPING_END_TO_END = [
  'test/lab/cleanup.test.ts',
  'test/lab/cli.test.ts',
  'test/lab/ownership.test.ts',
  'test/lab/docker-signals.test.ts',
];

/**
 * The lab project: scenario files, one at a time. Cells inside a file run side by side, bounded by
 * the worker's cell pool (src/suite/pool.ts), whose exclusive cells (failover windows) must hold
 * the machine alone: a second scenario file beside them would not be held back by that pool.
 */
export function labProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'lab',
      root,
      include: ['scenarios/**/*.test.ts', 'test/k3d/**/*.test.ts', ...SWEEPING_END_TO_END],
      fileParallelism: false,
      // First: its cells mostly wait, so `npm test`'s static checks (scripts/test.ts) share the
      // cores with them rather than with the unit tests, which keep both cores busy.
      sequence: { groupOrder: 1 },
      ...labTestOptions(config, root),
    },
  };
}

/**
 * The other end-to-end tests of the lab (safety, captures, Docker, the load client). They run
 * beside each other and beside the unit tests (vitest runs projects of one worker setting
 * together): each compares the machine before and after with only its own names
 * (test/lab/leftovers.ts counts nothing another live process owns), none kills an owner or sweeps,
 * and none measures a figure that another file's load would skew.
 */
export function labEndToEndProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'lab-e2e',
      sequence: { groupOrder: 2 },
      root,
      include: ['test/lab/**/*.test.ts'],
      exclude: SWEEPING_END_TO_END,
      ...labTestOptions(config, root),
    },
  };
}

function labTestOptions(config: RunConfig, root: string, globalSetup: string[] = []) {
  return {
    maxConcurrency: 64,
    ...budgetsFor(config),
    globalSetup: [join(root, 'src/suite/global-setup.ts'), ...globalSetup],
    setupFiles: [join(root, 'src/suite/worker-setup.ts')],
    provide: { rcnc: config },
  };
}

/** Parsers, rule builders and report writers: no root needed. */
export function unitProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'unit',
      // One module graph per worker rather than per file: the files import much the same code, and
      // re-importing it for each of about a hundred files cost 80 s of CPU (measured alone: 284 s
      // of CPU isolated, 204 s not). No unit test mocks modules or leaves global state behind.
      isolate: false,
      sequence: { groupOrder: 2 },
      root,
      include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
      // Some unit tests spawn the CLI (a node process each); 2 busy cores can take seconds.
      testTimeout: 30_000,
      provide: { rcnc: config },
    },
  };
}

/** The report in headless Chromium. */
export function browserProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'browser',
      sequence: { groupOrder: 2 },
      root,
      include: ['test/browser/**/*.browser.test.ts'],
      testTimeout: 60_000,
      provide: { rcnc: config },
    },
  };
}

/**
 * The cells `npm test` runs on real Kubernetes (--provider kube): nat-meet over pod IP, NodePort
 * without and with announce, and host network; the snat paths with the Cluster policy. Each is a
 * cell the lab runs too, under the same id but for its provider. flannel-vxlan-nftables' cells are
 * not here: they would need a cluster in nftables mode for the whole tier, about 3 minutes more
 * (measured 2026-12-07); `rcnc run --provider kube|netns --profile flannel-vxlan-nftables` runs
 * them. Its rules are compared live all the same (test/kube/cluster.e2e.test.ts).
 */
export const KUBE_TIER_CELLS = [
  'kube/flannel-vxlan/pod-ip/announce-none',
  'kube/flannel-vxlan/nodeport/announce-none',
  'kube/flannel-vxlan/nodeport/announce-ip',
  'kube/flannel-vxlan/host-network/announce-none',
  'kube/flannel-vxlan/pod-ip/announce-none/2-nodes/*',
  'kube/flannel-vxlan/nodeport/announce-none/2-nodes/*',
];

/**
 * The kube tier: the same scenario files on the kube provider, after everything else (a real
 * cluster's daemons would otherwise take cores from the lab's cells and the unit tests: beside the
 * lab project it made `npm test` slower on 2 cores, 1,016 s of vitest against about 950 s), one
 * file at a time, plus the kube end-to-end tests. The files share one cluster, which vitest's main
 * process starts at the first file's ask and stops after the last (src/suite/kube-shared-setup.ts):
 * a start per file cost most of a minute of both cores each.
 */
export function kubeProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  const kube: RunConfig = {
    ...config,
    filter: { provider: ['kube'], cells: KUBE_TIER_CELLS },
    kubeCluster: { ...config.kubeCluster, shared: sharedClusterSocket(config.runId) },
  };
  return {
    test: {
      name: 'kube',
      root,
      include: ['scenarios/nat-meet/nat-meet.test.ts', 'scenarios/snat/snat.test.ts', 'test/kube/**/*.test.ts'],
      fileParallelism: false,
      sequence: { groupOrder: 3 },
      ...labTestOptions(kube, root, [join(root, 'src/suite/kube-shared-setup.ts')]),
    },
  };
}
