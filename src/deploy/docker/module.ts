// Docker as the suite knows it: a provider per profile (the daemon's userland-proxy setting), one
// topology at a time per process (testcontainers keeps one runtime per process,
// docs/docker.md#one-runtime-per-process), one node (the Docker host), pods running the run's
// Redis (the image is built from it when redis:<version> cannot be had). Its code loads
// testcontainers, so create() imports it only when a run uses Docker.
import { profileLabel } from '../../model/dimensions.ts';
import { CELL_BUDGET_MS, type ProviderModule } from '../provider.ts';

export const dockerModule: ProviderModule<'docker'> = {
  name: 'docker',
  traits: {
    perProfile: true,
    cellBudgetMs: CELL_BUDGET_MS,
    redis: 'run-binaries',
    require: { variable: 'REQUIRE_DOCKER', meaning: '1: the docker provider must run' },
    topologiesAtOnce: 1,
    maxNodes: 1,
    emulation: false,
    platform: 'docker',
    label: (profile) => `docker: ${profileLabel(profile)}`,
    // The restart policy stands aside while rcnc holds the container back for the delay.
    delayedKill: 'restart-after-delay',
  },
  async create(settings, profile) {
    const { DockerProvider } = await import('./topology.ts');
    return DockerProvider.forProfile(profile, { runId: settings.runId, redis: settings.redis });
  },
};
