// Datapath pieces the threads had and the lab's profiles do not: an extra MASQUERADE of pod
// traffic (Docker's --ip-masq beside flannel, or a masquerade to the node IP), and a sidecar that
// intercepts a pod's inbound connections. Real iptables in the lab's node and pod namespaces and a
// real relay process (socat) in the pod's namespace; nothing is emulated in TypeScript. The lab
// rewrites a node's whole ruleset when a pod is recreated, so cases that use these recreate none.
import type { ChildProcess } from 'node:child_process';
import type { StartedTopology } from '../../src/deploy/provider.ts';
import { ProbeError } from '../../src/util/errors.ts';
import { waitFor } from '../../src/util/wait.ts';
import type { Masquerade } from './cells.ts';

/**
 * The rule each masquerade adds at the top of a node's POSTROUTING (ahead of flannel's RETURNs, as
 * dockerd installed its rule before flanneld ran), as iptables arguments.
 * - docker-ip-masq: dockerd --ip-masq with its bridge on the flannel subnet (moby libnetwork
 *   setup_ip_tables.go: `-s <subnet> ! -o <bridge> -j MASQUERADE`); cross-node pod traffic leaves by
 *   flannel.1 and takes its address, the subnet's .0.
 * - node-ip: pod traffic to anything outside the node's own pod subnet is masqueraded out eth0 (as
 *   ip-masq-agent does when the pod CIDR is missing from nonMasqueradeCIDRs): the node IP.
 */
export function masqueradeRule(kind: Masquerade, podCidr: string): string[] {
  return kind === 'docker-ip-masq'
    ? ['-t', 'nat', '-I', 'POSTROUTING', '1', '-s', podCidr, '!', '-o', 'cni0', '-j', 'MASQUERADE']
    : ['-t', 'nat', '-I', 'POSTROUTING', '1', '-s', podCidr, '!', '-d', podCidr, '-o', 'eth0', '-j', 'MASQUERADE'];
}

/** The same rule to delete: `-I CHAIN 1` becomes `-D CHAIN`. */
export function deleteRule(insert: string[]): string[] {
  const at = insert.indexOf('-I');
  return [...insert.slice(0, at), '-D', insert[at + 1]!, ...insert.slice(at + 3)];
}

/** Adds the masquerade on every node; returns the commands as run. */
export async function addMasquerade(topo: StartedTopology, kind: Masquerade): Promise<string[]> {
  return Promise.all(
    topo.nodes.map(async (n) => {
      const args = masqueradeRule(kind, n.podCidr);
      await topo.exec({ node: n.index }, ['iptables', ...args]);
      return `${n.name}: iptables ${args.join(' ')}`;
    }),
  );
}

/** Removes what addMasquerade added (the fix the threads found: dockerd --ip-masq=false). */
export async function removeMasquerade(topo: StartedTopology, kind: Masquerade): Promise<string[]> {
  return Promise.all(
    topo.nodes.map(async (n) => {
      const args = deleteRule(masqueradeRule(kind, n.podCidr));
      await topo.exec({ node: n.index }, ['iptables', ...args]);
      return `${n.name}: iptables ${args.join(' ')}`;
    }),
  );
}

export const SIDECAR_PORT = 15006;

/**
 * A sidecar in `pod`: its inbound TCP to `port` is REDIRECTed to a relay on SIDECAR_PORT that
 * connects onward to 127.0.0.1:`port`, as Istio's ISTIO_INBOUND chain and Envoy's inbound listener
 * do (tools/istio-iptables; the relay's own connection to loopback is not redirected: PREROUTING
 * sees only traffic from outside the pod). Resolves once the relay listens.
 */
export async function addSidecar(
  topo: StartedTopology,
  pod: string,
  port: number,
): Promise<{ relay: ChildProcess; applied: string[] }> {
  const rule = [
    '-t',
    'nat',
    '-A',
    'PREROUTING',
    '-p',
    'tcp',
    '--dport',
    String(port),
    '-j',
    'REDIRECT',
    '--to-ports',
    String(SIDECAR_PORT),
  ];
  const relayArgv = ['socat', `TCP-LISTEN:${SIDECAR_PORT},fork,reuseaddr`, `TCP:127.0.0.1:${port}`];
  const relay = topo.spawn({ pod }, relayArgv);
  let exited = false;
  relay.once('exit', () => (exited = true));
  await waitFor({
    target: `the sidecar relay in ${pod} to listen on ${SIDECAR_PORT}`,
    timeoutMs: 10_000,
    check: async () => {
      if (exited) {
        throw new ProbeError(`socat in ${pod} exited before it listened`);
      }
      const r = await topo.exec({ pod }, ['ss', '-Hltn', `sport = :${SIDECAR_PORT}`], { reject: false });
      return { done: r.stdout.trim() !== '', state: r.stdout.trim() || 'not listening' };
    },
    isFatal: (e) => e instanceof ProbeError,
  });
  await topo.exec({ pod }, ['iptables', ...rule]);
  return { relay, applied: [`${pod}: iptables ${rule.join(' ')}`, `${pod}: ${relayArgv.join(' ')}`] };
}
