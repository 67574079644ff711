// The bundle hides every secret a collection can hold and keeps everything else: secrets are planted
// in the forms they take in real files (CONFIG GET as redis-cli prints it raw and on a terminal,
// redis.conf, sentinel.conf, ACL rules, a log line, a kubeconfig, environment dumps, PEM blocks,
// the password itself in a stray place), the archive is written with the real tar, unpacked again,
// and searched with grep.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeBundle, type ManifestEntry } from './bundle.ts';
import { maskBytes, redact, REDACTED } from './redact.ts';

/** The password collect used: known, so it is replaced wherever it appears. */
const PASSWORD = 'Tr0ub4dor&3-collect';
/** Secrets collect does not know of: the rules must find them. */
const PLANTED = {
  configGetRaw: 'raw-requirepass-9f2c',
  configGetTty: 'tty-masterauth-77ab',
  conf: 'conf-requirepass-d41d',
  sentinel: 'sentinel-authpass-5e6f',
  aclPlain: 'acl-plaintext-0c1b',
  aclHash: 'c0ffee'.repeat(10) + 'beef',
  logBearer: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyY25jIn0.c2lnbmF0dXJl',
  kubeToken: 'kubeconfig-token-3a4b5c6d',
  clientKeyData: 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=',
  envAuth: 'env-rediscli-auth-8e9f',
  cliArg: 'cli-dash-a-1a2b',
  authCommand: 'typed-auth-6c7d',
  privateKeyBody: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
  certBody: 'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYD',
};

const FILES: Record<string, string> = {
  'redis-0.config-get.txt': [
    'cluster-announce-ip',
    '10.0.0.7',
    'requirepass',
    PLANTED.configGetRaw,
    'port',
    '6379',
    'masterauth',
    '',
    'maxmemory',
    '0',
  ].join('\n'),
  'redis-1.config-get.txt': [
    '1) "masterauth"',
    `2) "${PLANTED.configGetTty}"`,
    '3) "cluster-node-timeout"',
    '4) "15000"',
  ].join('\n'),
  'redis.conf': [
    'port 6379',
    'cluster-enabled yes',
    `requirepass ${PLANTED.conf}`,
    `masterauth ${PASSWORD}`,
    'cluster-announce-ip 172.18.0.2',
    `user default on >${PLANTED.aclPlain} #${PLANTED.aclHash} ~* &* +@all`,
  ].join('\n'),
  'sentinel.conf': [
    'sentinel monitor mymaster 10.0.0.7 6379 2',
    `sentinel auth-pass mymaster ${PLANTED.sentinel}`,
  ].join('\n'),
  'redis-0.log.txt': [
    '1:M 01 Jan 2025 00:00:00.000 * Ready to accept connections tcp',
    `1:M 01 Jan 2025 00:00:01.000 # client sent Authorization: Bearer ${PLANTED.logBearer}`,
    `1:M 01 Jan 2025 00:00:02.000 * someone typed the password ${PASSWORD} into a key name`,
    '1:M 01 Jan 2025 00:00:03.000 * Cluster state changed: ok',
  ].join('\n'),
  'kubeconfig.yaml': [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    '    server: https://10.0.0.1:6443',
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${PLANTED.kubeToken}`,
    `    client-key-data: ${PLANTED.clientKeyData}`,
  ].join('\n'),
  'session.txt': [
    `$ REDISCLI_AUTH=${PLANTED.envAuth} redis-cli -p 6379 ping`,
    'PONG',
    `$ kubectl exec redis-0 -- redis-cli -a ${PLANTED.cliArg} cluster info`,
    'cluster_state:ok',
    '127.0.0.1:6379> AUTH default ' + PLANTED.authCommand,
    'OK',
    'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.',
  ].join('\n'),
  'tls.txt': [
    'the key:',
    '-----BEGIN PRIVATE KEY-----',
    PLANTED.privateKeyBody,
    'AoIBAQC7',
    '-----END PRIVATE KEY-----',
    '-----BEGIN CERTIFICATE-----',
    PLANTED.certBody,
    '-----END CERTIFICATE-----',
    'after the blocks',
  ].join('\n'),
};

/** What must stay: every line that holds no secret. */
const KEPT = [
  'cluster-announce-ip\n10.0.0.7\nrequirepass\n',
  'port\n6379\nmasterauth\n\nmaxmemory\n0',
  '3) "cluster-node-timeout"\n4) "15000"',
  'cluster-enabled yes',
  'cluster-announce-ip 172.18.0.2',
  'user default on >',
  '~* &* +@all',
  'sentinel monitor mymaster 10.0.0.7 6379 2',
  '1:M 01 Jan 2025 00:00:00.000 * Ready to accept connections tcp',
  'Authorization: Bearer ',
  '1:M 01 Jan 2025 00:00:03.000 * Cluster state changed: ok',
  'server: https://10.0.0.1:6443',
  '    token: ',
  'redis-cli -p 6379 ping\nPONG',
  'cluster info\ncluster_state:ok',
  'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.',
  '-----BEGIN PRIVATE KEY-----',
  '-----END CERTIFICATE-----\nafter the blocks',
];

const SECRETS = [PASSWORD, ...Object.values(PLANTED)];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rcnc-bundle-test-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('redact', () => {
  test('each planted secret is replaced and the text around it stays', () => {
    const all = Object.values(FILES).join('\n');
    const r = redact(all, [PASSWORD]);
    for (const s of SECRETS) {
      expect(r.text, s).not.toContain(s);
    }
    for (const k of KEPT) {
      expect(r.text).toContain(k);
    }
    expect(r.text).toContain(`requirepass\n${REDACTED}\nport`);
    expect(r.text).toContain(`2) "${REDACTED}"`);
    expect(r.text).toContain(`sentinel auth-pass mymaster ${REDACTED}`);
    expect(r.text).toContain(`-----BEGIN CERTIFICATE----- ${REDACTED} -----END CERTIFICATE-----`);
    // One marker per value: the password appears twice (redis.conf and the log), each PEM block once.
    expect(r.count).toBe(SECRETS.length + 1);
  });

  test('text without secrets comes back unchanged', () => {
    const plain =
      'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 10.42.1.5:6379@16379 myself,master - 0 0 1 connected 0-5460\n';
    expect(redact(plain, ['short', 'abc'])).toEqual({ text: plain, count: 0 });
  });

  test('a short known value is left alone (it would eat the text); a capture is masked byte for byte', () => {
    expect(redact('port 6379 abc', ['abc']).text).toBe('port 6379 abc');
    const pcap = Buffer.from(`\x00\x01AUTH ${PASSWORD}\r\n\x00`, 'binary');
    const before = pcap.length;
    expect(maskBytes(pcap, [PASSWORD])).toBe(1);
    expect(pcap.length).toBe(before);
    expect(pcap.toString('binary')).toBe(`\x00\x01AUTH ${'*'.repeat(PASSWORD.length)}\r\n\x00`);
  });
});

describe('writeBundle', () => {
  test('the archive holds the files, the analysis, the versions and a manifest, and no secret', async () => {
    const dir = join(scratch, 'collected');
    await mkdir(join(dir, 'pcap'), { recursive: true });
    for (const [name, text] of Object.entries(FILES)) {
      await writeFile(join(dir, name), text);
    }
    await writeFile(
      join(dir, 'pcap', 'redis-0.pcap'),
      Buffer.from(`\xd4\xc3\xb2\xa1AUTH ${PLANTED.envAuth}`, 'binary'),
    );
    const file = join(scratch, 'evidence.tar.gz');
    const bundle = await writeBundle({
      file,
      dir,
      files: [...Object.keys(FILES), 'pcap/redis-0.pcap'],
      analysis: { text: `redis-0 holds requirepass ${PASSWORD}\n`, json: JSON.stringify({ password: PASSWORD }) },
      versions: { rcnc: '0.1.0', redis: { 'redis-0': '7.0.15' } },
      secrets: [PASSWORD],
    });

    const out = join(scratch, 'unpacked');
    await mkdir(out);
    await execa('tar', ['-xzf', file, '-C', out]);
    const root = join(out, 'evidence');
    // grep exits 1 when nothing matches: no secret in any file of the archive.
    for (const s of SECRETS) {
      const g = await execa('grep', ['-rlF', '--', s, out], { reject: false });
      expect(g.exitCode, `${s} in ${g.stdout}`).toBe(1);
    }
    const unpacked = (
      await Promise.all(Object.keys(FILES).map((f) => readFile(join(root, 'collected', f), 'utf8')))
    ).join('\n');
    for (const k of KEPT) {
      expect(unpacked).toContain(k);
    }
    expect(await readFile(join(root, 'analysis.txt'), 'utf8')).toBe(`redis-0 holds requirepass ${REDACTED}\n`);
    expect(JSON.parse(await readFile(join(root, 'versions.json'), 'utf8'))).toEqual({
      rcnc: '0.1.0',
      redis: { 'redis-0': '7.0.15' },
    });

    const manifest = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8')) as {
      files: ManifestEntry[];
      leftOut: { path: string }[];
    };
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      [...Object.keys(FILES).map((f) => `collected/${f}`), 'analysis.txt', 'analysis.json', 'versions.json'].sort(),
    );
    for (const entry of manifest.files) {
      const data = await readFile(join(root, entry.path));
      expect({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }).toEqual({
        bytes: entry.bytes,
        sha256: entry.sha256,
      });
    }
    expect(manifest.files.find((f) => f.path === 'collected/redis.conf')?.redactions).toBe(4);
    expect(manifest.leftOut.map((l) => l.path)).toEqual(['collected/pcap/redis-0.pcap']);
    expect(bundle.files).toEqual(manifest.files);
  });
});
