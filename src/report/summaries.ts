// One line per cell on what it expected and what it saw, in each family's own terms, for the
// writers that have only a line (junit failure bodies, compatibility.md's evidence list). The
// html drill-down shows the same facts as tables.
import type {
  CellResult,
  ClientSummary,
  NatMeetObservation,
  RecoveryObservation,
  SentinelFailover,
  SentinelObservation,
  SnatObservation,
} from '../model/results.ts';
import { sentinelExpectationText, VANTAGE_LABEL } from '../model/vocabulary.ts';
import { compareStrings, oneLine } from '../util/text.ts';
import { formatMs } from './format.ts';
import { groupBy } from './matrix.ts';

/** Evidence lists a few addresses; more than that is noise in a one-line bullet. */
const MAX_ADDRESSES = 3;

type Code = (text: string) => string;
const plain: Code = (text) => text;

export function expectedText(cell: CellResult): string {
  const { summary, source } = cell.expectation;
  return `${expectedFacts(cell)} (${oneLine(summary)}; source: ${oneLine(source)})`;
}

function expectedFacts(cell: CellResult): string {
  switch (cell.family) {
    case 'nat-meet': {
      const { meet, ghostClass, fixWorks } = cell.expectation;
      const facts = [`meet ${meet}`];
      if (ghostClass) {
        facts.push(`ghost class ${ghostClass}`);
      }
      if (fixWorks !== undefined) {
        facts.push(fixWorks ? 'announcing fixes it' : 'announcing does not fix it');
      }
      return facts.join(', ');
    }
    case 'snat':
      return rewriteText(cell.expectation.rewrite);
    case 'recovery':
      return cell.expectation.heals === 'by-itself' ? 'heals by itself' : 'heals after remediation';
    case 'sentinel':
      return sentinelExpectationText(cell.expectation);
  }
}

export function rewriteText(rewrite: SnatObservation['rewrite']): string {
  return rewrite === 'none'
    ? 'source kept'
    : rewrite === 'unreachable'
      ? 'connection dropped'
      : `source rewritten to ${rewrite}`;
}

export function observedText(cell: CellResult): string {
  if (!cell.observation) {
    return 'nothing recorded (the cell stopped before its probes ran)';
  }
  switch (cell.family) {
    case 'nat-meet':
      return natMeetObserved(cell.observation);
    case 'snat':
      return `${rewriteText(cell.observation.rewrite)}: ${snatEvidence(cell.observation, plain)}`;
    case 'recovery':
      return recoveryEvidence(cell.observation);
    case 'sentinel':
      return sentinelEvidence(cell.observation, plain) || 'every replica recorded at its own address';
  }
}

function natMeetObserved(observation: NatMeetObservation): string {
  const facts = [`meet ${observation.meet}`];
  if (observation.ghostClass) {
    facts.push(`ghost class ${observation.ghostClass}`);
  }
  if (observation.fix) {
    facts.push(`after the fix meet ${observation.fix.meet}`);
  }
  const evidence = natMeetEvidence(observation, plain);
  return facts.join(', ') + (evidence ? `; ${evidence}` : '');
}

/**
 * One line on what the probes saw, or '' when there is nothing worth a line. `code` formats
 * addresses (a code span in markdown, plain text in junit).
 */
export function evidenceSummary(cell: CellResult, code: Code = plain): string {
  if (!cell.observation) {
    return '';
  }
  switch (cell.family) {
    case 'nat-meet':
      return natMeetEvidence(cell.observation, code);
    case 'snat':
      return cell.observation.rewrite === 'none' ? '' : snatEvidence(cell.observation, code);
    case 'recovery':
      return recoveryEvidence(cell.observation);
    case 'sentinel':
      return sentinelEvidence(cell.observation, code);
  }
}

/** The ghost entries (address, class, owner, who recorded them) and the dial-backs that failed. */
function natMeetEvidence(observation: NatMeetObservation, code: Code): string {
  const parts: string[] = [];
  const ghostsByAddress = groupBy(observation.ghosts, (ghost) => ghost.address);
  if (ghostsByAddress.size > 0) {
    const ghosts = listAddresses(ghostsByAddress, 'seen by', (ghosts) => ghosts.map((ghost) => ghost.seenBy), code);
    const owner = [observation.ghostClass, observation.ghostOwner].filter(Boolean).join(': ');
    parts.push(`ghost ${ghosts}${owner ? ` (${owner})` : ''}`);
  }
  const dialsByAddress = groupBy(observation.failedDialBacks, (dial) => dial.address);
  if (dialsByAddress.size > 0) {
    parts.push(
      `failed dial-back to ${listAddresses(dialsByAddress, 'from', (dials) => dials.map((d) => d.pod), code)}`,
    );
  }
  return parts.join('; ');
}

function listAddresses<T>(byAddress: Map<string, T[]>, verb: string, who: (entries: T[]) => string[], code: Code) {
  const addresses = [...byAddress.keys()].sort(compareStrings);
  const shown = addresses.slice(0, MAX_ADDRESSES).map((address) => {
    const pods = [...new Set(who(byAddress.get(address) ?? []))].sort(compareStrings);
    return `${code(address)} ${verb} ${oneLine(pods.join(', '))}`;
  });
  const more = addresses.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** `external 172.18.0.1 → 172.18.0.2:30000, seen as 172.18.0.2:14823 (eth0@node-0)`. */
function snatEvidence(observation: SnatObservation, code: Code): string {
  const path = `${oneLine(observation.from)} ${code(observation.source)} → ${code(observation.target)}`;
  if (observation.seen === undefined) {
    return `${path}, never reached the server`;
  }
  return `${path}, seen as ${code(observation.seen)}${observation.owner ? ` (${oneLine(observation.owner)})` : ''}`;
}

function recoveryEvidence(observation: RecoveryObservation): string {
  const facts = [oneLine(observation.action)];
  if (observation.failover) {
    facts.push(`${observation.failover.promoted} promoted after ${formatMs(observation.failover.afterMs)}`);
  }
  if (observation.remediation) {
    facts.push(`remediation: ${oneLine(observation.remediation)}`);
  }
  const recovered = observation.recoveryMs !== undefined ? ` in ${formatMs(observation.recoveryMs)}` : '';
  facts.push(observation.recovered ? `recovered${recovered}` : 'did not recover');
  if (observation.client) {
    facts.push(...clientFacts(observation.client));
  }
  return facts.join('; ');
}

function clientFacts(client: ClientSummary): string[] {
  const window = client.errorWindowMs === null ? '' : ` over ${formatMs(client.errorWindowMs)}`;
  return [
    `client: ${client.errors} of ${client.ops} commands failed${window}`,
    `${client.lostAckedWrites} of ${client.ackedWrites} acknowledged writes lost`,
    `${client.lostWaitConfirmedWrites} of ${client.waitConfirmedWrites} WAIT-confirmed writes lost`,
  ];
}

/**
 * The rewritten replica records (address, class, owner, who recorded them), what a failover did,
 * what clients that reached no master were handed, and what the fix changed.
 */
function sentinelEvidence(observation: SentinelObservation, code: Code): string {
  const parts: string[] = [];
  const byAddress = groupBy(observation.rewritten, (r) => r.address);
  if (byAddress.size > 0) {
    const owners = [...new Set(observation.rewritten.map((r) => `${r.class}: ${r.owner}`))].sort(compareStrings);
    const recorded = listAddresses(byAddress, 'recorded by', (rs) => rs.map((r) => r.seenBy), code);
    parts.push(`replicas at ${recorded} (${oneLine(owners.join('; '))})`);
  }
  if (observation.failover) {
    parts.push(failoverText(observation.failover));
  }
  if (observation.restart) {
    parts.push(failoverText(observation.restart));
  }
  const unreached = observation.deployed.clients.filter(
    (c) => c.answer !== undefined && !(c.connected && c.role === 'master'),
  );
  for (const c of unreached) {
    parts.push(
      `${VANTAGE_LABEL[c.vantage]}: handed ${code(c.answer!)}, ${c.connected ? `a ${c.role ?? '?'}` : 'unreachable'}`,
    );
  }
  if (observation.fix) {
    const after = observation.fix.restart ?? observation.fix.failover;
    parts.push(`after the fix: ${after ? failoverText(after) : 'no failover tried'}`);
  }
  return parts.join('; ');
}

function failoverText(f: SentinelFailover): string {
  const what =
    f.outcome === 'promoted'
      ? `${f.promoted ?? '?'} promoted after ${formatMs(f.afterMs ?? 0)}`
      : f.outcome === 'recovered'
        ? `${f.promoted ?? '?'} master again after ${formatMs(f.afterMs ?? 0)}`
        : f.outcome === 'lost'
          ? `no master found${f.newMaster ? `; Sentinel hands out ${f.newMaster}` : ''}`
          : f.outcome === 'no-good-replica'
            ? 'no good replica to promote'
            : `no replica promoted${f.detail ? ` (${oneLine(f.detail)})` : ''}`;
  return [`${oneLine(f.how)}: ${what}`, ...(f.client ? clientFacts(f.client) : [])].join('; ');
}
