#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx rcnc` needs no build step after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
