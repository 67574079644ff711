// k3s ServiceLB as the lab builds it (docs/datapath.md#servicelb-in-the-lab): which path a
// connection to a LoadBalancer Service takes and which source the endpoint sees, for each client
// and address in the table of docs/datapath.md#servicelb-paths. The endpoint's own view of the
// connection (CLIENT INFO) is the evidence; the svclb pod's address is read from the node's rules.
import { describe, expect, test } from 'vitest';
import { NetnsProvider } from '../../src/deploy/netns/netns.ts';
import type { ExecTarget, StartedTopology } from '../../src/deploy/provider.ts';
import { labSkipReason } from './leftovers.ts';

const start = () =>
  new NetnsProvider().start({
    profile: 'flannel-vxlan',
    nodes: 2,
    pods: [
      {
        name: 'server',
        node: 0,
        command: ['redis-server', '--port', '6379', '--save', '', '--protected-mode', 'no'],
        readiness: ['redis-cli', 'ping'],
      },
      { name: 'c0', node: 0, command: ['sleep', '3600'] },
      { name: 'c1', node: 1, command: ['sleep', '3600'] },
    ],
    loadBalancers: [
      {
        name: 'server-lb',
        pod: 'server',
        externalTrafficPolicy: 'Cluster',
        ports: [{ name: 'redis', port: 6379, targetPort: 6379, nodePort: 30100 }],
      },
    ],
    externalClient: true,
  });

/** The source the server sees for a connection from `from` to `host:6379`. */
async function seen(t: StartedTopology, from: ExecTarget, host: string): Promise<string> {
  const r = await t.exec(from, ['redis-cli', '-h', host, '-p', '6379', 'client', 'info'], { timeoutMs: 3000 });
  const m = /\baddr=([\d.]+):\d+/.exec(r.stdout);
  expect(m, `${JSON.stringify(from)} → ${host}: ${r.stdout}${r.stderr}`).not.toBeNull();
  return m![1]!;
}

/** The svclb pod a node's portmap chain sends the hostPort to. */
async function svclbOn(t: StartedTopology, node: number): Promise<string> {
  const save = (await t.exec({ node }, ['iptables-save', '-t', 'nat'])).stdout;
  return /-A CNI-DN-\w+ -p tcp -m tcp --dport 6379 -j DNAT --to-destination ([\d.]+):6379/.exec(save)![1]!;
}

describe.skipIf(!!labSkipReason)('ServiceLB in the lab', () => {
  test('ingress IPs go through kube-proxy on the client’s node; node-local addresses through the svclb pod', async () => {
    await using t = await start();
    const [n0, n1] = t.nodes as [StartedTopology['nodes'][0], StartedTopology['nodes'][0]];
    const lb = t.loadBalancers[0]!;
    expect(lb.ingress).toEqual([n0.ip, n1.ip]);
    // Ingress IPs: DNATed by the loadbalancer-IP rule where the connection enters, then masqueraded.
    expect(await seen(t, { external: true }, n0.ip)).toBe(n0.cniAddresses['cni0']);
    expect(await seen(t, { external: true }, n1.ip)).toBe(n1.cniAddresses['flannel.1']);
    expect(await seen(t, { pod: 'c1' }, n0.ip)).toBe(n1.cniAddresses['flannel.1']);
    // Node-local addresses that are no ingress IP: portmap → svclb pod → ClusterIP; the svclb pod is the source.
    const [svclb0, svclb1] = [await svclbOn(t, 0), await svclbOn(t, 1)];
    expect(svclb0).not.toBe(svclb1);
    expect(t.pods().map((p) => p.ip)).not.toContain(svclb0);
    expect(await seen(t, { pod: 'c0' }, n0.cniAddresses['cni0']!)).toBe(svclb0);
    expect(await seen(t, { pod: 'c0' }, n0.cniAddresses['flannel.1']!)).toBe(svclb0);
    expect(await seen(t, { pod: 'c0' }, n1.cniAddresses['flannel.1']!)).toBe(svclb1);
    expect(await seen(t, { node: 0 }, '127.0.0.1')).toBe(svclb0);
    // kube-proxy's jump precedes portmap's in PREROUTING, as kube-proxy prepends and portmap appends.
    const save = (await t.exec({ node: 0 }, ['iptables-save', '-t', 'nat'])).stdout;
    const pre = save.split('\n').filter((l) => l.startsWith('-A PREROUTING'));
    expect(pre.findIndex((l) => l.includes('KUBE-SERVICES'))).toBeLessThan(
      pre.findIndex((l) => l.includes('CNI-HOSTPORT-DNAT')),
    );
  });

  test('two LoadBalancer Services on one port are refused, as ServiceLB would leave one Pending', async () => {
    const lb = (name: string) => ({
      name,
      pod: 'a',
      externalTrafficPolicy: 'Cluster' as const,
      ports: [{ name: 'r', port: 6379, targetPort: 6379, nodePort: name === 'x' ? 30100 : 30101 }],
    });
    await expect(
      new NetnsProvider().start({
        profile: 'flannel-vxlan',
        nodes: 1,
        pods: [{ name: 'a', node: 0, command: ['sleep', '60'] }],
        loadBalancers: [lb('x'), lb('y')],
      }),
    ).rejects.toThrow(/both use port 6379/);
  });
});
