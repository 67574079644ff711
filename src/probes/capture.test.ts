// The capture discipline: both captures live before the traffic, each stopped once, and an empty
// assert capture only counts when its sanity capture saw packets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Capture, CaptureResult } from '../deploy/provider.ts';
import { isRcncError } from '../util/errors.ts';
import { withTcpdumpSanity } from './capture.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/tcpdump/${name}`, import.meta.url), 'utf8');

// A capture whose stop() hands back real fixture text; the lab test drives real tcpdumps.
function recorded(name: string, text: string, log: string[]): () => Promise<Capture> {
  return async () => {
    log.push(`start ${name}`);
    let stopped: Promise<CaptureResult> | undefined;
    return {
      name,
      stop: () => {
        stopped ??= (async () => {
          log.push(`stop ${name}`);
          return { file: `/captures/${name}.pcap`, text };
        })();
        return stopped;
      },
    };
  };
}

describe('withTcpdumpSanity', () => {
  const seen = fixture('redis-0.any.nn-tt-v.txt');

  it('starts both captures before the traffic and hands back both, parsed', async () => {
    const log: string[] = [];
    const r = await withTcpdumpSanity({
      sanity: recorded('endpoint', seen, log),
      assert: recorded('client-ip-at-endpoint', '', log),
      traffic: async () => {
        log.push('traffic');
        return 'PONG';
      },
    });
    expect(log.slice(0, 3)).toEqual(['start endpoint', 'start client-ip-at-endpoint', 'traffic']);
    expect(log.slice(3).sort()).toEqual(['stop client-ip-at-endpoint', 'stop endpoint']);
    expect(r.value).toBe('PONG');
    expect(r.sanity.packets).toHaveLength(48);
    expect(r.assert.packets).toEqual([]);
    expect(r.unexpected).toEqual([]);
  });

  it('reports what the assert capture saw', async () => {
    const r = await withTcpdumpSanity({
      sanity: recorded('a', seen, []),
      assert: recorded('b', fixture('redis-1.any.nn-tttt.txt'), []),
      traffic: async () => undefined,
    });
    expect(r.unexpected.map((f) => f.flow)).toContain('10.42.1.2:39028 > 172.18.0.3:30000');
  });

  it('fails as "might be broken" when the sanity capture saw nothing', async () => {
    const err = await withTcpdumpSanity({
      sanity: recorded('wrong-filter', 'reading from file x\n', []),
      assert: recorded('b', '', []),
      traffic: async () => undefined,
    }).catch((e: unknown) => e);
    expect(isRcncError(err)).toBe(true);
    expect((err as Error).message).toMatch(/might be broken: sanity capture "wrong-filter" saw no TCP packets/);
  });

  it('stops both captures when the traffic fails, and rethrows', async () => {
    const log: string[] = [];
    const err = await withTcpdumpSanity({
      sanity: recorded('a', seen, log),
      assert: recorded('b', '', log),
      traffic: async () => {
        throw new Error('redis-cli failed');
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('redis-cli failed');
    expect(log.filter((l) => l.startsWith('stop')).sort()).toEqual(['stop a', 'stop b']);
  });

  it('stops the sanity capture when the assert capture cannot start', async () => {
    const log: string[] = [];
    const err = await withTcpdumpSanity({
      sanity: recorded('a', seen, log),
      assert: () => Promise.reject(new Error('tcpdump: syntax error')),
      traffic: async () => log.push('traffic'),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('tcpdump: syntax error');
    expect(log).toEqual(['start a', 'stop a']);
  });
});
