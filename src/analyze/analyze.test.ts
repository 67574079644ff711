import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCommand, analyzeDir, renderAnalyzeText, type AnalyzeReport } from './analyze.ts';

// Example directories made from real lab runs by examples/make-example.ts (see each README.md).
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const example = (name: string) => join(EXAMPLES, name);
const NAMES = ['flannel-nodeport-nat-meet', 'flannel-nodeport-cross-node', 'flannel-pod-ip-ok'];

const expected = async (name: string): Promise<AnalyzeReport> =>
  JSON.parse(await readFile(join(example(name), 'expected.json'), 'utf8')) as AnalyzeReport;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'analyze-test-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A copy of an example to damage. */
async function copyOf(name: string): Promise<string> {
  const dir = await mkdtemp(join(scratch, `${name}-`));
  await cp(example(name), dir, { recursive: true });
  return dir;
}

describe('analyzeDir on the examples', () => {
  it.each(NAMES)('%s: matches expected.json', async (name) => {
    expect(await analyzeDir(example(name))).toEqual(await expected(name));
  });

  it('flannel-nodeport-nat-meet: the ghost, its failed dial-back, the NAT, and the exact fix', async () => {
    const r = await analyzeDir(example('flannel-nodeport-nat-meet'));
    expect(r.warnings).toEqual([]);
    expect(r.ghosts).toEqual([
      expect.objectContaining({
        seenBy: 'redis-0',
        address: '10.42.0.1:6379@16379',
        flags: ['handshake'],
        class: 'bridge-gateway',
        owner: 'cni0@node-0',
        pod: 'redis-3',
      }),
    ]);
    const ghostId = r.ghosts[0]!.nodeId;
    // the ghost's id is random (Redis names handshake nodes itself), not redis-3's
    expect(r.pods.find((p) => p.name === 'redis-3')).toMatchObject({ self: ':6379@16379', ip: '10.42.0.5' });
    expect(r.pods.find((p) => p.name === 'redis-3')!.nodeId).not.toBe(ghostId);
    expect(r.failedDialBacks).toEqual([
      expect.objectContaining({ pod: 'redis-0', nodeId: ghostId, address: '10.42.0.1:16379', class: 'bridge-gateway' }),
    ]);
    expect(r.failedDialBacks[0]!.error).toMatch(/refused/);
    // every inbound bus connection of the masters comes from cni0: all of them go through NodePorts
    expect(new Set(r.natedConnections.map((c) => `${c.pod} ${c.local} ${c.class} ${c.owner}`))).toEqual(
      new Set([
        'redis-0 10.42.0.2:16379 bridge-gateway cni0@node-0',
        'redis-1 10.42.0.3:16379 bridge-gateway cni0@node-0',
        'redis-2 10.42.0.4:16379 bridge-gateway cni0@node-0',
      ]),
    );
    // the captures show which of redis-0's NATed bus connections is redis-3's, and ss agrees
    const joiner = r.natMappings.filter(
      (m) => m.capturedAt === 'redis-3' && m.seenAt === 'redis-0' && m.flow.endsWith('> 172.18.0.2:31000'),
    );
    expect(joiner).toHaveLength(1);
    expect(joiner[0]!.flow).toMatch(/^10\.42\.0\.5:\d+ > 172\.18\.0\.2:31000$/);
    expect(joiner[0]!.as).toMatch(/^10\.42\.0\.1:\d+ > 10\.42\.0\.2:16379$/);
    const peer = joiner[0]!.as.split(' > ')[0];
    expect(r.natedConnections.filter((c) => c.pod === 'redis-0').map((c) => c.peer)).toContain(peer);
    expect(r.recommendations).toEqual([
      {
        pod: 'redis-3',
        settings: ['cluster-announce-ip 172.18.0.2', 'cluster-announce-port 30003', 'cluster-announce-bus-port 31003'],
        then: 'then CLUSTER MEET again: redis-cli -p 6379 cluster meet 172.18.0.2 30000 31000',
        reason: expect.stringContaining('redis-0 recorded it at 10.42.0.1:6379@16379 (cni0@node-0)'),
        exact: true,
      },
    ]);
  });

  it('flannel-nodeport-cross-node: the ghost is flannel.1 of the joiner’s node; ifconfig and kubectl -A parsed', async () => {
    const r = await analyzeDir(example('flannel-nodeport-cross-node'));
    expect(r.warnings).toEqual([]);
    expect(r.ghosts).toEqual([
      expect.objectContaining({ seenBy: 'redis-0', address: '10.42.1.0:6379@16379', class: 'tunnel', pod: 'redis-3' }),
    ]);
    expect(r.ghosts[0]!.owner).toBe('flannel.1@node-1');
    expect(r.nodes.find((n) => n.name === 'node-1')).toEqual({
      name: 'node-1',
      internalIP: '172.18.0.3',
      interfaces: { cni0: ['10.42.1.1'], eth0: ['172.18.0.3'], 'flannel.1': ['10.42.1.0'], lo: ['127.0.0.1'] },
    });
    expect(r.recommendations.map((x) => [x.pod, x.settings, x.exact])).toEqual([
      [
        'redis-3',
        ['cluster-announce-ip 172.18.0.3', 'cluster-announce-port 30003', 'cluster-announce-bus-port 31003'],
        true,
      ],
    ]);
    const classes = new Set(r.natedConnections.map((c) => c.class));
    expect(classes).toEqual(new Set(['bridge-gateway', 'tunnel']));
  });

  it('flannel-pod-ip-ok: nothing wrong, nothing NATed', async () => {
    const r = await analyzeDir(example('flannel-pod-ip-ok'));
    expect(r).toMatchObject({
      natedConnections: [],
      natMappings: [],
      ghosts: [],
      failedDialBacks: [],
      recommendations: [],
      problems: [],
      warnings: [],
    });
    expect(r.pods.map((p) => p.self)).toEqual(r.pods.map((p) => `${p.ip}:6379@16379`));
  });
});

describe('analyzeDir on damaged or partial directories', () => {
  it('warns about unknown files, pcaps and unreadable files, naming them, and still finds the ghost', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    await writeFile(join(dir, 'notes.md'), 'what I tried\n');
    await writeFile(join(dir, 'redis-0.pcap'), Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]));
    await symlink(join(dir, 'gone.txt'), join(dir, 'redis-9.log'));
    const r = await analyzeDir(dir);
    expect(r.warnings).toEqual([
      { file: 'notes.md', line: 0, problem: expect.stringMatching(/^not a file rcnc analyze reads/) },
      { file: 'redis-0.pcap', line: 0, problem: expect.stringMatching(/tcpdump -r FILE -nn -tt -v/) },
      { file: 'redis-9.log', line: 0, problem: 'unreadable: ENOENT' },
    ]);
    expect(r.ghosts.map((g) => g.pod)).toEqual(['redis-3']);
  });

  it('reports malformed lines with file and line number, and keeps the good lines', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    const pods = await readFile(join(dir, 'pods.txt'), 'utf8');
    await writeFile(join(dir, 'pods.txt'), pods.replace('\nredis-1 ', '\n%%% garbage %%%\nredis-1 '));
    const view = await readFile(join(dir, 'redis-0.cluster-nodes.txt'), 'utf8');
    await writeFile(join(dir, 'redis-0.cluster-nodes.txt'), `Defaulting container name to redis.\n${view}`);
    const ss = await readFile(join(dir, 'redis-0.ss.txt'), 'utf8');
    await writeFile(join(dir, 'redis-0.ss.txt'), ss + 'ESTAB 0 0 10.42.0.2:16379\n');
    const r = await analyzeDir(dir);
    expect(r.warnings.map((w) => `${w.file}:${w.line}`)).toEqual([
      'pods.txt:3',
      'redis-0.cluster-nodes.txt:1',
      `redis-0.ss.txt:${ss.split('\n').length}`,
    ]);
    expect(r.pods.map((p) => p.ip)).toEqual(['10.42.0.2', '10.42.0.3', '10.42.0.4', '10.42.0.5']);
    expect(r.ghosts.map((g) => `${g.seenBy} ${g.address} ${g.pod}`)).toEqual(['redis-0 10.42.0.1:6379@16379 redis-3']);
  });

  it("tells the ghost's pod from the captures alone when the joiner's own view is missing", async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    await rm(join(dir, 'redis-3.cluster-nodes.txt'));
    const r = await analyzeDir(dir);
    expect(r.ghosts.map((g) => g.pod)).toEqual(['redis-3']);
    // without its view the MEET target is not known, the settings still are
    expect(r.recommendations[0]).toMatchObject({ pod: 'redis-3', exact: true });
    expect(r.recommendations[0]!.then).not.toMatch(/redis-cli -p/);
  });

  it('without captures and services.txt: the ghost still maps to the one stranger, NodePorts become placeholders', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    for (const f of [
      'services.txt',
      'redis-0.tcpdump.txt',
      'redis-1.tcpdump.txt',
      'redis-2.tcpdump.txt',
      'redis-3.tcpdump.txt',
    ]) {
      await rm(join(dir, f));
    }
    const r = await analyzeDir(dir);
    expect(r.natMappings).toEqual([]);
    expect(r.ghosts.map((g) => g.pod)).toEqual(['redis-3']);
    expect(r.recommendations[0]).toMatchObject({
      settings: [
        'cluster-announce-ip 172.18.0.2',
        'cluster-announce-port <NodePort of redis-3:6379>',
        'cluster-announce-bus-port <NodePort of redis-3:16379>',
      ],
      exact: false,
    });
  });

  it('without pods.txt and nodes.txt: addresses come from myself lines and interface files, with a warning', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    await rm(join(dir, 'pods.txt'));
    await rm(join(dir, 'nodes.txt'));
    const r = await analyzeDir(dir);
    expect(r.warnings).toEqual([expect.objectContaining({ file: 'pods.txt', line: 0 })]);
    expect(r.nodes).toEqual([expect.objectContaining({ name: 'node-0', internalIP: '172.18.0.2' })]);
    expect(r.ghosts).toEqual([expect.objectContaining({ class: 'bridge-gateway', owner: 'cni0@node-0' })]);
    expect(r.natedConnections.length).toBeGreaterThan(0);
  });

  it('reads captures printed with host names (tcpdump without -n) like -nn ones', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    const r0 = await analyzeDir(dir);
    // what tcpdump prints when the pod IPs resolve to their StatefulSet DNS names
    const names: Record<string, string> = {
      '10.42.0.2': 'redis-0.redis.rcnc.svc.cluster.local',
      '10.42.0.5': '10-42-0-5.rcnc.pod.cluster.local',
    };
    for (const f of ['redis-0.tcpdump.txt', 'redis-3.tcpdump.txt']) {
      const text = await readFile(join(dir, f), 'utf8');
      await writeFile(
        join(dir, f),
        text.replace(/\b(10\.42\.0\.[25])\.(\d+)(?= >|:)/g, (_m, ip: string, port: string) => `${names[ip]}.${port}`),
      );
    }
    const text = await readFile(join(dir, 'redis-3.tcpdump.txt'), 'utf8');
    expect(text).toContain('10-42-0-5.rcnc.pod.cluster.local.');
    const r = await analyzeDir(dir);
    expect(r.warnings).toEqual([]);
    expect(r.natMappings).toEqual(r0.natMappings);
  });

  it('survives random garbage in every file', async () => {
    const dir = await copyOf('flannel-nodeport-cross-node');
    const r0 = await analyzeDir(dir);
    for (const f of r0.files) {
      const text = await readFile(join(dir, f), 'utf8');
      await writeFile(join(dir, f), `\u0000garbage ${f}\n${text}\n((( ]]] 999999\n`);
    }
    const r = await analyzeDir(dir);
    expect(r.warnings.length).toBeGreaterThanOrEqual(r0.files.length);
    expect(r.warnings.every((w) => r0.files.includes(w.file))).toBe(true);
    expect(r.ghosts.map((g) => g.pod)).toEqual(['redis-3']);
    expect(r.recommendations).toEqual(r0.recommendations);
  });
});

describe('analyzeCommand', () => {
  it('exits 1 with the problems and the fix when something is wrong', async () => {
    const { output, exitCode } = await analyzeCommand(example('flannel-nodeport-nat-meet'), false);
    expect(exitCode).toBe(1);
    expect(output).toContain('Problems (3):');
    expect(output).toMatch(
      /redis-0 holds \w{8} at 10\.42\.0\.1:6379@16379 \(handshake; bridge-gateway, cni0@node-0\): it stands for redis-3/,
    );
    expect(output).toContain(
      'redis-3: cluster-announce-ip 172.18.0.2, cluster-announce-port 30003, cluster-announce-bus-port 31003',
    );
    expect(output).toContain('then CLUSTER MEET again: redis-cli -p 6379 cluster meet 172.18.0.2 30000 31000');
    expect(output).toBe(renderAnalyzeText(await analyzeDir(example('flannel-nodeport-nat-meet'))));
  });

  it('exits 0 when nothing is wrong; --json prints the report', async () => {
    const text = await analyzeCommand(example('flannel-pod-ip-ok'), false);
    expect(text.exitCode).toBe(0);
    expect(text.output).toContain('No problems found');
    const json = await analyzeCommand(example('flannel-pod-ip-ok'), true);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.output)).toEqual(await expected('flannel-pod-ip-ok'));
  });

  it('exits 2 with one line saying what to do when DIR is missing, a file, or holds nothing analyze reads', async () => {
    const missing = await analyzeCommand(join(scratch, 'nope'), false);
    expect(missing.exitCode).toBe(2);
    expect(missing.output).toMatch(/^rcnc analyze: .*nope does not exist; pass the directory that holds/);
    const file = join(scratch, 'a-file.txt');
    await writeFile(file, 'x');
    expect(await analyzeCommand(file, true)).toEqual({
      output: `rcnc analyze: ${file} is a file, not a directory; pass the directory that holds the collected files\n`,
      exitCode: 2,
    });
    const empty = await mkdtemp(join(scratch, 'empty-'));
    await writeFile(join(empty, 'README.md'), '# nothing\n');
    const none = await analyzeCommand(empty, false);
    expect(none.exitCode).toBe(2);
    expect(none.output).toMatch(/holds none of the files analyze reads; collect .*pods\.txt/);
    for (const r of [missing, none]) {
      expect(r.output.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
