// Numbers, dates and the run's environment as every writer prints them, so compatibility.md,
// junit.xml, index.html and `rcnc diff` say "4.2s" and "2025-03-01 10:15:00 UTC" the same way.
import { isAbsolute, relative } from 'node:path';
import type { ResultsFile } from '../model/results.ts';
import { formatMs } from '../util/format.ts';
import { oneLine } from '../util/text.ts';

// Where the scenario families print them too: src/util/format.ts.
export { formatBytes, formatMs, formatOffset } from '../util/format.ts';

/** `2025-03-01 10:15:00 UTC`, or the text as given when it is not a date. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? oneLine(iso) : date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function runDuration(results: ResultsFile): string {
  const ms = Date.parse(results.finishedAt) - Date.parse(results.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? formatMs(ms) : 'duration unknown';
}

/** `1 cell`, `3 cells`. */
export const plural = (count: number, word: string, many = `${word}s`): string =>
  `${count} ${count === 1 ? word : many}`;

/**
 * What the run ran on, in the order a reader asks for it: which rcnc, which kernel and firewall,
 * which Redis, then the rest. Only what results.json holds is listed.
 */
export function environmentFacts(results: ResultsFile): [string, string][] {
  const env = results.environment;
  const facts: [string, string | undefined][] = [
    ['rcnc', env.rcnc ? `${env.rcnc.version}${env.rcnc.commit ? ` (commit ${env.rcnc.commit})` : ''}` : undefined],
    ['kernel', env.kernel],
    ['iptables', env.iptables],
    ['kube-proxy', env.kubeProxyMode],
    ['Redis', env.redis],
    ['Node', env.node],
    ['host', env.hostname],
  ];
  return facts.flatMap(([name, value]) => (value ? [[name, oneLine(value)] as [string, string]] : []));
}

/** The environment on one line: `rcnc 0.1.0 (commit abc1234), kernel 6.8…, iptables v1.8.9 (nf_tables), …`. */
export function environmentText(results: ResultsFile): string {
  return environmentFacts(results)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
}

/** Relative to the working directory when inside it, so a path in a message is short and clickable. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
