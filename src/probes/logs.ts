// Parsers for redis-server log files and the cluster-bus lines rcnc judges by.

export interface RedisLogLine {
  pid?: number;
  /** X sentinel, C child (RDB/AOF), S replica, M master */
  role?: string;
  /** as printed, e.g. '22 Nov 2026 02:51:59.753' (local time of the Redis host, no zone) */
  time?: string;
  level?: 'debug' | 'verbose' | 'notice' | 'warning';
  message: string;
  /** 1-based */
  line: number;
  raw: string;
}

export interface FailedConnection {
  nodeId: string;
  ip: string;
  /** the cluster-bus port Redis dialled (node->cport), not the client port */
  port: number;
  error: string;
  line: number;
  raw: string;
}

export interface AddressUpdate {
  nodeId: string;
  ip: string;
  /** the client port (node->port) */
  port: number;
  line: number;
  raw: string;
}

// server.c serverLogRaw(): "%d:%c %s %c %s" with strftime "%d %b %Y %H:%M:%S." + milliseconds
const LOG_LINE = /^(\d+):([XCSM]) (\d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}) ([.\-*#]) (.*)$/;
const LEVELS: Record<string, NonNullable<RedisLogLine['level']>> = {
  '.': 'debug',
  '-': 'verbose',
  '*': 'notice',
  '#': 'warning',
};

// Redis 7.0 src/cluster.c, clusterLinkConnectHandler():
//   serverLog(LL_VERBOSE, "Connection with Node %.40s at %s:%d failed: %s",
//             node->name, node->ip, node->cport, connGetLastError(conn));
// The ip is printed bare, so it may be '' or IPv6 ('::1:17009'): the port follows the last ':'.
// Not anchored at the start so lines with a collector prefix (kubectl --timestamps) still match.
const FAILED_CONNECTION = /Connection with Node ([0-9a-f]{40}) at (\S*):(\d+) failed: (.*)$/;

// Redis 7.0 src/cluster.c, nodeUpdateAddressIfNeeded():
//   serverLog(LL_WARNING, "Address updated for node %.40s, now %s:%d",
//             node->name, node->ip, node->port);
const ADDRESS_UPDATED = /Address updated for node ([0-9a-f]{40}), now (\S*):(\d+)\s*$/;

function parseLogLine(raw: string, line: number): RedisLogLine {
  const m = LOG_LINE.exec(raw);
  if (!m) {
    return { message: raw, line, raw };
  }
  const [, pid, role, time, levelChar = '', message = ''] = m;
  return { pid: Number(pid), role, time, level: LEVELS[levelChar], message, line, raw };
}

export function parseRedisLog(text: string): RedisLogLine[] {
  const lines: RedisLogLine[] = [];
  text.split('\n').forEach((l, i) => {
    const raw = l.replace(/\r+$/, '');
    if (raw.trim() !== '') {
      lines.push(parseLogLine(raw, i + 1));
    }
  });
  return lines;
}

export function findLines(text: string, pattern: RegExp): RedisLogLine[] {
  return parseRedisLog(text).filter((l) => {
    // a /g or /y pattern keeps lastIndex between test() calls and would skip matches
    pattern.lastIndex = 0;
    return pattern.test(l.message);
  });
}

export function findFailedConnections(text: string): FailedConnection[] {
  return parseRedisLog(text).flatMap(({ message, line, raw }) => {
    const m = FAILED_CONNECTION.exec(message);
    if (!m) {
      return [];
    }
    const [, nodeId = '', ip = '', port, error = ''] = m;
    return [{ nodeId, ip, port: Number(port), error, line, raw }];
  });
}

export function findAddressUpdates(text: string): AddressUpdate[] {
  return parseRedisLog(text).flatMap(({ message, line, raw }) => {
    const m = ADDRESS_UPDATED.exec(message);
    if (!m) {
      return [];
    }
    const [, nodeId = '', ip = '', port] = m;
    return [{ nodeId, ip, port: Number(port), line, raw }];
  });
}
