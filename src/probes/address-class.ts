// Who does an address belong to? Classifies an address seen on a socket, in a CLUSTER NODES view or
// in a packet against what the topology knows: a pod, a CNI device of a node (the rewrite classes
// of docs/datapath.md#masquerade-source-address; which device gives which class is in the profile
// table, model/profiles.ts), a node, or the external client.
import type { NodeInfo, PodInfo, StartedTopology } from '../deploy/provider.ts';
import type { AddressClass } from '../model/dimensions.ts';
import { deviceClass, NODE_DEVICE } from '../model/profiles.ts';

export interface AddressBook {
  pods: Pick<PodInfo, 'name' | 'ip' | 'hostNetwork'>[];
  nodes: Pick<NodeInfo, 'name' | 'ip' | 'cniAddresses'>[];
  externalIP?: string;
}

export interface Classified {
  class: AddressClass;
  /** e.g. `redis-3`, `cni0@node-0`, `flannel.1@node-2`, `eth0@node-1`, `external`. */
  owner: string;
}

export const addressBook = (t: StartedTopology): AddressBook => ({
  pods: t.pods(),
  nodes: t.nodes.map((n) => ({ name: n.name, ip: n.ip, cniAddresses: n.cniAddresses })),
  externalIP: t.externalIP,
});

/**
 * The address book as the topology is now: node addresses are read again first, since a CNI device
 * may have appeared after the topology started (flannel creates cni0 with a node's first pod).
 */
export async function currentAddressBook(t: StartedTopology): Promise<AddressBook> {
  await t.refreshNodes?.();
  return addressBook(t);
}

export function classifyAddress(ip: string, book: AddressBook): Classified {
  const pod = book.pods.find((p) => !p.hostNetwork && p.ip === ip);
  if (pod) {
    return { class: 'pod', owner: pod.name };
  }
  for (const n of book.nodes) {
    for (const [dev, addr] of Object.entries(n.cniAddresses)) {
      if (addr === ip) {
        return { class: deviceClass(dev), owner: `${dev}@${n.name}` };
      }
    }
    if (n.ip === ip) {
      return { class: 'node-ip', owner: `${NODE_DEVICE}@${n.name}` };
    }
  }
  if (book.externalIP && ip === book.externalIP) {
    return { class: 'external', owner: 'external' };
  }
  return { class: 'unknown', owner: ip || '(empty)' };
}

/** How a connection's source was rewritten on its way (the classes, plus unreachable). */
export type RewriteClass = 'none' | 'bridge-gateway' | 'tunnel' | 'node-ip' | 'unknown' | 'unreachable';

/**
 * Compares the true source of a connection with the source the other side saw. The same address
 * means no rewrite (a node reaching a NodePort through eth0 may be "masqueraded" to itself).
 */
export function classifyRewrite(
  trueSource: string,
  seen: string,
  book: AddressBook,
): { rewrite: RewriteClass; owner: string } {
  const c = classifyAddress(seen, book);
  if (seen === trueSource) {
    return { rewrite: 'none', owner: c.owner };
  }
  const rewrite: RewriteClass =
    c.class === 'bridge-gateway' || c.class === 'tunnel' || c.class === 'node-ip' ? c.class : 'unknown';
  return { rewrite, owner: c.owner };
}
