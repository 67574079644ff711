import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom, truncations, withGarbage } from '../../test/support/fuzz.ts';
import { parseIfconfig, parseInterfaces, parseIpAddr, type InterfaceInfo } from './ip-addr.ts';

// `ip addr` and net-tools `ifconfig` of lab nodes (flannel-vxlan), from the example directories.
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const IP_ADDR = readFileSync(join(EXAMPLES, 'flannel-nodeport-cross-node', 'node-0.ip-addr.txt'), 'utf8');
const IFCONFIG = readFileSync(join(EXAMPLES, 'flannel-nodeport-cross-node', 'node-1.ifconfig.txt'), 'utf8');

// busybox / net-tools 1.60 form, as in Alpine-based images
const IFCONFIG_OLD = [
  'cni0      Link encap:Ethernet  HWaddr 0A:58:0A:2A:00:01',
  '          inet addr:10.42.0.1  Bcast:10.42.0.255  Mask:255.255.255.0',
  '          UP BROADCAST RUNNING MULTICAST  MTU:1450  Metric:1',
  '',
  'eth0:1    Link encap:Ethernet  HWaddr 02:42:AC:12:00:02',
  '          inet addr:172.18.0.20  Bcast:172.18.255.255  Mask:255.255.0.0',
  '',
].join('\n');

const asMap = (xs: InterfaceInfo[]) => Object.fromEntries(xs.map((i) => [i.name, i.ipv4]));

describe('parseIpAddr / parseIfconfig', () => {
  it('reads every interface of ip addr, with @ifN suffixes cut and IPv6 ignored', () => {
    const { interfaces, warnings } = parseIpAddr(IP_ADDR);
    expect(warnings).toEqual([]);
    expect(asMap(interfaces)).toMatchObject({
      lo: ['127.0.0.1'],
      eth0: ['172.18.0.2'],
      'flannel.1': ['10.42.0.0'],
      cni0: ['10.42.0.1'],
    });
    expect(interfaces.filter((i) => i.name.startsWith('vp')).every((i) => i.ipv4.length === 0)).toBe(true);
  });

  it('reads net-tools 2.x ifconfig', () => {
    const { interfaces, warnings } = parseIfconfig(IFCONFIG);
    expect(warnings).toEqual([]);
    expect(asMap(interfaces)).toMatchObject({
      cni0: ['10.42.1.1'],
      eth0: ['172.18.0.3'],
      'flannel.1': ['10.42.1.0'],
      lo: ['127.0.0.1'],
    });
  });

  it('reads the old `inet addr:` form, alias interfaces included', () => {
    expect(parseIfconfig(IFCONFIG_OLD)).toEqual({
      interfaces: [
        { name: 'cni0', ipv4: ['10.42.0.1'] },
        { name: 'eth0:1', ipv4: ['172.18.0.20'] },
      ],
      warnings: [],
    });
  });

  it('picks the parser by the interface lines and warns about lines it cannot place', () => {
    expect(parseInterfaces(IP_ADDR).interfaces).toEqual(parseIpAddr(IP_ADDR).interfaces);
    expect(parseInterfaces(IFCONFIG).interfaces).toEqual(parseIfconfig(IFCONFIG).interfaces);
    expect(parseInterfaces('hello\n1: lo: <LOOPBACK> mtu 1\n').warnings).toEqual([
      { line: 1, text: 'hello', problem: 'before any interface' },
    ]);
  });
});

const FUZZ: [string, string, typeof parseIpAddr][] = [
  ['ip addr', IP_ADDR, parseIpAddr],
  ['ifconfig', IFCONFIG, parseIfconfig],
  ['ifconfig (old)', IFCONFIG_OLD, parseIfconfig],
];

// An interface block: its first line and the indented lines after it.
const blocks = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reduce<string[]>(
      (out, l) => (/^\s/.test(l) && out.length ? [...out.slice(0, -1), `${out.at(-1)}\n${l}`] : [...out, l]),
      [],
    );

describe('fuzz', () => {
  it.each(FUZZ)('%s: truncated prefixes keep the addresses of complete lines', (_n, text, parse) => {
    const full = parse(text).interfaces;
    for (const { prefix, complete } of truncations(text, 100)) {
      const got = parse(prefix).interfaces;
      const whole = parse(complete).interfaces;
      // every complete interface keeps its addresses; the cut one may lose its last
      expect(whole).toEqual(full.slice(0, whole.length).map((i, j) => (j === whole.length - 1 ? whole[j]! : i)));
      expect(got.slice(0, Math.max(0, whole.length - 1))).toEqual(whole.slice(0, Math.max(0, whole.length - 1)));
    }
  });

  it.each(FUZZ)('%s: shuffled interface blocks give the same interfaces', (_n, text, parse) => {
    const rand = seededRandom(5);
    const reference = asMap(parse(text).interfaces);
    for (let k = 0; k < 20; k++) {
      const shuffled = [...blocks(text)].sort(() => rand() - 0.5).join('\n');
      const r = parse(shuffled);
      expect(r.warnings).toEqual([]);
      expect(asMap(r.interfaces)).toEqual(reference);
    }
  });

  it.each(FUZZ)('%s: garbage lines become warnings, addresses still parse', (_n, text, parse) => {
    const real = text.split('\n');
    const rand = seededRandom(42);
    const reference = parse(text).interfaces;
    for (let k = 0; k < 30; k++) {
      const { lines: mixed, junk } = withGarbage(real, rand);
      const r = parse(mixed.join('\n'));
      expect(r.interfaces).toEqual(reference);
      expect(r.warnings.map((w) => w.line)).toEqual(junk);
    }
  });
});
