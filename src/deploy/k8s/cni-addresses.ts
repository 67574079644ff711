// The addresses of a node's CNI devices, from `ip -4 -o addr show` run on the node (iproute2 or
// busybox print the same one-line form).

/** The devices CNIs create on a node (flannel, Calico VXLAN and IPIP, Cilium). */
export const CNI_DEVICES = ['cni0', 'flannel.1', 'vxlan.calico', 'tunl0', 'cilium_host'] as const;

/** CNI device → IPv4 address (no prefix) from `ip -4 -o addr show` (iproute2 or busybox). */
export function parseCniAddresses(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/\d+/.exec(line);
    if (m && (CNI_DEVICES as readonly string[]).includes(m[1]!) && !out[m[1]!]) {
      out[m[1]!] = m[2]!;
    }
  }
  return out;
}
