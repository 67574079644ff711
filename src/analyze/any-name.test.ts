// rcnc analyze on what people paste: files of any name, in subfolders, one terminal transcript,
// error replies, and the public threads' own files (test/fixtures/analyze/README.md). Never a
// false all-clear: a joiner is told from its own view alone, a stale address from a list of pod IPs.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFor, transcriptOf } from '../../test/support/any-name.ts';
import { analyzeCommand, analyzeDir, type AnalyzeReport } from './analyze.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLE = (name: string) => join(ROOT, 'examples', name);
const FIXTURE = (name: string) => join(ROOT, 'test', 'fixtures', 'analyze', name);
const KB = EXAMPLE('kubeblocks-k3d-flannel-nodeport');
const JOINER_VIEW = 'redisc-shard-5g8-1.cluster-nodes.txt';

let scratch: string;
let dirs = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'analyze-any-name-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A new directory holding `files`: target name → source path. */
async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = join(scratch, `d${dirs++}`);
  for (const [name, from] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await cp(from, join(dir, name));
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

describe("the joiner's own view (kubeblocks example, renamed)", () => {
  it('alone, as cluster-nodes.txt: exit 1, the joiner named by its node id, no ghosts, what to collect next', async () => {
    const dir = await dirWith({ 'cluster-nodes.txt': join(KB, JOINER_VIEW) });
    const r = await analyzeDir(dir);
    // The three masters announce a node IP and NodePorts: with nothing to check them against, no ghosts.
    expect(r.ghosts).toEqual([]);
    expect(r.problems).toEqual([
      "<pod of node 3a136cd5>'s own view has no address for itself (:6379@16379 myself, in cluster-nodes.txt): no peer has ever reached its cluster bus, so none of the 3 node(s) it lists knows it",
    ]);
    expect(r.recommendations[0]).toMatchObject({
      pod: '<pod of node 3a136cd5>',
      settings: [
        'cluster-announce-ip <node IP of <pod of node 3a136cd5>>',
        'cluster-announce-port <NodePort of <pod of node 3a136cd5>:6379>',
        'cluster-announce-bus-port <NodePort of <pod of node 3a136cd5>:16379>',
      ],
      exact: false,
    });
    expect(r.recommendations[0]!.commands.at(-1)).toMatch(/CLUSTER MEET 172\.18\.0\.2 30039 32461$/);
    expect(r.next).toEqual([
      expect.stringMatching(
        /^the CLUSTER NODES views and logs of 172\.18\.0\.2:30039, 172\.18\.0\.2:31993, 172\.18\.0\.2:30182 /,
      ),
      'kubectl get svc -o wide (services.txt): the NodePorts the fix needs',
      'kubectl get nodes -o wide (nodes.txt), with the pods list: the node IP the fix needs',
      'kubectl get pods -o wide (with -n NAMESPACE): the pods and their IPs: which pod the unnamed view is',
    ]);
    const { exitCode, output } = await analyzeCommand(dir, false);
    expect(exitCode).toBe(1);
    expect(output).toMatch(/\nCollect next:\n/);
  });

  it('with pods, services and nodes (any names, a subfolder): the joiner by name, the author’s fix', async () => {
    const dir = await dirWith({
      'views/cluster-nodes.txt': join(KB, JOINER_VIEW),
      'kubectl/get-pods.out': join(KB, 'pods.txt'),
      'kubectl/svc': join(KB, 'services.txt'),
      'kubectl/nodes-wide.log': join(KB, 'nodes.txt'),
    });
    const r = await analyzeDir(dir);
    expect(r.read).toContainEqual({
      file: 'views/cluster-nodes.txt',
      as: 'CLUSTER NODES',
      owner: 'redisc-shard-5g8-1',
      ownerFrom: 'content',
    });
    expect(r.problems).toEqual([
      expect.stringMatching(/^redisc-shard-5g8-1's own view has no address for itself \(:6379@16379 myself/),
    ]);
    expect(r.recommendations).toEqual([
      expect.objectContaining({
        pod: 'redisc-shard-5g8-1',
        settings: ['cluster-announce-ip 172.18.0.2', 'cluster-announce-port 31309', 'cluster-announce-bus-port 31153'],
        exact: true,
      }),
    ]);
    expect(r.recommendations[0]!.commands.at(-1)).toBe(
      'kubectl -n default exec redisc-shard-5g8-1 -- redis-cli -p 6379 CLUSTER MEET 172.18.0.2 30039 32461',
    );
    expect(r.next).toEqual([
      expect.stringMatching(
        /^the CLUSTER NODES views and logs of redisc-shard-5g8-0, redisc-shard-xwz-0, redisc-shard-hxx-0 .*: at which address they recorded redisc-shard-5g8-1/,
      ),
    ]);
    expect(r.verdict).toBe('problems');
    expect((await analyzeCommand(dir, false)).exitCode).toBe(1);
  });

  it('without services.txt: the node IP and NodePort placeholders, never the pod IP and 6379/16379', async () => {
    const dir = await dirWith({
      'redisc-shard-5g8-1-cluster-nodes.txt': join(KB, JOINER_VIEW),
      'pods.txt': join(KB, 'pods.txt'),
    });
    const r = await analyzeDir(dir);
    expect(r.read).toContainEqual(expect.objectContaining({ owner: 'redisc-shard-5g8-1', ownerFrom: 'file name' }));
    expect(r.recommendations[0]!.settings).toEqual([
      'cluster-announce-ip <node IP of redisc-shard-5g8-1>',
      'cluster-announce-port <NodePort of redisc-shard-5g8-1:6379>',
      'cluster-announce-bus-port <NodePort of redisc-shard-5g8-1:16379>',
    ]);
    expect(r.next).toContain('kubectl get svc -o wide (services.txt): the NodePorts the fix needs');
  });

  it("without the joiner's files: the listed pod in no view is named, its links are not harmless", async () => {
    const dir = await dirWith(
      Object.fromEntries(
        (await readdir(KB))
          .filter((f) => !f.startsWith('redisc-shard-5g8-1.') && f !== 'expected.json' && f !== 'README.md')
          .map((f) => [f, join(KB, f)]),
      ),
    );
    const r = await analyzeDir(dir);
    expect(r.failedDialBacks).toEqual([expect.objectContaining({ standsFor: 'redisc-shard-5g8-1' })]);
    expect(r.problems[0]).toContain('the one pod in the pods list that no CLUSTER NODES view knows');
    expect(r.natedConnections.filter((c) => c.harmless === 'every collected pod announces its address')).toEqual([]);
    expect(r.next).toContain(
      "redisc-shard-5g8-1's own CLUSTER NODES view and log (kubectl exec redisc-shard-5g8-1 -- redis-cli cluster nodes; kubectl logs redisc-shard-5g8-1)",
    );
    expect(r.recommendations.map((x) => x.pod)).toEqual(['redisc-shard-5g8-1']);
  });
});

describe('redis/redis#15136: replicas left on stale master IPs after every pod restarted', () => {
  const stale = ['10.1.207.222:6379', '10.1.207.244:6379', '10.1.207.204:6379'];

  it('names the stale master addresses, the failing cluster, and the CLUSTER MEET + CLUSTER REPLICATE fix', async () => {
    const r = await analyzeDir(FIXTURE('redis-15136-stale-masters'));
    expect(r.read.map((x) => `${x.file} ${x.as} ${x.owner ?? ''}`.trim())).toEqual([
      'issue-block-1.txt:1 CLUSTER INFO',
      'issue-block-1.txt:21 ROLE redis-cluster-0',
      'issue-block-1.txt:26 ROLE redis-cluster-1',
      'issue-block-1.txt:31 ROLE redis-cluster-2',
      'issue-block-1.txt:36 ROLE redis-cluster-3',
      'issue-block-1.txt:43 ROLE redis-cluster-4',
      'issue-block-1.txt:50 ROLE redis-cluster-5',
      'issue-block-2.txt:1 a list of pods or pod IPs (jsonpath, -o name)',
    ]);
    expect(r.warnings).toEqual([]);
    expect(r.problems.slice(0, 3)).toEqual(
      stale.map(
        (a, i) =>
          `redis-cluster-${i + 3} replicates from ${a} (link connecting): no pod holds ${a.split(':')[0]}, a stale master address`,
      ),
    );
    expect(r.problems[3]).toBe(
      'the node in issue-block-1.txt:1: cluster_state:fail (5461 of 16384 assigned slots ok, 10923 pfail, 0 fail); it has received no cluster-bus message from the 5 other node(s) it knows',
    );
    const fix = r.recommendations[0]!;
    expect(fix.pod).toBe('redis-cluster-0');
    expect(fix.reason).toContain(stale.join(', '));
    expect(fix.then).toMatch(
      /^CLUSTER MEET every pod at its current address from redis-cluster-0; then CLUSTER REPLICATE/,
    );
    expect(fix.commands).toEqual([
      ...['197', '194', '253', '239', '254'].map(
        (n) => `kubectl exec redis-cluster-0 -- redis-cli CLUSTER MEET 10.1.207.${n} 6379`,
      ),
      ...[3, 4, 5].map(
        (n) =>
          `kubectl exec redis-cluster-${n} -- redis-cli CLUSTER REPLICATE <node id of redis-cluster-${n}'s master>`,
      ),
    ]);
    const { exitCode, output } = await analyzeCommand(FIXTURE('redis-15136-stale-masters'), false);
    expect(exitCode).toBe(1);
    expect(output).toContain('redis-cluster-0: CLUSTER MEET every pod at its current address');
  });

  it('without the pod IPs it cannot tell the addresses are stale, and does not clear it either', async () => {
    const dir = await dirWith({ 'roles.txt': join(FIXTURE('redis-15136-stale-masters'), 'issue-block-1.txt') });
    const r = await analyzeDir(dir);
    expect(r.problems.filter((p) => p.includes('stale'))).toEqual([]);
    expect(r.problems).toEqual([expect.stringContaining('cluster_state:fail')]);
    expect((await analyzeCommand(dir, false)).exitCode).toBe(1);
  });
});

describe('error replies and unusable parts are named, with why', () => {
  it('NOAUTH alone: exit 2, the authentication error and what to do', async () => {
    const dir = join(scratch, `d${dirs++}`);
    await mkdir(dir);
    await writeFile(join(dir, 'redis-0.txt'), '(error) NOAUTH Authentication required.\n');
    const r = await analyzeDir(dir);
    expect(r.warnings).toEqual([
      {
        file: 'redis-0.txt',
        line: 0,
        problem: 'this output is an authentication error: pass the password to redis-cli (-a or REDISCLI_AUTH)',
      },
    ]);
    const { exitCode, output } = await analyzeCommand(dir, false);
    expect(exitCode).toBe(2);
    expect(output).toMatch(
      /^rcnc: nothing usable in .*redis-0\.txt this output is an authentication error: pass the password/,
    );
  });

  it('NOAUTH in a transcript: that part is named by its line, the rest is read', async () => {
    const dir = join(scratch, `d${dirs++}`);
    await mkdir(dir);
    const view = await readFile(join(KB, JOINER_VIEW), 'utf8');
    await writeFile(
      join(dir, 'session.txt'),
      `$ kubectl exec redisc-shard-5g8-0 -- redis-cli cluster nodes\nNOAUTH Authentication required.\n` +
        `$ kubectl exec redisc-shard-5g8-1 -- redis-cli -a secret cluster nodes\n` +
        `Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n${view}`,
    );
    const r = await analyzeDir(dir);
    // redis-cli's own warning about -a is no CLUSTER NODES line, nor worth a warning.
    expect(r.warnings.filter((w) => w.file === 'session.txt')).toEqual([
      {
        file: 'session.txt',
        line: 2,
        problem: 'this output is an authentication error: pass the password to redis-cli (-a or REDISCLI_AUTH)',
      },
    ]);
    expect(r.read).toEqual([
      { file: 'session.txt:3', as: 'CLUSTER NODES', owner: 'redisc-shard-5g8-1', ownerFrom: 'command' },
    ]);
    expect(r.problems[0]).toMatch(/^redisc-shard-5g8-1's own view has no address/);
  });
});

describe('an interactive session: whose output is told by the exec before it, or the prompt’s host', () => {
  it('kubectl exec -it POD -- redis-cli, then redis-cli prompts; root@POD prompts; kubectl from outside again', async () => {
    const read = (f: string) => readFile(join(KB, f), 'utf8');
    const dir = join(scratch, `d${dirs++}`);
    await mkdir(dir);
    await writeFile(
      join(dir, 'notes.txt'),
      [
        '$ kubectl exec -it redisc-shard-5g8-1 -- redis-cli',
        '127.0.0.1:6379> cluster nodes',
        (await read(JOINER_VIEW)).trimEnd(),
        '127.0.0.1:6379> exit',
        '$ kubectl exec -it redisc-shard-5g8-0 -- bash',
        'root@redisc-shard-5g8-0:/data# redis-cli cluster nodes',
        (await read('redisc-shard-5g8-0.cluster-nodes.txt')).trimEnd(),
        'root@redisc-shard-5g8-0:/data# exit',
        '$ kubectl get pods -A -o wide',
        (await read('pods.txt')).trimEnd(),
        '',
      ].join('\n'),
    );
    const r = await analyzeDir(dir);
    expect(r.read.filter((x) => x.as === 'CLUSTER NODES').map((x) => [x.file, x.owner, x.ownerFrom])).toEqual([
      ['notes.txt:2', 'redisc-shard-5g8-1', 'command'],
      ['notes.txt:9', 'redisc-shard-5g8-0', 'command'],
    ]);
    expect(r.warnings.filter((w) => w.file === 'notes.txt')).toEqual([]);
  });
});

describe('the public threads’ own files (test/fixtures/analyze/public)', () => {
  const pub = (name: string) => FIXTURE(join('public', name));
  const run = async (name: string) => ({ r: await analyzeDir(pub(name)), cmd: await analyzeCommand(pub(name), false) });

  it('flannel#1059: a create that never finished joining is a problem, with what to collect next', async () => {
    const { r, cmd } = await run('flannel-1059-cluster-join-flannel');
    expect(r.problems).toEqual([
      expect.stringMatching(
        /redis-cli --cluster create waited for the nodes to join and never finished: .*\(172\.30\.6\.8:6379, 172\.30\.6\.7:6379/,
      ),
    ]);
    expect(r.next[0]).toMatch(/^CLUSTER NODES of each node it was given/);
    expect(cmd.exitCode).toBe(1);
  });

  it('kubernetes#38176 and flannel#445: a replica at a /24 network address, without any pods list', async () => {
    const k8s = (await run('k8s-38176-sentinel-replicas-dot0')).r;
    expect(k8s.problems).toEqual([
      expect.stringMatching(/^redis-sentinel records a replica at 172\.17\.55\.0:6379 .*s_down,slave.*network address/),
    ]);
    const flannel = (await run('flannel-445-docker-flannel-dot0')).r;
    expect(flannel.problems.map((p) => p.split(' (')[0])).toEqual([
      'redis-master lists a replica at 172.18.82.0:6379',
      'redis-sentinel records a replica at 172.18.82.0:6379',
    ]);
  });

  it('spotahome#312: both replicas at 127.0.0.1 in an interactive redis-cli session', async () => {
    const { r } = await run('spotahome-312-istio-loopback-replicas');
    expect(r.read).toEqual([
      expect.objectContaining({ file: 'rfr-master.info-replication.txt:2', as: 'INFO', owner: 'rfr-master' }),
    ]);
    expect(r.problems).toEqual([
      expect.stringMatching(/^rfr-master lists a replica at 127\.0\.0\.1:6379 .*loopback/),
      'rfr-master lists 2 replicas at 127.0.0.1:6379: Sentinel keeps one record for them',
    ]);
    expect(r.warnings.filter((w) => w.file !== 'pods.txt')).toEqual([]);
  });

  it('redis#5983: the failing node of a view, its log read through the timestamp prefix, the nc probe named', async () => {
    const { r } = await run('redis-5983-docker-cluster-bus-6380');
    expect(r.problems).toEqual([
      'node-10.1.92.10 marks ade3913f at 10.1.85.30:6379@6380 master,fail: its cluster bus (port 6380) does not answer there',
    ]);
    expect(r.checked.logs).toEqual(['node-10.1.92.10']);
    expect(r.warnings.map((w) => w.file)).toContain('node-10.1.92.10.nc-probe.txt');
  });

  it('bitnami/charts#8605: a replica following a master no listed pod holds (pods list added here)', async () => {
    const info = join(pub('bitnami-charts-8605-replica-stale-master'), 'slave-info.txt');
    const dir = await dirWith({ 'info.txt': info });
    await writeFile(
      join(dir, 'pods.txt'),
      'NAME              READY   STATUS    RESTARTS   AGE   IP              NODE\n' +
        'redis-cluster-0   1/1     Running   0          13h   192.168.10.4    n1\n',
    );
    const r = await analyzeDir(dir);
    expect(r.problems).toEqual([
      '<pod in info.txt> replicates from 192.168.168.17:6379 (link down for 717231 s): no pod holds 192.168.168.17, a stale master address',
    ]);
    // Alone, nothing says the address is no pod's: the link down for so long is the problem.
    const alone = await analyzeDir(await dirWith({ 'info.txt': info }));
    expect(alone.problems).toEqual([
      '<pod in info.txt> replicates from 192.168.168.17:6379 (unknown, 192.168.168.17) and its link has been down for 717231 s',
    ]);
  });

  // ot-927 and bitnami-10067 are problems now (likely node IPs, a likely stale master): diagnoses.test.ts.
  it.each(['kelseyhightower-1-create-via-service-ips'])(
    '%s: nothing proven wrong, not cleared either: exit 1 and the pods list to collect',
    async (name) => {
      const { r, cmd } = await run(name);
      expect(r.verdict).toBe('not-cleared');
      expect(r.next).toContain('kubectl get pods -o wide (with -n NAMESPACE): the pods and their IPs');
      expect(cmd.exitCode).toBe(1);
      expect(cmd.output).toMatch(/\nNot cleared: nothing wrong was found, but these files cannot rule problems out:\n/);
    },
  );

  it('every file of every thread is read: only the nc probe and an echo of addresses are not', async () => {
    const unread: string[] = [];
    for (const name of await readdir(FIXTURE('public'))) {
      const r = await analyzeDir(pub(name));
      unread.push(
        ...r.warnings
          .filter((w) => /none of the outputs it knows/.test(w.problem))
          .map((w) => `${name}/${w.file}:${w.line}`),
      );
    }
    expect(unread).toEqual([
      'redis-5406-announce-bus-port-nat/alloc5.redis-cli-create.log:2',
      'redis-5983-docker-cluster-bus-6380/node-10.1.92.10.nc-probe.txt:2',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The same files as one terminal session: each after the prompt of the command that prints it.

/** The diagnosis, without the file names it cites (they differ by design). */
function diagnosis(r: AnalyzeReport) {
  const unfile = (s: string) => s.replace(/[\w./-]+\.txt(?::\d+)?|session\/[\w./-]+(?::\d+)?/g, 'FILE');
  return {
    verdict: r.verdict,
    problems: r.problems.map(unfile),
    recommendations: r.recommendations,
    ghosts: r.ghosts,
    failedDialBacks: r.failedDialBacks,
    addressUpdates: r.addressUpdates,
    natMappings: r.natMappings,
    natedConnections: r.natedConnections,
    pods: r.pods.map((p) => ({ ...p })),
    sentinel: { ...r.sentinel, problems: r.sentinel.problems.map(unfile) },
    next: r.next.map(unfile),
  };
}

describe('the same files under other names, and as ONE terminal transcript', () => {
  const SETS = [
    EXAMPLE('flannel-nodeport-nat-meet'),
    EXAMPLE('flannel-nodeport-cross-node'),
    EXAMPLE('flannel-pod-ip-ok'),
    KB,
    FIXTURE('redis-15136-stale-masters'),
    join(ROOT, 'test', 'fixtures', 'sentinel', 'flannel-vxlan-nodeport'),
  ];

  it.each(SETS)('%s: one transcript file in a subfolder gives the same diagnosis and fix', async (from) => {
    const original = await analyzeDir(from);
    const dir = join(scratch, `d${dirs++}`);
    await mkdir(join(dir, 'session'), { recursive: true });
    await writeFile(join(dir, 'session', 'terminal-2024-05-01.log'), await transcriptOf(from));
    const r = await analyzeDir(dir);
    expect(r.files).toEqual(['session/terminal-2024-05-01.log']);
    expect(diagnosis(r)).toEqual(diagnosis(original));
    expect((await analyzeCommand(dir, false)).exitCode).toBe((await analyzeCommand(from, false)).exitCode);
  });

  it.each(SETS)(
    '%s: each file under an arbitrary name, after its own prompt, gives the same diagnosis',
    async (from) => {
      const original = await analyzeDir(from);
      const dir = join(scratch, `d${dirs++}`);
      const files = (await readdir(from)).filter((f) => f !== 'README.md' && f !== 'expected.json').sort();
      for (const [i, f] of files.entries()) {
        const text = await readFile(join(from, f), 'utf8');
        await mkdir(join(dir, `part-${i % 3}`), { recursive: true });
        await writeFile(
          join(dir, `part-${i % 3}`, `paste-${i}.txt`),
          `$ ${commandFor(f) ?? `./collect-part-${i}.sh`}\n${text}`,
        );
      }
      expect(diagnosis(await analyzeDir(dir))).toEqual(diagnosis(original));
    },
  );
});
