// The lab's datapath as the kernel reports it, checked against docs/datapath.md: devices, routes,
// neighbour and FDB entries, hairpin, sysctls, the order of the NAT hooks, and kube-proxy's nftables
// table as the kernel lists it beside the lab's rendering. And the pod
// lifecycle: a deleted pod returns with a new IP and its data (a Redis node keeps its id).
import { existsSync, statfsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kubeProxyNftDocument } from '../../src/deploy/netns/kube-proxy-nft.ts';
import type { ProxiedService } from '../../src/deploy/netns/kube-proxy.ts';
import { NetnsProvider, SERVICE_CIDR, SERVICE_NAMESPACE } from '../../src/deploy/netns/netns.ts';
import { FLANNEL_CLUSTER_CIDR } from '../../src/deploy/netns/profiles.ts';
import type { PodSpec, StartedTopology } from '../../src/deploy/provider.ts';
import type { ProfileName } from '../../src/model/dimensions.ts';
import { normaliseNftRuleset } from '../../src/probes/kube-proxy-nft-rules.ts';
import { compareRulesets, formatDifference } from '../../src/probes/kube-proxy-rules.ts';
import { run } from '../../src/util/exec.ts';
import { labSkipReason } from './leftovers.ts';

const redisPod = (name: string, node: number, extra: string[] = []): PodSpec => ({
  name,
  node,
  command: ['redis-server', '--port', '6379', '--save', '', '--protected-mode', 'no', ...extra],
  readiness: ['redis-cli', 'ping'],
});

const start = (profile: ProfileName, services = true) =>
  new NetnsProvider().start({
    profile,
    nodes: 2,
    pods: [redisPod('a', 0), redisPod('b', 1)],
    services: services
      ? [
          {
            name: 'a-np',
            pod: 'a',
            externalTrafficPolicy: 'Cluster',
            ports: [{ name: 'c', port: 6379, targetPort: 6379, nodePort: 30000 }],
          },
        ]
      : [],
  });

const sh = async (t: StartedTopology, node: number, argv: string[]) => (await t.exec({ node }, argv)).stdout;

const postroutingJumps = (save: string) =>
  save
    .split('\n')
    .filter((l) => l.startsWith('-A POSTROUTING'))
    .map((l) => /-j (\S+)/.exec(l)?.[1]);

describe.skipIf(!!labSkipReason)('lab datapath', () => {
  test('flannel-vxlan: flannel.1, cni0, onlink routes, permanent neighbours and FDB, hairpin, sysctls', async () => {
    await using t = await start('flannel-vxlan');
    const link = await sh(t, 0, ['ip', '-d', 'link', 'show', 'flannel.1']);
    expect(link).toMatch(/vxlan id 1 local 172\.18\.0\.2 dev eth0 .*dstport 8472 nolearning/);
    expect(link).toMatch(/mtu 1450/);
    expect(await sh(t, 0, ['ip', '-4', '-o', 'addr', 'show'])).toMatch(
      /flannel\.1\s+inet 10\.42\.0\.0\/32[\s\S]*cni0\s+inet 10\.42\.0\.1\/24/,
    );
    expect(await sh(t, 0, ['ip', 'route'])).toContain('10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink');
    expect(await sh(t, 0, ['ip', 'neigh', 'show', 'dev', 'flannel.1'])).toMatch(/10\.42\.1\.0 lladdr \S+ PERMANENT/);
    expect(await sh(t, 0, ['bridge', 'fdb', 'show', 'dev', 'flannel.1'])).toMatch(/dst 172\.18\.0\.3 self permanent/);
    expect(await sh(t, 0, ['bridge', '-d', 'link', 'show'])).toMatch(/master cni0[\s\S]*hairpin on/);
    expect(
      (await sh(t, 0, ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.ip_forward'])).split('\n'),
    ).toEqual(['1', '1', '']);
    const pod = await t.exec({ pod: 'a' }, ['ip', 'route']);
    expect(pod.stdout).toMatch(/default via 10\.42\.0\.1[\s\S]*10\.42\.0\.0\/16 via 10\.42\.0\.1/);
    // kube-proxy's hook first (it prepends), flannel's after (it appends).
    expect(postroutingJumps(await sh(t, 0, ['iptables-save', '-t', 'nat']))).toEqual([
      'KUBE-POSTROUTING',
      'FLANNEL-POSTRTG',
    ]);
  });

  test("flannel-vxlan-nftables: the kernel holds kube-proxy's table as the lab rendered it; iptables keeps flannel and the kubelet", async () => {
    await using t = await new NetnsProvider().start({
      profile: 'flannel-vxlan-nftables',
      nodes: 2,
      pods: [redisPod('a', 0), redisPod('b', 1)],
      services: [
        {
          name: 'a-np',
          pod: 'a',
          externalTrafficPolicy: 'Cluster',
          ports: [{ name: 'c', port: 6379, targetPort: 6379, nodePort: 30000 }],
        },
        {
          name: 'b-np',
          pod: 'b',
          externalTrafficPolicy: 'Local',
          ports: [{ name: 'c', port: 6379, targetPort: 6379, nodePort: 30001 }],
        },
      ],
    });
    const services = t.services.map((s): ProxiedService => ({
      namespace: SERVICE_NAMESPACE,
      name: s.name,
      clusterIP: s.clusterIP,
      policy: s.externalTrafficPolicy,
      ports: s.ports,
      endpoint: { ip: t.pod(s.pod).ip, node: t.pod(s.pod).node },
    }));
    const scope = { namespace: SERVICE_NAMESPACE, roles: {} };
    for (const node of [0, 1]) {
      const listed = normaliseNftRuleset(await sh(t, node, ['nft', 'list', 'table', 'ip', 'kube-proxy']), scope);
      const options = { clusterCidr: FLANNEL_CLUSTER_CIDR, serviceCidr: SERVICE_CIDR, nodeIp: t.nodes[node]!.ip };
      const rendered = normaliseNftRuleset(kubeProxyNftDocument(node, services, options), scope);
      // Sides as compareRulesets names them: "kube-proxy" is the rendering, "lab" what the kernel lists.
      expect(compareRulesets(rendered, listed).map(formatDifference), `node-${node}`).toEqual([]);
      // Node-1 holds b's local chain; node-0 drops b's NodePort instead.
      expect(listed.has('ip kube-proxy chain local(NS/b-np/tcp/c)'), `node-${node}`).toBe(node === 1);
    }
    const nat = await sh(t, 0, ['iptables-save', '-t', 'nat']);
    expect(nat).not.toMatch(/KUBE-/);
    expect(postroutingJumps(nat)).toEqual(['FLANNEL-POSTRTG']);
    expect(await sh(t, 0, ['iptables-save', '-t', 'filter'])).toMatch(/^-A INPUT -j KUBE-FIREWALL$/m);
    expect(await sh(t, 0, ['sysctl', '-n', 'net.ipv4.conf.all.route_localnet'])).toBe('0\n');
  });

  test('calico-vxlan: vxlan.calico, /32 pods behind proxy ARP, blackhole block, nat-outgoing ipsets', async () => {
    await using t = await start('calico-vxlan');
    expect(await sh(t, 0, ['ip', '-d', 'link', 'show', 'vxlan.calico'])).toMatch(
      /vxlan id 4096 local 172\.18\.0\.2 dev eth0 .*dstport 4789 nolearning/,
    );
    const routes = await sh(t, 0, ['ip', 'route']);
    expect(routes).toContain('blackhole 192.168.0.0/26');
    expect(routes).toContain('192.168.1.0/26 via 192.168.1.0 dev vxlan.calico onlink');
    expect(routes).toMatch(new RegExp(`${t.pod('a').ip.replace(/\./g, '\\.')} dev cali[0-9a-f]{11} scope link`));
    const cali = /dev (cali[0-9a-f]{11})/.exec(routes)![1]!;
    expect(await sh(t, 0, ['sysctl', '-n', `net.ipv4.conf.${cali}.proxy_arp`])).toBe('1\n');
    expect(await sh(t, 0, ['ip', 'link', 'show', cali])).toContain('ee:ee:ee:ee:ee:ee');
    const pod = (await t.exec({ pod: 'a' }, ['ip', 'route'])).stdout;
    expect(pod).toMatch(/default via 169\.254\.1\.1 dev eth0[\s\S]*169\.254\.1\.1 dev eth0 scope link/);
    // The pod resolved its gateway through the host's proxy ARP, to the cali* veth's MAC.
    await t.exec({ pod: 'a' }, ['redis-cli', '-h', t.pod('b').ip, 'ping']);
    expect((await t.exec({ pod: 'a' }, ['ip', 'neigh'])).stdout).toMatch(
      /169\.254\.1\.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee/,
    );
    expect(await sh(t, 0, ['ipset', 'list', 'cali40masq-ipam-pools'])).toContain('192.168.0.0/16');
    // Felix keeps its hook above kube-proxy's.
    expect(postroutingJumps(await sh(t, 0, ['iptables-save', '-t', 'nat']))).toEqual([
      'cali-POSTROUTING',
      'KUBE-POSTROUTING',
    ]);
  });

  test('calico-crosssubnet: the same devices, but remote blocks route unencapsulated via eth0', async () => {
    await using t = await start('calico-crosssubnet');
    const routes = await sh(t, 0, ['ip', 'route']);
    expect(routes).toContain('192.168.1.0/26 via 172.18.0.3 dev eth0 onlink');
    expect(routes).not.toContain('dev vxlan.calico');
    expect(await sh(t, 0, ['ip', '-o', 'link', 'show', 'vxlan.calico'])).toContain('vxlan.calico');
  });

  test('no-nat: routed pods and not one NAT rule', async () => {
    await using t = await start('no-nat', false);
    expect(await sh(t, 0, ['ip', 'route'])).toContain('10.42.1.0/24 via 172.18.0.3 dev eth0');
    expect(await sh(t, 0, ['iptables-save', '-t', 'nat'])).not.toMatch(/MASQUERADE|SNAT|DNAT/);
    const r = await t.exec({ pod: 'b' }, ['redis-cli', '-h', t.pod('a').ip, 'client', 'list']);
    expect(r.stdout).toContain(`addr=${t.pod('b').ip}:`);
  });

  test('a deleted pod comes back with a new IP, the same data directory, and its Redis node id', async () => {
    await using t = await new NetnsProvider().start({
      profile: 'flannel-vxlan',
      nodes: 1,
      pods: [redisPod('a', 0, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'])],
    });
    const before = t.pod('a');
    const id = (await t.exec({ pod: 'a' }, ['redis-cli', 'cluster', 'myid'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    const after = await t.deletePod('a');
    expect(after.ip).not.toBe(before.ip);
    expect(after.generation).toBe(before.generation + 1);
    expect((await t.exec({ pod: 'a' }, ['ip', '-4', '-o', 'addr', 'show', 'eth0'])).stdout).toContain(`${after.ip}/24`);
    expect((await t.exec({ pod: 'a' }, ['redis-cli', 'cluster', 'myid'])).stdout.trim()).toBe(id);
    expect(await t.logs('a')).toMatch(/Node configuration loaded, I'm/);
    // Where Redis writes (and fsyncs) nodes.conf: on a tmpfs when /dev/shm is one with room.
    const dir = (await t.exec({ pod: 'a' }, ['redis-cli', 'config', 'get', 'dir'])).stdout.trim().split('\n')[1]!;
    const shm = statfsSync('/dev/shm');
    const shmFits = shm.type === 0x01021994 && shm.bavail * shm.bsize >= 2 * 2 ** 30;
    expect((await run(['stat', '-f', '-c', '%T', dir])).stdout.trim() === 'tmpfs').toBe(shmFits);
  });

  test('headless names resolve in the pods to their current IPs, follow a deleted pod, and leave no file behind', async () => {
    let hostsDir = '';
    {
      await using t = await new NetnsProvider().start({
        profile: 'flannel-vxlan',
        nodes: 2,
        pods: [redisPod('a', 0), redisPod('b', 1)],
        headless: [{ name: 'db', pods: ['a'] }],
      });
      const name = t.dnsName!('a')!;
      expect(name).toBe('a.db.rcnc.svc.cluster.local');
      expect(t.dnsName!('b')).toBeUndefined();
      const resolve = async () => (await t.exec({ pod: 'b' }, ['getent', 'ahostsv4', name])).stdout.split(/\s+/)[0];
      expect(await resolve()).toBe(t.pod('a').ip);
      // A process that keeps running (this redis-server in b) resolves the new address after the move.
      const after = await t.deletePod('a');
      expect(await resolve()).toBe(after.ip);
      const ping = await t.exec({ pod: 'b' }, ['redis-cli', '-h', name, 'ping']);
      expect(ping.stdout.trim()).toBe('PONG');
      // Names are cluster DNS: a node's /etc/hosts does not have them.
      expect((await t.exec({ node: 0 }, ['cat', '/etc/hosts'])).stdout).not.toContain(name);
      hostsDir = `/etc/netns/rcnc-${t.id}-p-b`;
      expect(existsSync(`${hostsDir}/hosts`)).toBe(true);
    }
    expect(existsSync(hostsDir)).toBe(false);
  });

  test('cni0 keeps its MAC while pods come and go, so a pod nobody restarted keeps reaching new pods', async () => {
    await using t = await new NetnsProvider().start({
      profile: 'flannel-vxlan',
      nodes: 2,
      pods: [redisPod('a', 0), redisPod('c', 1), { name: 'client', node: 1, command: ['sleep', '3600'] }],
    });
    const mac = async () => (await sh(t, 1, ['cat', '/sys/class/net/cni0/address'])).trim();
    // Pinned like the bridge CNI plugin pins it (0a:58 + the gateway address), not a port's.
    expect(await mac()).toBe('0a:58:0a:2a:01:01');
    await t.deletePods(['a', 'c']);
    expect(await mac()).toBe('0a:58:0a:2a:01:01');
    // The client's neighbour entry for its gateway still holds: the new pod answers at once.
    const ping = await t.exec({ pod: 'client' }, ['redis-cli', '-h', t.pod('a').ip, 'ping'], { timeoutMs: 2000 });
    expect(ping.stdout.trim()).toBe('PONG');
  });
});
