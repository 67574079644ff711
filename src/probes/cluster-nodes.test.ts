import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom, shuffled, truncations, withGarbage } from '../../test/support/fuzz.ts';
import {
  formatAddress,
  hasFlag,
  parseClusterInfo,
  parseClusterNodes,
  slotCount,
  type ClusterNode,
} from './cluster-nodes.ts';

// Real `redis-cli cluster nodes` output of redis-server 7.0.15, see test/fixtures/capture.sh
const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');

const NODES_FIXTURES = [
  'cluster-nodes.fresh.txt',
  'cluster-nodes.handshake.txt',
  'cluster-nodes.noaddr.txt',
  'cluster-nodes.fail.txt',
  'cluster-nodes.7001.txt',
  'cluster-nodes.7003.txt',
  'cluster-nodes.7004.txt',
];

const ID = {
  n7000: 'd56ea2257766f46f730dcccca24af8f639001e6f',
  n7001: '78e19c8ef4ad89d708a21508d1770fb15923330a',
  n7002: '7a0d82ba5cdcffbdf791c71e2908aaf1dcc5cde1',
  n7003: 'df1c8c69ee1c36046107e24209d8184535159795',
  n7004: '1b0f97c69a782b2abb16e874bf9257b7579fe9ca',
};

function parseClean(name: string): ClusterNode[] {
  const { nodes, warnings } = parseClusterNodes(fixture(name));
  expect(warnings).toEqual([]);
  return nodes;
}

function byId(nodes: ClusterNode[], id: string): ClusterNode {
  const node = nodes.find((n) => n.id === id);
  if (!node) {
    throw new Error(`node ${id} not in fixture`);
  }
  return node;
}

function byAddress(nodes: ClusterNode[], address: string): ClusterNode {
  const node = nodes.find((n) => formatAddress(n) === address);
  if (!node) {
    throw new Error(`node ${address} not in fixture`);
  }
  return node;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

describe('parseClusterNodes on captured output', () => {
  it('parses every field of a myself line with a migrating slot', () => {
    const nodes = parseClean('cluster-nodes.handshake.txt');
    expect(nodes).toHaveLength(8);
    expect(nodes[0]).toEqual({
      id: ID.n7000,
      ip: '127.0.0.1',
      port: 7000,
      cport: 17000,
      flags: ['myself', 'master'],
      masterId: null,
      pingSent: 0,
      pongRecv: 1795316055000,
      configEpoch: 1,
      linkState: 'connected',
      slots: ['0-5460', `[100->-${ID.n7001}]`],
      raw: lines(fixture('cluster-nodes.handshake.txt'))[0],
    });
  });

  it('keeps handshake ghosts, including one whose SYN hangs (link already "connected")', () => {
    const nodes = parseClean('cluster-nodes.handshake.txt');
    const handshakes = nodes.filter((n) => hasFlag(n, 'handshake'));
    expect(handshakes.map((n) => [n.id, n.ip, n.port, n.cport, n.linkState])).toEqual([
      ['d55545d74ad5105696f7be4f928c2ce565fcf5c6', '::1', 7009, 17009, 'disconnected'],
      ['5e7987ed14354c1d7671863065583271de37cece', '127.0.0.1', 7009, 17009, 'disconnected'],
      ['5338b05838f763dcaf9380df5ba5a7f3aa0390da', '192.0.2.2', 7010, 17010, 'connected'],
    ]);
    for (const n of handshakes) {
      expect(n.flags).toEqual(['handshake']);
      expect([n.masterId, n.pingSent, n.pongRecv, n.configEpoch, n.slots]).toEqual([null, 0, 0, 0, []]);
    }
  });

  it('splits IPv6 addresses on the last colon', () => {
    const nodes = parseClean('cluster-nodes.7004.txt');
    expect(byId(nodes, ID.n7004)).toMatchObject({ ip: '::1', port: 7004, cport: 17004, flags: ['myself', 'master'] });
    expect(byId(nodes, ID.n7000)).toMatchObject({ ip: '::1', port: 7000, cport: 17000, slots: ['0-5460'] });
  });

  it('reads the Redis 7 hostname suffix', () => {
    const nodes = parseClean('cluster-nodes.7001.txt');
    expect(byId(nodes, ID.n7001)).toMatchObject({
      ip: '127.0.0.1',
      port: 7001,
      cport: 17001,
      hostname: 'node-b.rcnc.test',
      flags: ['myself', 'master'],
      slots: ['5461-10922', `[100-<-${ID.n7000}]`],
    });
    expect(byId(nodes, ID.n7000).hostname).toBeUndefined();
    expect(byId(nodes, ID.n7000).slots).toEqual(['0-99', '101-5460']);
  });

  it('reads an empty ip on a node that was never met', () => {
    expect(parseClean('cluster-nodes.fresh.txt')).toEqual([
      expect.objectContaining({ id: ID.n7000, ip: '', port: 7000, cport: 17000, flags: ['myself', 'master'] }),
    ]);
  });

  it('reads noaddr, fail and fail? nodes', () => {
    const noaddr = byId(parseClean('cluster-nodes.noaddr.txt'), ID.n7002);
    expect(noaddr).toMatchObject({
      ip: '',
      port: 0,
      cport: 0,
      flags: ['master', 'noaddr'],
      pingSent: 1795316059517,
      pongRecv: 1795316059416,
      linkState: 'disconnected',
      slots: ['10923-16383'],
    });
    const failed = parseClean('cluster-nodes.fail.txt');
    expect(byId(failed, ID.n7004)).toMatchObject({ ip: '::1', flags: ['master', 'fail'], linkState: 'disconnected' });
    expect(byId(failed, ID.n7001)).toMatchObject({
      flags: ['master', 'fail?'],
      hostname: 'node-b.rcnc.test',
      pingSent: 1795316062750,
    });
  });

  it('reads replicas with their master id and nofailover', () => {
    const nodes = parseClean('cluster-nodes.7003.txt');
    expect(byId(nodes, ID.n7003)).toMatchObject({ flags: ['myself', 'slave', 'nofailover'], masterId: ID.n7000 });
    expect(nodes.filter((n) => n.masterId !== null).map((n) => n.id)).toEqual([ID.n7003]);
  });

  it('keeps every flag Redis printed, verbatim', () => {
    const seen = new Set(NODES_FIXTURES.flatMap((f) => parseClean(f).flatMap((n) => n.flags)));
    expect([...seen].sort()).toEqual(
      ['fail', 'fail?', 'handshake', 'master', 'myself', 'noaddr', 'nofailover', 'slave'].sort(),
    );
  });

  it('hasFlag matches whole flags only', () => {
    const failed = parseClean('cluster-nodes.fail.txt');
    expect(failed.filter((n) => hasFlag(n, 'fail')).map((n) => n.id)).toEqual([ID.n7004]);
    expect(failed.filter((n) => hasFlag(n, 'fail?')).map((n) => n.id)).toEqual([ID.n7001]);
    expect(failed.filter((n) => hasFlag(n, 'master'))).toHaveLength(4);
  });

  it('formatAddress reproduces every captured address token', () => {
    for (const name of NODES_FIXTURES) {
      for (const node of parseClean(name)) {
        expect(formatAddress(node)).toBe(node.raw.split(' ')[1]);
      }
    }
  });

  it('tolerates \\r\\n and blank lines', () => {
    const text = fixture('cluster-nodes.handshake.txt');
    const crlf = parseClusterNodes(`\r\n${text.replace(/\n/g, '\r\n\r\n')}`);
    expect(crlf.warnings).toEqual([]);
    expect(crlf.nodes).toEqual(parseClusterNodes(text).nodes);
  });
});

describe('Redis < 4 lines without @cport', () => {
  // Derived from the captured lines by dropping '@cport': the only difference of that format.
  const legacy = fixture('cluster-nodes.handshake.txt').replace(/@\d+(,[^ ]*)?/g, '');

  it('parse with cport = port + 10000 and everything else unchanged', () => {
    const { nodes, warnings } = parseClusterNodes(legacy);
    expect(warnings).toEqual([]);
    const modern = parseClean('cluster-nodes.handshake.txt');
    expect(nodes.map((n) => ({ ...n, raw: '' }))).toEqual(
      modern.map((n) => ({ ...n, hostname: undefined, cport: n.port + 10000, raw: '' })),
    );
    expect(byAddress(nodes, '::1:7009@17009').ip).toBe('::1');
  });
});

describe('malformed lines', () => {
  const good = lines(fixture('cluster-nodes.handshake.txt'));
  const first = good[0] ?? '';
  const fields = first.split(' ');
  const mutate = (i: number, value: string): string => fields.map((f, j) => (j === i ? value : f)).join(' ');
  const cases: [string, string, RegExp][] = [
    ['too few fields', fields.slice(0, 7).join(' '), /at least 8 fields/],
    ['bad id', mutate(0, 'not-a-node-id'), /node id/],
    ['no port', mutate(1, '127.0.0.1'), /port/],
    ['bad port', mutate(1, '127.0.0.1:70000@17000'), /bad port/],
    ['bad bus port', mutate(1, '127.0.0.1:7000@x'), /bus port/],
    ['bad ip', mutate(1, 'node-a:7000@17000'), /bad ip/],
    ['empty flag', mutate(2, 'myself,,master'), /flags/],
    ['bad master', mutate(3, 'nobody'), /master id/],
    ['bad ping', mutate(4, '-1'), /ping-sent/],
    ['bad epoch', mutate(6, 'one'), /config-epoch/],
    ['bad link state', mutate(7, 'up'), /link state/],
    ['slot out of range', mutate(8, '0-16384'), /bad slot/],
    ['reversed range', mutate(8, '5460-0'), /bad slot/],
    ['bad open slot', mutate(9, '[100->-nobody]'), /bad slot/],
  ];

  it.each(cases)('%s becomes a warning with its line number', (_name, line, problem) => {
    const text = [good[1], line, good[2]].join('\n');
    const { nodes, warnings } = parseClusterNodes(text);
    expect(nodes.map((n) => n.raw)).toEqual([good[1], good[2]]);
    expect(warnings).toEqual([{ line: 2, text: line, problem: expect.stringMatching(problem) }]);
  });
});

describe('parseClusterInfo', () => {
  it('reads key:value lines terminated by \\r\\n', () => {
    const info = parseClusterInfo(fixture('cluster-info.ok.txt'));
    expect(info).toMatchObject({
      cluster_state: 'ok',
      cluster_slots_assigned: '16384',
      cluster_known_nodes: '8',
      cluster_size: '3',
      total_cluster_links_buffer_limit_exceeded: '0',
    });
    expect(Object.keys(info)).toHaveLength(17);
    expect(Object.values(info).some((v) => /\r/.test(v))).toBe(false);
  });

  it('reads a degraded and a fresh node', () => {
    expect(parseClusterInfo(fixture('cluster-info.fail.txt'))).toMatchObject({
      cluster_slots_ok: '10922',
      cluster_slots_pfail: '5462',
      cluster_stats_messages_fail_received: '1',
    });
    expect(parseClusterInfo(fixture('cluster-info.fresh.txt'))).toMatchObject({
      cluster_state: 'fail',
      cluster_known_nodes: '1',
    });
  });
});

describe('slotCount', () => {
  it('counts expanded ranges of masters and ignores open [..] slots', () => {
    expect(slotCount(parseClean('cluster-nodes.handshake.txt'))).toBe(16384);
    expect(slotCount(parseClean('cluster-nodes.fresh.txt'))).toBe(0);
    // failed and noaddr masters still own their slots
    expect(slotCount(parseClean('cluster-nodes.fail.txt'))).toBe(16384);
  });

  it('shows the slot 7001 lost while importing it before 7000 announced it', () => {
    expect(slotCount(parseClean('cluster-nodes.7001.txt'))).toBe(16383);
  });

  it('counts slots claimed by two views once', () => {
    const both = [...parseClean('cluster-nodes.7001.txt'), ...parseClean('cluster-nodes.7004.txt')];
    expect(slotCount(both)).toBe(16384);
  });

  it('ignores slots on non-masters and counts single slots', () => {
    const nodes = parseClean('cluster-nodes.7003.txt');
    expect(slotCount([{ ...byId(nodes, ID.n7000), slots: ['7', '9', '7', '8-9'] }])).toBe(3);
    expect(slotCount([{ ...byId(nodes, ID.n7003), slots: ['0-5460'] }])).toBe(0);
  });
});

describe('fuzz', () => {
  it.each(NODES_FIXTURES)('%s: truncated prefixes keep every complete line', (name) => {
    const text = fixture(name);
    const full = parseClusterNodes(text).nodes;
    for (const { prefix, complete: whole, partial } of truncations(text, 150)) {
      const complete = new Set(whole.split('\n'));
      const expected = full.filter((n) => complete.has(n.raw));
      const { nodes } = parseClusterNodes(prefix);
      expect(nodes.slice(0, expected.length)).toEqual(expected);
      // at most the cut line itself, and only if it still is a whole node line
      expect(nodes.slice(expected.length).map((n) => n.raw)).toEqual(nodes.length > expected.length ? [partial] : []);
    }
  });

  it.each(NODES_FIXTURES)('%s: shuffled lines parse to the same nodes', (name) => {
    const text = fixture(name);
    const rand = seededRandom(7);
    const sortById = (ns: ClusterNode[]) => [...ns].sort((a, b) => a.id.localeCompare(b.id));
    for (let k = 0; k < 20; k++) {
      const { nodes, warnings } = parseClusterNodes(shuffled(text.split('\n'), rand).join('\n'));
      expect(warnings).toEqual([]);
      expect(sortById(nodes)).toEqual(sortById(parseClusterNodes(text).nodes));
    }
  });

  it.each(NODES_FIXTURES)('%s: garbage lines become warnings, real lines still parse', (name) => {
    const real = fixture(name).split('\n');
    const rand = seededRandom(42);
    for (let k = 0; k < 30; k++) {
      // garbage is never blank: blank lines are legitimately ignored rather than warned about
      const { lines: mixed, junk } = withGarbage(real, rand, { chance: 0.5 });
      const { nodes, warnings } = parseClusterNodes(mixed.join('\n'));
      expect(nodes).toEqual(parseClusterNodes(real.join('\n')).nodes);
      expect(warnings.map((w) => w.line)).toEqual([...junk]);
    }
  });
});
