// Redis logs, cut to the cluster-bus lines that explain a meet or a recovery (failed connections,
// address updates, accepted bus connections, MEET and handshake lines). A failing dial-back
// repeats every 100 ms: consecutive identical messages become one line and a count. One log per
// pod (the `cluster/` copy of the same log is a link); logs with a failed connection are open.
import { parseRedisLog } from '../../probes/logs.ts';
import { cleanText, compareStrings } from '../../util/text.ts';
import { formatBytes } from '../format.ts';
import { addressPattern } from './addresses.ts';
import { MAX_TEXT_BYTES, type EvidenceFile } from './evidence.ts';
import { fileBody } from './files.ts';
import { esc, fileLink, fold, plainLine } from './markup.ts';

const LOG_PATTERNS: { re: RegExp; cls: string }[] = [
  { re: /Connection with Node \S+ at \S* failed/, cls: 'bad' },
  { re: /Address updated for node/, cls: 'info' },
  // The source address the receiver sees on the bus: the NATed one, when there is NAT.
  { re: /Accepting cluster node connection from/, cls: '' },
  { re: /\bMEET\b/i, cls: '' },
  { re: /handshake/i, cls: '' },
];
/** Verbose client-command lines name `cmd=cluster|meet` too, once per redis-cli call: noise here. */
const LOG_NOISE = /^Client closed connection\b/;
/** Relevant lines shown per log; the full log is a link away. */
const MAX_LOG_ENTRIES = 20;
/** Bus connections come from a new source port each time: lines that differ only there repeat. */
const sameButPorts = (message: string) => message.replace(/(\d+\.\d+\.\d+\.\d+):\d+/g, '$1:*');

export function logsSection(files: EvidenceFile[], nat: Map<string, string>): string[] {
  const logs = onePerMember(files.filter((file) => file.kind === 'log'));
  if (logs.length === 0) {
    return [];
  }
  const lines = ['<h4>Redis logs (relevant lines)</h4>'];
  for (const { file, copies } of logs) {
    const also = copies.map((copy) => fileLink(copy.path, 'copy')).join(' ');
    const head = `<span class="member">${esc(file.member ?? file.path)}</span> ${fileLink(file.path, 'full log')}${also ? ` ${also}` : ''}`;
    if (file.text === undefined) {
      lines.push(
        ...fold(
          head,
          fileBody(file, () => ''),
        ),
      );
      continue;
    }
    const excerpt = logExcerpt(file.text, nat);
    const shown = excerpt.entries;
    const body = [
      excerpt.html ? `<pre class="log">${excerpt.html}</pre>` : '<p class="omitted">No cluster-bus lines.</p>',
      `<p class="omitted">${excerpt.other} other line${excerpt.other === 1 ? '' : 's'} not shown` +
        `${excerpt.dropped > 0 ? `, and ${excerpt.dropped} more relevant line${excerpt.dropped === 1 ? '' : 's'}` : ''}` +
        `${file.truncated ? ` (read the first ${formatBytes(MAX_TEXT_BYTES)} only)` : ''}.</p>`,
    ];
    const summary = `${head} · ${shown} relevant line${shown === 1 ? '' : 's'}`;
    lines.push(...fold(summary, body, { open: excerpt.html.includes('class="ln bad"'), cls: 'log' }));
  }
  return lines;
}

/** The longest log of each pod (the latest copy); the others are links next to it. */
function onePerMember(logs: EvidenceFile[]): { file: EvidenceFile; copies: EvidenceFile[] }[] {
  const byMember = new Map<string, EvidenceFile[]>();
  for (const log of logs) {
    const key = log.member ?? log.path;
    byMember.set(key, [...(byMember.get(key) ?? []), log]);
  }
  return [...byMember.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, group]) => {
      // On a tie the copy nearest the cell's folder wins (`redis-0.log` over `cluster/redis-0.log.txt`).
      const depth = (file: EvidenceFile) => file.path.split('/').length;
      const [file, ...copies] = [...group].sort(
        (a, b) =>
          (b.text?.length ?? -1) - (a.text?.length ?? -1) || depth(a) - depth(b) || compareStrings(a.path, b.path),
      );
      return { file: file as EvidenceFile, copies };
    });
}

interface LogEntry {
  raw: string;
  /** The message with source ports left out, to spot repeats. */
  key: string;
  cls: string;
  repeats: number;
  /** Whether a repeat differed in its ports (`like it`) rather than being the same line. */
  varied: boolean;
  lastTime?: string;
}

export function logExcerpt(
  text: string,
  nat: Map<string, string> = new Map(),
): { html: string; entries: number; other: number; dropped: number } {
  const natPatterns = [...nat.keys()].map(addressPattern);
  const entries: LogEntry[] = [];
  let other = 0;
  let dropped = 0;
  for (const line of parseRedisLog(text)) {
    const pattern = LOG_NOISE.test(line.message) ? undefined : LOG_PATTERNS.find((p) => p.re.test(line.message));
    if (!pattern) {
      other += 1;
      continue;
    }
    const previous = entries[entries.length - 1];
    const key = sameButPorts(line.message);
    if (previous && previous.key === key) {
      previous.repeats += 1;
      previous.varied ||= !previous.raw.endsWith(line.message);
      previous.lastTime = line.time;
      continue;
    }
    if (entries.length >= MAX_LOG_ENTRIES) {
      dropped += 1;
      continue;
    }
    const natted = pattern.cls === '' && natPatterns.some((re) => re.test(line.message));
    entries.push({ raw: line.raw, key, cls: natted ? 'nat' : pattern.cls, repeats: 0, varied: false });
  }
  return { html: entries.map(entryHtml).join(''), entries: entries.length, other, dropped };
}

function entryHtml(entry: LogEntry): string {
  const main = plainLine(cleanText(entry.raw), entry.cls);
  if (entry.repeats === 0) {
    return main;
  }
  const until = entry.lastTime ? ` until ${entry.lastTime}` : '';
  const what = entry.varied
    ? `${entry.repeats} more like it (other source ports)`
    : `the same ${entry.repeats} more time${entry.repeats === 1 ? '' : 's'}`;
  return main + plainLine(`    … ${what}${until}`, 'repeat');
}
