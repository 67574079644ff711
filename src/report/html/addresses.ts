// The addresses a datapath produced by rewriting a source (NATed peers, the ghost, the source a
// snat path was rewritten to), as the cell's family names them, so socket tables, logs and
// captures can mark the lines that hold them.
import { familyModule } from '../../../scenarios/registry.ts';
import type { CellResult } from '../../model/results.ts';

/** NATed addresses (bare IPs) and what they are. */
export function natAddresses(cell: CellResult): Map<string, string> {
  const rewritten = familyModule(cell.family).report.rewrittenAddresses;
  return cell.observation && rewritten ? rewritten(cell.observation) : new Map();
}

/** The IP as a whole address (`10.42.0.1` must not match `10.42.0.12`), bare or followed by a port. */
export function addressPattern(ip: string): RegExp {
  const quoted = ip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.:])(?:\\[${quoted}\\]|${quoted})(?![\\w.]|:[0-9a-fA-F]*:)`);
}
