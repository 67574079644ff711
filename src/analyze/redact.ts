// Secrets out of text a user will hand to someone else (rcnc collect --bundle): passwords in Redis
// and Sentinel config (redis.conf, CONFIG GET, CONFIG REWRITE), ACL rules, redis-cli command lines
// and environments, bearer tokens and kubeconfig credentials, PEM blocks (keys and certificates),
// and the known values themselves (the password collect used) wherever they appear. Each rule
// keeps the name and replaces only the value, so the text still reads as what it was.

export const REDACTED = '<redacted>';

/** Shorter known values are not replaced everywhere: a 2-letter password would eat the text. */
export const MIN_LITERAL = 4;

/** Redis and Sentinel settings whose value is a secret. */
const SECRET_SETTINGS = ['requirepass', 'masterauth', 'tls-key-file-pass', 'tls-client-key-file-pass'];
const SECRET_SETTING = SECRET_SETTINGS.join('|');

/** Keys of kubeconfig (YAML) and JSON credentials. */
const CREDENTIAL_KEYS = [
  'token',
  'id-token',
  'refresh-token',
  'access-token',
  'client-key-data',
  'client-certificate-data',
  'certificate-authority-data',
  'password',
  'secret',
].join('|');

type Rule = readonly [RegExp, string | ((match: string, ...groups: string[]) => string)];

const RULES: readonly Rule[] = [
  // PEM blocks: private keys and certificates alike (the whole body, whatever its type).
  [
    /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g,
    (_m, type) => `-----BEGIN ${type}----- ${REDACTED} -----END ${type}-----`,
  ],
  // redis.conf, sentinel.conf, CONFIG REWRITE: `requirepass VALUE`, `sentinel auth-pass MASTER VALUE`.
  [new RegExp(`^([ \\t]*(?:${SECRET_SETTING})[ \\t]+)\\S.*$`, 'gim'), `$1${REDACTED}`],
  [/^([ \t]*sentinel[ \t]+(?:auth-pass[ \t]+\S+|sentinel-pass)[ \t]+)\S.*$/gim, `$1${REDACTED}`],
  // CONFIG GET output, raw (`requirepass` then the value on the next line) or as a terminal shows
  // it (`1) "requirepass"` then `2) "value"`).
  [
    new RegExp(
      `^((?:\\d+\\)[ \\t]*)?"?(?:${SECRET_SETTING})"?[ \\t]*\\r?\\n(?:\\d+\\)[ \\t]*)?"?)([^"\\r\\n]+)`,
      'gim',
    ),
    `$1${REDACTED}`,
  ],
  // ACL rules: `user NAME on >password #sha256 <password ~* +@all` (ACL LIST, ACL files, users.acl).
  [
    /^([ \t]*(?:\d+\)[ \t]*)?"?user[ \t]+\S+)(.*)$/gim,
    (_m, head, rules) => head + rules.replace(/(\s[>#<])\S+/g, `$1${REDACTED}`),
  ],
  // Bearer tokens (Authorization headers, logs, curl lines).
  [/\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1${REDACTED}`],
  // kubeconfig and other YAML: `token: …`, `client-key-data: …`, `password: …`.
  [new RegExp(`^([ \\t]*-?[ \\t]*(?:${CREDENTIAL_KEYS})[ \\t]*:[ \\t]*)\\S.*$`, 'gim'), `$1${REDACTED}`],
  // JSON: `"token": "…"`.
  [new RegExp(`("(?:${CREDENTIAL_KEYS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${REDACTED}"`],
  // Environments and command lines: REDISCLI_AUTH=…, REDIS_PASSWORD=…, --requirepass …, -a …, --pass ….
  [/\b([A-Z0-9_]*(?:PASSWORD|PASSWD|PASS|AUTH|TOKEN|SECRET)[A-Z0-9_]*=)\S+/g, `$1${REDACTED}`],
  [new RegExp(`(--(?:${SECRET_SETTING}|pass)[= ])(?!${REDACTED})\\S+`, 'gi'), `$1${REDACTED}`],
  [/(\bredis-cli\b[^\n]*?\s-a\s+)\S+/g, `$1${REDACTED}`],
  // An AUTH command typed at a prompt or in a transcript: `AUTH pass` or `AUTH user pass`.
  [/^((?:[^\n]*?[>$#]\s*)?AUTH\s+(?:\S+\s+)?)(?!failed:)\S+\s*$/gim, `$1${REDACTED}`],
];

export interface Redaction {
  text: string;
  /** How many values were replaced (markers added). */
  count: number;
}

/** How many markers a text holds: what a redaction added is the difference. */
const markers = (text: string) => text.split(REDACTED).length - 1;

/** `text` with each of `known` (the values collect used) replaced wherever it appears. */
export function redactKnown(text: string, known: readonly string[]): Redaction {
  let out = text;
  for (const value of known.filter((k) => k.length >= MIN_LITERAL)) {
    out = out.split(value).join(REDACTED);
  }
  return { text: out, count: markers(out) - markers(text) };
}

/** `text` with every secret the rules know, and each of `known`, replaced. */
export function redact(text: string, known: readonly string[] = []): Redaction {
  let out = redactKnown(text, known).text;
  for (const [pattern, replacement] of RULES) {
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return { text: out, count: markers(out) - markers(text) };
}

/**
 * The known values masked in binary data (a pcap), byte for byte with `*` so the file keeps its
 * structure; returns how many were masked.
 */
export function maskBytes(data: Buffer, known: readonly string[]): number {
  let count = 0;
  for (const value of known.filter((k) => k.length >= MIN_LITERAL)) {
    const needle = Buffer.from(value);
    for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + needle.length)) {
      data.fill('*', at, at + needle.length);
      count++;
    }
  }
  return count;
}
