// The addresses of a node's CNI devices, from `ip -4 -o addr show` run on the node (iproute2 or
// busybox print the same one-line form). Which devices are a CNI's is the profile table's
// (model/profiles.ts): the bridge, flannel's and Calico's VXLAN devices, Calico's IPIP, Cilium's.
import { isCniDevice, KNOWN_DEVICES } from '../../model/profiles.ts';

/** The devices CNIs create on a node, by the names the profile table gives them. */
export const CNI_DEVICES: readonly string[] = KNOWN_DEVICES.map((d) => d.name).filter((n) => !n.includes('<'));

/** CNI device → IPv4 address (no prefix) from `ip -4 -o addr show` (iproute2 or busybox). */
export function parseCniAddresses(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/\d+/.exec(line);
    if (m && isCniDevice(m[1]!) && !out[m[1]!]) {
      out[m[1]!] = m[2]!;
    }
  }
  return out;
}
