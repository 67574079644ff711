// How `rcnc collect` gets into Redis: the password from --password, --password-secret NAME/KEY or
// REDISCLI_AUTH in rcnc's environment; TLS from files in the pod (--tls-dir), a Secret
// (--tls-secret) or files here (--cacert/--cert/--key). Checked in two steps: the flags and local
// files before the cluster is contacted, the Secrets once it answers. Values are never printed:
// `from` says where they came from.
import { readFile } from 'node:fs/promises';
import type { RedisAccess, RedisTls } from '../deploy/redis-cli.ts';
import { UsageError } from '../util/errors.ts';
import type { FlagValues } from './flags.ts';

type Values = FlagValues<'collect'>;

/** What the flags ask for, local files read; Secrets not yet. */
export interface AccessRequest {
  password?: { value: string; from: string } | { secret: string; key: string; from: string };
  user?: string;
  tls?: { given: RedisTls; from: string } | { secret: string; from: string };
}

const HINT = "see 'rcnc collect --help'";

/** Local PEM files, read now so a typo fails before the cluster is contacted. */
async function pemFile(flag: string, path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--${flag} ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}; ${HINT}`);
  });
  if (!/^-----BEGIN [A-Z0-9 ]+-----$/m.test(text)) {
    throw new UsageError(`--${flag} ${path} is not PEM (no -----BEGIN line); convert it with openssl; ${HINT}`);
  }
  return text;
}

function passwordRequest(v: Values, env: NodeJS.ProcessEnv): AccessRequest['password'] {
  if (v.password !== undefined && v['password-secret'] !== undefined) {
    throw new UsageError(`--password and --password-secret are alternatives; pass one; ${HINT}`);
  }
  if (v['password-secret'] !== undefined) {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(v['password-secret']);
    if (!m) {
      throw new UsageError(
        `--password-secret ${v['password-secret']}: give NAME/KEY, e.g. redis/redis-password; ${HINT}`,
      );
    }
    return { secret: m[1]!, key: m[2]!, from: `--password-secret ${v['password-secret']}` };
  }
  if (v.password !== undefined) {
    return { value: checkedPassword(v.password, '--password'), from: '--password' };
  }
  const env_ = env['REDISCLI_AUTH'];
  return env_ ? { value: checkedPassword(env_, 'REDISCLI_AUTH'), from: 'REDISCLI_AUTH' } : undefined;
}

/** redis-cli reads the password as one line, and AUTH of an empty one fails in Redis's own words. */
function checkedPassword(value: string, from: string): string {
  if (!value) {
    throw new UsageError(`${from} is empty; give the password, or leave it out for a Redis without one; ${HINT}`);
  }
  if (/[\r\n]/.test(value)) {
    throw new UsageError(`the password from ${from} holds a line break, which redis-cli cannot send; ${HINT}`);
  }
  return value;
}

async function tlsRequest(v: Values): Promise<AccessRequest['tls']> {
  const files = (['cacert', 'cert', 'key'] as const).filter((f) => v[f] !== undefined);
  const sources = [
    v['tls-dir'] && '--tls-dir',
    v['tls-secret'] && '--tls-secret',
    files.length && '--cacert/--cert/--key',
  ];
  if (sources.filter(Boolean).length > 1) {
    throw new UsageError(`--tls-dir, --tls-secret and --cacert/--cert/--key are alternatives; pass one; ${HINT}`);
  }
  if ((v.cert === undefined) !== (v.key === undefined)) {
    throw new UsageError(`--cert and --key go together (the client certificate and its key); ${HINT}`);
  }
  if (v['tls-dir'] !== undefined) {
    if (!v['tls-dir'].startsWith('/')) {
      throw new UsageError(`--tls-dir ${v['tls-dir']}: give the absolute path in the pod; ${HINT}`);
    }
    return { given: { dir: v['tls-dir'] }, from: `TLS with ca.crt, tls.crt, tls.key in ${v['tls-dir']} of the pod` };
  }
  if (v['tls-secret'] !== undefined) {
    return { secret: v['tls-secret'], from: `TLS with the certificates of Secret ${v['tls-secret']}` };
  }
  if (files.length) {
    const given: RedisTls = {
      ca: v.cacert && (await pemFile('cacert', v.cacert)),
      cert: v.cert && (await pemFile('cert', v.cert)),
      key: v.key && (await pemFile('key', v.key)),
    };
    return { given, from: `TLS with ${files.map((f) => `--${f} ${v[f]}`).join(', ')}` };
  }
  return v.tls ? { given: {}, from: "TLS with the system's CAs" } : undefined;
}

/** Checks the flags and reads local files; throws a UsageError naming the flag. */
export async function accessRequest(v: Values, env: NodeJS.ProcessEnv = process.env): Promise<AccessRequest> {
  const password = passwordRequest(v, env);
  if (v.user !== undefined && !password) {
    throw new UsageError(`--user needs a password: --password-secret NAME/KEY, REDISCLI_AUTH or --password; ${HINT}`);
  }
  return { password, user: v.user, tls: await tlsRequest(v) };
}

/** The Secret keys --tls-secret reads, as cert-manager and Bitnami's chart name them. */
const TLS_KEYS = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

/** The access itself, Secrets read with `readSecret`, and where each part came from. */
export async function resolveAccess(
  req: AccessRequest,
  readSecret: (name: string) => Promise<Map<string, Buffer>>,
): Promise<{ access: RedisAccess; from: string }> {
  const access: RedisAccess = { user: req.user };
  const from: string[] = [];
  if (req.password) {
    if ('secret' in req.password) {
      const data = await readSecret(req.password.secret);
      const value = data.get(req.password.key);
      if (!value) {
        const has = [...data.keys()].join(', ') || 'none';
        throw new UsageError(`Secret ${req.password.secret} has no key ${req.password.key} (it has: ${has}); ${HINT}`);
      }
      access.password = checkedPassword(value.toString('utf8'), req.password.from);
    } else {
      access.password = req.password.value;
    }
    from.push(`password from ${req.password.from}${req.user ? `, user ${req.user}` : ''}`);
  }
  if (req.tls) {
    access.tls = 'secret' in req.tls ? await tlsFromSecret(req.tls.secret, readSecret) : req.tls.given;
    from.push(req.tls.from);
  }
  return { access, from: from.join('; ') };
}

async function tlsFromSecret(name: string, readSecret: (name: string) => Promise<Map<string, Buffer>>) {
  const data = await readSecret(name);
  const pick = (key: string) => data.get(key)?.toString('utf8');
  const tls: RedisTls = { ca: pick(TLS_KEYS.ca), cert: pick(TLS_KEYS.cert), key: pick(TLS_KEYS.key) };
  if (!tls.ca && !tls.cert) {
    const has = [...data.keys()].join(', ') || 'none';
    throw new UsageError(`Secret ${name} has neither ca.crt nor tls.crt (it has: ${has}); ${HINT}`);
  }
  if (!tls.cert !== !tls.key) {
    throw new UsageError(`Secret ${name} has only one of tls.crt and tls.key; both or neither; ${HINT}`);
  }
  return tls;
}
