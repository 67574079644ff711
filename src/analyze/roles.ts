// `redis-cli role`, alone or once per pod (`for p in …; do echo $p; kubectl exec $p -- redis-cli
// role; done`, as in redis/redis#15136). ROLE's reply (server.c roleCommand): a master gives
// `master`, its offset and one `ip, port, offset` triple per connected replica; a replica gives
// `slave`, its master's host and port, its link state (`connect`, `connecting`, `sync`,
// `connected`) and offset; a sentinel gives `sentinel` and the names of the masters it watches.
import { isNumbered, replyValues } from './redis-reply.ts';

export interface RoleReply {
  role: 'master' | 'slave' | 'sentinel';
  /** A master's connected replicas, at the addresses it lists them by. */
  replicas?: { ip: string; port: number }[];
  /** A replica's master, as it dials it. */
  master?: { host: string; port: number };
  /** A replica's link state: connected, connecting, connect, sync, handshake. */
  state?: string;
  /** The names a sentinel monitors. */
  masters?: string[];
}

const ROLE_WORDS = /^(?:master|slave|replica|sentinel)$/;

/** ROLE's reply, from its flattened values; undefined when it is not one. */
export function parseRole(text: string): RoleReply | undefined {
  const v = replyValues(text).filter((x) => x !== '');
  const [role, ...rest] = v;
  if (role === 'master' && /^-?\d+$/.test(rest[0] ?? '')) {
    const replicas: RoleReply['replicas'] = [];
    for (let i = 1; i + 1 < rest.length; i += 3) {
      const port = Number(rest[i + 1]);
      if (Number.isInteger(port)) {
        replicas.push({ ip: rest[i]!, port });
      }
    }
    return { role: 'master', replicas };
  }
  if ((role === 'slave' || role === 'replica') && rest.length >= 3 && /^\d+$/.test(rest[1]!)) {
    return { role: 'slave', master: { host: rest[0]!, port: Number(rest[1]) }, state: rest[2]! };
  }
  if (role === 'sentinel') {
    return { role: 'sentinel', masters: rest };
  }
  return undefined;
}

// A line that names the pod whose ROLE follows: a DNS-1123 name, maybe framed (`=== redis-0 ===`).
const NAME_LINE = /^[\s=#*-]*([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)[\s=#*:-]*$/;

const isRoleStart = (line: string | undefined) =>
  line !== undefined && (ROLE_WORDS.test(line.trim()) || /^\s*1\)\s+"(?:master|slave|sentinel)"\s*$/.test(line));

/** Where each pod's ROLE starts: a name line directly followed by the reply's first line. */
function blockStarts(lines: string[]): { pod: string; at: number }[] {
  const out: { pod: string; at: number }[] = [];
  lines.forEach((l, i) => {
    const m = NAME_LINE.exec(l);
    if (m && !ROLE_WORDS.test(m[1]!) && !/^[\d.]+$/.test(m[1]!) && !isNumbered(l) && isRoleStart(lines[i + 1])) {
      out.push({ pod: m[1]!, at: i });
    }
  });
  return out;
}

/** ROLE once per pod, each after a line with the pod's name; empty when the text is not that. */
export function parseRolesPerPod(text: string): { pod: string; role: RoleReply; line: number }[] {
  const lines = text.split('\n');
  const starts = blockStarts(lines);
  return starts.flatMap(({ pod, at }, i) => {
    const end = starts[i + 1]?.at ?? lines.length;
    const role = parseRole(lines.slice(at + 1, end).join('\n'));
    return role ? [{ pod, role, line: at + 1 }] : [];
  });
}
