// A Redis Cluster laid out the way Bitnami's redis-cluster chart lays it out with TLS and a
// password, for rcnc collect's end-to-end test: three masters speaking only TLS (`port 0`,
// `tls-port 6379`, `tls-cluster yes`, client certificates required), certificates from a Secret
// (ca.crt, tls.crt, tls.key) mounted at /opt/bitnami/redis/certs, the password from a Secret into
// requirepass and masterauth. Each pod has a sidecar listed first (as a metrics exporter would be)
// without the certificates, so the Redis container must be chosen (-c). The CA and certificate are
// made with openssl in a temp dir, removed again.
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../src/deploy/k8s/apply.ts';
import { execInPod } from '../../src/deploy/k8s/exec.ts';
import { redisCliCall, type RedisAccess } from '../../src/deploy/redis-cli.ts';
import { run } from '../../src/util/exec.ts';
import { waitFor } from '../../src/util/wait.ts';

export const CERTS = '/opt/bitnami/redis/certs';
export const REDIS_CONTAINER = 'redis-cluster';
export const SIDECAR = 'metrics';
export const TLS_SECRET = 'redis-crt';
export const AUTH_SECRET = 'redis-auth';
const PODS = ['redis-tls-0', 'redis-tls-1', 'redis-tls-2'];

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** A throwaway CA and a server/client certificate it signed (redis-cli presents the same one). */
export async function makeCertificates(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'rcnc-kube-tls-'));
  try {
    const f = (name: string) => join(dir, name);
    const subject = (cn: string) => ['-subj', `/CN=${cn}`];
    await run([
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      ...subject('rcnc-test-ca'),
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
    ]);
    await run([
      'openssl',
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      ...subject('redis'),
      '-keyout',
      f('tls.key'),
      '-out',
      f('tls.csr'),
    ]);
    await writeFile(f('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run([
      'openssl',
      'x509',
      '-req',
      '-in',
      f('tls.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      f('ext'),
      '-out',
      f('tls.crt'),
    ]);
    const [ca, cert, key] = await Promise.all(['ca.crt', 'tls.crt', 'tls.key'].map((n) => readFile(f(n), 'utf8')));
    return { ca: ca!, cert: cert!, key: key! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const secret = (namespace: string, name: string, data: Record<string, string>, type = 'Opaque'): V1Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type,
  metadata: { name, namespace },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

function pod(namespace: string, name: string, image: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'redis-cluster' } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: SIDECAR, image, imagePullPolicy: 'Never', command: ['sleep', '3600'] },
        {
          name: REDIS_CONTAINER,
          image,
          imagePullPolicy: 'Never',
          env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: AUTH_SECRET, key: 'redis-password' } } }],
          // `$(REDIS_PASSWORD)` is expanded by the kubelet; no port is declared, as in charts
          // that leave containerPorts out.
          command: [
            'redis-server',
            '--port',
            '0',
            '--tls-port',
            '6379',
            '--tls-cluster',
            'yes',
            '--tls-replication',
            'yes',
            '--tls-cert-file',
            `${CERTS}/tls.crt`,
            '--tls-key-file',
            `${CERTS}/tls.key`,
            '--tls-ca-cert-file',
            `${CERTS}/ca.crt`,
            '--cluster-enabled',
            'yes',
            '--dir',
            '/data',
            '--save',
            '',
            '--appendonly',
            'no',
            '--requirepass',
            '$(REDIS_PASSWORD)',
            '--masterauth',
            '$(REDIS_PASSWORD)',
          ],
          volumeMounts: [{ name: 'certs', mountPath: CERTS, readOnly: true }],
        },
      ],
      volumes: [{ name: 'certs', secret: { secretName: TLS_SECRET } }],
    },
  };
}

/**
 * Deploys the three pods and their Secrets into `namespace` (which must exist), creates the cluster
 * with `redis-cli --cluster create` and waits until every master says cluster_state:ok.
 */
export async function deployTlsCluster(
  kube: KubeClient,
  o: { namespace: string; image: string; password: string; tls: TlsMaterial },
): Promise<string[]> {
  await kube.applyAll([
    secret(o.namespace, AUTH_SECRET, { 'redis-password': o.password }),
    secret(
      o.namespace,
      TLS_SECRET,
      { 'ca.crt': o.tls.ca, 'tls.crt': o.tls.cert, 'tls.key': o.tls.key },
      'kubernetes.io/tls',
    ),
    ...PODS.map((p) => pod(o.namespace, p, o.image)),
  ]);
  const ips = await Promise.all(
    PODS.map(async (p) => (await kube.waitForPodReady(o.namespace, p, 120_000)).status?.podIP ?? ''),
  );
  const access: RedisAccess = { password: o.password, tls: { dir: CERTS } };
  const cli = (pod: string, args: string[]) => {
    const call = redisCliCall('redis-cli', args, access);
    return execInPod(kube.exec, {
      namespace: o.namespace,
      pod,
      container: REDIS_CONTAINER,
      argv: call.argv,
      input: call.input,
      timeoutMs: 60_000,
    });
  };
  await waitFor({
    target: `${PODS.join(', ')} to answer PING over TLS`,
    timeoutMs: 60_000,
    intervalMs: 500,
    check: async () => {
      const answers = await Promise.all(PODS.map((p) => cli(p, ['-p', '6379', 'ping'])));
      return {
        done: answers.every((a) => a.stdout.trim() === 'PONG'),
        state: answers.map((a) => (a.stdout || a.stderr).trim()).join(' | '),
      };
    },
  });
  const created = await cli(PODS[0]!, ['--cluster', 'create', ...ips.map((ip) => `${ip}:6379`), '--cluster-yes']);
  if (created.exitCode !== 0) {
    throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  }
  await waitFor({
    target: `${PODS.join(', ')} to say cluster_state:ok`,
    timeoutMs: 60_000,
    intervalMs: 500,
    check: async () => {
      const infos = await Promise.all(PODS.map((p) => cli(p, ['-p', '6379', 'cluster', 'info'])));
      const states = infos.map((i) => /cluster_state:(\w+)/.exec(i.stdout)?.[1] ?? (i.stdout || i.stderr).trim());
      return { done: states.every((s) => s === 'ok'), state: states.join(', ') };
    },
  });
  return PODS;
}
