import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCommand, analyzeDir, renderAnalyzeText, type AnalyzeReport } from './analyze.ts';

// Example directories: three made from real lab runs by examples/make-example.ts, whose
// expected.json is what rcnc printed then (a newer rcnc may add fields: compared as a subset), and
// one transcribed from a published real-cluster transcript, whose expected.json was written by hand
// from the transcript's facts (compared in full). See each README.md.
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const example = (name: string) => join(EXAMPLES, name);
const LAB_MADE = ['flannel-nodeport-nat-meet', 'flannel-nodeport-cross-node', 'flannel-pod-ip-ok'];
const HAND_WRITTEN = ['kubeblocks-k3d-flannel-nodeport'];
const KB = 'kubeblocks-k3d-flannel-nodeport';

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
  it.each(LAB_MADE)('%s: says everything expected.json says', async (name) => {
    expect(await analyzeDir(example(name))).toMatchObject(await expected(name));
  });

  it.each(HAND_WRITTEN)('%s: says exactly what expected.json says', async (name) => {
    // diagnoses and deployer came after expected.json was written: diagnoses.test.ts checks them.
    const { diagnoses, deployer, ...rest } = await analyzeDir(example(name));
    expect([diagnoses.length > 0, deployer?.name]).toEqual([true, 'kubeblocks']);
    expect(rest).toEqual(await expected(name));
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
        commands: [
          'kubectl exec redis-3 -- redis-cli -p 6379 CONFIG SET cluster-announce-ip 172.18.0.2',
          'kubectl exec redis-3 -- redis-cli -p 6379 CONFIG SET cluster-announce-port 30003',
          'kubectl exec redis-3 -- redis-cli -p 6379 CONFIG SET cluster-announce-bus-port 31003',
          'kubectl exec redis-3 -- redis-cli -p 6379 CLUSTER MEET 172.18.0.2 30000 31000',
        ],
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
    expect(output).toContain('$ kubectl exec redis-3 -- redis-cli -p 6379 CLUSTER MEET 172.18.0.2 30000 31000');
    // the fix comes first
    expect(output.indexOf('Fix (1 pod(s)):')).toBeLessThan(output.indexOf('Problems (3):'));
    expect(output).toBe(renderAnalyzeText(await analyzeDir(example('flannel-nodeport-nat-meet'))));
  });

  it('exits 0 when nothing is wrong; --json prints the report', async () => {
    const text = await analyzeCommand(example('flannel-pod-ip-ok'), false);
    expect(text.exitCode).toBe(0);
    expect(text.output).toContain('No problems found');
    const json = await analyzeCommand(example('flannel-pod-ip-ok'), true);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.output)).toMatchObject(await expected('flannel-pod-ip-ok'));
  });

  it('exits 2 with one line saying what to do when DIR is missing, a file, or holds nothing analyze reads', async () => {
    const missing = await analyzeCommand(join(scratch, 'nope'), false);
    expect(missing.exitCode).toBe(2);
    expect(missing.output).toMatch(/^rcnc: .*nope does not exist; pass the directory that holds/);
    const file = join(scratch, 'a-file.txt');
    await writeFile(file, 'x');
    expect(await analyzeCommand(file, true)).toEqual({
      output: `rcnc: ${file} is a file, not a directory; pass the directory that holds the collected files\n`,
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

describe('analyze on a real transcript (kubeblocks-k3d-flannel-nodeport)', () => {
  it('puts the author’s own fix first, for the joiner whose ghost has already expired', async () => {
    const { output, exitCode } = await analyzeCommand(example(KB), false);
    expect(exitCode).toBe(1);
    const lines = output.split('\n');
    expect(lines.slice(2, 9)).toEqual([
      'Fix (1 pod(s)):',
      '  redisc-shard-5g8-1: cluster-announce-ip 172.18.0.2, cluster-announce-port 31309, cluster-announce-bus-port 31153',
      expect.stringMatching(/^ {4}why: redisc-shard-5g8-0 failed to dial it back at 10\.42\.0\.1:16379 /),
      '    $ kubectl -n default exec redisc-shard-5g8-1 -- redis-cli -p 6379 CONFIG SET cluster-announce-ip 172.18.0.2',
      '    $ kubectl -n default exec redisc-shard-5g8-1 -- redis-cli -p 6379 CONFIG SET cluster-announce-port 31309',
      '    $ kubectl -n default exec redisc-shard-5g8-1 -- redis-cli -p 6379 CONFIG SET cluster-announce-bus-port 31153',
      '    $ kubectl -n default exec redisc-shard-5g8-1 -- redis-cli -p 6379 CLUSTER MEET 172.18.0.2 30039 32461',
    ]);
    expect(output).toContain('— NATed but harmless: redisc-shard-5g8-0 announces 172.18.0.2:30039@32461');
    // the capture named the node, not its address: resolved through nodes.txt (and pods by pods.txt/netstat)
    expect(output).toContain(
      '[redisc-shard-5g8-0] 10.42.0.236:58412 → 172.18.0.2:31879  ==  [redisc-shard-hxx-0] 10.42.0.1:24780 → 10.42.0.232:16379',
    );
  });

  it('without services.txt: the same fix with named NodePort placeholders', async () => {
    const dir = await copyOf(KB);
    await rm(join(dir, 'services.txt'));
    const r = await analyzeDir(dir);
    expect(r.recommendations).toEqual([
      expect.objectContaining({
        pod: 'redisc-shard-5g8-1',
        settings: [
          'cluster-announce-ip 172.18.0.2',
          'cluster-announce-port <NodePort of redisc-shard-5g8-1:6379>',
          'cluster-announce-bus-port <NodePort of redisc-shard-5g8-1:16379>',
        ],
        exact: false,
      }),
    ]);
    expect(r.recommendations[0]!.commands.at(-1)).toBe(
      'kubectl -n default exec redisc-shard-5g8-1 -- redis-cli -p 6379 CLUSTER MEET 172.18.0.2 30039 32461',
    );
  });

  it('without the node’s ifconfig: cni0 is inferred from the pods’ /24, and the output says so', async () => {
    const dir = await copyOf(KB);
    await rm(join(dir, 'k3d-k3s-default-server-0.ifconfig.txt'));
    const r = await analyzeDir(dir);
    expect(r.failedDialBacks).toEqual([
      expect.objectContaining({ class: 'bridge-gateway', owner: 'cni0@k3d-k3s-default-server-0' }),
    ]);
    expect(r.inferences).toContainEqual({
      address: '10.42.0.1',
      owner: 'cni0@k3d-k3s-default-server-0',
      basis: expect.stringContaining("first address of k3d-k3s-default-server-0's pod CIDR 10.42.0.0/24"),
    });
    expect(r.problems[0]).toContain('(bridge-gateway, cni0@k3d-k3s-default-server-0, inferred)');
    expect(r.recommendations.map((x) => x.pod)).toEqual(['redisc-shard-5g8-1']);
    const text = renderAnalyzeText(r);
    expect(text).toMatch(/\nInferred \(not in the files.*\):\n/);
    expect(text).toMatch(/\n {2}10\.42\.0\.1 is cni0@k3d-k3s-default-server-0: the first address of /);
  });

  it('tells the joiner by its unlearned address when its view does not show the entry master either', async () => {
    const dir = await copyOf(KB);
    const view = await readFile(join(dir, 'redisc-shard-5g8-1.cluster-nodes.txt'), 'utf8');
    await writeFile(
      join(dir, 'redisc-shard-5g8-1.cluster-nodes.txt'),
      view.replace(/^ff935854\S* 172\.18\.0\.2:30039@32461 master .*\n/m, ''),
    );
    const r = await analyzeDir(dir);
    expect(r.failedDialBacks[0]!.standsFor).toBe('redisc-shard-5g8-1');
    expect(r.problems[0]).toContain('the one pod redisc-shard-5g8-0 does not know that never learned its own address');
    expect(r.recommendations.map((x) => x.pod)).toEqual(['redisc-shard-5g8-1']);
  });
});

describe('owners inferred without ip addr', () => {
  /** The cross-node example without its interface files, with `files` added. */
  async function crossNodeWithout(files: Record<string, string>): Promise<string> {
    const dir = await copyOf('flannel-nodeport-cross-node');
    await rm(join(dir, 'node-0.ip-addr.txt'));
    await rm(join(dir, 'node-1.ifconfig.txt'));
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, name), text);
    }
    return dir;
  }

  it('reads pod CIDRs from podcidrs.txt: .1 is cni0, .0 is flannel.1 of that node', async () => {
    const dir = await crossNodeWithout({
      'podcidrs.txt': 'NAME     CIDR\nnode-0   10.42.0.0/24\nnode-1   10.42.1.0/24\n',
    });
    const r = await analyzeDir(dir);
    expect(r.warnings).toEqual([]);
    expect(r.nodes.map((n) => [n.name, n.podCIDR])).toEqual([
      ['node-0', '10.42.0.0/24'],
      ['node-1', '10.42.1.0/24'],
    ]);
    expect(r.ghosts).toEqual([expect.objectContaining({ class: 'tunnel', owner: 'flannel.1@node-1', pod: 'redis-3' })]);
    expect(new Set(r.natedConnections.map((c) => `${c.peer.split(':')[0]} ${c.class} ${c.owner}`))).toEqual(
      new Set([
        '10.42.0.1 bridge-gateway cni0@node-0',
        '10.42.1.0 tunnel flannel.1@node-1',
        '10.42.1.1 bridge-gateway cni0@node-1',
      ]),
    );
    expect(r.inferences.find((i) => i.address === '10.42.1.0')?.basis).toMatch(/network address of node-1's pod CIDR/);
  });

  it('reads a PODCIDR column in nodes.txt (kubectl -o custom-columns)', async () => {
    const dir = await crossNodeWithout({
      'nodes.txt':
        'NAME     INTERNAL-IP   PODCIDR\nnode-0   172.18.0.2    10.42.0.0/24\nnode-1   172.18.0.3    10.42.1.0/24\n',
    });
    const r = await analyzeDir(dir);
    expect(r.nodes.map((n) => n.podCIDR)).toEqual(['10.42.0.0/24', '10.42.1.0/24']);
    expect(r.ghosts[0]).toMatchObject({ class: 'tunnel', owner: 'flannel.1@node-1' });
  });

  it('takes x.y.0.1 of the nodes’ network for the Docker host', async () => {
    const dir = await copyOf('flannel-nodeport-cross-node');
    const netstat = await readFile(join(dir, 'redis-0.netstat.txt'), 'utf8');
    await writeFile(
      join(dir, 'redis-0.netstat.txt'),
      netstat + 'tcp        0      0 10.42.0.2:16379         172.18.0.1:40000        ESTABLISHED 1/redis-server *:63\n',
    );
    const r = await analyzeDir(dir);
    expect(r.natedConnections).toContainEqual(
      expect.objectContaining({ peer: '172.18.0.1:40000', class: 'external', owner: 'host' }),
    );
    expect(r.inferences).toContainEqual(expect.objectContaining({ address: '172.18.0.1', owner: 'host' }));
  });
});

describe('findings that are not problems, and what could not be checked', () => {
  it('marks a rewritten connection from a pod that announces as harmless, by the captures', async () => {
    const r = await analyzeDir(example('flannel-nodeport-nat-meet'));
    expect(r.natedConnections).toContainEqual(
      expect.objectContaining({
        pod: 'redis-0',
        peer: '10.42.0.1:38773',
        from: 'redis-1',
        harmless: 'redis-1 announces 172.18.0.2:30001@31001',
      }),
    );
    // redis-3's own link is not harmless: it announces nothing
    expect(r.natedConnections.find((c) => c.peer === '10.42.0.1:6689')).toMatchObject({ from: 'redis-3' });
    expect(r.natedConnections.find((c) => c.peer === '10.42.0.1:6689')?.harmless).toBeUndefined();
  });

  it('when every pod announces, rewritten connections are harmless and no problem', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    for (const f of ['cluster-nodes', 'log', 'netstat', 'ss', 'tcpdump']) {
      await rm(join(dir, `redis-3.${f}.txt`));
    }
    // redis-3 gone from the deployment too: a listed pod without files could be the one that does not announce.
    const pods = await readFile(join(dir, 'pods.txt'), 'utf8');
    await writeFile(join(dir, 'pods.txt'), pods.replace(/^redis-3 .*\n/m, ''));
    const view = await readFile(join(dir, 'redis-0.cluster-nodes.txt'), 'utf8');
    await writeFile(join(dir, 'redis-0.cluster-nodes.txt'), view.replace(/^.* handshake .*\n/m, ''));
    const log = await readFile(join(dir, 'redis-0.log.txt'), 'utf8');
    await writeFile(join(dir, 'redis-0.log.txt'), log.replace(/^.*Connection with Node .*\n/gm, ''));
    const { output, exitCode } = await analyzeCommand(dir, false);
    const r = await analyzeDir(dir);
    expect(r.natedConnections.length).toBeGreaterThan(0);
    expect(r.natedConnections.every((c) => c.harmless !== undefined)).toBe(true);
    expect(r.problems).toEqual([]);
    expect(exitCode).toBe(0);
    expect(output).toContain('No problems found');
  });

  it('a listed pod without files is named, and its rewritten links are not called harmless', async () => {
    const dir = await copyOf('flannel-nodeport-nat-meet');
    for (const f of ['cluster-nodes', 'log', 'netstat', 'ss', 'tcpdump']) {
      await rm(join(dir, `redis-3.${f}.txt`));
    }
    const r = await analyzeDir(dir);
    expect(r.natedConnections.filter((c) => c.harmless === 'every collected pod announces its address')).toEqual([]);
    expect(r.ghosts).toEqual([expect.objectContaining({ seenBy: 'redis-0', class: 'bridge-gateway', pod: 'redis-3' })]);
    expect(r.recommendations.map((x) => [x.pod, x.settings])).toEqual([
      ['redis-3', ['cluster-announce-ip 172.18.0.2', 'cluster-announce-port 30003', 'cluster-announce-bus-port 31003']],
    ]);
    expect(r.next).toContainEqual(expect.stringMatching(/^redis-3's own CLUSTER NODES view and log/));
    expect((await analyzeCommand(dir, false)).exitCode).toBe(1);
  });

  it('a justified all-clear lists what it checked', async () => {
    const { output, exitCode } = await analyzeCommand(example('flannel-pod-ip-ok'), false);
    expect(exitCode).toBe(0);
    expect(output).toMatch(/\nChecked:\n {2}- CLUSTER NODES of every Redis pod \(4\): each knows its own address/);
    expect(output).toContain('- the pods list: every Redis pod in it (4) is in the views');
  });

  it.each([
    ['pods.txt', /^no pods list with IPs was read: a pod that never joined is in no CLUSTER NODES view/],
    [
      'redis-3.cluster-nodes.txt',
      /^no CLUSTER NODES view of redis-3: a pod that failed to join shows it only in its own view/,
    ],
  ])('without %s nothing is wrong, and nothing is cleared either: exit 1, what to collect', async (gone, gap) => {
    const dir = await copyOf('flannel-pod-ip-ok');
    await rm(join(dir, gone));
    const r = await analyzeDir(dir);
    expect(r.problems).toEqual([]);
    expect(r.verdict).toBe('not-cleared');
    expect(r.gaps).toEqual([expect.stringMatching(gap)]);
    expect(r.next.length).toBe(1);
    const { output, exitCode } = await analyzeCommand(dir, false);
    expect(exitCode).toBe(1);
    expect(output).not.toMatch(/No problems found|Nothing wrong found/);
    expect(output).toMatch(/\nCollect next:\n {2}- /);
  });

  it('sockets and logs alone clear nothing', async () => {
    const dir = await copyOf('flannel-pod-ip-ok');
    for (const f of (await readdir(dir)).filter((x) => /cluster-nodes|pods\.txt/.test(x))) {
      await rm(join(dir, f));
    }
    const r = await analyzeDir(dir);
    expect(r.verdict).toBe('not-cleared');
    expect((await analyzeCommand(dir, false)).exitCode).toBe(1);
  });

  it('does not say "No problems found" when a kind of evidence is missing; says what it could not check', async () => {
    const dir = await copyOf('flannel-pod-ip-ok');
    for (const p of ['redis-0', 'redis-1', 'redis-2', 'redis-3']) {
      await rm(join(dir, `${p}.log.txt`));
    }
    const { output, exitCode } = await analyzeCommand(dir, false);
    expect(exitCode).toBe(0);
    expect(output).not.toContain('No problems found');
    expect(output).toContain('not everything could be checked');
    expect(output).toMatch(/Not checked:\n {2}- failed dial-backs and address updates: no Redis log was read/);
    const r = await analyzeDir(dir);
    expect(r.checked.logs).toEqual([]);
    expect(r.unchecked).toHaveLength(1);
  });
});
