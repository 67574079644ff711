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
// Tests that spawn bin/rcnc.mjs run the sources under test, not dist/ (test/unit/compiled-cli.test.ts
// compares the two); the workers and the CLIs they spawn inherit this.
process.env['RCNC_CLI'] ||= 'sources';
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
    // workers; the scenario files then run one at a time (labProject says why).
    maxWorkers: 3,
    projects: [
      unitProject(config, root),
      browserProject(config, root),
      labEndToEndProject(config, root),
      labProject(config, root),
      kubeProject(config, root),
    ],
  },
});
