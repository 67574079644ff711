import { loadAllYaml, type V1ConfigMap, type V1Service, type V1StatefulSet } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Exposure } from '../../model/dimensions.ts';
import { announceSettings, sentinelPlan } from '../redis-sentinel.ts';
import { renderManifests } from './manifests.ts';
import {
  sentinelDataScript,
  sentinelManifests,
  sentinelSentinelScript,
  type SentinelManifestOptions,
} from './sentinel-manifests.ts';

// Stand-ins for the binaries the scripts call, so the real scripts run under sh: redis-server and
// redis-sentinel print their argv; redis-cli answers what the test sets in env (the sentinels'
// answer, the master's announce settings); getent resolves every name to one address.
const dir = mkdtempSync(join(tmpdir(), 'rcnc-sentinel-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stub = (name: string, body: string) => {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
};
stub('redis-server', 'printf "%s\\n" "$@"');
stub('redis-sentinel', 'printf "%s\\n" "$@"; echo ---; cat "$1"');
stub(
  'redis-cli',
  [
    'case "$*" in',
    '  *get-master-addr-by-name*) [ -n "$FAKE_MASTER" ] || exit 1; printf "%s\\n%s\\n" $FAKE_MASTER ;;',
    '  *ping*) echo PONG ;;',
    '  *replica-announce-ip*) printf "replica-announce-ip\\n%s\\n" "$FAKE_ANNOUNCE_IP" ;;',
    '  *replica-announce-port*) printf "replica-announce-port\\n%s\\n" "${FAKE_ANNOUNCE_PORT:-0}" ;;',
    'esac',
  ].join('\n'),
);
stub('getent', 'echo "10.42.0.7 $2"');

function run(script: string, env: Record<string, string>, dataDir: string): string[] {
  const file = join(dir, `s-${Math.random().toString(36).slice(2)}.sh`);
  // The scripts use the pod's fixed paths; point them at a scratch dir.
  writeFileSync(file, script.replaceAll('/data/', `${dataDir}/`).replaceAll('/etc/redis/', `${dataDir}/cm-`));
  writeFileSync(join(dataDir, 'cm-redis.conf'), 'bind 0.0.0.0\n');
  const out = execFileSync('sh', [file], {
    env: { PATH: `${dir}:${process.env.PATH}`, FAKE_MASTER: '', ...env },
    encoding: 'utf8',
  });
  return out.trim().split('\n');
}

const scratch = () => mkdtempSync(join(dir, 'data-'));
const opts = (exposure: Exposure, extra: Partial<SentinelManifestOptions> = {}): SentinelManifestOptions => ({
  namespace: 'r',
  exposure,
  announce: true,
  ...extra,
});
const env = (pod: string) => ({ POD_NAME: pod, POD_IP: '10.42.1.9', HOST_IP: '172.18.0.3' });

describe('sentinelDataScript', () => {
  test.each(['pod-ip', 'nodeport', 'host-network', 'loadbalancer'] as const)(
    '%s: each data pod announces what the suite’s own deploy announces for it',
    (exposure) => {
      const plan = sentinelPlan({ exposure, nodes: 2 });
      for (const ordinal of [0, 2]) {
        const argv = run(sentinelDataScript(opts(exposure)), env(`redis-${ordinal}`), scratch());
        const expected = announceSettings(plan, plan.data[ordinal]!, { podIP: '10.42.1.9', hostIP: '172.18.0.3' });
        expect(argv.slice(3, 7)).toEqual(expected.flatMap(([k, v]) => [`--${k}`, v]));
        expect(argv[2]).toBe(exposure === 'host-network' ? String(6379 + ordinal) : '6379');
      }
    },
  );

  test('first start: ordinal 0 is the master, the others follow it by its headless name', () => {
    expect(run(sentinelDataScript(opts('pod-ip')), env('redis-0'), scratch())).not.toContain('--replicaof');
    const argv = run(sentinelDataScript(opts('pod-ip')), env('redis-1'), scratch());
    expect(argv.slice(-3)).toEqual(['--replicaof', 'redis-0.redis-headless.r.svc.cluster.local', '6379']);
  });

  test('a pod that starts while sentinels run follows the master they name, unless that is itself', () => {
    const answer = { FAKE_MASTER: '172.18.0.2 30002' };
    const argv = run(sentinelDataScript(opts('nodeport')), { ...env('redis-0'), ...answer }, scratch());
    expect(argv.slice(-3)).toEqual(['--replicaof', '172.18.0.2', '30002']);
    const self = { ...env('redis-2'), HOST_IP: '172.18.0.2', ...answer };
    expect(run(sentinelDataScript(opts('nodeport')), self, scratch())).not.toContain('--replicaof');
  });

  test('a restart keeps the config on the volume: a replica stays one, without asking', () => {
    const data = scratch();
    writeFileSync(join(data, 'redis.conf'), 'replicaof 10.42.0.7 6379\n');
    const argv = run(sentinelDataScript(opts('pod-ip')), { ...env('redis-0'), FAKE_MASTER: '1.2.3.4 6379' }, data);
    expect(argv[0]).toBe(join(data, 'redis.conf'));
    expect(argv).not.toContain('--replicaof');
  });
});

describe('sentinelSentinelScript', () => {
  test('first start: monitors ordinal 0 at the address it announces, with the same myid on every start', () => {
    const e = { ...env('redis-sentinel-1'), FAKE_ANNOUNCE_IP: '172.18.0.2', FAKE_ANNOUNCE_PORT: '30000' };
    const out = run(sentinelSentinelScript(opts('nodeport')), e, scratch());
    const [argv, conf] = [out.slice(0, out.indexOf('---')), out.slice(out.indexOf('---') + 1)];
    expect(argv.slice(1)).toEqual(['--sentinel', 'announce-ip', '172.18.0.3', '--sentinel', 'announce-port', '32001']);
    expect(conf).toContain('sentinel monitor mymaster 172.18.0.2 30000 2');
    expect(conf).toContain('port 26379');
    const again = run(sentinelSentinelScript(opts('nodeport')), e, scratch());
    expect(again.find((l) => l.startsWith('sentinel myid'))).toBe(conf.find((l) => l.startsWith('sentinel myid')));
    expect(conf.find((l) => l.startsWith('sentinel myid'))).toMatch(/^sentinel myid [0-9a-f]{40}$/);
  });

  test('without announce settings on the master it monitors the pod IP its headless name resolves to', () => {
    const out = run(sentinelSentinelScript(opts('pod-ip', { announce: false })), env('redis-sentinel-0'), scratch());
    expect(out).toContain('sentinel monitor mymaster 10.42.0.7 6379 2');
    expect(out.slice(0, out.indexOf('---'))).toHaveLength(1);
  });

  test('a sentinel that starts while others run monitors the master they name', () => {
    const e = { ...env('redis-sentinel-2'), FAKE_MASTER: '172.18.0.3 30001' };
    expect(run(sentinelSentinelScript(opts('nodeport')), e, scratch())).toContain(
      'sentinel monitor mymaster 172.18.0.3 30001 2',
    );
  });

  test('hostnames: names announced and monitored, resolve-hostnames and announce-hostnames on', () => {
    const o = opts('pod-ip', { hostnames: true });
    const out = run(sentinelSentinelScript(o), env('redis-sentinel-0'), scratch());
    expect(out).toContain('sentinel resolve-hostnames yes');
    expect(out).toContain('sentinel announce-hostnames yes');
    expect(out).toContain('sentinel monitor mymaster redis-0.redis-headless.r.svc.cluster.local 6379 2');
    expect(out).toContain('redis-sentinel-0.redis-sentinel-headless.r.svc.cluster.local');
    const data = run(sentinelDataScript(o), env('redis-1'), scratch());
    expect(data.slice(3, 7)).toEqual([
      '--replica-announce-ip',
      'redis-1.redis-headless.r.svc.cluster.local',
      '--replica-announce-port',
      '6379',
    ]);
    expect(() => sentinelManifests(opts('nodeport', { hostnames: true }))).toThrow(/use exposure pod-ip/);
  });
});

describe('sentinelManifests', () => {
  test('objects: config, headless Services, the sentinel Service, two StatefulSets, a Service per pod', () => {
    const objs = sentinelManifests(opts('loadbalancer'));
    expect(objs.map((o) => `${o.kind}/${o.metadata!.name}`)).toEqual([
      'ConfigMap/redis-sentinel-config',
      'Service/redis-headless',
      'Service/redis-sentinel-headless',
      'Service/redis-sentinel',
      'StatefulSet/redis',
      'StatefulSet/redis-sentinel',
      'Service/redis-0-lb',
      'Service/redis-1-lb',
      'Service/redis-2-lb',
      'Service/redis-sentinel-0-lb',
      'Service/redis-sentinel-1-lb',
      'Service/redis-sentinel-2-lb',
    ]);
    const sts = objs.filter((o) => o.kind === 'StatefulSet') as V1StatefulSet[];
    for (const s of sts) {
      expect(s.spec).toMatchObject({ podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate' } });
      const c = s.spec!.template.spec!.containers[0]!;
      const fields = Object.fromEntries(c.env!.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
      expect(fields).toEqual({ POD_IP: 'status.podIP', HOST_IP: 'status.hostIP', POD_NAME: 'metadata.name' });
      // Each headless Service selects exactly its StatefulSet's pods.
      const headless = objs.find((o) => o.metadata!.name === s.spec!.serviceName) as V1Service;
      expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
      expect(headless.spec!.selector).toEqual(s.spec!.selector!.matchLabels);
    }
    // Load-balancer ports are distinct (ServiceLB binds each on every node) and are what the pods announce.
    const lbs = objs.filter((o) => (o as V1Service).spec?.type === 'LoadBalancer') as V1Service[];
    expect(lbs.map((s) => s.spec!.ports![0]!.port)).toEqual([6379, 6380, 6381, 26379, 26380, 26381]);
    expect(lbs.map((s) => s.spec!.selector)).toEqual(
      ['redis-0', 'redis-1', 'redis-2', 'redis-sentinel-0', 'redis-sentinel-1', 'redis-sentinel-2'].map((p) => ({
        'statefulset.kubernetes.io/pod-name': p,
      })),
    );
    const cm = objs[0] as V1ConfigMap;
    expect(cm.data!['start-redis.sh']).toBe(sentinelDataScript(opts('loadbalancer')));
  });

  test('nodeport: fixed NodePorts, the ones the pods announce', () => {
    const svcs = sentinelManifests(opts('nodeport')).filter((o) => (o as V1Service).spec?.type === 'NodePort');
    expect((svcs as V1Service[]).map((s) => s.spec!.ports![0]!.nodePort)).toEqual([
      30000, 30001, 30002, 32000, 32001, 32002,
    ]);
  });

  test('host network: no containerPorts, no per-pod Services', () => {
    const objs = sentinelManifests(opts('host-network'));
    for (const s of objs.filter((o) => o.kind === 'StatefulSet') as V1StatefulSet[]) {
      expect(s.spec!.template.spec!.hostNetwork).toBe(true);
      expect(s.spec!.template.spec!.containers[0]!.ports).toBeUndefined();
    }
    expect(objs.filter((o) => o.kind === 'Service')).toHaveLength(3);
  });

  test('bad input is refused with the reason', () => {
    expect(() => sentinelManifests({ ...opts('pod-ip'), replicas: 0 })).toThrow(/1 to 50 data pods/);
    expect(() => sentinelManifests({ ...opts('pod-ip'), name: 'Redis' })).toThrow(/DNS label/);
  });

  test('renders as multi-document YAML that loads back to the same objects', () => {
    const objs = sentinelManifests(opts('nodeport'));
    expect(loadAllYaml(renderManifests(objs))).toEqual(objs);
  });
});
