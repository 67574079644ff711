// What `rcnc run` does about the netns lab's packages before anything starts. On a fresh machine
// `npm ci && npm run conformance` (or a git dependency's `npx rcnc run`) is the whole recipe: as
// root it installs what is missing the way `rcnc setup` does, with its progress on stderr; without
// root it refuses in one line naming the command to run (SETUP_COMMAND).
import { SETUP_COMMAND } from '../suite/run-config.ts';
import { RequirementError } from '../util/errors.ts';

/** Why a netns run needs root; the whole refusal when nothing else is missing. */
export const NEEDS_ROOT =
  'rcnc run builds network namespaces and iptables rules for the netns lab, which needs root; run it with sudo';

export interface Machine {
  /** The lab's packages that are missing here (Debian names). */
  missing: string[];
  root: boolean;
  /** apt-get is there: the setup step can install. */
  aptGet: boolean;
}

export interface FirstRunSteps {
  /** The setup step (`rcnc setup`): installs what is missing, or throws a one-line RequirementError. */
  setup(log: (line: string) => void): Promise<string[]>;
  log(line: string): void;
}

/**
 * Makes the machine ready for a netns run, or throws the one-line RequirementError that says what
 * to run. Runs on other providers need none of this: their cells skip with their own reasons.
 */
export async function readyForLab(machine: Machine, steps: FirstRunSteps): Promise<void> {
  const { missing, root, aptGet } = machine;
  const packages = missing.join(' ');
  if (missing.length > 0 && !aptGet) {
    throw new RequirementError(
      `the netns lab needs packages this machine lacks (${packages}) and there is no apt-get to install them: install them (these are their Debian names), then run again${root ? '' : ' with sudo'}`,
    );
  }
  if (!root) {
    throw new RequirementError(
      missing.length === 0
        ? NEEDS_ROOT
        : `the netns lab needs root and packages this machine lacks (${packages}): run \`${SETUP_COMMAND}\`, then this command again with sudo`,
    );
  }
  if (missing.length === 0) {
    return;
  }
  steps.log(
    `rcnc: this machine lacks packages the lab needs (${packages}); installing them first, as \`rcnc setup\` does`,
  );
  const started = performance.now();
  const installed = await steps.setup(steps.log);
  const seconds = Math.round((performance.now() - started) / 1000);
  steps.log(`rcnc: installed ${installed.join(' ') || 'nothing'} in ${seconds} s; starting the run`);
}
