// What the Redis logs say: dial-backs that failed (`Connection with Node … failed`, the receiver of
// a MEET dialling the address it recorded, docs/datapath.md#nat-and-the-cluster-bus) and address
// updates (`Address updated for node …`, docs/datapath.md#redis-address-updates).
import { findAddressUpdates, findFailedConnections } from '../probes/logs.ts';
import { attribute } from './ghosts.ts';
import type { AnalyzeAddressUpdate, AnalyzeFailedDialBack, NatMapping } from './report-types.ts';
import type { Cluster } from './who-is-who.ts';

/** One entry per (node id, address) a pod's log shows failing, with how often it did. */
export function failedDialBacks(c: Cluster, mappings: NatMapping[]): AnalyzeFailedDialBack[] {
  const out: AnalyzeFailedDialBack[] = [];
  for (const [name, f] of c.inputs.pods) {
    if (!f.log) {
      continue;
    }
    const byKey = new Map<string, AnalyzeFailedDialBack>();
    for (const x of findFailedConnections(f.log.text)) {
      const address = `${x.ip}:${x.port}`;
      const key = `${x.nodeId} ${address}`;
      const known = byKey.get(key);
      if (known) {
        known.count++;
        continue;
      }
      const o = c.owner(x.ip);
      const d: AnalyzeFailedDialBack = {
        pod: name,
        nodeId: x.nodeId,
        address,
        class: o.class,
        owner: o.owner,
        error: x.error,
        count: 1,
      };
      const who = o.class === 'pod' ? undefined : attribute(c, mappings, name, x.nodeId, x.ip);
      if (who) {
        d.standsFor = who.pod;
      }
      byKey.set(key, d);
    }
    out.push(...byKey.values());
  }
  return out;
}

/** Each address a pod's log shows a node updated to, once. */
export function addressUpdates(c: Cluster): AnalyzeAddressUpdate[] {
  const out: AnalyzeAddressUpdate[] = [];
  for (const [name, f] of c.inputs.pods) {
    if (!f.log) {
      continue;
    }
    const updates = new Map<string, AnalyzeAddressUpdate>();
    for (const u of findAddressUpdates(f.log.text)) {
      const o = c.owner(u.ip);
      updates.set(`${u.nodeId} ${u.ip}:${u.port}`, {
        pod: name,
        nodeId: u.nodeId,
        address: `${u.ip}:${u.port}`,
        class: o.class,
        owner: o.owner,
      });
    }
    out.push(...updates.values());
  }
  return out;
}
