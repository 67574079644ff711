import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { garbageLine, seededRandom, shuffled, truncations, withGarbage, type Random } from '../../test/support/fuzz.ts';
import { parseClusterNodes } from './cluster-nodes.ts';
import { findAddressUpdates, findFailedConnections, findLines, parseRedisLog, type RedisLogLine } from './logs.ts';

// Real redis-server 7.0.15 logs at loglevel verbose, see test/fixtures/capture.sh.
// (named *.log.txt because the repository ignores *.log)
const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');

const LOG_7000 = fixture('redis-7000.verbose.log.txt');
const LOG_7002 = fixture('redis-7002.verbose.log.txt');
const LOGS = ['redis-7000.verbose.log.txt', 'redis-7002.verbose.log.txt'];
const ID_7002 = '7a0d82ba5cdcffbdf791c71e2908aaf1dcc5cde1';

const lineOf = (text: string, n: number): string => text.split('\n')[n - 1] ?? '';

describe('parseRedisLog', () => {
  const lines = parseRedisLog(LOG_7000);

  it('parses every line of a real log', () => {
    expect(lines).toHaveLength(317);
    expect(lines.filter((l) => l.pid === undefined)).toEqual([]);
    expect(lines.map((l) => l.line)).toEqual(Array.from({ length: 317 }, (_, i) => i + 1));
  });

  it('reads pid, role, time, level and message', () => {
    expect(lines[0]).toEqual({
      pid: 6851,
      role: 'C',
      time: '22 Nov 2026 02:54:13.750',
      level: 'warning',
      message: 'oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
      line: 1,
      raw: '6851:C 22 Nov 2026 02:54:13.750 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
    });
    expect(lines[142]).toMatchObject({
      pid: 7092,
      role: 'C',
      level: 'notice',
      message: expect.stringMatching(/^Fork CoW/),
    });
    expect(lines[85]).toMatchObject({ pid: 6851, role: 'M', level: 'verbose', time: '22 Nov 2026 02:54:18.103' });
  });

  it('maps the level characters', () => {
    expect([...new Set(lines.map((l) => l.level))].sort()).toEqual(['notice', 'verbose', 'warning']);
    // loglevel verbose never prints debug lines; same line with the '.' Redis uses for them
    const debug = lineOf(LOG_7000, 86).replace(' - ', ' . ');
    expect(parseRedisLog(debug)[0]?.level).toBe('debug');
  });

  it('keeps unparseable lines with the raw text as message', () => {
    const prefixed = `2026-11-22T02:54:18.103Z ${lineOf(LOG_7000, 86)}`;
    const text = ['                _._', prefixed, '', lineOf(LOG_7000, 1)].join('\n');
    expect(parseRedisLog(text)).toEqual([
      { message: '                _._', line: 1, raw: '                _._' },
      { message: prefixed, line: 2, raw: prefixed },
      expect.objectContaining({ pid: 6851, line: 4 }),
    ]);
  });

  it('tolerates \\r\\n', () => {
    expect(parseRedisLog(LOG_7002.replace(/\n/g, '\r\n'))).toEqual(parseRedisLog(LOG_7002));
  });
});

describe('findFailedConnections', () => {
  const failed = findFailedConnections(LOG_7000);

  it('finds every bus connection that failed, with the bus port dialled', () => {
    expect(failed[0]).toEqual({
      nodeId: 'd55545d74ad5105696f7be4f928c2ce565fcf5c6',
      ip: '::1',
      port: 17009,
      error: 'Connection refused',
      line: 86,
      raw: lineOf(LOG_7000, 86),
    });
    const counts: Record<string, number> = {};
    for (const f of failed) {
      counts[`${f.ip}:${f.port} ${f.error}`] = (counts[`${f.ip}:${f.port} ${f.error}`] ?? 0) + 1;
    }
    expect(counts).toEqual({
      '::1:17009 Connection refused': 20,
      '127.0.0.1:17009 Connection refused': 20,
      '::1:17004 Connection refused': 52,
      '127.0.0.1:17001 Connection refused': 22,
    });
  });

  it('names the handshake ghosts CLUSTER NODES showed at the same time', () => {
    const ghosts = parseClusterNodes(fixture('cluster-nodes.handshake.txt'))
      .nodes.filter((n) => n.flags.includes('handshake') && n.ip !== '192.0.2.2')
      .map((n) => `${n.id} ${n.ip}:${n.cport}`);
    const refused = new Set(failed.filter((f) => f.port === 17009).map((f) => `${f.nodeId} ${f.ip}:${f.port}`));
    expect([...refused].sort()).toEqual(ghosts.sort());
  });

  it('logs nothing for a MEET whose SYN is never answered', () => {
    expect(failed.filter((f) => f.ip === '192.0.2.2')).toEqual([]);
  });

  it('reads an empty ip and other errors', () => {
    const real = lineOf(LOG_7000, 87);
    const noIp = real.replace(' at 127.0.0.1:', ' at :');
    const unreachable = real.replace('Connection refused', 'No route to host');
    expect(findFailedConnections([noIp, unreachable].join('\n'))).toEqual([
      expect.objectContaining({ ip: '', port: 17009, error: 'Connection refused', line: 1 }),
      expect.objectContaining({ ip: '127.0.0.1', port: 17009, error: 'No route to host', line: 2 }),
    ]);
  });

  it('matches inside lines with a collector prefix', () => {
    const prefixed = `2026-11-22T02:54:18.103Z stdout F ${lineOf(LOG_7000, 86)}`;
    expect(findFailedConnections(prefixed)).toEqual([{ ...failed[0], line: 1, raw: prefixed }]);
  });
});

describe('findAddressUpdates', () => {
  it('finds the peer that dialled from another source address', () => {
    expect(findAddressUpdates(LOG_7000)).toEqual([
      { nodeId: ID_7002, ip: '127.0.0.3', port: 7002, line: 40, raw: lineOf(LOG_7000, 40) },
    ]);
    const node = parseClusterNodes(fixture('cluster-nodes.handshake.txt')).nodes.find((n) => n.id === ID_7002);
    expect(node?.ip).toBe('127.0.0.3');
    // 7002 itself only ever learnt the address it was dialled at
    expect(findAddressUpdates(LOG_7002)).toEqual([]);
    expect(findLines(LOG_7002, /^IP address for this node updated to 127\.0\.0\.1$/)).toHaveLength(1);
  });

  it('reads IPv6 and empty addresses', () => {
    const real = lineOf(LOG_7000, 40);
    const text = [real.replace('127.0.0.3:', '::1:'), real.replace('127.0.0.3:', ':')].join('\n');
    expect(findAddressUpdates(text).map((u) => [u.ip, u.port])).toEqual([
      ['::1', 7002],
      ['', 7002],
    ]);
  });
});

describe('findLines', () => {
  it('filters parsed lines by message', () => {
    expect(findLines(LOG_7000, /^Cluster state changed/).map((l) => [l.line, l.message])).toEqual([
      [71, 'Cluster state changed: ok'],
    ]);
    expect(findLines(LOG_7000, /^FAIL message received from \w+ about 1b0f97c6/)).toHaveLength(1);
  });

  it('does not skip matches with a /g pattern', () => {
    expect(findLines(LOG_7000, /Connection with Node/g)).toHaveLength(114);
    expect(findLines(LOG_7000, /Connection with Node/y)).toHaveLength(114);
  });
});

// Garbage lines draw their first character before their length (the order these cases were seeded with).
const garbage = (rand: Random) => garbageLine(rand, { headFirst: true });

const withoutLine = ({ line: _line, ...rest }: { line: number }) => rest;

describe('fuzz', () => {
  it.each(LOGS)('%s: truncated prefixes keep every complete line', (name) => {
    const text = fixture(name);
    const full = parseRedisLog(text);
    const failed = findFailedConnections(text);
    for (const { prefix, completeLines, partial } of truncations(text, 150)) {
      const parsed = parseRedisLog(prefix);
      const kept = full.filter((l) => l.line <= completeLines);
      expect(parsed.slice(0, kept.length)).toEqual(kept);
      expect(parsed.slice(kept.length).map((l) => l.raw)).toEqual(parsed.length > kept.length ? [partial] : []);
      const found = findFailedConnections(prefix).filter((f) => f.line <= completeLines);
      expect(found).toEqual(failed.filter((f) => f.line <= completeLines));
    }
  });

  it.each(LOGS)('%s: shuffled lines parse to the same lines', (name) => {
    const text = fixture(name);
    const rand = seededRandom(7);
    const key = (ls: object[]) => ls.map((l) => JSON.stringify(l)).sort();
    const full = parseRedisLog(text).map(withoutLine);
    for (let k = 0; k < 20; k++) {
      const reordered = shuffled(text.split('\n'), rand).join('\n');
      expect(key(parseRedisLog(reordered).map(withoutLine))).toEqual(key(full));
      expect(key(findFailedConnections(reordered).map(withoutLine))).toEqual(
        key(findFailedConnections(text).map(withoutLine)),
      );
    }
  });

  it.each(LOGS)('%s: garbage lines stay unparsed, real lines still parse', (name) => {
    const real = fixture(name).split('\n');
    const rand = seededRandom(42);
    const expected = parseRedisLog(real.join('\n')).map(withoutLine);
    const expectedUpdates = findAddressUpdates(real.join('\n')).map(withoutLine);
    for (let k = 0; k < 30; k++) {
      const { lines: mixed, junk: junkLines } = withGarbage(real, rand, { garbage });
      const junk = new Set(junkLines);
      const parsed = parseRedisLog(mixed.join('\n'));
      const isJunk = (l: RedisLogLine) => junk.has(l.line);
      expect(parsed.filter(isJunk).every((l) => l.pid === undefined && l.message === l.raw)).toBe(true);
      expect(parsed.filter(isJunk)).toHaveLength(junk.size);
      expect(parsed.filter((l) => !isJunk(l)).map(withoutLine)).toEqual(expected);
      expect(findAddressUpdates(mixed.join('\n')).map(withoutLine)).toEqual(expectedUpdates);
    }
  });
});
