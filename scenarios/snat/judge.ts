// Whether a snat cell behaved as its expectation says, as named checks: the one place its verdict
// is judged. The source the server reports must be the one its capture's SYN carries, kept or
// rewritten as the expectation says; a dropped path must show the SYN at the ingress node and
// nothing at the server.
import type { Cell } from '../../src/model/cell.ts';
import { check, same } from '../../src/model/checks.ts';
import type { Check } from '../../src/model/results.ts';
import { hostOf } from '../../src/util/address.ts';
import type { SnatOptions } from './cells.ts';
import type { SnatProbe } from './run.ts';

export function judgeSnat(cell: Cell<'snat', SnatOptions>, probe: SnatProbe): Check[] {
  const obs = probe.observation;
  const rewrite = same('source', cell.expectation.rewrite, obs.rewrite);
  const server = probe.server.packets;
  if (obs.rewrite === 'unreachable') {
    const ingress = probe.ingress?.packets.length;
    return [
      rewrite,
      check('SYNs at the server', 'none', server.length, server.length === 0),
      check('SYNs at the ingress node', '> 0', ingress, (ingress ?? 0) > 0),
    ];
  }
  // The SYN at the server carries exactly the source the server reports.
  const seen = obs.seen === undefined ? undefined : hostOf(obs.seen);
  const kept = obs.rewrite === 'none';
  return [
    rewrite,
    check('SYNs at the server', '> 0', server.length, server.length > 0),
    same("source of the server's first SYN", seen, server[0]?.src.ip),
    check(
      'the server sees',
      kept ? `the true source ${obs.source}` : `another address than ${obs.source}`,
      seen,
      kept ? seen === obs.source : seen !== obs.source,
    ),
  ];
}
