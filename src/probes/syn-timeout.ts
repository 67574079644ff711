// How long a connect() can stay in SYN-SENT before the kernel gives up with ETIMEDOUT. A cluster
// peer's reconnect that conntrack pinned to a deleted pod's IP (its SYN retransmits keep the first
// DNAT) is only ended by this: Redis 7.0 frees a link that is still connecting only when no data at
// all arrives from that node for node_timeout/2 (clusterCron), and the restarted node's PINGs on its
// own link keep arriving.
import type { ExecTarget, StartedTopology } from '../deploy/provider.ts';

/** The kernel's initial RTO for a SYN (TCP_TIMEOUT_INIT) and its cap (TCP_RTO_MAX). */
const INITIAL_RTO_MS = 1000;
const MAX_RTO_MS = 120_000;

/**
 * The SYN-SENT lifetime from the two sysctls: `tcp_syn_retries` retransmissions plus
 * `tcp_syn_linear_timeouts` more (Linux 6.5+, default 4), the first `linear` + 1 timeouts at the
 * initial RTO, then doubling, and the connect fails when the timer after the last retransmission
 * fires (net/ipv4/tcp_timer.c tcp_write_timeout; Documentation/networking/ip-sysctl.rst: "SYN RTOs
 * to be: 1, 1, 1, 1, 1, 2, 4, ..."). 6 and 4 give 131 s; 6 without linear timeouts the classic 127 s.
 */
export function synGiveUpMs(retries: number, linear: number): number {
  let total = 0;
  for (let timer = 1; timer <= retries + linear + 1; timer++) {
    const doublings = Math.max(0, timer - linear - 1);
    total += Math.min(INITIAL_RTO_MS * 2 ** doublings, MAX_RTO_MS);
  }
  return total;
}

/**
 * Reads the two sysctls in the target's network namespace (they are per namespace) with one
 * process; a missing `tcp_syn_linear_timeouts` (before Linux 6.5) counts 0.
 */
export async function synGiveUpIn(topo: Pick<StartedTopology, 'exec'>, target: ExecTarget): Promise<number> {
  const r = await topo.exec(
    target,
    ['cat', '/proc/sys/net/ipv4/tcp_syn_retries', '/proc/sys/net/ipv4/tcp_syn_linear_timeouts'],
    { reject: false },
  );
  const [retries, linear] = r.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Number(line.trim()));
  if (retries === undefined || !Number.isInteger(retries)) {
    // Linux's default, when the pod's image cannot read /proc.
    return synGiveUpMs(6, 0);
  }
  return synGiveUpMs(retries, linear !== undefined && Number.isInteger(linear) ? linear : 0);
}
