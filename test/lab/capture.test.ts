// Packet capture end to end on a real two-node flannel-vxlan lab: tcpdump in two namespaces across
// a NodePort path, the sources the kernel's MASQUERADE picked (docs/datapath.md#masquerade-source-address), the NAT rebuilt
// from the two captures, the assert/sanity pairing, tcpdump's failure modes, and no tcpdump left.
//
//   node-0 (172.18.0.2): server pod (redis-server), NodePort 30000 → server:6379
//   node-1 (172.18.0.3): client pod
import { spawnSync } from 'node:child_process';
import { test as base, describe, expect } from 'vitest';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import { describeUnmet, type Capture, type CaptureOptions, type StartedTopology } from '../../src/deploy/provider.ts';
import { addressBook, classifyAddress } from '../../src/probes/address-class.ts';
import { withTcpdumpSanity } from '../../src/probes/capture.ts';
import { reconstructNat } from '../../src/probes/nat-map.ts';
import { parseTcpdump, type Packet } from '../../src/probes/tcpdump-text.ts';
import { isRcncError, RequirementError } from '../../src/util/errors.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';
import { labSkipReason } from './leftovers.ts';

const NODEPORT = 30000;
const requireLab = process.env.RCNC_REQUIRE_LAB === '1';

type Lab = { topo: StartedTopology } | { skipReason: string };

const test = base.extend<{ lab: Lab }>({
  lab: [
    // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const provider = new NetnsProvider({ runId: process.env.RCNC_RUN_ID });
      const reason = labSkipReason ?? (describeUnmet(await provider.check()) || undefined);
      if (reason) {
        if (requireLab) {
          throw new RequirementError(`RCNC_REQUIRE_LAB=1 but the netns lab cannot run here: ${reason}`);
        }
        await use({ skipReason: reason });
        return;
      }
      const redis = (name: string, node: number) => ({
        name,
        node,
        command: ['redis-server', '--port', '6379', '--save', '', '--protected-mode', 'no'],
        readiness: ['redis-cli', 'ping'],
      });
      await using topo = await provider.start({
        profile: 'flannel-vxlan',
        nodes: 2,
        pods: [redis('server', 0), redis('client', 1)],
        services: [
          {
            name: 'server-np',
            pod: 'server',
            externalTrafficPolicy: 'Cluster',
            ports: [{ name: 'client', port: 6379, targetPort: 6379, nodePort: NODEPORT }],
          },
        ],
      });
      await use({ topo });
    },
    { scope: 'file' },
  ],
});

function labOf(lab: Lab, skip: (reason: string) => never): StartedTopology {
  if ('skipReason' in lab) {
    return skip(lab.skipReason);
  }
  return lab.topo;
}

const ping = async (topo: StartedTopology, host: string, port: number) => {
  const r = await topo.exec({ pod: 'client' }, ['redis-cli', '-h', host, '-p', String(port), 'ping']);
  expect(r.stdout.trim()).toBe('PONG');
};

/** tcpdump processes of this lab (their pcap lives in the lab's dir), as `pid argv`. */
const tcpdumpsOf = async (topo: StartedTopology): Promise<string[]> =>
  (await run(['pgrep', '-a', '-x', 'tcpdump'], { reject: false })).stdout
    .split('\n')
    .filter((l) => l.includes(`/rcnc-${topo.id}/`));

const syns = (ps: Packet[]) => ps.filter((p) => p.flags === 'S');

describe('capture (lab)', () => {
  test('NodePort traffic from a pod reaches the endpoint from flannel.1 or cni0, and the NAT is rebuilt from two captures', async ({
    lab,
    skip,
  }) => {
    const topo = labOf(lab, skip);
    const [node0, node1] = topo.nodes;
    const server = topo.pod('server');
    const client = topo.pod('client');
    const opts = (name: string, filter: string): CaptureOptions => ({ name, filter, maxSeconds: 60 });
    const atClient = await topo.capture({ pod: 'client' }, opts('nat-client', `tcp port ${NODEPORT}`));
    const atServer = await topo.capture({ pod: 'server' }, opts('nat-server', 'tcp port 6379'));
    // own node (endpoint remote), then the endpoint's node
    await ping(topo, node1!.ip, NODEPORT);
    await ping(topo, node0!.ip, NODEPORT);
    const a = parseTcpdump((await atClient.stop()).text);
    const b = parseTcpdump((await atServer.stop()).text);
    expect(a.warnings).toEqual([]);
    expect(b.warnings).toEqual([]);

    // The client only ever sees its own address and the node's NodePort.
    expect(syns(a.packets).map((p) => `${p.src.ip} > ${p.dst.ip}:${p.dst.port}`)).toEqual([
      `${client.ip} > ${node1!.ip}:${NODEPORT}`,
      `${client.ip} > ${node0!.ip}:${NODEPORT}`,
    ]);
    // The endpoint sees the device addresses MASQUERADE picked: flannel.1 of the client's node
    // when that node forwarded to a remote endpoint, cni0 of the endpoint's node otherwise.
    const book = addressBook(topo);
    expect(syns(b.packets).map((p) => [p.src.ip, p.dst.ip, p.dst.port])).toEqual([
      ['10.42.1.0', server.ip, 6379],
      ['10.42.0.1', server.ip, 6379],
    ]);
    expect(syns(b.packets).map((p) => classifyAddress(p.src.ip, book))).toEqual([
      { class: 'tunnel', owner: 'flannel.1@node-1' },
      { class: 'bridge-gateway', owner: 'cni0@node-0' },
    ]);
    expect(b.packets.some((p) => p.src.ip === client.ip || p.dst.ip === client.ip)).toBe(false);

    const mappings = reconstructNat({ name: 'client', packets: a.packets }, { name: 'server', packets: b.packets });
    const port = (ps: Packet[], dst: string) => syns(ps).find((p) => p.dst.ip === dst)!.src.port;
    const fromServer = (src: string) => syns(b.packets).find((p) => p.src.ip === src)!.src.port;
    expect(mappings.map(({ flow, as }) => ({ flow, as }))).toEqual(
      [
        {
          flow: `${client.ip}:${port(a.packets, node0!.ip)} > ${node0!.ip}:${NODEPORT}`,
          as: `10.42.0.1:${fromServer('10.42.0.1')} > ${server.ip}:6379`,
        },
        {
          flow: `${client.ip}:${port(a.packets, node1!.ip)} > ${node1!.ip}:${NODEPORT}`,
          as: `10.42.1.0:${fromServer('10.42.1.0')} > ${server.ip}:6379`,
        },
      ].sort((x, y) => x.flow.localeCompare(y.flow)),
    );
    // The handshake, the request and the reply are in both captures before redis-cli returns: more
    // than the two a match needs. The FINs and last ACKs can trail the captures' stop (seen: 7).
    for (const m of mappings) {
      expect(m.matchedPackets).toBeGreaterThanOrEqual(5);
    }
  });

  test('an empty capture counts only next to a sanity capture that saw the same traffic', async ({ lab, skip }) => {
    const topo = labOf(lab, skip);
    const client = topo.pod('client');
    const start = (name: string, filter: string) => () =>
      topo.capture({ pod: 'server' }, { name, filter, maxSeconds: 60 });
    // Over the NodePort, the client's own address never reaches the endpoint…
    const overNodePort = await withTcpdumpSanity({
      assert: start('client-ip-at-server-1', `tcp and host ${client.ip}`),
      sanity: start('any-at-server-1', 'tcp port 6379'),
      traffic: () => ping(topo, topo.nodes[1]!.ip, NODEPORT),
    });
    expect(overNodePort.unexpected).toEqual([]);
    expect(overNodePort.assert.packets).toEqual([]);
    expect(syns(overNodePort.sanity.packets).map((p) => p.src.ip)).toEqual(['10.42.1.0']);
    // …while the same assert filter does see it when the client dials the pod IP (no NAT): the
    // empty result above is the datapath, not a blind filter.
    const direct = await withTcpdumpSanity({
      assert: start('client-ip-at-server-2', `tcp and host ${client.ip}`),
      sanity: start('any-at-server-2', 'tcp port 6379'),
      traffic: () => ping(topo, topo.pod('server').ip, 6379),
    });
    expect(direct.unexpected.map((f) => f.flow)).toContain(
      `${client.ip}:${syns(direct.assert.packets)[0]!.src.port} > ${topo.pod('server').ip}:6379`,
    );
  });

  test('a sanity capture that saw nothing fails the check as broken', async ({ lab, skip }) => {
    const topo = labOf(lab, skip);
    const err = await withTcpdumpSanity({
      assert: () => topo.capture({ pod: 'server' }, { name: 'assert-3', filter: 'tcp port 7', maxSeconds: 60 }),
      sanity: () => topo.capture({ pod: 'server' }, { name: 'wrong-sanity', filter: 'tcp port 9', maxSeconds: 60 }),
      traffic: () => ping(topo, topo.nodes[1]!.ip, NODEPORT),
    }).catch((e: unknown) => e);
    expect(isRcncError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/might be broken: sanity capture "wrong-sanity" saw no TCP packets/);
  });

  test("a capture that cannot start fails fast with tcpdump's own words", async ({ lab, skip }) => {
    const topo = labOf(lab, skip);
    const bad = (o: Partial<CaptureOptions>) =>
      topo.capture({ pod: 'server' }, { name: 'bad', filter: 'tcp', maxSeconds: 60, ...o }).catch((e: unknown) => e);
    const filter = (await bad({ name: 'bad-filter', filter: 'tcp port' })) as Error;
    expect(isRcncError(filter)).toBe(true);
    expect(filter.message).toMatch(
      /capture "bad-filter" exited \(code 1\) before it was listening: tcpdump: .*syntax error/,
    );
    const iface = (await bad({ name: 'bad-iface', iface: 'nope0' })) as Error;
    expect(iface.message).toMatch(/capture "bad-iface" exited .*nope0/);
    const name = (await bad({ name: '../escape' })) as Error;
    expect(name.message).toMatch(/capture name "..\/escape" must be/);
    expect(await tcpdumpsOf(topo)).toEqual([]);
  });

  test('stop() runs once and returns the same result; -c ends a capture by itself', async ({ lab, skip }) => {
    const topo = labOf(lab, skip);
    const c: Capture = await topo.capture(
      { pod: 'server' },
      { name: 'two', filter: 'tcp port 6379', maxSeconds: 60, maxPackets: 2 },
    );
    await ping(topo, topo.nodes[0]!.ip, NODEPORT);
    await waitFor({
      target: 'tcpdump -c 2 to exit by itself',
      timeoutMs: 5000,
      intervalMs: 20,
      check: async () => {
        const left = (await tcpdumpsOf(topo)).filter((l) => l.includes('/two.pcap'));
        return { done: left.length === 0, state: left.join('; ') };
      },
    });
    const first = c.stop();
    expect(c.stop()).toBe(first);
    const { packets } = parseTcpdump((await first).text);
    expect(packets.map((p) => p.flags)).toEqual(['S', 'S.']);
    expect(await c.stop()).toBe(await first);
  });

  test('maxSeconds bounds a capture nobody stops, and stop() then says the capture was cut short', async ({
    lab,
    skip,
  }) => {
    const topo = labOf(lab, skip);
    const c = await topo.capture({ pod: 'server' }, { name: 'bounded', filter: 'tcp', maxSeconds: 1 });
    expect((await tcpdumpsOf(topo)).filter((l) => l.includes('/bounded.pcap'))).toHaveLength(1);
    await waitFor({
      target: 'timeout to end tcpdump after maxSeconds=1',
      timeoutMs: 5000,
      intervalMs: 50,
      check: async () => {
        const left = (await tcpdumpsOf(topo)).filter((l) => l.includes('/bounded.pcap'));
        return { done: left.length === 0, state: left.join('; ') };
      },
    });
    await expect(c.stop()).rejects.toThrow(/capture "bounded" hit its bound of 1s before stop\(\)/);
  });

  test('stop() after the bound fired but before its end was seen still says the capture was cut short', async ({
    lab,
    skip,
  }) => {
    const topo = labOf(lab, skip);
    const c = await topo.capture({ pod: 'server' }, { name: 'unseen-end', filter: 'tcp', maxSeconds: 1 });
    // Synchronous polling keeps the event loop from reaping `timeout`, so stop() finds the capture
    // "still running" although the bound already ended tcpdump: the race seen once in CI.
    const deadline = Date.now() + 5000;
    const running = () =>
      spawnSync('pgrep', ['-f', `/rcnc-${topo.id}/.*/unseen-end.pcap`], { encoding: 'utf8' }).stdout.trim() !== '';
    while (running()) {
      expect(Date.now(), 'tcpdump still running 5 s after maxSeconds=1').toBeLessThan(deadline);
    }
    await expect(c.stop()).rejects.toThrow(/capture "unseen-end" hit its bound of 1s before stop\(\)/);
  });

  test('no tcpdump outlives its capture', async ({ lab, skip }) => {
    const topo = labOf(lab, skip);
    const c = await topo.capture({ node: 0 }, { name: 'last', filter: 'tcp or udp port 8472', maxSeconds: 60 });
    expect(await tcpdumpsOf(topo)).toHaveLength(1);
    // via node-1: node-0 receives it VXLAN-encapsulated
    await ping(topo, topo.nodes[1]!.ip, NODEPORT);
    const { text } = await c.stop();
    // a node's -i any capture: the same segment on eth0 (VXLAN), flannel.1, cni0 and the veth
    const ifaces = new Set(parseTcpdump(text).packets.map((p) => p.iface));
    expect([...ifaces].sort()).toEqual(expect.arrayContaining(['cni0', 'eth0', 'flannel.1']));
    expect(await tcpdumpsOf(topo)).toEqual([]);
  });
});
