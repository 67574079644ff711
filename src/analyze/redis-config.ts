// redis.conf and sentinel.conf as people paste them (`cat /etc/redis/redis.conf`, a ConfigMap, a
// sentinel.conf Sentinel has rewritten): directives one per line, `#` comments. sentinel.conf's
// rewritten state (`sentinel monitor`, `known-replica`, `known-sentinel`) is what the sentinel
// records, so it is read like SENTINEL replies (docs/sentinel.md#replica-discovery).
import type { SentinelEntry } from '../probes/sentinel.ts';

/** Directive → its arguments, the last occurrence winning (as Redis reads them). */
export function configDirectives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) {
      continue;
    }
    const [name, ...args] = t.split(/\s+/);
    out.set(
      name!.toLowerCase(),
      args.map((a) => a.replace(/^"(.*)"$/, '$1')),
    );
  }
  return out;
}

export interface SentinelConfState {
  master?: string;
  /** The name the sentinel monitors the master by (SENTINEL RESET takes it). */
  masterName?: string;
  replicas: SentinelEntry[];
  sentinels: SentinelEntry[];
}

/** What a sentinel.conf says its sentinel knows: the master, replicas and other sentinels. */
export function sentinelConfState(text: string): SentinelConfState {
  const out: SentinelConfState = { replicas: [], sentinels: [] };
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0]?.toLowerCase() !== 'sentinel') {
      continue;
    }
    const [, what = '', , ip = '', port = ''] = w.map((x) => x.replace(/^"(.*)"$/, '$1'));
    const verb = what.toLowerCase();
    if (verb === 'monitor') {
      out.master = `${ip}:${port}`;
      out.masterName = w[2];
    } else if (verb === 'known-replica' || verb === 'known-slave') {
      out.replicas.push({ name: `${ip}:${port}`, ip, port, flags: 'slave' });
    } else if (verb === 'known-sentinel') {
      out.sentinels.push({ name: w[5] ?? '', ip, port, flags: 'sentinel' });
    }
  }
  return out;
}

/** Whether the text is a sentinel.conf (it monitors a master, or records what a sentinel knows). */
export const isSentinelConf = (text: string): boolean =>
  /^\s*sentinel\s+(?:monitor|known-replica|known-slave|known-sentinel)\s/im.test(text);
