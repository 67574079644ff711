// Interface addresses of a node, from `ip addr` (iproute2) or `ifconfig` (net-tools 2.x and the
// older / busybox `inet addr:` form). Only IPv4 matters here: it is what MASQUERADE picks from
// (docs/datapath.md#masquerade-source-address) and what shows up as a NATed peer.
import type { ParseWarning } from '../probes/cluster-nodes.ts';

export interface InterfaceInfo {
  name: string;
  /** IPv4 addresses in the order printed (the first is the primary MASQUERADE picks). */
  ipv4: string[];
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

// `2: eth0@if3: <BROADCAST,…> mtu 1500 …`
const IP_LINK = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+</;
// `    inet 10.42.0.1/24 brd … scope global cni0`
const IP_INET = /^\s+inet (\d{1,3}(?:\.\d{1,3}){3})(?:\/\d+)?\s/;
const IP_DETAIL = /^\s+(?:link\/|inet6 |valid_lft |altname |vf |alias |[a-z_]+ )/;

// net-tools 2.x: `cni0: flags=4163<UP,…>  mtu 1450`; old form: `cni0      Link encap:Ethernet  HWaddr …`
const IFC_HEAD = /^([^\s:]+(?::\d+)?):?\s+(?:flags=|Link encap:)/;
const IFC_INET = /^\s+inet (?:addr:)?(\d{1,3}(?:\.\d{1,3}){3})\b/;

export function parseIpAddr(text: string): { interfaces: InterfaceInfo[]; warnings: ParseWarning[] } {
  const interfaces: InterfaceInfo[] = [];
  const warnings: ParseWarning[] = [];
  let current: InterfaceInfo | undefined;
  text.split('\n').forEach((l, i) => {
    const raw = l.replace(/\r+$/, '');
    if (raw.trim() === '') {
      return;
    }
    const link = IP_LINK.exec(raw);
    if (link) {
      current = { name: link[1]!, ipv4: [] };
      interfaces.push(current);
      return;
    }
    const inet = IP_INET.exec(raw);
    if (inet && current && IPV4.test(inet[1]!)) {
      current.ipv4.push(inet[1]!);
      return;
    }
    if (current && IP_DETAIL.test(raw)) {
      return;
    }
    warnings.push({ line: i + 1, text: raw, problem: current ? 'not a line of `ip addr`' : 'before any interface' });
  });
  return { interfaces, warnings };
}

export function parseIfconfig(text: string): { interfaces: InterfaceInfo[]; warnings: ParseWarning[] } {
  const interfaces: InterfaceInfo[] = [];
  const warnings: ParseWarning[] = [];
  let current: InterfaceInfo | undefined;
  text.split('\n').forEach((l, i) => {
    const raw = l.replace(/\r+$/, '');
    if (raw.trim() === '') {
      return;
    }
    const head = IFC_HEAD.exec(raw);
    if (head) {
      current = { name: head[1]!, ipv4: [] };
      interfaces.push(current);
      return;
    }
    if (current && /^\s/.test(raw)) {
      const inet = IFC_INET.exec(raw);
      if (inet) {
        current.ipv4.push(inet[1]!);
      }
      return;
    }
    warnings.push({ line: i + 1, text: raw, problem: current ? 'not a line of ifconfig' : 'before any interface' });
  });
  return { interfaces, warnings };
}

// `ip -o addr` (`-4 -o`): one line per address, `3: eth0    inet 172.18.0.3/16 scope global eth0\ …`.
const IP_ONELINE = /^\d+:\s+([^\s:@]+)(?:@\S+)?\s+inet6?\s+([0-9a-f.:]+)(?:\/\d+)?\s/;

export function parseIpOneline(text: string): { interfaces: InterfaceInfo[]; warnings: ParseWarning[] } {
  const byName = new Map<string, InterfaceInfo>();
  const warnings: ParseWarning[] = [];
  text.split('\n').forEach((l, i) => {
    const raw = l.replace(/\r+$/, '');
    const m = IP_ONELINE.exec(raw);
    if (!m) {
      if (raw.trim() !== '') {
        warnings.push({ line: i + 1, text: raw, problem: 'not a line of `ip -o addr`' });
      }
      return;
    }
    const iface = byName.get(m[1]!) ?? { name: m[1]!, ipv4: [] };
    byName.set(iface.name, iface);
    if (IPV4.test(m[2]!)) {
      iface.ipv4.push(m[2]!);
    }
  });
  return { interfaces: [...byName.values()], warnings };
}

/** `ip addr` when any line looks like one of its interface lines, `ip -o addr`, else ifconfig. */
export function parseInterfaces(text: string): { interfaces: InterfaceInfo[]; warnings: ParseWarning[] } {
  const lines = text.split('\n');
  if (lines.some((l) => IP_LINK.test(l))) {
    return parseIpAddr(text);
  }
  return lines.some((l) => IP_ONELINE.test(l)) ? parseIpOneline(text) : parseIfconfig(text);
}
