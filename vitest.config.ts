import { defineConfig } from 'vitest/config';
import { checkReportDir, resolveRedisBinary, runConfigFromEnv } from './src/suite/run-config.ts';
import {
  browserProject,
  kubeProject,
  labEndToEndProject,
  labProject,
  unitProject,
} from './src/suite/vitest-projects.ts';

// A plain `npx vitest` (npm test) builds its run config from the environment here; `rcnc run`
// builds its own from its flags and runs the lab project without this file. Scenario files read
// the config with inject('rcnc'), the reporter from its options. One run id for the invocation,
// so every worker's artifacts and the reporter's files land in the same reports/<run-id>/.
// Tests that spawn bin/rcnc.mjs run dist/ when it was built from the sources under test (npm test
// rebuilds a stale one first: scripts/test.ts) and the sources through tsx otherwise; never a stale
// build (bin/compiled.mjs). test/unit/compiled-cli.test.ts runs both and compares them.
const config = runConfigFromEnv(process.env);
config.reportDir = await checkReportDir(config.reportDir, 'RCNC_REPORT_DIR');
// Unit tests do not need Redis; where it is missing the lab cells skip with the provider's reason.
const server = await resolveRedisBinary(config.redis.server, 'redis-server', 'RCNC_REDIS_SERVER').catch(
  () => undefined,
);
config.redis.version = server?.version;
const root = import.meta.dirname;

export default defineConfig({
  test: {
    reporters: ['default', ['./src/report/reporter.ts', { config }]],
    // Two cores idle while Redis timers run: unit, browser and end-to-end files share three
    // workers; the scenario files run one at a time first (labProject says why), the kube tier's
    // last (kubeProject).
    maxWorkers: 3,
    // The global teardowns stop the kube tier's shared cluster (src/suite/kube-shared-setup.ts),
    // which takes longer than vitest's default 10 s, after which it would exit mid-stop.
    teardownTimeout: 180_000,
    projects: [
      unitProject(config, root),
      browserProject(config, root),
      labEndToEndProject(config, root),
      labProject(config, root),
      kubeProject(config, root),
    ],
  },
});
