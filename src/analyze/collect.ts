// Collects the files `rcnc analyze` reads from a running topology, through `exec` and `capture`
// only, so it works on any provider. examples/make-example.ts uses it on lab cells; the same
// layout is what a user collects from a real cluster with kubectl (see analyze.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Capture, StartedTopology } from '../deploy/provider.ts';
import { formatKubectlTable, humanAge } from './kubectl.ts';

export interface CollectOptions {
  dir: string;
  /** Pods to collect per-pod files for, with the port their redis-server listens on. */
  pods: { name: string; port: number }[];
  redisCli?: string;
  /** Running captures, by pod: stopped here and written as `<pod>.tcpdump.txt`. */
  captures?: Map<string, Capture>;
  /** How each node lists its interfaces (`ip addr` by default). */
  nodeInterfaces?: (index: number) => 'ip-addr' | 'ifconfig';
  /** When the topology started, for the AGE columns. */
  startedAt: Date;
  /** Namespace the pods and services are in; with `allNamespaces` pods.txt gets kubectl -A's NAMESPACE column. */
  namespace?: string;
  allNamespaces?: boolean;
}

/** Writes the files into `opts.dir`; returns their names in the order written. */
export async function collectArtifacts(topo: StartedTopology, opts: CollectOptions): Promise<string[]> {
  await mkdir(opts.dir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFile(join(opts.dir, name), text);
    written.push(name);
  };
  const cli = opts.redisCli ?? 'redis-cli';
  const run = (pod: string, argv: string[]) =>
    topo.exec({ pod }, argv, { reject: false }).then((r) => r.stdout + (r.exitCode === 0 ? '' : r.stderr));

  // Views first: a handshake ghost lives only cluster-node-timeout.
  for (const p of opts.pods) {
    await write(`${p.name}.cluster-nodes.txt`, await run(p.name, [cli, '-p', String(p.port), 'cluster', 'nodes']));
  }
  for (const p of opts.pods) {
    await write(`${p.name}.ss.txt`, await run(p.name, ['ss', '-tanp']));
    await write(`${p.name}.netstat.txt`, await run(p.name, ['netstat', '-anop']));
  }
  for (const [pod, capture] of opts.captures ?? []) {
    await write(`${pod}.tcpdump.txt`, (await capture.stop()).text);
  }
  for (const p of opts.pods) {
    // `.log.txt`: the repository ignores *.log; analyze reads both.
    await write(`${p.name}.log.txt`, await topo.logs(p.name));
  }
  for (const n of topo.nodes) {
    const kind = opts.nodeInterfaces?.(n.index) ?? 'ip-addr';
    const r = await topo.exec({ node: n.index }, kind === 'ip-addr' ? ['ip', 'addr'] : ['ifconfig']);
    await write(`${n.name}.${kind}.txt`, r.stdout);
  }
  const now = Date.now();
  const age = humanAge((now - opts.startedAt.getTime()) / 1000);
  await write('pods.txt', podsTable(topo, age, opts));
  await write('nodes.txt', await nodesTable(topo, age));
  if (topo.services.length) {
    await write('services.txt', servicesTable(topo, age));
  }
  return written;
}

/** `kubectl get pods -o wide` (or `-A -o wide`) for the topology's pods. */
export function podsTable(
  topo: StartedTopology,
  age: string,
  opts: Pick<CollectOptions, 'namespace' | 'allNamespaces'>,
) {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'];
  const rows = topo
    .pods()
    .map((p) => [
      p.name,
      '1/1',
      'Running',
      String(Math.max(0, p.generation - 1)),
      age,
      p.ip,
      topo.nodes[p.node]?.name ?? '<none>',
      '<none>',
      '<none>',
    ]);
  return opts.allNamespaces
    ? formatKubectlTable(
        ['NAMESPACE', ...header],
        rows.map((r) => [opts.namespace ?? 'default', ...r]),
      )
    : formatKubectlTable(header, rows);
}

/** `kubectl get nodes -o wide`; the lab has no kubelet, so VERSION and CONTAINER-RUNTIME say so. */
export async function nodesTable(topo: StartedTopology, age: string) {
  const os = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const image = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(os)?.[1] ?? 'Linux';
  return formatKubectlTable(
    [
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ],
    topo.nodes.map((n) => [
      n.name,
      'Ready',
      n.index === 0 ? 'control-plane,master' : '<none>',
      age,
      `${topo.provider}-lab`,
      n.ip,
      '<none>',
      image,
      release(),
      `${topo.provider}://rcnc`,
    ]),
  );
}

/** `kubectl get svc -o wide` for the topology's NodePort and LoadBalancer Services. */
export function servicesTable(topo: StartedTopology, age: string) {
  const row = (s: (typeof topo.services)[number], type: string, external: string) => [
    s.name,
    type,
    s.clusterIP,
    external,
    s.ports.map((p) => `${p.port}:${p.nodePort}/TCP`).join(','),
    age,
    `statefulset.kubernetes.io/pod-name=${s.pod}`,
  ];
  return formatKubectlTable(
    ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'],
    [
      ...topo.services.map((s) => row(s, 'NodePort', '<none>')),
      ...topo.loadBalancers.map((s) => row(s, 'LoadBalancer', s.ingress.join(',') || '<pending>')),
    ],
  );
}
