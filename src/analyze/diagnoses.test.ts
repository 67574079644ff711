// Diagnoses by mechanism (diagnoses.ts): on each public thread's own files, the kind, address,
// owner and fix the thread (or the sources) establish; mechanisms no thread pasted, from output in
// the formats Redis and kubectl print; and the --format outputs.
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCommand, analyzeDir } from './analyze.ts';
import { sentinelConfState } from './redis-config.ts';
import { sentinelLogState } from './sentinel-log.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PUB = (name: string) => join(ROOT, 'test', 'fixtures', 'analyze', 'public', name);
let scratch: string;
let n = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'analyze-diag-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function dirOf(files: Record<string, string>, copyFrom?: string): Promise<string> {
  const dir = join(scratch, `d${n++}`);
  await mkdir(dir, { recursive: true });
  if (copyFrom) {
    await cp(copyFrom, dir, { recursive: true });
  }
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe("the public threads' files: kind, address, owner, fix", () => {
  it('flannel#445 and kubernetes#38176: the .0 is the flannel device of the replica node; stop the masquerade or announce', async () => {
    for (const [name, ip] of [
      ['flannel-445-docker-flannel-dot0', '172.18.82.0'],
      ['k8s-38176-sentinel-replicas-dot0', '172.17.55.0'],
    ] as const) {
      const [d] = (await analyzeDir(PUB(name))).diagnoses;
      expect(d).toMatchObject({ kind: 'flannel-dot0', addresses: [ip] });
      expect(d!.owner).toBe(`flannel's VXLAN device (flannel.1) of the node whose pod subnet is ${ip}/24`);
      expect(d!.fix.summary).toMatch(/--ip-masq=false .*replica-announce-ip/);
      expect(d!.fix.snippets[0]!.text).toContain('fieldPath: status.podIP');
    }
  });

  it('spotahome#312: loopback is the sidecar; spotahome is recognised and its podAnnotations key offered', async () => {
    const r = await analyzeDir(PUB('spotahome-312-istio-loopback-replicas'));
    expect(r.deployer?.name).toBe('spotahome-redis-operator');
    expect(r.diagnoses.map((d) => d.kind)).toEqual(['loopback-sidecar']);
    expect(r.diagnoses[0]!.owner).toMatch(/^a sidecar proxy in rfr-master's pod/);
    expect(r.diagnoses[0]!.fix.snippets.map((s) => s.source)).toContain(
      'https://github.com/spotahome/redis-operator/blob/master/api/redisfailover/v1/types.go',
    );
    expect(r.diagnoses[0]!.fix.snippets.at(-1)!.text).toContain('traffic.sidecar.istio.io/excludeInboundPorts');
  });

  it('OT#927: replicas in another network than the master are likely node IPs: a problem, with what to collect', async () => {
    const r = await analyzeDir(PUB('ot-927-replicas-node-ip'));
    expect(r.verdict).toBe('problems');
    expect(r.deployer?.name).toBe('ot-redis-operator');
    expect(r.diagnoses).toEqual([
      expect.objectContaining({
        kind: 'node-ip',
        certainty: 'likely',
        addresses: ['10.138.26.22:6379', '10.138.26.28:6379'],
      }),
    ]);
    expect(r.next).toContain('kubectl get nodes -o wide: whether these are node addresses');
  });

  it("bitnami#10067: the sentinel's master is no listed pod's; the restarted pod is the likely old owner", async () => {
    const r = await analyzeDir(PUB('bitnami-charts-10067-sentinel-stale-master'));
    expect(r.verdict).toBe('problems');
    const [d] = r.diagnoses;
    expect(d).toMatchObject({
      kind: 'sentinel-master-no-pod',
      certainty: 'likely',
      addresses: ['172.16.61.244:6379'],
      previousOwner: 'myapp-dev-redis-node-0 (CrashLoopBackOff, Terminating)',
    });
    expect(d!.owner).toContain('myapp-dev-redis-node-0 is at 172.16.103.44');
    // The master's name comes from the command the reply was printed by (get-master-addr-by-name mymaster).
    expect(d!.fix.commands).toEqual(['kubectl exec sentinel -- redis-cli -p 26379 SENTINEL RESET mymaster']);
    expect(d!.fix.snippets[0]).toMatchObject({ text: expect.stringContaining('useHostnames: true') });
  });

  it("bitnami#8605: a replica's link down for days to an address no known pod holds: likely stale", async () => {
    const r = await analyzeDir(PUB('bitnami-charts-8605-replica-stale-master'));
    expect(r.diagnoses).toEqual([
      expect.objectContaining({ kind: 'stale-address', certainty: 'likely', addresses: ['192.168.168.17:6379'] }),
    ]);
    expect(r.diagnoses[0]!.next).toEqual([
      'kubectl get pods -o wide (with -n NAMESPACE): which pod holds each address now',
    ]);
  });

  it('flannel#1059: a create stuck joining across three node subnets: the masquerade to check, the views to collect', async () => {
    const [d] = (await analyzeDir(PUB('flannel-1059-cluster-join-flannel'))).diagnoses;
    expect(d).toMatchObject({ kind: 'create-stuck', certainty: 'shown' });
    expect(d!.addresses).toHaveLength(6);
    expect(d!.cause).toContain('in 3 subnets (172.30.5.0/24, 172.30.6.0/24, 172.30.8.0/24)');
    expect(d!.next[0]).toMatch(/^CLUSTER NODES of each node it was given: at which address \(a \.0, a node IP\)/);
  });

  it('redis#5983: the fail node at bus port 6380 is unreachable there; test the bus port, not 6379', async () => {
    const [d] = (await analyzeDir(PUB('redis-5983-docker-cluster-bus-6380'))).diagnoses;
    expect(d).toMatchObject({ kind: 'bus-port-unreachable', addresses: ['10.1.85.30:6379@6380'] });
    expect(d!.fix.commands).toEqual(['nc -vz 10.1.85.30 6380']);
  });

  it("redis#5983 on Redis 7 (the cases family's lab): not failed but disconnected at bus port 6380 is unreachable too", async () => {
    // The three views a cell of scenarios/cases collected: redis-2 announces @6380, where nothing
    // listens; Redis 7 keeps it out of fail, so its peers show its link down instead.
    const views = {
      'a.txt': [
        '6f7200bdfea18cb77f35a0d6d6ccb3946a61fece 10.42.0.2:6379@16379 myself,master - 0 1796663460000 0 connected 0-5460',
        '4f28249ef7329e3866096731f9533fa50ba2b0e2 10.42.0.4:6379@6380 master - 1796663459542 1796663459039 2 disconnected 10922-16383',
        '4937e102905e655344fae2454129268dd47a360c 10.42.0.3:6379@16379 master - 0 1796663461261 1 connected 5461-10921',
      ],
      'b.txt': [
        '6f7200bdfea18cb77f35a0d6d6ccb3946a61fece 10.42.0.2:6379@16379 master - 0 1796663461460 0 connected 0-5460',
        '4937e102905e655344fae2454129268dd47a360c 10.42.0.3:6379@16379 myself,master - 0 1796663461000 1 connected 5461-10921',
        '4f28249ef7329e3866096731f9533fa50ba2b0e2 10.42.0.4:6379@6380 master - 1796663459335 0 2 disconnected 10922-16383',
      ],
      'c.txt': [
        '6f7200bdfea18cb77f35a0d6d6ccb3946a61fece 10.42.0.2:6379@16379 master - 0 1796663461703 0 connected 0-5460',
        '4f28249ef7329e3866096731f9533fa50ba2b0e2 10.42.0.4:6379@6380 myself,master - 0 1796663459000 2 connected 10922-16383',
        '4937e102905e655344fae2454129268dd47a360c 10.42.0.3:6379@16379 master - 0 1796663461603 1 connected 5461-10921',
      ],
    };
    const dir = await dirOf(Object.fromEntries(Object.entries(views).map(([f, l]) => [f, `${l.join('\n')}\n`])));
    const r = await analyzeDir(dir);
    expect(r.diagnoses.map((d) => `${d.kind} ${d.addresses.join(',')}`)).toEqual([
      'bus-port-unreachable 10.42.0.4:6379@6380',
    ]);
    expect(r.diagnoses[0]!.cause).toContain("peers' links to it stay disconnected");
    // Its own view (connected to itself) is no evidence; the same bus port at +10000 is no problem.
    const healthy = await dirOf({ 'c.txt': `${views['c.txt'].join('\n')}\n` });
    expect((await analyzeDir(healthy)).diagnoses.filter((d) => d.kind === 'bus-port-unreachable')).toEqual([]);
  });

  it('redis#5406: announce differs from the create; one bus port on a host with two nodes (likely)', async () => {
    const r = await analyzeDir(PUB('redis-5406-announce-bus-port-nat'));
    expect(r.diagnoses.map((d) => `${d.kind} ${d.certainty} ${d.addresses.join(',')}`)).toEqual([
      'bus-port-twice likely 52.91.138.97:10060',
      'announce-mismatch shown 10.0.0.19,10.0.0.225,10.0.0.96,10.1.1.11',
      'announce-mismatch shown 10.1.1.11,52.91.138.97,54.197.133.192',
    ]);
  });

  it('redis#15136: the stale master addresses, no pod holds them, the MEET + REPLICATE fix', async () => {
    const r = await analyzeDir(join(ROOT, 'test', 'fixtures', 'analyze', 'redis-15136-stale-masters'));
    const [d] = r.diagnoses;
    expect(d).toMatchObject({
      kind: 'stale-address',
      owner: 'no pod',
      addresses: ['10.1.207.204:6379', '10.1.207.222:6379', '10.1.207.244:6379'],
    });
    expect(d!.fix.commands.filter((c) => /CLUSTER MEET/.test(c))).toHaveLength(5);
    expect(d!.fix.commands.filter((c) => /CLUSTER REPLICATE/.test(c))).toHaveLength(3);
  });

  it('kelseyhightower#1: with the Services list, a create over ClusterIPs is named, owner kube-proxy', async () => {
    const svc = [
      'NAME              TYPE        CLUSTER-IP      EXTERNAL-IP   PORT(S)    AGE   SELECTOR',
      ...[94, 95, 96, 97, 98, 99].map(
        (x, i) => `redis-${i}           ClusterIP   172.30.122.${x}   <none>        6379/TCP   5m    name=redis-${i}`,
      ),
    ].join('\n');
    const alone = await analyzeDir(PUB('kelseyhightower-1-create-via-service-ips'));
    expect(alone.next[0]).toMatch(/^kubectl get svc -o wide: whether the addresses .* are Service ClusterIPs/);
    const dir = await dirOf({ 'svc.txt': svc + '\n' }, PUB('kelseyhightower-1-create-via-service-ips'));
    const r = await analyzeDir(dir);
    expect(r.verdict).toBe('problems');
    expect(r.diagnoses[0]).toMatchObject({ kind: 'service-ip-create' });
    expect(r.diagnoses[0]!.addresses).toHaveLength(6);
    expect(r.diagnoses[0]!.owner).toMatch(/^kube-proxy: Service ClusterIPs \(redis-0, /);
  });

  it("the joiner's own view alone: unjoined, named by its node id, with the NodePort placeholders to collect", async () => {
    const kb = join(ROOT, 'examples', 'kubeblocks-k3d-flannel-nodeport');
    const dir = join(scratch, `j${n++}`);
    await mkdir(dir, { recursive: true });
    await cp(join(kb, 'redisc-shard-5g8-1.cluster-nodes.txt'), join(dir, 'cluster-nodes.txt'));
    const r = await analyzeDir(dir);
    expect(r.diagnoses.map((d) => [d.kind, d.owner])).toEqual([['unjoined', '<pod of node 3a136cd5>']]);
    expect(r.diagnoses[0]!.next[0]).toMatch(/^kubectl get svc -o wide and kubectl get nodes -o wide/);
    expect((await analyzeCommand(dir, 'text')).exitCode).toBe(1);
  });

  it('kubeblocks example: the joiner with the KubeBlocks per-pod NodePort service and the StatefulSet snippet', async () => {
    const r = await analyzeDir(join(ROOT, 'examples', 'kubeblocks-k3d-flannel-nodeport'));
    expect(r.deployer?.name).toBe('kubeblocks');
    const d = r.diagnoses.find((x) => x.kind === 'unjoined')!;
    expect(d.owner).toBe('redisc-shard-5g8-1');
    const texts = d.fix.snippets.map((s) => s.text).join('\n');
    expect(texts).toContain('fieldPath: status.hostIP');
    expect(texts).toContain('statefulset.kubernetes.io/pod-name: redisc-shard-5g8-0');
    expect(texts).toContain('--cluster-announce-bus-port $((32461 + i))');
    expect(texts).toContain('podService: true');
  });
});

describe('mechanisms from output in Redis and kubectl formats', () => {
  // A pod came back at 10.42.0.7, which redis-1 (node 2222…) held before; redis-0 dialled it,
  // got node 3333…'s PONG and dropped 2222…'s address (cluster.c: "PONG contains mismatching
  // sender ID", then noaddr with ip zeroed, which CLUSTER NODES prints as :0@0).
  const ids = { a: '1'.repeat(40), b: '2'.repeat(40), c: '3'.repeat(40) };
  const pods = [
    'NAME      READY   STATUS    RESTARTS   AGE   IP          NODE',
    'redis-0   1/1     Running   0          1h    10.42.0.5   node-0',
    'redis-1   1/1     Running   1          1h    10.42.0.9   node-0',
    'redis-2   1/1     Running   1          1h    10.42.0.7   node-0',
  ].join('\n');
  const view0 = [
    `${ids.a} 10.42.0.5:6379@16379 myself,master - 0 0 1 connected 0-5460`,
    `${ids.b} :0@0 master,noaddr - 1700000000000 1700000000000 2 disconnected 5461-10922`,
    `${ids.c} 10.42.0.7:6379@16379 master - 0 1700000000000 3 connected 10923-16383`,
  ].join('\n');
  const view1 = [
    `${ids.b} 10.42.0.9:6379@16379 myself,master - 0 0 2 connected 5461-10922`,
    `${ids.a} 10.42.0.5:6379@16379 master - 0 1700000000000 1 connected 0-5460`,
    `${ids.c} 10.42.0.7:6379@16379 master - 0 1700000000000 3 connected 10923-16383`,
  ].join('\n');
  const view2old = `${ids.b} 10.42.0.7:6379@16379 master,fail - 0 0 2 disconnected\n${ids.c} 10.42.0.7:6379@16379 myself,master - 0 0 3 connected 10923-16383`;
  const log0 = `1:M 01 Jan 2024 00:00:00.000 * PONG contains mismatching sender ID. About node ${ids.b} added 1000 ms ago, having flags 1`;

  it('reused IP: the old owner (by node id) and the current owner of the address, and the MEET that heals it', async () => {
    const dir = await dirOf({
      'pods.txt': pods,
      'redis-0.cluster-nodes.txt': view0,
      'redis-1.cluster-nodes.txt': view1,
      'redis-2.cluster-nodes.txt': view2old,
      'redis-0.log.txt': log0,
    });
    const r = await analyzeDir(dir);
    const d = r.diagnoses.find((x) => x.kind === 'reused-ip')!;
    expect(d).toMatchObject({
      addresses: ['10.42.0.7:6379'],
      owner: 'redis-2',
      previousOwner: 'redis-1 (node 22222222)',
      seenBy: ['redis-0'],
    });
    expect(d.fix.commands).toEqual(['kubectl exec redis-0 -- redis-cli CLUSTER MEET 10.42.0.9 6379']);
    expect(r.verdict).toBe('problems');
  });

  it('reused IP from the log line alone: still a problem, with what to collect', async () => {
    const r = await analyzeDir(await dirOf({ 'redis-0.log.txt': log0, 'redis-0.cluster-nodes.txt': view0 }));
    const d = r.diagnoses.find((x) => x.kind === 'reused-ip')!;
    expect(d.previousOwner).toBe('node 22222222');
    expect(d.next[0]).toMatch(/^kubectl get pods -o wide/);
    expect(r.verdict).toBe('problems');
  });

  // bitnami/charts#11341: redis-1 and redis-2 came back at each other's addresses. Each dialled
  // its old address for the other, got its own PONG and dropped the address; redis-0 got both
  // PINGs and knows both at their current addresses.
  const swapped = {
    'pods.txt': pods.replace('10.42.0.9', '10.42.0.8'),
    'redis-0.cluster-nodes.txt': [
      `${ids.a} 10.42.0.5:6379@16379 myself,master - 0 0 1 connected 0-5460`,
      `${ids.b} 10.42.0.8:6379@16379 master - 0 1700000000000 2 connected 5461-10922`,
      `${ids.c} 10.42.0.7:6379@16379 master - 0 1700000000000 3 connected 10923-16383`,
    ].join('\n'),
    'redis-1.cluster-nodes.txt': [
      `${ids.b} 10.42.0.8:6379@16379 myself,master - 0 0 2 connected 5461-10922`,
      `${ids.a} 10.42.0.5:6379@16379 master - 0 1700000000000 1 connected 0-5460`,
      `${ids.c} :0@0 master,noaddr - 1700000000000 1700000000000 3 disconnected 10923-16383`,
    ].join('\n'),
    'redis-1.log.txt': log0.replace(ids.b, ids.c),
    'redis-2.cluster-nodes.txt': [
      `${ids.c} 10.42.0.7:6379@16379 myself,master - 0 0 3 connected 10923-16383`,
      `${ids.a} 10.42.0.5:6379@16379 master - 0 1700000000000 1 connected 0-5460`,
      `${ids.b} :0@0 master,noaddr - 1700000000000 1700000000000 2 disconnected 5461-10922`,
    ].join('\n'),
    'redis-2.log.txt': log0,
  };

  it('reused IP: the MEET is sent by the pod whose view lost the address, not by any member', async () => {
    const r = await analyzeDir(await dirOf(swapped));
    // redis-0's MEET would re-address a node in redis-0's view only, where both are fine already.
    expect(
      r.diagnoses.filter((x) => x.kind === 'reused-ip').map((x) => [x.previousOwner, x.seenBy, x.fix.commands]),
    ).toEqual([
      ['redis-2 (node 33333333)', ['redis-1'], ['kubectl exec redis-1 -- redis-cli CLUSTER MEET 10.42.0.7 6379']],
      ['redis-1 (node 22222222)', ['redis-2'], ['kubectl exec redis-2 -- redis-cli CLUSTER MEET 10.42.0.8 6379']],
    ]);
  });

  it('reused IP of a pod others reach at its own address: no announce fix, still a problem', async () => {
    const r = await analyzeDir(await dirOf(swapped));
    expect(r.recommendations).toEqual([]);
    expect(r.diagnoses.map((x) => x.kind)).toEqual(['reused-ip', 'reused-ip']);
    expect(r.problems.join('\n')).toMatch(/redis-1 holds 33333333 .* stands for redis-2, .* its old one was reused/);
    expect(r.problems.join('\n')).toMatch(/redis-2 holds 22222222 .* stands for redis-1, .* its old one was reused/);
    expect(r.verdict).toBe('problems');
  });

  it("reused IP of host-network pods: the address is the node IP a peer dialled, now another pod's; no NAT", async () => {
    // The cases family's lab: the pods run with hostNetwork, so their addresses are node IPs; while
    // redis-2 was down redis-0 dialled its old one and found nothing, then redis-1 came back there.
    const host = {
      'pods.txt': [
        'NAME      READY   STATUS    RESTARTS   AGE   IP           NODE',
        'redis-0   1/1     Running   0          1h    172.18.0.2   node-0',
        'redis-1   1/1     Running   1          1h    172.18.0.4   node-2',
        'redis-2   1/1     Running   1          1h    172.18.0.3   node-1',
      ].join('\n'),
      'nodes.txt': [
        'NAME     STATUS   ROLES    AGE   VERSION   INTERNAL-IP   EXTERNAL-IP',
        'node-0   Ready    <none>   1h    v1.30     172.18.0.2    <none>',
        'node-1   Ready    <none>   1h    v1.30     172.18.0.3    <none>',
        'node-2   Ready    <none>   1h    v1.30     172.18.0.4    <none>',
      ].join('\n'),
      'redis-0.cluster-nodes.txt': [
        `${ids.a} 172.18.0.2:6379@16379 myself,master - 0 0 1 connected 0-5460`,
        `${ids.b} 172.18.0.4:6379@16379 master - 0 1700000000000 2 connected 5461-10922`,
        `${ids.c} 172.18.0.3:6379@16379 master - 0 1700000000000 3 connected 10923-16383`,
      ].join('\n'),
      'redis-0.log.txt': `1:M 01 Jan 2024 00:00:00.000 - Connection with Node ${ids.c} at 172.18.0.4:16379 failed: Connection refused`,
      'redis-1.cluster-nodes.txt': [
        `${ids.b} 172.18.0.4:6379@16379 myself,master - 0 0 2 connected 5461-10922`,
        `${ids.a} 172.18.0.2:6379@16379 master - 0 1700000000000 1 connected 0-5460`,
        `${ids.c} :0@0 master,noaddr - 1700000000000 1700000000000 3 disconnected 10923-16383`,
      ].join('\n'),
      'redis-1.log.txt': swapped['redis-1.log.txt'],
      'redis-2.cluster-nodes.txt': [
        `${ids.c} 172.18.0.3:6379@16379 myself,master - 0 0 3 connected 10923-16383`,
        `${ids.a} 172.18.0.2:6379@16379 master - 0 1700000000000 1 connected 0-5460`,
        `${ids.b} :0@0 master,noaddr - 1700000000000 1700000000000 2 disconnected 5461-10922`,
      ].join('\n'),
      'redis-2.log.txt': swapped['redis-2.log.txt'],
    };
    const r = await analyzeDir(await dirOf(host));
    expect(r.diagnoses.map((x) => [x.kind, x.addresses, x.owner, x.previousOwner])).toEqual([
      ['reused-ip', [], 'another node (a pod that came back at this IP)', 'redis-1 (node 22222222)'],
      ['reused-ip', ['172.18.0.4:16379'], 'redis-1', 'redis-2 (node 33333333)'],
    ]);
  });

  it('one host and bus port announced by two node ids in a view: announced twice', async () => {
    const view = [
      `${ids.a} 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460`,
      `${ids.b} 10.0.0.2:7000@17000 master - 0 0 2 connected 5461-10922`,
      `${ids.c} 10.0.0.2:7001@17000 master - 0 0 3 connected 10923-16383`,
    ].join('\n');
    const r = await analyzeDir(await dirOf({ 'redis-0.cluster-nodes.txt': view }));
    expect(r.diagnoses.find((x) => x.kind === 'bus-port-twice')).toMatchObject({ addresses: ['10.0.0.2:17000'] });
  });
});

describe('the same symptom, different owners: .0 flannel device, .1 bridge gateway, Docker gateway, loopback', () => {
  it('flannel-nodeport-cross-node: the .0 is flannel.1 of the joiner node, the .1s the bridges of each node', async () => {
    const r = await analyzeDir(join(ROOT, 'examples', 'flannel-nodeport-cross-node'));
    expect(r.diagnoses.map((d) => `${d.kind} ${d.addresses.join()} ${d.owner}`)).toEqual([
      'unjoined :6379@16379 redis-3',
      'flannel-dot0 10.42.1.0 flannel.1@node-1',
      'bridge-gateway 10.42.0.1 cni0@node-0',
      'bridge-gateway 10.42.1.1 cni0@node-1',
    ]);
    expect(r.diagnoses[1]!.cause).toMatch(/NodePort on another node .* flannel device/);
    expect(r.diagnoses[2]!.cause).toMatch(/one node went through a Service .* bridge gateway \(hairpin\)/);
  });

  const pods = [
    'NAME      READY   STATUS    RESTARTS   AGE   IP          NODE',
    'redis-0   1/1     Running   0          1h    10.42.0.5   node-0',
    'redis-1   1/1     Running   0          1h    10.42.1.5   node-1',
  ].join('\n');
  const nodes = [
    'NAME     STATUS   ROLES    AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE   KERNEL-VERSION   CONTAINER-RUNTIME',
    'node-0   Ready    <none>   1h    v1.30.0   172.18.0.2    <none>        Ubuntu     6.8.0            containerd://1.7',
    'node-1   Ready    <none>   1h    v1.30.0   172.18.0.3    <none>        Ubuntu     6.8.0            containerd://1.7',
  ].join('\n');
  const info = (replica: string) =>
    `# Replication\nrole:master\nconnected_slaves:1\nslave0:ip=${replica},port=6379,state=online,offset=100,lag=0\n`;

  it("a replica at the nodes' Docker network gateway: the gateway on the master's host", async () => {
    const dir = await dirOf({
      'pods.txt': pods,
      'nodes.txt': nodes,
      'redis-0.info-replication.txt': info('172.18.0.1'),
    });
    const [d] = (await analyzeDir(dir)).diagnoses;
    expect(d).toMatchObject({ kind: 'docker-gateway', addresses: ['172.18.0.1'], seenBy: ['redis-0'] });
    expect(d!.owner).toMatch(/^the Docker network's gateway 172\.18\.0\.1 on the host of node-0/);
  });

  it("a replica at its node's address: node-ip, owner the node", async () => {
    const dir = await dirOf({
      'pods.txt': pods,
      'nodes.txt': nodes,
      'redis-0.info-replication.txt': info('172.18.0.3'),
    });
    const [d] = (await analyzeDir(dir)).diagnoses;
    expect(d).toMatchObject({ kind: 'node-ip', certainty: 'shown', addresses: ['172.18.0.3'] });
    expect(d!.owner).toContain('node-1');
  });

  it("a replica at 127.0.0.6 (Istio's newer source): the sidecar of the master's pod", async () => {
    const dir = await dirOf({ 'pods.txt': pods, 'redis-0.info-replication.txt': info('127.0.0.6') });
    const [d] = (await analyzeDir(dir)).diagnoses;
    expect(d).toMatchObject({ kind: 'loopback-sidecar', addresses: ['127.0.0.6'] });
    expect(d!.owner).toMatch(/^a sidecar proxy in redis-0's pod/);
  });
});

describe("the master's name, for SENTINEL RESET", () => {
  it('from sentinel.conf (sentinel monitor) and from the log (+monitor, +switch-master)', () => {
    expect(sentinelConfState('sentinel monitor mymaster 10.0.0.1 6379 2\n').masterName).toBe('mymaster');
    const log = [
      '1:X 15 May 2024 12:57:47.835 # +monitor master redis 10.0.10.235 6379 quorum 2',
      '1:X 15 May 2024 13:00:00.000 # +switch-master other 10.0.10.235 6379 10.0.10.9 6379',
    ];
    expect(sentinelLogState(log[0]!)?.masterName).toBe('redis');
    expect(sentinelLogState(log.join('\n'))).toMatchObject({ masterName: 'other', master: '10.0.10.9:6379' });
  });
});

describe("the master's name from a SENTINEL MASTER reply", () => {
  it("a stale master's RESET names it, though no command or config in the files does", async () => {
    // What the bitnami-10067 case (scenarios/cases) collects: the reply names the master it describes.
    const reply = ['name', 'mymaster', 'ip', '10.42.0.2', 'port', '6379', 'flags', 'master'].join('\n');
    const dir = await dirOf({
      'pods.txt': `NAME READY STATUS RESTARTS AGE IP NODE\nredis-0 1/1 Running 0 1m 10.42.0.6 node-0\nsentinel-0 1/1 Running 0 1m 10.42.0.4 node-0\n`,
      'sentinel-0.sentinel-master.txt': `${reply}\n`,
      'sentinel-0.sentinel-get-master-addr.txt': '10.42.0.2\n6379\n',
    });
    const d = (await analyzeDir(dir)).diagnoses.find((x) => x.kind === 'sentinel-master-no-pod');
    expect(d?.fix.commands).toContain('kubectl exec sentinel-0 -- redis-cli -p 26379 SENTINEL RESET mymaster');
  });
});

describe('a replica recorded right gets no fix', () => {
  it("flannel#445's lab case: only the cross-node replica (not the one at its own pod IP) is told to announce", async () => {
    const pods = [
      'NAME      READY   STATUS    RESTARTS   AGE   IP          NODE',
      'redis-0   1/1     Running   0          1m    10.42.0.2   node-0',
      'redis-1   1/1     Running   0          1m    10.42.0.3   node-0',
      'redis-2   1/1     Running   0          1m    10.42.1.2   node-1',
    ].join('\n');
    const replica = '# Replication\nrole:slave\nmaster_host:10.42.0.2\nmaster_port:6379\nmaster_link_status:up\n';
    const dir = await dirOf({
      'pods.txt': `${pods}\n`,
      'redis-0.info-replication.txt':
        '# Replication\nrole:master\nconnected_slaves:2\nslave0:ip=10.42.0.3,port=6379,state=online,offset=0,lag=0\nslave1:ip=10.42.1.0,port=6379,state=online,offset=0,lag=0\n',
      'redis-1.info-replication.txt': replica,
      'redis-2.info-replication.txt': replica,
    });
    const r = await analyzeDir(dir);
    expect(r.recommendations.map((x) => x.pod)).toEqual(['redis-2']);
  });
});

describe('--format', () => {
  it('markdown: the problems first, then each diagnosis with its fix in code blocks', async () => {
    const { output, exitCode } = await analyzeCommand(PUB('flannel-445-docker-flannel-dot0'), 'markdown');
    expect(exitCode).toBe(1);
    const at = (s: string) => output.indexOf(s);
    expect(output.startsWith('# rcnc analyze\n')).toBe(true);
    expect(at('## Problems (2)')).toBeGreaterThan(0);
    expect(at('## Diagnoses (1)')).toBeGreaterThan(at('## Problems (2)'));
    expect(output).toMatch(/### 1\. flannel-dot0: 172\.18\.82\.0\n/);
    expect(output).toMatch(/\n```yaml\nspec:\n/);
  });

  it('json: the AnalyzeReport with its diagnoses; a bad value is one line, exit 2, with the help hint', async () => {
    const dir = PUB('spotahome-312-istio-loopback-replicas');
    const json = JSON.parse((await analyzeCommand(dir, 'json')).output);
    expect(json.diagnoses[0].kind).toBe('loopback-sidecar');
    const bad = await execa('node', [join(ROOT, 'bin', 'rcnc.mjs'), 'analyze', dir, '--format', 'yaml'], {
      reject: false,
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual([
      `rcnc: --format takes text, json, markdown, not "yaml"; see 'rcnc analyze --help'`,
    ]);
  });
});
