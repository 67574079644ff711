import { loadAllYaml, type V1ConfigMap, type V1Service, type V1StatefulSet } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Exposure } from '../../model/dimensions.ts';
import { announceSettings, members, planFor, redisTopologySpec, type RedisMember } from '../redis-cluster.ts';
import {
  CONFIG_DIR,
  CONTAINER,
  DATA_DIR,
  POD_NAME_LABEL,
  redisClusterManifests,
  redisStartScript,
  renderManifests,
  topologyManifests,
} from './manifests.ts';

const nodeNames = ['k3d-rc-server-0', 'k3d-rc-agent-0', 'k3d-rc-agent-1'];
const opts = { namespace: 'rcnc-abc', runId: 'abc', image: 'redis:7.0.15', nodeNames };

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function nodeportSpec(count = 4) {
  const plan = planFor({
    exposure: 'nodeport',
    announce: 'ip',
    members: members({ count, nodes: 3, announce: () => true }),
  });
  return { plan, spec: redisTopologySpec(plan, 'flannel-vxlan', 3) };
}

describe('topologyManifests (TopologySpec → objects)', () => {
  test('each per-pod NodePort Service selects exactly one pod, with the spec’s fixed ports and policy', () => {
    const { spec } = nodeportSpec(4);
    const { pods, services } = topologyManifests(spec, opts);
    expect(services).toHaveLength(4);
    const podObjs = [...pods.values()].map((p) => p.pod);
    for (const [i, svc] of services.entries()) {
      const selected = podObjs.filter((p) => matches(svc.spec!.selector!, p.metadata!.labels));
      expect(selected.map((p) => p.metadata!.name)).toEqual([`redis-${i}`]);
      expect(svc.spec).toMatchObject({
        type: 'NodePort',
        externalTrafficPolicy: 'Cluster',
        selector: { [POD_NAME_LABEL]: `redis-${i}` },
        ports: [
          { name: 'client', port: 6379, targetPort: 6379, nodePort: 30000 + i, protocol: 'TCP' },
          { name: 'bus', port: 16379, targetPort: 16379, nodePort: 31000 + i, protocol: 'TCP' },
        ],
      });
    }
  });

  test('a headless Service gives its pods the hostname and subdomain of their DNS names, and nobody else', () => {
    const { spec } = nodeportSpec(3);
    const { pods, services } = topologyManifests(
      { ...spec, headless: [{ name: 'db', pods: ['redis-0', 'redis-1'] }] },
      opts,
    );
    const headless = services.find((s) => s.metadata!.name === 'db')!;
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    const podObjs = [...pods.values()].map((p) => p.pod);
    const selected = podObjs.filter((p) => matches(headless.spec!.selector!, p.metadata!.labels));
    expect(selected.map((p) => [p.metadata!.name, p.spec!.hostname, p.spec!.subdomain])).toEqual([
      ['redis-0', 'redis-0', 'db'],
      ['redis-1', 'redis-1', 'db'],
    ]);
    expect(pods.get('redis-2')!.pod.spec!.subdomain).toBeUndefined();
    expect(() => topologyManifests({ ...spec, headless: [{ name: 'db', pods: ['nope'] }] }, opts)).toThrow(
      /headless service db selects pod nope/,
    );
  });

  test('a pod keeps its argv, and every $(VAR) in it is a container env var the kubelet expands', () => {
    const { spec } = nodeportSpec(2);
    const { pod, configMap, claim } = topologyManifests(spec, opts).pods.get('redis-1')!;
    const c = pod.spec!.containers[0]!;
    expect(c.name).toBe(CONTAINER);
    expect(c.command).toEqual(spec.pods[1]!.command);
    expect(c.command).toContain('$(HOST_IP)');
    const env = new Map(c.env!.map((e) => [e.name, e]));
    const refs = c
      .command!.join(' ')
      .match(/\$\((\w+)\)/g)!
      .map((r) => r.slice(2, -1));
    for (const r of refs) {
      expect(env.has(r), `$(${r}) has an env var`).toBe(true);
    }
    expect(env.get('POD_IP')!.valueFrom!.fieldRef!.fieldPath).toBe('status.podIP');
    expect(env.get('HOST_IP')!.valueFrom!.fieldRef!.fieldPath).toBe('status.hostIP');
    expect(env.get('POD_NAME')!.valueFrom!.fieldRef!.fieldPath).toBe('metadata.name');
    expect(env.get('CONFIG_DIR')!.value).toBe(CONFIG_DIR);
    expect(env.get('DATA_DIR')!.value).toBe(DATA_DIR);
    // files → the ConfigMap mounted at CONFIG_DIR; data dir → the claim, which outlives the pod.
    expect(configMap.data!['redis.conf']).toContain('cluster-enabled yes');
    const mounts = Object.fromEntries(c.volumeMounts!.map((m) => [m.name, m.mountPath]));
    expect(mounts).toEqual({ config: CONFIG_DIR, data: DATA_DIR });
    const vols = Object.fromEntries(pod.spec!.volumes!.map((v) => [v.name, v]));
    expect(vols.config!.configMap!.name).toBe(configMap.metadata!.name);
    expect(vols.data!.persistentVolumeClaim!.claimName).toBe(claim!.metadata!.name);
    expect(c.workingDir).toBe(DATA_DIR);
    // Placement by hostname label (a scheduler decision, so local-path claims get bound).
    expect(pod.spec!.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'k3d-rc-agent-0' });
    expect(pod.spec!.nodeName).toBeUndefined();
    // The lab's readiness gate: probed until it succeeds, then never again (no readinessProbe).
    expect(c.startupProbe!.exec!.command).toEqual(spec.pods[1]!.readiness);
    expect(c.readinessProbe).toBeUndefined();
    expect(pod.spec!.automountServiceAccountToken).toBe(false);
  });

  test('with a shared node path the data dir is a per-namespace, per-pod dir there, and no claim', () => {
    const { spec } = nodeportSpec(2);
    const { pod, claim } = topologyManifests(spec, { ...opts, sharedDataRoot: '/var/lib/rcnc-data' }).pods.get(
      'redis-0',
    )!;
    expect(claim).toBeUndefined();
    const data = pod.spec!.volumes!.find((v) => v.name === 'data')!;
    expect(data.hostPath).toEqual({ path: '/var/lib/rcnc-data/rcnc-abc/redis-0', type: 'DirectoryOrCreate' });
  });

  test('with no storage to claim the data dir is an emptyDir, and no claim', () => {
    const { spec } = nodeportSpec(2);
    const { pod, claim } = topologyManifests(spec, { ...opts, ephemeralData: true }).pods.get('redis-0')!;
    expect(claim).toBeUndefined();
    expect(pod.spec!.volumes!.find((v) => v.name === 'data')).toEqual({ name: 'data', emptyDir: {} });
  });

  test('host-network pods share their node’s namespace on distinct ports', () => {
    const plan = planFor({ exposure: 'host-network', announce: 'none', members: members({ count: 4, nodes: 1 }) });
    const spec = redisTopologySpec(plan, 'flannel-vxlan', 1);
    const { pods, services } = topologyManifests(spec, opts);
    expect(services).toEqual([]);
    const ports = [...pods.values()].map(({ pod, configMap }) => {
      expect(pod.spec!.hostNetwork).toBe(true);
      expect(pod.spec!.dnsPolicy).toBe('ClusterFirstWithHostNet');
      expect(pod.spec!.nodeSelector).toEqual({ 'kubernetes.io/hostname': nodeNames[0] });
      return Number(/^port (\d+)$/m.exec(configMap.data!['redis.conf']!)![1]);
    });
    expect(new Set(ports).size).toBe(4);
    expect(new Set([...ports, ...ports.map((p) => p + 10000)]).size).toBe(8);
  });

  test('rejects what the API server would reject, naming the spec’s objects', () => {
    const { spec } = nodeportSpec(2);
    expect(() => topologyManifests(spec, { ...opts, nodeNames: nodeNames.slice(0, 1) })).toThrow(
      /pod redis-1 is placed on node 1, but the cluster has 1 node/,
    );
    const badPort = structuredClone(spec);
    badPort.services![0]!.ports[0]!.nodePort = 8080;
    expect(() => topologyManifests(badPort, opts)).toThrow(/nodePort 8080 is outside 30000-32767/);
    const dup = structuredClone(spec);
    dup.services![1]!.ports[0]!.nodePort = 30000;
    expect(() => topologyManifests(dup, opts)).toThrow(/nodePort 30000 is used twice/);
    const badFile = structuredClone(spec);
    badFile.pods[0]!.files = { 'a/b.conf': '' };
    expect(() => topologyManifests(badFile, opts)).toThrow(/cannot be a ConfigMap key/);
  });
});

describe('LoadBalancer Services (ServiceLB on k3d)', () => {
  test('type LoadBalancer, one pod selected, the spec’s port, nodePort and policy; checked like NodePorts', () => {
    const { spec } = nodeportSpec(2);
    const lb = {
      name: 'redis-0-lb',
      pod: 'redis-0',
      externalTrafficPolicy: 'Cluster' as const,
      ports: [{ name: 'redis', port: 6380, targetPort: 6379, nodePort: 30100 }],
    };
    const { services } = topologyManifests({ ...spec, loadBalancers: [lb] }, opts);
    expect(services.at(-1)).toMatchObject({
      kind: 'Service',
      metadata: { name: 'redis-0-lb', namespace: 'rcnc-abc' },
      spec: {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Cluster',
        selector: { [POD_NAME_LABEL]: 'redis-0' },
        ports: [{ name: 'redis', protocol: 'TCP', port: 6380, targetPort: 6379, nodePort: 30100 }],
      },
    });
    const clash = { ...lb, ports: [{ ...lb.ports[0]!, nodePort: 30000 }] };
    expect(() => topologyManifests({ ...spec, loadBalancers: [clash] }, opts)).toThrow(/nodePort 30000 is used twice/);
    expect(() => topologyManifests({ ...spec, loadBalancers: [{ ...lb, pod: 'nope' }] }, opts)).toThrow(
      /selects pod nope/,
    );
  });
});

describe('redisClusterManifests (StatefulSet for users)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcnc-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A stand-in for redis-server that prints its argv: the script under test is the real one.
  const fake = join(dir, 'redis-server');
  writeFileSync(fake, '#!/bin/sh\nprintf "%s\\n" "$@"\n');
  chmodSync(fake, 0o755);

  function startArgs(exposure: Exposure, announce: boolean, env: Record<string, string>): string[] {
    const script = join(dir, `start-${exposure}-${announce}.sh`);
    writeFileSync(script, redisStartScript({ exposure, announce }));
    const out = execFileSync('sh', [script], { env: { PATH: `${dir}:${process.env.PATH}`, ...env }, encoding: 'utf8' });
    return out.trim().split('\n');
  }

  const env = (ordinal: number) => ({
    POD_NAME: `redis-${ordinal}`,
    POD_IP: `10.42.1.${ordinal + 5}`,
    HOST_IP: '172.18.0.3',
  });
  const member = (ordinal: number): RedisMember => ({ name: `redis-${ordinal}`, ordinal, node: 0, announce: true });

  test.each(['pod-ip', 'nodeport', 'host-network'] as const)(
    '%s: each pod derives the announce settings redis-cluster.ts would give it from the downward API',
    (exposure) => {
      const plan = planFor({ exposure, announce: 'ip', members: [0, 1, 2, 3, 4, 5].map(member) });
      for (const ordinal of [0, 3, 5]) {
        const e = env(ordinal);
        const argv = startArgs(exposure, true, e);
        const expected = announceSettings(plan, member(ordinal), { podIP: e.POD_IP, hostIP: e.HOST_IP }).flatMap(
          ([k, v]) => [`--${k}`, v],
        );
        expect(argv.slice(0, 1)).toEqual(['/etc/redis/redis.conf']);
        expect(argv.slice(3)).toEqual(expected);
      }
    },
  );

  test('host network: every ordinal listens on its own port and bus port', () => {
    const ports = [0, 1, 2, 3, 4, 5].map((i) => Number(startArgs('host-network', false, env(i))[2]));
    expect(ports).toEqual([6379, 6380, 6381, 6382, 6383, 6384]);
    expect(new Set([...ports, ...ports.map((p) => p + 10000)]).size).toBe(12);
    expect(startArgs('nodeport', false, env(4))).toEqual(['/etc/redis/redis.conf', '--port', '6379']);
  });

  test('objects: headless Service, Parallel StatefulSet with claims, one NodePort Service per pod', () => {
    const objs = redisClusterManifests({ namespace: 'r', replicas: 3, exposure: 'nodeport', announce: true });
    expect(objs.map((o) => `${o.kind}/${o.metadata!.name}`)).toEqual([
      'ConfigMap/redis-config',
      'Service/redis-headless',
      'StatefulSet/redis',
      'Service/redis-0-np',
      'Service/redis-1-np',
      'Service/redis-2-np',
    ]);
    const sts = objs[2] as V1StatefulSet;
    expect(sts.spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel', serviceName: 'redis-headless' });
    expect(sts.spec!.volumeClaimTemplates![0]!.metadata!.name).toBe('data');
    expect(sts.spec!.template.spec!.automountServiceAccountToken).toBe(false);
    expect((objs[1] as V1Service).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    // StatefulSet pods are <name>-<ordinal>; each Service picks exactly one of them.
    const podNames = [0, 1, 2].map((i) => `redis-${i}`);
    for (const [i, svc] of (objs.slice(3) as V1Service[]).entries()) {
      expect(podNames.filter((n) => matches(svc.spec!.selector!, { [POD_NAME_LABEL]: n }))).toEqual([`redis-${i}`]);
      expect(svc.spec!.ports!.map((p) => p.nodePort)).toEqual([30000 + i, 31000 + i]);
    }
    // redis.conf is the suite's own (redisConf), the script is the one tested above.
    const cm = objs[0] as V1ConfigMap;
    expect(cm.data!['redis.conf']).toContain('cluster-enabled yes');
    expect(cm.data!['start.sh']).toBe(redisStartScript({ exposure: 'nodeport', announce: true }));
  });

  test('host network: no containerPorts (they would be host ports shared by every pod of the template)', () => {
    const objs = redisClusterManifests({ namespace: 'r', replicas: 3, exposure: 'host-network', announce: true });
    const pod = (objs[2] as V1StatefulSet).spec!.template.spec!;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.containers[0]!.ports).toBeUndefined();
    expect(objs.filter((o) => o.kind === 'Service')).toHaveLength(1);
  });

  test('renders as multi-document YAML that loads back to the same objects', () => {
    const objs = redisClusterManifests({ namespace: 'r', replicas: 2, exposure: 'pod-ip', announce: false });
    expect(loadAllYaml(renderManifests(objs))).toEqual(objs);
  });
});
