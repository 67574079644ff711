// The Debian packages the kube provider runs (containerd, runc, the CNI plugins, socat, …),
// installed by `rcnc setup --kube` as root with apt-get. containerd's package would start its
// service in this machine's namespaces; the cluster starts its own per node, so services are
// held back while installing (the same guard the docker provider's install uses).
import { existsSync } from 'node:fs';
import { RequirementError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { installWithoutStarting } from '../netns/system.ts';
import { KUBE_PACKAGES } from './versions.ts';

/** The pinned packages dpkg does not list as installed, from one dpkg-query for all of them. */
export async function missingKubePackages(): Promise<string[]> {
  const r = await run(['dpkg-query', '-W', '-f', '${Package} ${Status}\n', ...KUBE_PACKAGES], { reject: false });
  const ok = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith('install ok installed'))
      .map((l) => l.split(' ')[0]!.split(':')[0]!),
  );
  return KUBE_PACKAGES.filter((p) => !ok.has(p));
}

/** Installs what is missing, or says in one line what to run where it cannot. */
export async function ensureKubePackages(log: (line: string) => void): Promise<string[]> {
  const missing = await missingKubePackages();
  if (missing.length === 0) {
    return [];
  }
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new RequirementError(
      `the kube provider needs ${missing.join(' ')}: run sudo npx rcnc setup --kube (Debian), or install them by hand`,
    );
  }
  log(`rcnc setup --kube: installing ${missing.join(' ')} with apt-get (services not started)`);
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
  await installWithoutStarting(missing, async (pkgs) => {
    await run([...env, 'apt-get', 'update', '-qq'], { timeoutMs: 300_000 });
    await run([...env, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], { timeoutMs: 600_000 });
  });
  const still = await missingKubePackages();
  if (still.length) {
    throw new RequirementError(`apt-get did not provide ${still.join(' ')}; install them by hand`);
  }
  return missing;
}
