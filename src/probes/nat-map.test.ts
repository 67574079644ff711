import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatNatMapping, isTranslated, MIN_MATCHED_PACKETS, reconstructNat, type NatMapping } from './nat-map.ts';
import { parseTcpdump, type Packet } from './tcpdump-text.ts';

// Real captures of the same traffic at two points, see test/fixtures/tcpdump/README.md: in the
// client pod redis-1 (10.42.1.2 on node-1 172.18.0.3) and in the endpoint pod redis-0
// (10.42.0.2 on node-0 172.18.0.2), plus node-0 with `-i any`.
const side = (name: string) => ({
  name,
  packets: parseTcpdump(readFileSync(new URL(`../../test/fixtures/tcpdump/${name}`, import.meta.url), 'utf8')).packets,
});
const client = side('redis-1.any.nn-tt-v.txt');
const endpoint = side('redis-0.any.nn-tt-v.txt');
const text = (ms: NatMapping[]) => ms.map((m) => `${formatNatMapping(m)} #${m.matchedPackets}`);

describe('reconstructNat on a real pair of captures', () => {
  const mappings = reconstructNat(client, endpoint);

  it('pairs every connection seen at both points, with what each point saw', () => {
    expect(text(mappings)).toEqual([
      // NodePort on the endpoint's node: MASQUERADE out of cni0
      '10.42.1.2:36086 → 172.18.0.2:30000  ==  10.42.0.1:17707 → 10.42.0.2:6379 #10',
      // NodePort on the client's own node, endpoint remote: MASQUERADE out of flannel.1
      '10.42.1.2:39028 → 172.18.0.3:30000  ==  10.42.1.0:51750 → 10.42.0.2:6379 #10',
      // four SYN retransmissions, never answered: each copy matched by its own TS val
      '10.42.1.2:40898 → 172.18.0.3:30001  ==  10.42.1.0:33124 → 10.42.0.2:6380 #4',
      // pod IP: untranslated
      '10.42.1.2:55018 → 10.42.0.2:6379  ==  10.42.1.2:55018 → 10.42.0.2:6379 #10',
    ]);
    expect(mappings.every((m) => m.capturedAt === client.name && m.seenAt === endpoint.name)).toBe(true);
    expect(mappings.filter(isTranslated)).toHaveLength(3);
  });

  it('leaves out connections with fewer than two NAT-proof segments (the refused SYN/RST pairs)', () => {
    expect(MIN_MATCHED_PACKETS).toBe(2);
    expect(mappings.some((m) => m.flow.includes(':7777'))).toBe(false);
  });

  it('is symmetric: swapping the captures swaps the sides', () => {
    const swapped = reconstructNat(endpoint, client).map((m) => `${m.as} == ${m.flow}`);
    expect(swapped.sort()).toEqual(mappings.map((m) => `${m.flow} == ${m.as}`).sort());
  });

  it('does not depend on how the captures were printed (-tttt one-line, -e, host names)', () => {
    const strip = (ms: NatMapping[]) => ms.map((m) => ({ ...m, capturedAt: '', seenAt: '' }));
    expect(strip(reconstructNat(side('redis-1.any.nn-tttt.txt'), side('redis-0.any.e-nn-tt.txt')))).toEqual(
      strip(mappings),
    );
    const named = reconstructNat(client, side('redis-0.any.names-tt-v.txt'));
    expect(named.map((m) => m.as)).toEqual([
      '10.42.0.1:17707 > redis-0.redis.rcnc.svc.cluster.local:6379',
      '10.42.1.0:51750 > redis-0.redis.rcnc.svc.cluster.local:6379',
      '10.42.1.0:33124 > redis-0.redis.rcnc.svc.cluster.local:6380',
      'redis-1.redis.rcnc.svc.cluster.local:55018 > redis-0.redis.rcnc.svc.cluster.local:6379',
    ]);
  });

  it("matches against a node's -i any capture, where one segment appears on several interfaces", () => {
    expect(text(reconstructNat(client, side('node-0.any.nn-tt-v.txt')))).toEqual([
      '10.42.1.2:36086 → 172.18.0.2:30000  ==  10.42.0.1:17707 → 10.42.0.2:6379 #10',
      '10.42.1.2:39028 → 172.18.0.3:30000  ==  10.42.1.0:51750 → 10.42.0.2:6379 #9',
      '10.42.1.2:40898 → 172.18.0.3:30001  ==  10.42.1.0:33124 → 10.42.0.2:6380 #4',
      '10.42.1.2:55018 → 10.42.0.2:6379  ==  10.42.1.2:55018 → 10.42.0.2:6379 #10',
    ]);
  });

  it('against itself, a node capture shows the NAT step the node made (self-pairs skipped)', () => {
    const node = side('node-0.any.nn-tt-v.txt');
    expect(text(reconstructNat(node, node))).toEqual([
      '10.42.0.1:17707 → 10.42.0.2:6379  ==  172.18.0.3:51770 → 172.18.0.2:30000 #10',
      '172.18.0.3:51770 → 172.18.0.2:30000  ==  10.42.0.1:17707 → 10.42.0.2:6379 #10',
    ]);
  });

  it('formats with capture names', () => {
    expect(formatNatMapping(mappings[0]!, { names: true })).toBe(
      '[redis-1.any.nn-tt-v.txt] 10.42.1.2:36086 → 172.18.0.2:30000  ==  [redis-0.any.nn-tt-v.txt] 10.42.0.1:17707 → 10.42.0.2:6379',
    );
  });
});

describe('reconstructNat evidence rules', () => {
  const conn = (ps: readonly Packet[], port: number) => ps.filter((p) => p.src.port === port || p.dst.port === port);

  it('needs two matching segments: one shared SYN is a coincidence, not a mapping', () => {
    const synOnly = conn(client.packets, 39028).slice(0, 1);
    expect(synOnly.map((p) => p.flags)).toEqual(['S']);
    expect(reconstructNat({ name: 'a', packets: synOnly }, endpoint)).toEqual([]);
    expect(reconstructNat({ name: 'a', packets: conn(client.packets, 39028).slice(0, 2) }, endpoint)).toHaveLength(1);
  });

  it('matches handshakes on absolute sequence numbers when timestamps are off', () => {
    const noTs = (ps: readonly Packet[]) => ps.map(({ tsval: _v, tsecr: _e, ...p }) => p as Packet);
    const m = reconstructNat(
      { name: 'a', packets: noTs(client.packets) },
      { name: 'b', packets: noTs(endpoint.packets) },
    );
    // SYN + SYN-ACK per answered connection; the unanswered one has one distinct SYN only
    expect(text(m)).toEqual([
      '10.42.1.2:36086 → 172.18.0.2:30000  ==  10.42.0.1:17707 → 10.42.0.2:6379 #2',
      '10.42.1.2:39028 → 172.18.0.3:30000  ==  10.42.1.0:51750 → 10.42.0.2:6379 #2',
      '10.42.1.2:55018 → 10.42.0.2:6379  ==  10.42.1.2:55018 → 10.42.0.2:6379 #2',
    ]);
  });

  it('orients flows from the initiator even when a capture missed the SYN', () => {
    const late = conn(client.packets, 39028).filter((p) => p.flags !== 'S');
    const [m] = reconstructNat({ name: 'a', packets: late }, endpoint);
    expect(m).toMatchObject({ flow: '10.42.1.2:39028 > 172.18.0.3:30000', as: '10.42.1.0:51750 > 10.42.0.2:6379' });
    const noHandshake = late.filter((p) => p.flags !== 'S.');
    const [n] = reconstructNat({ name: 'a', packets: noHandshake }, { name: 'b', packets: endpoint.packets });
    expect(n).toMatchObject({ flow: '10.42.1.2:39028 > 172.18.0.3:30000', as: '10.42.1.0:51750 > 10.42.0.2:6379' });
  });

  it('pairs one to one: two captures of unrelated traffic give nothing', () => {
    const other = conn(client.packets, 39028);
    const unrelated = conn(endpoint.packets, 17707);
    expect(reconstructNat({ name: 'a', packets: other }, { name: 'b', packets: unrelated })).toEqual([]);
    expect(reconstructNat({ name: 'a', packets: [] }, endpoint)).toEqual([]);
  });
});
