#!/usr/bin/env node
// `node test/support/as-nobody.mjs ARGS…`, started as root: rcnc's command line run by an
// unprivileged process, whatever directory the checkout lives in. Starting rcnc as another user
// (setpriv --reuid) needs that user to read the checkout, which fails when the clone sits under a
// directory of mode 0700 (`mktemp -d`, some CI runners). Here root loads the CLI (tsx and every
// module the commands import statically), then the process becomes nobody for good — uid and gid
// 65534, no supplementary groups, and, as setuid from root clears them, no capabilities — before
// runCli sees its arguments, exactly as bin/rcnc.mjs hands them over.
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const NOBODY = 65534;

register();
const { loadCommand, runCli } = await import('../../src/cli.ts');
// Commands are imported when they run: the one under test is loaded while still root, so nobody
// never has to read the checkout.
await loadCommand(process.argv[2] ?? '');
process.setgroups([]);
process.setgid(NOBODY);
process.setuid(NOBODY);
const capabilities = /^CapEff:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
if (process.geteuid() !== NOBODY || process.getgroups().some((g) => g !== NOBODY) || !/^0+$/.test(capabilities ?? '')) {
  throw new Error(`as-nobody: the process is not unprivileged (euid ${process.geteuid()}, CapEff ${capabilities})`);
}
process.exitCode = await runCli(process.argv.slice(2));
