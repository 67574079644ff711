// A sentinel's log (`kubectl logs SENTINEL`): the events it prints as it learns its topology
// (sentinel.c sentinelEvent): `+monitor master NAME IP PORT quorum N`, `+slave slave IP:PORT IP PORT
// @ NAME MIP MPORT` for each replica the master's INFO lists, `+sentinel sentinel RUNID IP PORT @ …`
// for each sentinel heard on the hello channel, `+switch-master NAME OLDIP OLDPORT NEWIP NEWPORT`.
// The last of each is what the sentinel holds, as if read with SENTINEL replicas|sentinels.
import type { SentinelConfState } from './redis-config.ts';

const EVENT = /[#*] ([+-][\w-]+) (\w+) (.*)$/;

/** What a sentinel's log says it records; undefined when the log holds no sentinel events. */
export function sentinelLogState(text: string): SentinelConfState | undefined {
  const out: SentinelConfState = { replicas: [], sentinels: [] };
  let events = 0;
  for (const line of text.split('\n')) {
    const m = EVENT.exec(line);
    if (!m) {
      continue;
    }
    const [, event, type, rest = ''] = m;
    const w = rest.split(/\s+/);
    if (event === '+monitor' && type === 'master') {
      out.master = `${w[1]}:${w[2]}`;
      out.masterName = w[0];
    } else if (event === '+switch-master') {
      // `+switch-master NAME OLDIP OLDPORT NEWIP NEWPORT`: NAME is matched as the type.
      out.master = `${w[2]}:${w[3]}`;
      out.masterName = type;
    } else if (event === '+slave' && type === 'slave') {
      const name = w[0]!;
      if (!out.replicas.some((r) => r['name'] === name)) {
        out.replicas.push({ name, ip: w[1]!, port: w[2]!, flags: 'slave' });
      }
    } else if (event === '+sentinel' && type === 'sentinel' && w.length >= 3) {
      if (!out.sentinels.some((s) => s['name'] === w[0])) {
        out.sentinels.push({ name: w[0]!, ip: w[1]!, port: w[2]!, flags: 'sentinel' });
      }
    } else {
      continue;
    }
    events++;
  }
  return events ? out : undefined;
}
