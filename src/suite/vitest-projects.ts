// The vitest projects, defined once: vitest.config.ts uses them for `npm test`, and `rcnc run`
// passes the lab project inline (with no config file) so the run config it built is the only one
// its workers can see.
import { join } from 'node:path';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { K3D_START_BUDGET_MS, K8S_CELL_BUDGET_MS } from '../deploy/k3d/budgets.ts';
import type { RunConfig } from './run-config.ts';

/** A test on the lab (scenario tests set their own, from the cell pool's budgets). */
export const LAB_CELL_BUDGET_MS = 120_000;
/**
 * Per-test and per-hook bounds for a run. A test that may start a k3d cluster gets the cluster's
 * whole start budget on top of its own, so a start always ends (and cleans up) by its own bounds
 * before vitest could abandon the test; the after-file hook deletes every cluster of the file.
 */
export function budgetsFor(config: Pick<RunConfig, 'filter'>): { testTimeout: number; hookTimeout: number } {
  const providers = config.filter.provider ?? ['netns'];
  if (providers.includes('k3d')) {
    return { testTimeout: K3D_START_BUDGET_MS + K8S_CELL_BUDGET_MS, hookTimeout: 900_000 };
  }
  if (providers.includes('kubeconfig')) {
    return { testTimeout: K8S_CELL_BUDGET_MS, hookTimeout: 600_000 };
  }
  return { testTimeout: LAB_CELL_BUDGET_MS, hookTimeout: LAB_CELL_BUDGET_MS };
}

/** The lab project: scenario files and end-to-end tests on real namespaces, one file at a time. */
export function labProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'lab',
      root,
      include: ['scenarios/**/*.test.ts', 'test/lab/**/*.test.ts', 'test/k3d/**/*.test.ts'],
      // Files run one at a time (the end-to-end tests compare the machine before and after); cells
      // inside a scenario file run side by side, bounded by the run's cell pool (src/suite/pool.ts).
      fileParallelism: false,
      maxConcurrency: 64,
      ...budgetsFor(config),
      globalSetup: [join(root, 'src/suite/global-setup.ts')],
      setupFiles: [join(root, 'src/suite/worker-setup.ts')],
      provide: { rcnc: config },
    },
  };
}

/** Parsers, rule builders and report writers: no root needed. */
export function unitProject(config: RunConfig, root: string): TestProjectInlineConfiguration {
  return {
    test: {
      name: 'unit',
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
      root,
      include: ['test/browser/**/*.browser.test.ts'],
      testTimeout: 60_000,
      provide: { rcnc: config },
    },
  };
}
