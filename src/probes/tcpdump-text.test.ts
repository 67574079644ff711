import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom, shuffled, truncations, withGarbage } from '../../test/support/fuzz.ts';
import { parseTcpdump, summarizeFlows, type Packet } from './tcpdump-text.ts';

// Real captures from a two-node flannel-vxlan lab, see test/fixtures/tcpdump/README.md: redis-1
// (10.42.1.2, node-1 172.18.0.3) pings redis-0 (10.42.0.2, node-0 172.18.0.2) over NodePort 30000
// via both nodes, directly, on a closed port, and sends unanswered SYNs to NodePort 30001.
const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/tcpdump/${name}`, import.meta.url), 'utf8');

const COUNTS: [string, number][] = [
  ['redis-1.any.nn-tt-v.txt', 38],
  ['redis-1.any.nn-tttt.txt', 38],
  ['redis-1.any.nn-t.txt', 38],
  ['redis-0.any.nn-tt-v.txt', 48],
  ['redis-0.any.nn-tt.txt', 48],
  ['redis-0.any.e-nn-tt.txt', 48],
  ['redis-0.any.names-tt-v.txt', 48],
  ['redis-0.eth0.nn-v.txt', 38],
  ['node-0.any.nn-tt-v.txt', 138],
  ['node-0.any.nn-tt.txt', 138],
];
const FIXTURES = COUNTS.map(([name]) => name);

function parseClean(name: string): Packet[] {
  const { packets, warnings } = parseTcpdump(fixture(name));
  expect(warnings).toEqual([]);
  return packets;
}

// What every print format of one pcap must agree on.
const essence = (p: Packet) => ({
  src: p.src,
  dst: p.dst,
  flags: p.flags,
  seq: p.seq,
  ack: p.ack,
  tsval: p.tsval,
  tsecr: p.tsecr,
  length: p.length,
});

describe('parseTcpdump on real captures', () => {
  it.each(COUNTS)('%s: every packet, no warnings', (name, count) => {
    expect(parseClean(name)).toHaveLength(count);
  });

  it('reads the -nn -tt -v two-line form: stamp, interface, direction, IP header, TCP fields', () => {
    const text = fixture('redis-1.any.nn-tt-v.txt');
    const [syn] = parseClean('redis-1.any.nn-tt-v.txt');
    expect(syn).toEqual({
      time: 1795317887.469953,
      src: { ip: '10.42.1.2', port: 39028 },
      dst: { ip: '172.18.0.3', port: 30000 },
      flags: 'S',
      seq: 2856362425,
      tsval: 2291193219,
      tsecr: 0,
      length: 0,
      ttl: 64,
      ipId: 64109,
      iface: 'eth0',
      direction: 'Out',
      line: 1,
      raw: text.split('\n').slice(0, 2).join('\n'),
    });
  });

  it('reads data segments, SYN-ACKs and RSTs; payload decoding after the length is ignored', () => {
    const packets = parseClean('redis-0.any.nn-tt-v.txt');
    const ping = packets.find((p) => p.length > 0)!;
    expect(ping).toMatchObject({
      src: { ip: '10.42.1.0', port: 51750 },
      dst: { ip: '10.42.0.2', port: 6379 },
      flags: 'P.',
      seq: [1, 15],
      ack: 1,
      tsval: 2291193221,
      tsecr: 2539624489,
      length: 14,
      ttl: 62,
      direction: 'In',
    });
    expect(ping.raw).toMatch(/length 14: RESP "ping"$/);
    expect(packets.find((p) => p.flags === 'S.')).toMatchObject({ seq: 2799364685, ack: 2856362426 });
    const rst = packets.find((p) => p.flags === 'R.')!;
    expect(rst).toMatchObject({ src: { port: 7777 }, seq: 0, ack: 3632211227, length: 0 });
    expect(rst.tsval).toBeUndefined();
  });

  it('reads IPv6 (header and addresses on one line, hlim as ttl, no IP id)', () => {
    const v6 = parseClean('redis-0.any.nn-tt-v.txt').filter((p) => p.iface === 'lo');
    expect(v6).toHaveLength(10);
    expect(v6[0]).toMatchObject({ src: { ip: '::1', port: 36396 }, dst: { ip: '::1', port: 6379 }, ttl: 64 });
    expect(v6[0]!.ipId).toBeUndefined();
  });

  it('keeps resolved host names as ip with host: true and maps port names back to numbers', () => {
    const named = parseClean('redis-0.any.names-tt-v.txt');
    expect(named[1]).toMatchObject({
      src: { ip: 'redis-0.redis.rcnc.svc.cluster.local', port: 6379, host: true },
      dst: { ip: '10.42.1.0', port: 51750 },
      flags: 'S.',
    });
    expect(named[1]!.dst.host).toBeUndefined();
    expect(named.find((p) => p.iface === 'lo')?.src).toEqual({ ip: 'localhost', port: 36396, host: true });
    // the same pcap printed with -nn: identical packets apart from the names
    const numeric = parseClean('redis-0.any.nn-tt-v.txt');
    const unname = (e: Packet['src']) => ({
      ip: e.ip
        .replace('redis-0.redis.rcnc.svc.cluster.local', '10.42.0.2')
        .replace('redis-1.redis.rcnc.svc.cluster.local', '10.42.1.2')
        .replace('localhost', '::1'),
      port: e.port,
    });
    expect(named.map((p) => ({ ...essence(p), src: unname(p.src), dst: unname(p.dst) }))).toEqual(numeric.map(essence));
  });

  it('one-line (-nn -tt), dated (-tttt), unstamped (-t) and -e output agree with -v on every packet', () => {
    const verbose = parseClean('redis-1.any.nn-tt-v.txt');
    const oneLine = parseClean('redis-1.any.nn-tttt.txt');
    expect(oneLine.map(essence)).toEqual(verbose.map(essence));
    // the lab clock is UTC, so the dated stamps are the epoch stamps
    oneLine.forEach((p, i) => expect(p.time).toBeCloseTo(verbose[i]!.time, 6));
    expect(oneLine[0]!.ttl).toBeUndefined();
    const unstamped = parseClean('redis-1.any.nn-t.txt');
    expect(unstamped.map(essence)).toEqual(verbose.map(essence));
    expect(new Set(unstamped.map((p) => p.time))).toEqual(new Set([0]));
    expect(unstamped[0]).toMatchObject({ iface: 'eth0', direction: 'Out' });
    const linkLayer = parseClean('redis-0.any.e-nn-tt.txt');
    expect(linkLayer.map(essence)).toEqual(parseClean('redis-0.any.nn-tt-v.txt').map(essence));
    expect(linkLayer.map((p) => p.iface)).toEqual(parseClean('redis-0.any.nn-tt.txt').map((p) => p.iface));
  });

  it('reads single-interface captures (no interface column) with clock timestamps', () => {
    const [first] = parseClean('redis-0.eth0.nn-v.txt');
    expect(first).toMatchObject({ time: 3 * 3600 + 24 * 60 + 47.470444, flags: 'S', ttl: 62 });
    expect(first!.iface).toBeUndefined();
    expect(first!.direction).toBeUndefined();
  });

  it('keeps VXLAN-encapsulated packets with the outer flow, and every interface a node saw', () => {
    const packets = parseClean('node-0.any.nn-tt-v.txt');
    const syn = packets.filter((p) => p.flags === 'S' && p.src.port === 51750);
    expect(syn.map((p) => [p.iface, p.direction, p.ttl, p.tunnel])).toEqual([
      ['eth0', 'In', 63, '172.18.0.3:41324 > 172.18.0.2:8472'],
      ['flannel.1', 'In', 63, undefined],
      ['cni0', 'Out', 62, undefined],
      ['vpf383620', 'Out', 62, undefined],
    ]);
    // the SYN keeps its IP id and timestamp on every hop
    expect(new Set(syn.map((p) => `${p.ipId}/${p.tsval}`)).size).toBe(1);
    expect(parseClean('node-0.any.nn-tt.txt').map(essence)).toEqual(packets.map(essence));
  });

  it('tolerates \\r\\n line ends', () => {
    const text = fixture('redis-0.any.nn-tt-v.txt');
    expect(parseTcpdump(text.replace(/\n/g, '\r\n')).packets.map(essence)).toEqual(
      parseTcpdump(text).packets.map(essence),
    );
  });
});

describe('parseTcpdump on damaged input', () => {
  const lines = fixture('redis-1.any.nn-tt-v.txt').split('\n');

  it('warns about a header without its TCP line, a TCP line without a length, and unknown port names', () => {
    const text = [
      lines[0], // header, its TCP line dropped
      lines[2],
      lines[3]!.replace(/, length 0$/, ''),
      lines[4],
      lines[5]!.replace('172.18.0.3.30000', '172.18.0.3.fancy-port'),
      lines[6],
      lines[7],
    ].join('\n');
    const { packets, warnings } = parseTcpdump(text);
    expect(warnings.map((w) => [w.line, w.problem])).toEqual([
      [1, 'IP header line without its TCP line (cut off?)'],
      [3, 'TCP line without a length (truncated?)'],
      [5, "'172.18.0.3.fancy-port': port name 'fancy-port' is unknown; print the capture with -nn"],
    ]);
    expect(packets.map((p) => p.line)).toEqual([6]);
  });

  it('skips other protocols and tcpdump chatter silently, warns about everything else', () => {
    const text = [
      'reading from file /tmp/x.pcap, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144',
      '1795317887.470001 eth0  B   ARP, Request who-has 10.42.1.1 tell 10.42.1.2, length 28',
      '1795317887.470002 eth0  Out IP 10.42.1.2.41000 > 10.43.0.10.53: 4660+ A? redis.rcnc.svc.cluster.local. (46)',
      '1795317887.470003 eth0  In  IP 10.42.1.1 > 10.42.1.2: ICMP host 10.42.9.9 unreachable, length 68',
      lines[0],
      lines[1],
      'Connection with Node 1 failed',
      '    0x0000:  4500 003c',
      '38 packets captured',
    ].join('\n');
    const { packets, warnings } = parseTcpdump(text);
    expect(packets.map((p) => p.line)).toEqual([5]);
    expect(warnings.map((w) => [w.line, w.problem])).toEqual([
      [7, 'not a tcpdump packet line'],
      [8, 'indented line outside a packet'],
    ]);
  });

  it('never throws on empty or binary input', () => {
    expect(parseTcpdump('')).toEqual({ packets: [], warnings: [] });
    expect(parseTcpdump('\u0000\u0001\ufffd(((').warnings).toHaveLength(1);
  });
});

describe('summarizeFlows', () => {
  it('lists directed flows with counts, bytes, times, flags and interfaces', () => {
    const flows = summarizeFlows(parseClean('redis-0.any.nn-tt-v.txt'));
    expect(flows.map((f) => `${f.flow} ${f.packets} ${f.bytes} ${f.flags.join(',')} ${f.ifaces.join(',')}`)).toEqual([
      '10.42.1.0:51750 > 10.42.0.2:6379 6 14 S,.,P.,F. eth0',
      '10.42.0.2:6379 > 10.42.1.0:51750 4 7 S.,.,P.,F. eth0',
      '10.42.0.1:17707 > 10.42.0.2:6379 6 14 S,.,P.,F. eth0',
      '10.42.0.2:6379 > 10.42.0.1:17707 4 7 S.,.,P.,F. eth0',
      '10.42.1.2:55018 > 10.42.0.2:6379 6 14 S,.,P.,F. eth0',
      '10.42.0.2:6379 > 10.42.1.2:55018 4 7 S.,.,P.,F. eth0',
      '10.42.1.2:37164 > 10.42.0.2:7777 1 0 S eth0',
      '10.42.0.2:7777 > 10.42.1.2:37164 1 0 R. eth0',
      '10.42.1.2:37168 > 10.42.0.2:7777 1 0 S eth0',
      '10.42.0.2:7777 > 10.42.1.2:37168 1 0 R. eth0',
      '[::1]:36396 > [::1]:6379 6 14 S,.,P.,F. lo',
      '[::1]:6379 > [::1]:36396 4 7 S.,.,P.,F. lo',
      '10.42.1.0:33124 > 10.42.0.2:6380 4 0 S eth0',
    ]);
    const retrans = flows.at(-1)!;
    expect(retrans.last - retrans.first).toBeGreaterThan(2.9);
    expect(summarizeFlows([])).toEqual([]);
  });
});

// A packet's lines: a stamped line and the unstamped lines after it (its TCP line, a tunnel's
// inner packet). Shuffling blocks keeps packets whole; -t output has one line per block.
function blocks(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') {
      continue;
    }
    const continues = /^(\s|IP6?\s)/.test(line) && out.length > 0 && !/^\S+\s+(In|Out)\s/.test(line);
    if (continues) {
      out[out.length - 1] += `\n${line}`;
    } else {
      out.push(line);
    }
  }
  return out;
}

const withoutPosition = (p: Packet) => JSON.stringify({ ...p, line: 0 });

describe('fuzz', () => {
  it.each(FIXTURES)('%s: truncated prefixes keep every complete packet', (name) => {
    const text = fixture(name);
    const full = parseTcpdump(text).packets;
    for (const { prefix, completeLines, partial } of truncations(text, 150)) {
      const expected = full.filter((p) => p.line + p.raw.split('\n').length - 1 <= completeLines);
      const { packets } = parseTcpdump(prefix);
      expect(packets.slice(0, expected.length)).toEqual(expected);
      // at most one more: the packet whose last line is the cut one, if that still reads as one
      const extra = packets.slice(expected.length);
      expect(extra.length).toBeLessThanOrEqual(1);
      if (extra.length) {
        expect(extra[0]!.raw.endsWith(partial)).toBe(true);
      }
    }
  });

  it.each(FIXTURES)('%s: shuffled packets parse to the same packets', (name) => {
    const text = fixture(name);
    const rand = seededRandom(7);
    const sorted = (ps: Packet[]) => ps.map(withoutPosition).sort();
    const reference = sorted(parseTcpdump(text).packets);
    for (let k = 0; k < 20; k++) {
      const { packets, warnings } = parseTcpdump(shuffled(blocks(text), rand).join('\n'));
      expect(warnings).toEqual([]);
      expect(sorted(packets)).toEqual(reference);
    }
  });

  it.each(FIXTURES)('%s: garbage lines become warnings, real packets still parse', (name) => {
    const real = fixture(name).split('\n');
    const rand = seededRandom(42);
    const reference = parseTcpdump(real.join('\n')).packets.map(withoutPosition);
    for (let k = 0; k < 30; k++) {
      // garbage is never blank nor indented: an indented line would legitimately be read as a TCP line
      const { lines: mixed, junk } = withGarbage(real, rand);
      const { packets, warnings } = parseTcpdump(mixed.join('\n'));
      expect(packets.map(withoutPosition)).toEqual(reference);
      expect(warnings.map((w) => w.line)).toEqual(junk);
    }
  });
});
