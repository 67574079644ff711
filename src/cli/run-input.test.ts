// `rcnc run` refuses bad input before it lists or runs anything, in one line that says what to do:
// a profile of another provider names the providers that run it (from the profile table and the
// providers' traits), and every flag value is checked even when --list follows.
import { expect, test, vi } from 'vitest';
import { allCells } from '../../scenarios/registry.ts';
import { providerProfiles } from '../deploy/providers.ts';
import { PROVIDERS } from '../model/dimensions.ts';
import { UsageError } from '../util/errors.ts';
import { cmdRun } from './run.ts';

/** What cmdRun threw for these flags; it must throw before printing a list. */
async function refusal(args: string[]): Promise<UsageError> {
  const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const error = await cmdRun(args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, args.join(' ')).toBeInstanceOf(UsageError);
    expect(printed, args.join(' ')).not.toHaveBeenCalled();
    return error as UsageError;
  } finally {
    printed.mockRestore();
  }
}

test('a profile of another provider says which provider runs it and what to add', async () => {
  for (const args of [
    ['--profile', 'docker-iptables'],
    ['--profile', 'docker-iptables', '--list'],
  ]) {
    expect((await refusal(args)).message).toBe(
      '--profile docker-iptables is a profile of provider docker, not of netns: add --provider docker; ' +
        'netns runs flannel-vxlan, flannel-vxlan-nftables, calico-vxlan, calico-crosssubnet, no-nat',
    );
  }
  expect((await refusal(['--provider', 'docker', '--profile', 'no-nat', '--list'])).message).toBe(
    '--profile no-nat is a profile of providers netns, k3d, kubeconfig, kube, not of docker: ' +
      'add --provider netns (or k3d, kubeconfig, kube); docker runs docker-userland-proxy, docker-iptables',
  );
});

test("the providers' profiles, as the hint derives them, are those their cells have", () => {
  for (const provider of PROVIDERS) {
    // The cells `rcnc run` chooses from: those of the provider's matrix it can run (allCells), with
    // every profile named, as --profile names one the lab runs only when asked (defaultKubeProxyModes).
    const cells = allCells(provider, 'full', { profile: [...providerProfiles(provider)] });
    const inCells = new Set(cells.map((cell) => cell.dims.profile));
    expect([...inCells].sort(), provider).toEqual([...providerProfiles(provider)].sort());
  }
  // Unnamed, the lab's matrix holds its iptables-mode profiles only.
  const plain = new Set(allCells('netns', 'full').map((cell) => cell.dims.profile));
  expect([...plain].sort()).toEqual(['calico-crosssubnet', 'calico-vxlan', 'flannel-vxlan', 'no-nat']);
});

test('--concurrency 0 is refused with --list too (exit 2, one line)', async () => {
  const error = await refusal(['--concurrency', '0', '--list']);
  expect(error.exitCode).toBe(2);
  expect(error.message).toBe('--concurrency 0: give a whole number of cells from 1 to 64');
  // --proxy-mode is now a profile: refused with --list too, naming it.
  expect((await refusal(['--proxy-mode', 'nftables', '--list'])).message).toMatch(
    /^--proxy-mode is gone: .*--profile flannel-vxlan-nftables.*; see 'rcnc run --help'$/,
  );
});
