// redis-cli with a password and TLS, run in a pod someone else deployed (rcnc collect). The
// password and any certificate or key must not appear in an argv: a pod's process list shows argv,
// and the exec request's command is in the API server's URL (its audit log keeps it). They go in on
// stdin instead, to a fixed sh script (never built from values) that reads them and hands them to
// redis-cli the ways it takes them without files: the password as REDISCLI_AUTH in its environment,
// PEM contents as here-documents on /dev/fd/3..5 (pipes in dash, busybox and bash 5.1+ at these
// sizes; older bash uses a temp file it unlinks at once: nothing stays in the pod's filesystem).
// Works with dash, bash and busybox sh.

/** How to reach Redis: a password (and ACL user), TLS, or both. */
export interface RedisAccess {
  password?: string;
  /** ACL user to AUTH as; needs `password`. */
  user?: string;
  tls?: RedisTls;
}

/**
 * TLS for redis-cli: files already in the pod (`dir`: ca.crt, tls.crt and tls.key, where Bitnami's
 * charts mount them), or PEM contents from elsewhere (a Secret, local files), handed in on stdin.
 * Neither: the system's CAs, no client certificate.
 */
export interface RedisTls {
  dir?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/** What to exec in the pod: the argv, and what goes to its stdin. */
export interface CliCall {
  argv: string[];
  input?: string;
}

/** Ends each PEM on stdin; no PEM line is a lone dot. */
const END = '.';

/**
 * $1: what stdin holds, in this order: p (the password line), a (CA), c (cert), k (key); $2 the
 * redis-cli to run; the rest its arguments. A lone `.` ends each PEM; pem() drops the last newline
 * because the here-document adds it back.
 */
export const CLI_WRAPPER = `w=$1 cli=$2; shift 2
ca= crt= key=
pem() { v=; while IFS= read -r l && [ "$l" != ${END} ]; do v="$v$l
"; done; v=\${v%?}; }
case $w in *p*) IFS= read -r REDISCLI_AUTH; export REDISCLI_AUTH;; esac
case $w in *a*) pem; ca=$v; set -- --cacert /dev/fd/3 "$@";; esac
case $w in *c*) pem; crt=$v; set -- --cert /dev/fd/4 "$@";; esac
case $w in *k*) pem; key=$v; set -- --key /dev/fd/5 "$@";; esac
exec "$cli" "$@" 3<<E1 4<<E2 5<<E3
$ca
E1
$crt
E2
$key
E3
`;

/** redis-cli's options for `access` that may show in an argv (no secret among them). */
function visibleOptions(access: RedisAccess): string[] {
  const tls = access.tls;
  const dir = tls?.dir?.replace(/\/+$/, '');
  return [
    ...(tls ? ['--tls'] : []),
    ...(dir ? ['--cacert', `${dir}/ca.crt`, '--cert', `${dir}/tls.crt`, '--key', `${dir}/tls.key`] : []),
    ...(access.user ? ['--user', access.user] : []),
  ];
}

/** The exec for `cli args…` with `access`: plain argv when nothing secret is involved. */
export function redisCliCall(cli: string, args: string[], access: RedisAccess = {}): CliCall {
  const tls = access.tls;
  const stdin: [string, string | undefined][] = [
    ['p', access.password],
    ['a', tls?.ca],
    ['c', tls?.cert],
    ['k', tls?.key],
  ];
  const given = stdin.filter((s): s is [string, string] => s[1] !== undefined);
  const options = visibleOptions(access);
  if (given.length === 0) {
    return { argv: [cli, ...options, ...args] };
  }
  const pem = (s: string) => `${s.endsWith('\n') ? s : `${s}\n`}${END}\n`;
  const input = given.map(([what, value]) => (what === 'p' ? `${value}\n` : pem(value))).join('');
  return {
    argv: ['sh', '-c', CLI_WRAPPER, 'rcnc-redis-cli', given.map(([w]) => w).join(''), cli, ...options, ...args],
    input,
  };
}

/** The values never to print or write: the password and any key handed in. */
export function accessSecrets(access: RedisAccess = {}): string[] {
  return [access.password, access.tls?.key].filter((s): s is string => !!s);
}
