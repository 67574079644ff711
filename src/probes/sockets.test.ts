import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  garbageLine,
  printableChar,
  seededRandom,
  shuffled,
  truncations,
  withGarbage,
  type Random,
} from '../../test/support/fuzz.ts';
import {
  inbound,
  parseNetstat,
  parseProcNetTcp,
  parseSocketTable,
  parseSs,
  type SocketEntry,
  type TcpState,
} from './sockets.ts';

// All socket tables were captured back to back in one network namespace (test/fixtures/capture.sh):
// 5 redis-server 7.0 cluster nodes on 127.0.0.1/::1 (7002 dials out from 127.0.0.3), a MEET to
// 192.0.2.2 whose SYN is swallowed, and a node.js process holding a dual-stack listener, a
// half-closed connection and a UDP socket.
const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');

const PID = { n7000: 6851, node: 7029 };

const SAME_MOMENT = [
  'ss-tanp.txt',
  'ss-tan.txt',
  'ss-tn.txt',
  'ss-anp.txt',
  'netstat-anop.txt',
  'netstat-tanp.txt',
  'netstat-tn.txt',
  'netstat-an.txt',
  'proc-net-tcp-all.txt',
];

const endpoint = (e: SocketEntry['peer']): string => (e ? `${e.ip}:${e.port}` : '-');
const flow = (s: SocketEntry): string => `${s.proto} ${s.state} ${endpoint(s.local)} ${endpoint(s.peer)}`;
const flowWithQueues = (s: SocketEntry): string => `${flow(s)} ${s.recvQ}/${s.sendQ}`;

function parseClean(name: string): SocketEntry[] {
  const { sockets, warnings } = parseSocketTable(fixture(name));
  expect(warnings).toEqual([]);
  return sockets;
}

function only(sockets: SocketEntry[], pred: (s: SocketEntry) => boolean): SocketEntry {
  const hits = sockets.filter(pred);
  expect(hits).toHaveLength(1);
  return hits[0] as SocketEntry;
}

const established = (sockets: SocketEntry[]): string[] =>
  sockets
    .filter((s) => s.state === 'ESTABLISHED')
    .map(flowWithQueues)
    .sort();

describe('ss, netstat and /proc agree on one moment', () => {
  const reference = established(parseClean('ss-tanp.txt'));

  it('has the expected connections', () => {
    expect(reference).toHaveLength(44);
    expect(reference).toContain('tcp ESTABLISHED 127.0.0.1:17000 127.0.0.3:33937 0/0');
    expect(reference).toContain('tcp6 ESTABLISHED ::1:17000 ::1:35426 0/0');
    expect(reference).toContain('tcp6 ESTABLISHED 127.0.0.1:9999 127.0.0.1:33392 0/0');
  });

  it.each(SAME_MOMENT)('%s has the same established connections', (name) => {
    expect(established(parseClean(name))).toEqual(reference);
  });

  it('/proc/net/tcp and tcp6 read separately give the same connections', () => {
    const tcp = parseProcNetTcp(fixture('proc-net-tcp.txt'), 'tcp');
    const tcp6 = parseProcNetTcp(fixture('proc-net-tcp6.txt'), 'tcp6');
    expect([...tcp.warnings, ...tcp6.warnings]).toEqual([]);
    expect(established([...tcp.sockets, ...tcp6.sockets])).toEqual(reference);
  });

  it('agree on every socket except how a dual-stack wildcard listener is written', () => {
    const ss = parseClean('ss-tan.txt').map(flow).sort();
    const netstat = parseClean('netstat-an.txt').map(flow).sort();
    const proc = parseClean('proc-net-tcp-all.txt').map(flow).sort();
    expect(proc).toEqual(netstat);
    // ss prints that listener as '*:9999', netstat as ':::9999' (tcp6)
    expect(ss.filter((f) => !netstat.includes(f))).toEqual(['tcp LISTEN 0.0.0.0:9999 -']);
    expect(netstat.filter((f) => !ss.includes(f))).toEqual(['tcp6 LISTEN :::9999 -']);
    expect(ss).toHaveLength(123);
  });

  it('normalise every state spelling to the same names', () => {
    const states = (name: string): TcpState[] => [...new Set(parseClean(name).map((s) => s.state))].sort();
    const expected: TcpState[] = ['CLOSE_WAIT', 'ESTABLISHED', 'FIN_WAIT2', 'LISTEN', 'SYN_SENT', 'TIME_WAIT'];
    expect(states('ss-tan.txt')).toEqual(expected);
    expect(states('netstat-an.txt')).toEqual(expected);
    expect(states('proc-net-tcp-all.txt')).toEqual(expected);
  });

  it('show the same owning process in ss and netstat', () => {
    const pids = (name: string): string[] =>
      parseClean(name)
        .filter((s) => s.state !== 'TIME_WAIT')
        .map((s) => `${flow(s)} ${s.process?.pid}`)
        .filter((f) => !f.includes(':9999 -'))
        .sort();
    expect(pids('netstat-anop.txt')).toEqual(pids('ss-tanp.txt'));
  });
});

describe('parseSs', () => {
  const sockets = parseClean('ss-tanp.txt');

  it('reads a hanging SYN with its process', () => {
    expect(only(sockets, (s) => s.state === 'SYN_SENT')).toEqual({
      proto: 'tcp',
      state: 'SYN_SENT',
      local: { ip: '192.0.2.1', port: 58540 },
      peer: { ip: '192.0.2.2', port: 17010 },
      recvQ: 0,
      sendQ: 1,
      process: { name: 'redis-server', pid: PID.n7000 },
      raw: 'SYN-SENT   0      1               192.0.2.1:58540          192.0.2.2:17010 users:(("redis-server",pid=6851,fd=24))',
    });
  });

  it('unwraps IPv4-mapped addresses and keeps the socket tcp6', () => {
    expect(only(sockets, (s) => s.local.port === 9999 && s.state === 'ESTABLISHED')).toMatchObject({
      proto: 'tcp6',
      local: { ip: '127.0.0.1', port: 9999 },
      peer: { ip: '127.0.0.1', port: 33392 },
      process: { name: 'node', pid: PID.node },
    });
  });

  it('reads listeners: brackets, wildcard peers and the * address', () => {
    expect(only(sockets, (s) => s.state === 'LISTEN' && s.local.ip === '::1' && s.local.port === 17000)).toMatchObject({
      proto: 'tcp6',
      peer: null,
      recvQ: 0,
      sendQ: 511,
    });
    expect(only(sockets, (s) => s.state === 'LISTEN' && s.local.port === 9999)).toMatchObject({
      proto: 'tcp',
      local: { ip: '0.0.0.0', port: 9999 },
      peer: null,
    });
    expect(only(sockets, (s) => s.state === 'LISTEN' && s.local.ip === '127.0.0.3' && s.local.port === 7002).peer).toBe(
      null,
    );
  });

  it('has no process without -p', () => {
    expect(parseClean('ss-tan.txt').filter((s) => s.process)).toEqual([]);
    expect(parseClean('ss-tn.txt')).toHaveLength(47);
    expect(sockets.filter((s) => s.state !== 'TIME_WAIT' && !s.process)).toEqual([]);
  });

  it('skips other families of `ss -anp` (udp, unix, netlink)', () => {
    const all = parseSs(fixture('ss-anp.txt'));
    expect(all.warnings).toEqual([]);
    expect(all.sockets.map((s) => ({ ...s, raw: '' }))).toEqual(sockets.map((s) => ({ ...s, raw: '' })));
    expect(fixture('ss-anp.txt')).toMatch(/^udp /m);
    expect(fixture('ss-anp.txt')).toMatch(/^u_str /m);
  });

  it('reads lines without the header and with \\r\\n', () => {
    const body = fixture('ss-tanp.txt').split('\n').slice(1).join('\r\n');
    const parsed = parseSs(body);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.sockets).toEqual(sockets);
  });

  it('reads `state established` output that has no State column', () => {
    // derived from the capture: ss drops the State column when one state is filtered for
    const stateless = fixture('ss-tn.txt')
      .split('\n')
      .map((l) => l.replace(/^\S+\s+/, ''))
      .join('\n');
    const parsed = parseSs(stateless);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.sockets.map((s) => s.state)).toEqual(Array(47).fill('UNKNOWN'));
    expect(parsed.sockets.map((s) => `${endpoint(s.local)} ${endpoint(s.peer)}`)).toEqual(
      parseClean('ss-tn.txt').map((s) => `${endpoint(s.local)} ${endpoint(s.peer)}`),
    );
  });

  it('warns about lines that are not ss rows', () => {
    const { sockets: none, warnings } = parseSs(
      'ESTAB 0 0 127.0.0.1:7000\nBOGUS 0 0 1.2.3.4:1 1.2.3.4:2\nESTAB x 0 a b',
    );
    expect(none).toEqual([]);
    expect(warnings.map((w) => [w.line, w.problem])).toEqual([
      [1, "bad peer address ''"],
      [2, "unknown ss state 'BOGUS'"],
      [3, "bad Recv-Q/Send-Q 'x 0'"],
    ]);
  });
});

describe('parseNetstat', () => {
  const sockets = parseClean('netstat-anop.txt');

  it('reads PID/Program name truncated by netstat, and - for sockets without owner', () => {
    expect(only(sockets, (s) => s.state === 'SYN_SENT').process).toEqual({ name: 'redis-server 1', pid: PID.n7000 });
    const timeWait = sockets.filter((s) => s.state === 'TIME_WAIT');
    expect(timeWait.length).toBeGreaterThan(0);
    expect(timeWait.filter((s) => s.process)).toEqual([]);
  });

  it('reads IPv6 without brackets and the mapped address netstat already unwrapped', () => {
    expect(only(sockets, (s) => s.state === 'LISTEN' && s.local.port === 9999)).toMatchObject({
      proto: 'tcp6',
      local: { ip: '::', port: 9999 },
      peer: null,
    });
    expect(only(sockets, (s) => s.local.ip === '::1' && s.peer?.port === 35426)).toMatchObject({
      proto: 'tcp6',
      state: 'ESTABLISHED',
      local: { ip: '::1', port: 17000 },
      process: { pid: PID.n7000 },
    });
  });

  it('ignores udp and unix sockets and section headers', () => {
    const text = fixture('netstat-anop.txt');
    expect(text).toMatch(/^udp /m);
    expect(text).toMatch(/^unix /m);
    expect(sockets.filter((s) => s.local.port === 9998)).toEqual([]);
    expect(sockets).toHaveLength(123);
  });

  it('reads grep-filtered output without any header', () => {
    const grepped = parseNetstat(fixture('netstat-anop.grep-17000.txt'));
    expect(grepped.warnings).toEqual([]);
    // a separate netstat run: same sockets, different timer values in raw
    const noRaw = (s: SocketEntry) => ({ ...s, raw: '' });
    expect(grepped.sockets.map(noRaw)).toEqual(sockets.filter((s) => s.raw.includes('17000')).map(noRaw));
    expect(grepped.sockets).toHaveLength(10);
  });

  it('gives the same sockets with or without -o and -p', () => {
    const strip = (s: SocketEntry) => ({ ...s, raw: '', process: undefined });
    expect(parseClean('netstat-tanp.txt').map(strip)).toEqual(sockets.map(strip));
    expect(parseClean('netstat-an.txt').map(strip)).toEqual(sockets.map(strip));
  });

  it('warns about broken tcp lines only', () => {
    const { sockets: none, warnings } = parseNetstat(
      'tcp 0 0 127.0.0.1:7000\ntcp 0 0 127.0.0.1:7000 0.0.0.0:* NOTASTATE\nsomething else\ntcp 0 0 localhost:7000 0.0.0.0:* LISTEN',
    );
    expect(none).toEqual([]);
    expect(warnings.map((w) => [w.line, w.problem])).toEqual([
      [1, 'truncated tcp line'],
      [2, "unknown netstat state 'NOTASTATE'"],
      [4, "bad local address 'localhost:7000'"],
    ]);
  });
});

describe('parseProcNetTcp', () => {
  it('decodes little-endian words, IPv6 and mapped IPv4 addresses', () => {
    const tcp6 = parseProcNetTcp(fixture('proc-net-tcp6.txt'), 'tcp6').sockets;
    expect(only(tcp6, (s) => s.state === 'ESTABLISHED' && s.local.port === 9999)).toMatchObject({
      proto: 'tcp6',
      local: { ip: '127.0.0.1', port: 9999 },
      peer: { ip: '127.0.0.1', port: 33392 },
    });
    expect(only(tcp6, (s) => s.state === 'LISTEN' && s.local.port === 9999)).toMatchObject({
      local: { ip: '::', port: 9999 },
      peer: null,
    });
    const tcp = parseProcNetTcp(fixture('proc-net-tcp.txt'), 'tcp').sockets;
    expect(only(tcp, (s) => s.state === 'SYN_SENT')).toEqual({
      proto: 'tcp',
      state: 'SYN_SENT',
      local: { ip: '192.0.2.1', port: 58540 },
      peer: { ip: '192.0.2.2', port: 17010 },
      recvQ: 0,
      sendQ: 1,
      raw: expect.stringMatching(/^\s+\d+: 010200C0:E4AC 020200C0:4272 02 00000001:00000000 /),
    });
  });

  it('rejects lines of the other family when told which file it reads', () => {
    const wrong = parseProcNetTcp(fixture('proc-net-tcp6.txt'), 'tcp');
    expect(wrong.sockets).toEqual([]);
    expect(wrong.warnings).toHaveLength(25);
    expect(wrong.warnings[0]?.problem).toBe('tcp6 address in a tcp table');
  });

  it('reads both tables concatenated, each header skipped', () => {
    const both = parseProcNetTcp(fixture('proc-net-tcp-all.txt'));
    expect(both.warnings).toEqual([]);
    expect(both.sockets.filter((s) => s.proto === 'tcp')).toHaveLength(98);
    expect(both.sockets.filter((s) => s.proto === 'tcp6')).toHaveLength(25);
  });

  it('maps unknown state codes to UNKNOWN and warns about junk', () => {
    const line = '   0: 0100007F:1B58 00000000:0000 0C 00000000:00000000 00:00000000 00000000     0        0 1 1';
    expect(parseProcNetTcp(line).sockets[0]?.state).toBe('UNKNOWN');
    const junk = parseProcNetTcp('   0: 0100007F:1B58 0000:0000 0A 00000000:00000000\n0: 0100007F 0A');
    expect(junk.warnings.map((w) => w.problem)).toEqual(['bad address width 8', 'not a /proc/net/tcp entry']);
  });
});

describe('parseSocketTable', () => {
  it.each([
    ['ss-tanp.txt', 'ss'],
    ['ss-tan.txt', 'ss'],
    ['ss-tn.txt', 'ss'],
    ['ss-anp.txt', 'ss'],
    ['netstat-anop.txt', 'netstat'],
    ['netstat-tanp.txt', 'netstat'],
    ['netstat-tn.txt', 'netstat'],
    ['netstat-an.txt', 'netstat'],
    ['netstat-anop.grep-17000.txt', 'netstat'],
    ['proc-net-tcp.txt', 'proc'],
    ['proc-net-tcp6.txt', 'proc'],
    ['proc-net-tcp-all.txt', 'proc'],
  ])('detects %s as %s', (name, format) => {
    const table = parseSocketTable(fixture(name));
    expect(table.format).toBe(format);
    expect(table.sockets.length).toBeGreaterThan(0);
  });

  it('reports unknown input line by line', () => {
    const table = parseSocketTable(fixture('cluster-nodes.fresh.txt'));
    expect(table).toEqual({
      format: 'unknown',
      sockets: [],
      warnings: [expect.objectContaining({ line: 1, problem: 'not a line of ss, netstat or /proc/net/tcp' })],
    });
    expect(parseSocketTable('')).toEqual({ format: 'unknown', sockets: [], warnings: [] });
  });
});

describe('inbound', () => {
  it('lists the connections peers opened to a bus port, with the source each was seen from', () => {
    for (const name of ['ss-tanp.txt', 'netstat-anop.txt', 'proc-net-tcp-all.txt']) {
      const peers = inbound(parseClean(name), 17000).map((s) => endpoint(s.peer));
      expect(peers.sort()).toEqual(['127.0.0.1:54124', '127.0.0.1:54138', '127.0.0.3:33937', '::1:35426']);
    }
  });

  it('ignores listeners, outgoing connections and other states', () => {
    const sockets = parseClean('ss-tanp.txt');
    expect(inbound(sockets, 17010)).toEqual([]);
    expect(inbound(sockets, 9997)).toEqual([]); // CLOSE_WAIT only
    expect(inbound(sockets, 9999).map((s) => s.proto)).toEqual(['tcp6']);
  });
});

// never blank; sometimes dressed as a tcp row so netstat has to reject it rather than skip it
const garbage = (rand: Random) =>
  garbageLine(rand, { headFirst: true, head: (r) => (r() < 0.3 ? 'tcp ' : printableChar(r)) });

type Parser = (text: string) => { sockets: SocketEntry[]; warnings: { line: number }[] };
// the last field: whether the parser silently skips lines that do not start like a tcp row
const FUZZ: [string, string, Parser, boolean][] = [
  ['parseSs', 'ss-tanp.txt', parseSs, false],
  ['parseSs', 'ss-anp.txt', parseSs, false],
  ['parseNetstat', 'netstat-anop.txt', parseNetstat, true],
  ['parseProcNetTcp', 'proc-net-tcp-all.txt', (t) => parseProcNetTcp(t), false],
  ['parseSocketTable', 'ss-tn.txt', parseSocketTable, false],
  ['parseSocketTable', 'netstat-an.txt', parseSocketTable, true],
  ['parseSocketTable', 'proc-net-tcp6.txt', parseSocketTable, false],
];

describe('fuzz', () => {
  it.each(FUZZ)('%s(%s): truncated prefixes keep every complete line', (_fn, name, parse) => {
    const text = fixture(name);
    const full = parse(text).sockets;
    for (const { prefix, complete: whole, partial } of truncations(text, 150)) {
      const complete = new Set(whole.split('\n'));
      const expected = full.filter((s) => complete.has(s.raw));
      const { sockets } = parse(prefix);
      expect(sockets.slice(0, expected.length)).toEqual(expected);
      expect(sockets.slice(expected.length).map((s) => s.raw)).toEqual(
        sockets.length > expected.length ? [partial] : [],
      );
    }
  });

  it.each(FUZZ)('%s(%s): shuffled lines parse to the same sockets', (_fn, name, parse) => {
    const text = fixture(name);
    const rand = seededRandom(7);
    const sorted = (ss: SocketEntry[]) => ss.map((s) => JSON.stringify(s)).sort();
    for (let k = 0; k < 20; k++) {
      const { sockets, warnings } = parse(shuffled(text.split('\n'), rand).join('\n'));
      expect(warnings).toEqual([]);
      expect(sorted(sockets)).toEqual(sorted(parse(text).sockets));
    }
  });

  it.each(FUZZ)('%s(%s): garbage lines yield no sockets, real lines still parse', (_fn, name, parse, skipsNonTcp) => {
    const real = fixture(name).split('\n');
    const rand = seededRandom(42);
    for (let k = 0; k < 30; k++) {
      const { lines: mixed, junk } = withGarbage(real, rand, { garbage });
      const { sockets, warnings } = parse(mixed.join('\n'));
      expect(sockets).toEqual(parse(real.join('\n')).sockets);
      const warned = junk.filter((l) => !skipsNonTcp || (mixed[l - 1] ?? '').startsWith('tcp'));
      expect(warnings.map((w) => w.line)).toEqual(warned);
    }
  });
});
