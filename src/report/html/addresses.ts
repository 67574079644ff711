// The addresses a datapath produced by rewriting a source (NATed peers, the ghost, the source a
// snat path was rewritten to), so socket tables, logs and captures can mark the lines that hold them.
import type { AddressClass } from '../../model/dimensions.ts';
import type { CellResult } from '../../model/results.ts';
import { hostOf } from '../../util/address.ts';

/** Not seen as a pod, a node or the client itself: some device rewrote the source on the way. */
export function isNatted(cls: AddressClass | string): boolean {
  return cls !== 'pod' && cls !== 'node-ip' && cls !== 'external';
}

/** NATed addresses (bare IPs) and what they are. */
export function natAddresses(cell: CellResult): Map<string, string> {
  const addresses = new Map<string, string>();
  if (cell.family === 'snat' && cell.observation?.seen && cell.observation.rewrite !== 'none') {
    const { seen, rewrite, owner } = cell.observation;
    addresses.set(hostOf(seen), [rewrite, owner].filter(Boolean).join(': '));
  }
  if (cell.family !== 'nat-meet' || !cell.observation) {
    return addresses;
  }
  const observation = cell.observation;
  for (const peer of observation.busPeers) {
    if (isNatted(peer.class)) {
      addresses.set(hostOf(peer.peer), peer.class);
    }
  }
  for (const ghost of observation.ghosts) {
    const ip = hostOf(ghost.address);
    if (ip && !addresses.has(ip)) {
      addresses.set(ip, [observation.ghostClass, observation.ghostOwner].filter(Boolean).join(': ') || 'ghost');
    }
  }
  return addresses;
}

/** The IP as a whole address (`10.42.0.1` must not match `10.42.0.12`), bare or followed by a port. */
export function addressPattern(ip: string): RegExp {
  const quoted = ip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.:])(?:\\[${quoted}\\]|${quoted})(?![\\w.]|:[0-9a-fA-F]*:)`);
}
