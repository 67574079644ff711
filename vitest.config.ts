import { defineConfig } from 'vitest/config';
import { runId } from './src/report/artifacts.ts';

// One run id for the whole invocation, set before workers start so their artifacts and the
// reporter's files land in the same reports/<run-id>/.
runId();

// Two projects: `unit` (parsers, rule builders, report writers: no root needed) and `lab`
// (scenarios and end-to-end tests on real namespaces). Lab files run one at a time: each cell
// already keeps both cores busy with real redis-server processes and kernel datapaths.
export default defineConfig({
  test: {
    reporters: ['default', './src/report/reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          // Some unit tests spawn the CLI (a node process each); 2 busy cores can take seconds.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.browser.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['scenarios/**/*.test.ts', 'test/lab/**/*.test.ts', 'test/k3d/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ['./test/lab/global-setup.ts'],
        },
      },
    ],
  },
});
