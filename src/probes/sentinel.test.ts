// The Sentinel parsers on replies and logs captured from lab cells (test/fixtures/sentinel/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { flagsOf, parseInfoReplicas, parseMasterAddress, parseSentinelEntries, sentinelEvents } from './sentinel.ts';

const read = (cell: string, file: string) =>
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sentinel', cell, file), 'utf8');

describe('Sentinel replies as redis-cli prints them', () => {
  test('SENTINEL replicas: one entry per record, every field, starting at name', () => {
    const entries = parseSentinelEntries(read('flannel-vxlan-nodeport', 'sentinel-0.sentinel-replicas.txt'));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ name: '10.42.0.1:6379', ip: '10.42.0.1', port: '6379' });
    expect(flagsOf(entries[0]!)).toEqual(['s_down', 'slave', 'disconnected']);
    const two = parseSentinelEntries(read('flannel-vxlan-pod-ip', 'sentinel-1.sentinel-replicas.txt'));
    expect(two.map((e) => `${e['ip']}:${e['port']} ${e['flags']}`).sort()).toEqual([
      '10.42.0.3:6379 slave',
      '10.42.1.2:6379 slave',
    ]);
  });

  test('SENTINEL sentinels: the other two, at their pod IPs', () => {
    const entries = parseSentinelEntries(read('flannel-vxlan-nodeport', 'sentinel-0.sentinel-sentinels.txt'));
    expect(entries.map((e) => e['port'])).toEqual(['26379', '26379']);
    expect(entries.every((e) => /^10\.42\.\d+\.\d+$/.test(e['ip']!) && /^[0-9a-f]{40}$/.test(e['runid']!))).toBe(true);
  });

  test('get-master-addr-by-name: ip and port; anything else is no answer', () => {
    expect(parseMasterAddress(read('flannel-vxlan-nodeport', 'sentinel-2.sentinel-master.txt'))).toEqual({
      ip: '172.18.0.2',
      port: 30000,
    });
    expect(parseMasterAddress('\n')).toBeUndefined();
    // With announce-hostnames Sentinel hands out the name it was given.
    expect(parseMasterAddress('redis-0.redis-headless.rcnc.svc.cluster.local\n6379\n')).toEqual({
      ip: 'redis-0.redis-headless.rcnc.svc.cluster.local',
      port: 6379,
    });
    expect(parseMasterAddress('(error) ERR No such master with that name\n6379\n')).toBeUndefined();
    expect(parseMasterAddress('Could not connect to Redis at 10.42.0.4:26379: Connection refused\n')).toBeUndefined();
    expect(parseSentinelEntries('')).toEqual([]);
  });

  test('INFO replication: the replicas as the master lists them, twice at one address over NodePort', () => {
    expect(parseInfoReplicas(read('flannel-vxlan-nodeport', 'redis-0.info-replication.txt'))).toMatchObject([
      { key: 'slave0', ip: '10.42.0.1', port: 6379, state: 'online' },
      { key: 'slave1', ip: '10.42.0.1', port: 6379, state: 'online' },
    ]);
    expect(parseInfoReplicas(read('flannel-vxlan-nodeport', 'redis-1.info-replication.txt'))).toEqual([]);
  });
});

describe('sentinel log events', () => {
  test('type, text and time of each event; other lines ignored', () => {
    const log = [
      '6795:X 27 Nov 2026 12:57:50.497 * +slave slave 10.42.0.1:6379 10.42.0.1 6379 @ mymaster 172.18.0.2 30000',
      '6795:X 27 Nov 2026 12:57:51.555 # +sdown slave 10.42.0.1:6379 10.42.0.1 6379 @ mymaster 172.18.0.2 30000',
      '6795:X 27 Nov 2026 12:57:52.000 * Sentinel new configuration saved on disk',
      '7206:X 27 Nov 2026 12:58:18.560 # -failover-abort-no-good-slave master mymaster 172.18.0.2 6379',
    ].join('\n');
    const events = sentinelEvents(log);
    expect(events.map((e) => e.type)).toEqual(['+slave', '+sdown', '-failover-abort-no-good-slave']);
    expect(events[1]!.text).toBe('+sdown slave 10.42.0.1:6379 10.42.0.1 6379 @ mymaster 172.18.0.2 30000');
    expect(events[1]!.atEpochMs - events[0]!.atEpochMs).toBe(1058);
  });
});
