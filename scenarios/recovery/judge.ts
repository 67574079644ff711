// Whether a recovery cell behaved as its expectation says, as named checks: the one place its
// verdict is judged. The cluster must come back whole (by itself, or only after the remediation,
// as expected) with every key readable; each fault then has its own story to show (who was
// promoted, in which order, what a partition left), and a load client must have lost no write a
// replica confirmed. Measured times go to results.json; no check is about speed.
import type { Cell } from '../../src/model/cell.ts';
import { check, same } from '../../src/model/checks.ts';
import type { Check } from '../../src/model/results.ts';
import { hasFlag } from '../../src/probes/cluster-nodes.ts';
import type { RecoveryOptions } from './cells.ts';
import type { RecoveryRun } from './run.ts';
import { recoveryCompatibility } from './words.ts';

type RecoveryCell = Cell<'recovery', RecoveryOptions>;

export function judgeRecovery(cell: RecoveryCell, run: RecoveryRun): Check[] {
  const rec = run.recovery;
  const notOk = run.views.filter((v) => v.info['cluster_state'] !== 'ok').map((v) => v.member);
  return [
    same('recovered', true, rec.recovered),
    // Healed the way the expectation says: by itself, or only after the remediation.
    same(
      'healed',
      cell.expectation.heals === 'by-itself' ? 'heals' : 'heals-after-remediation',
      recoveryCompatibility(rec),
    ),
    // Healthy again: every member knows every other, connected, at its current address.
    check('what kept the views from one healthy cluster', 'none', rec.notes, rec.notes.length === 0),
    check(
      'cluster_state ok in',
      'every view',
      notOk.length ? `not in ${notOk.join(', ')}` : 'every view',
      !notOk.length,
    ),
    same('keys readable', rec.keys?.written, rec.keys?.readable),
    ...faultChecks(cell, run),
    ...clientChecks(run),
  ];
}

const matches = (name: string, pattern: RegExp, text: string | undefined): Check =>
  check(name, `matching ${pattern.source}`, text, pattern.test(text ?? ''));

/** What each fault must show besides healing. */
function faultChecks(cell: RecoveryCell, run: RecoveryRun): Check[] {
  const rec = run.recovery;
  const kind = cell.options.kind;
  const checks: Check[] = [];
  if (kind === 'whole-restart') {
    checks.push(
      ...(cell.dims.exposure === 'pod-ip'
        ? [
            matches('during the fault', /state=fail/, rec.duringFault),
            matches('remediation', /CLUSTER MEET/, rec.remediation),
          ]
        : [same('remediation', undefined, rec.remediation)]),
    );
  }
  if (kind === 'node-loss' || kind === 'isolate-node' || kind === 'failover') {
    checks.push(same('promoted', 'redis-3', rec.failover?.promoted));
  }
  if (kind === 'node-loss' || kind === 'failover') {
    // A replica starts its election only once its master is FAIL (cluster.c
    // clusterHandleSlaveFailover), so the heir's own view shows FAIL no later than its promotion.
    const at = (event: string) => rec.timeline?.find((e) => e.event === event)?.atMs;
    const [fault, fail, promoted] = [at('fault'), at('fail'), at('promoted')];
    checks.push(
      same('fault at (ms)', 0, fault),
      check('FAIL seen at (ms)', 'a moment', fail, fail !== undefined),
      check('FAIL no later than the promotion (ms)', `<= ${promoted ?? '?'}`, fail, fail! <= promoted!),
      same('promotion on the timeline at (ms)', rec.failover?.afterMs, promoted),
    );
  }
  if (kind === 'partition-link') {
    checks.push(
      matches('during the partition', /flagged redis-1 (master,)?fail\?/, rec.duringFault),
      matches('FAIL flags and promotions', /FAIL flags: none; promotions: none/, rec.duringFault),
    );
  }
  if (kind === 'isolate-node') {
    const self = run.views.find((v) => v.member === 'redis-0')?.nodes.find((n) => hasFlag(n, 'myself'));
    checks.push(check('redis-0 rejoined as', 'slave', self?.flags, !!self?.flags.includes('slave')));
  }
  return checks;
}

/** A load client ran commands and lost no WAIT-confirmed write; its failed commands are all drawn (up to 300). */
function clientChecks(run: RecoveryRun): Check[] {
  const client = run.recovery.client;
  if (!client) {
    return [];
  }
  return [
    check('client commands', '> 0', client.ops, client.ops > 0),
    same('WAIT-confirmed writes lost', 0, client.lostWaitConfirmedWrites),
    same('failed commands on the timeline', Math.min(client.errors, 300), client.failedAtMs?.length),
  ];
}
