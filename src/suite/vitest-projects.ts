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
 * End-to-end files that kill an owner or sweep (`rcnc run` and `rcnc clean` sweep labs and kube
 * clusters whose owner died): beside each other, one file's sweep would remove what another file
 * killed on purpose and means to find, so they run one at a time with the scenario files. The kube
 * cluster's file is one of them (it SIGKILLs a cluster's starter and runs `rcnc clean`).
 */
const SWEEPING_END_TO_END = [
  'test/lab/cleanup.test.ts',
  'test/lab/cli.test.ts',
  'test/lab/ownership.test.ts',
  'test/kube/cluster.e2e.test.ts',
];

/**
 * The lab project: scenario files, one at a time. Cells inside a file run side by side, bounded by
 * the worker's cell pool (src/suite/pool.ts), whose exclusive cells (failover windows) must hold
 * the machine alone: a second scenario file beside them would not be held back by that pool.
 * `rcnc run` passes it alone; under `npm test` it shares the run's kube cluster with the kube tier
 * (the kube cluster's file is here).
 */
export function labProject(
  config: RunConfig,
  root: string,
  globalSetup: string[] = [],
): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'lab',
      root,
      include: ['scenarios/**/*.test.ts', 'test/k3d/**/*.test.ts', ...SWEEPING_END_TO_END],
      fileParallelism: false,
      // First, with the kube tier beside it: both mostly wait (Redis timers, pods starting), so
      // `npm test`'s static checks (scripts/test.ts) share the cores with them rather than with
      // the unit tests, which keep both cores busy.
      sequence: { groupOrder: 1 },
      ...labTestOptions(config, root, globalSetup),
    },
  };
}

/**
 * The run config with the socket of the kube cluster the run's files share (npm test), served by
 * src/suite/kube-shared-setup.ts in vitest's main process: each project that may ask lists it.
 */
export function sharingKubeCluster(config: RunConfig, root: string) {
  return {
    config: { ...config, kubeCluster: { ...config.kubeCluster, shared: sharedClusterSocket(config.runId) } },
    globalSetup: join(root, 'src/suite/kube-shared-setup.ts'),
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
 * not here: they would start a second cluster and add about 3 minutes (measured 2026-12-07);
 * `rcnc run --provider kube --profile flannel-vxlan-nftables` runs them.
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
 * The kube tier: the same scenario files on the kube provider, one file at a time, plus the kube
 * end-to-end tests (but the cluster's own file: see SWEEPING_END_TO_END). It runs beside the lab
 * project: both mostly wait, and `npm test` judges no timing. The files share one cluster, which
 * vitest's main process starts at the first ask and stops after the last file
 * (src/suite/kube-shared-setup.ts): a start per file cost most of a minute of both cores each.
 */
export function kubeProject(
  config: RunConfig,
  root: string,
  globalSetup: string[] = [],
): TestProjectInlineConfiguration {
  const kube: RunConfig = { ...config, filter: { provider: ['kube'], cells: KUBE_TIER_CELLS } };
  return {
    test: {
      name: 'kube',
      root,
      include: ['scenarios/nat-meet/nat-meet.test.ts', 'scenarios/snat/snat.test.ts', 'test/kube/**/*.test.ts'],
      exclude: SWEEPING_END_TO_END,
      fileParallelism: false,
      sequence: { groupOrder: 1 },
      ...labTestOptions(kube, root, globalSetup),
    },
  };
}
