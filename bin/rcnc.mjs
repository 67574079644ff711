#!/usr/bin/env node
// The rcnc command. It runs the compiled CLI in dist/ (built by `prepare` on `npm ci` and on git
// installs, or by `npm run build`) when dist/ was built from the sources as they are now, and the
// TypeScript sources through tsx otherwise, so an edit is never run stale and no build is needed
// to try it. RCNC_CLI=sources or RCNC_CLI=compiled picks one (compiled refuses a stale dist/).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledCli } from './compiled.mjs';

const root = join(import.meta.dirname, '..');
const choice = process.env.RCNC_CLI || 'auto';
const compiled = choice === 'sources' ? { stale: 'RCNC_CLI=sources' } : compiledCli(root);
if (!['auto', 'sources', 'compiled'].includes(choice) || (choice === 'compiled' && compiled.stale)) {
  console.error(
    choice === 'compiled'
      ? `rcnc: RCNC_CLI=compiled, but ${compiled.stale}; run npm run build`
      : `rcnc: RCNC_CLI=${choice}: choose sources or compiled, or leave it unset`,
  );
  process.exit(2);
}
let cli;
if (compiled.entry) {
  cli = await import(pathToFileURL(compiled.entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
process.exitCode = await cli.runCli(process.argv.slice(2));
