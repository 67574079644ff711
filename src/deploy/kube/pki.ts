// The cluster's credentials, made with openssl for each cluster and kept in its run dir: a CA, the
// API server's serving certificate, the client certificate the API server shows kubelets (exec,
// logs), the service-account signing key, and one bearer token per component in a static token
// file (kube-apiserver --token-auth-file). Tokens keep the identities real (system:node:node-0 in
// system:nodes for the Node authorizer, system:kube-proxy, …) with one file instead of a
// certificate per component. Nothing here outlives the cluster.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../util/exec.ts';

export interface Identity {
  /** The file-name-safe key of this identity (kubeconfig file names). */
  key: string;
  user: string;
  groups: string[];
}

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  apiCert: string;
  apiKey: string;
  kubeletClientCert: string;
  kubeletClientKey: string;
  saKey: string;
  saPub: string;
  tokenFile: string;
  tokens: Record<string, string>;
}

/** Who talks to the API server, with the names Kubernetes' default RBAC and the Node authorizer expect. */
export const identities = (nodeNames: string[]): Identity[] => [
  { key: 'admin', user: 'rcnc-admin', groups: ['system:masters'] },
  { key: 'controller-manager', user: 'system:kube-controller-manager', groups: [] },
  { key: 'scheduler', user: 'system:kube-scheduler', groups: [] },
  { key: 'kube-proxy', user: 'system:kube-proxy', groups: [] },
  // flanneld's own user, bound below to flannel's ClusterRole (as kube-flannel.yml grants it).
  { key: 'flannel', user: 'rcnc:flannel', groups: [] },
  ...nodeNames.map((n) => ({ key: `kubelet-${n}`, user: `system:node:${n}`, groups: ['system:nodes'] })),
];

const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function signed(pki: Pick<Pki, 'dir' | 'ca' | 'caKey'>, name: string, subj: string, ext: string) {
  const key = join(pki.dir, `${name}.key`);
  const csr = join(pki.dir, `${name}.csr`);
  const crt = join(pki.dir, `${name}.crt`);
  const extFile = join(pki.dir, `${name}.ext`);
  await run(['openssl', 'req', ...ec, '-keyout', key, '-out', csr, '-subj', subj]);
  await writeFile(extFile, ext);
  await run([
    'openssl',
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.ca,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '7',
    '-out',
    crt,
    '-extfile',
    extFile,
  ]);
  return { crt, key };
}

export async function makePki(dir: string, o: { apiIPs: string[]; apiNames: string[]; nodeNames: string[] }) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await run([
    'openssl',
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '7',
    '-subj',
    '/CN=rcnc-kube-ca',
  ]);
  const base = { dir, ca, caKey };
  const san = [...o.apiNames.map((n) => `DNS:${n}`), ...o.apiIPs.map((ip) => `IP:${ip}`)].join(',');
  const api = await signed(
    base,
    'apiserver',
    '/CN=kube-apiserver',
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
  );
  // The API server's identity towards kubelets: system:masters, so the kubelets' webhook
  // authorization (a SubjectAccessReview) grants it exec and logs.
  const client = await signed(
    base,
    'apiserver-kubelet-client',
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  await run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', saKey]);
  await run(['openssl', 'pkey', '-in', saKey, '-pubout', '-out', saPub]);
  const tokens: Record<string, string> = {};
  const lines: string[] = [];
  for (const id of identities(o.nodeNames)) {
    const token = randomBytes(24).toString('hex');
    tokens[id.key] = token;
    // token,user,uid,"group1,group2" (kube-apiserver --token-auth-file format)
    lines.push(`${token},${id.user},${id.user},"${id.groups.join(',')}"`);
  }
  const tokenFile = join(dir, 'tokens.csv');
  await writeFile(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return {
    dir,
    ca,
    caKey,
    apiCert: api.crt,
    apiKey: api.key,
    kubeletClientCert: client.crt,
    kubeletClientKey: client.key,
    saKey,
    saPub,
    tokenFile,
    tokens,
  } satisfies Pki;
}

/** A kubeconfig (JSON, which every kubeconfig reader accepts) for one identity. */
export function kubeconfigFor(o: { server: string; caPem: string; token: string; user: string }): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'rcnc-kube',
          cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') },
        },
      ],
      users: [{ name: o.user, user: { token: o.token } }],
      contexts: [{ name: 'rcnc-kube', context: { cluster: 'rcnc-kube', user: o.user } }],
      'current-context': 'rcnc-kube',
    },
    null,
    2,
  );
}
