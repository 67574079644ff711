// What redis-cli's answer says about getting in: a password Redis wants, a wrong one, an ACL user
// without the rights, TLS the port wants, TLS that failed. When every pod answers so, collect stops
// (exit 2) with the fix instead of writing files analyze can only call authentication errors.
import type { RedisAccess } from '../deploy/redis-cli.ts';

export interface CliAnswer {
  pod: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type AccessFaultKind = 'noauth' | 'wrongpass' | 'noperm' | 'needs-tls' | 'tls-failed' | 'no-sh';

export interface AccessFault {
  kind: AccessFaultKind;
  pod: string;
  /** redis-cli's own words, first line. */
  detail: string;
}

const firstLine = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ?? '';

/** The fault in one answer, if any; `access` is what collect passed. */
export function accessFault(a: CliAnswer, access: RedisAccess = {}): AccessFault | undefined {
  const fault = (kind: AccessFaultKind, detail: string): AccessFault => ({ kind, pod: a.pod, detail });
  const authFailed = /^AUTH failed: (.*)$/m.exec(a.stderr)?.[1];
  const noauth = /^(?:\(error\) )?NOAUTH\b.*$/m.exec(a.stdout)?.[0];
  if (a.exitCode === 127 && /\bsh\b/.test(a.stderr) && !/redis-cli/.test(a.stderr)) {
    return fault('no-sh', firstLine(a.stderr));
  }
  if (authFailed && (noauth || /WRONGPASS/.test(authFailed))) {
    return fault('wrongpass', `AUTH failed: ${authFailed}`);
  }
  if (noauth) {
    return fault(access.password ? 'wrongpass' : 'noauth', noauth);
  }
  const noperm = /^(?:\(error\) )?NOPERM\b.*$/m.exec(a.stdout)?.[0];
  if (noperm) {
    return fault('noperm', noperm);
  }
  if (a.exitCode === 0) {
    return undefined;
  }
  // redis-cli may say "I/O error" first (its AUTH on a dead connection), the cause after it.
  const lines = `${a.stderr}\n${a.stdout}`.split('\n').map((l) => l.trim());
  const said = (re: RegExp) =>
    lines.find((l) => re.test(l) && !/^I\/O error$/.test(l)) ?? lines.find((l) => re.test(l));
  const closed = said(/Connection reset by peer|Server closed the connection|I\/O error/);
  if (!access.tls && closed) {
    return fault('needs-tls', closed);
  }
  const tlsFailed = said(/SSL|TLS|certificate|I\/O error|Server closed the connection|Connection reset/i);
  if (access.tls && tlsFailed) {
    return fault('tls-failed', tlsFailed);
  }
  return undefined;
}

/** A password given where none is needed: redis-cli says so and goes on; worth a note, not a stop. */
export const needlessPassword = (a: CliAnswer): string | undefined =>
  /^AUTH failed: (ERR AUTH .*without any password configured.*)$/m.exec(a.stderr)?.[1];

const BITNAMI_CERTS = '/opt/bitnami/redis/certs';

/** One line: what went wrong on which pods, and what to pass. */
export function accessFaultMessage(faults: readonly AccessFault[], from?: string): string {
  const first = faults[0]!;
  const same = faults.filter((f) => f.kind === first.kind).map((f) => f.pod);
  const pods = same.length > 3 ? `${same.slice(0, 3).join(', ')} and ${same.length - 3} more` : same.join(', ');
  const used = from ? ` (${from})` : '';
  switch (first.kind) {
    case 'noauth':
      return `${pods} answered "${first.detail}": Redis wants a password; pass --password-secret NAME/KEY (Bitnami's chart: RELEASE-redis-cluster/redis-password) or set REDISCLI_AUTH`;
    case 'wrongpass':
      return `${pods}: ${first.detail}${used}; check the password and --user`;
    case 'noperm':
      return `${pods}: ${first.detail}; the ACL user${used} needs +cluster|nodes and +info`;
    case 'needs-tls':
      return `${pods} closed the connection ("${first.detail}"): the port may want TLS; pass --tls-dir ${BITNAMI_CERTS} (where Bitnami's chart mounts its certificates), --tls-secret NAME, or --cacert FILE`;
    case 'tls-failed':
      return `${pods}: TLS failed ("${first.detail}")${used}; check the CA, and the client certificate and key if Redis asks for one (tls-auth-clients)`;
    case 'no-sh':
      return `${pods}: "${first.detail}": the container has no sh, which rcnc needs to hand redis-cli the password and keys outside its argv; use --tls-dir without a password, or -c another container`;
  }
}
