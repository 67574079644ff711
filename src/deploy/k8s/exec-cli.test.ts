// The spawn helper as a real child process: it loads the kubeconfig, dials the API server, and
// exits with a code. Nothing listens at the address here, so it must exit 255 with the reason.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { rewriteKubeconfig } from '../k3d/config.ts';
import { spawnPodExec } from './exec-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcnc-exec-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a pod exec child process reports an unreachable API server as exit 255 with the reason', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const yaml = readFileSync(new URL('../../../test/fixtures/k8s/k3d-kubeconfig.yaml', import.meta.url), 'utf8');
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, rewriteKubeconfig(yaml).replace(':39745', `:${port}`));

  const child = spawnPodExec(file, { namespace: 'rcnc', pod: 'redis-0', container: 'main' }, ['redis-cli', 'ping']);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.end();
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code).toBe(255);
  expect(stderr).toMatch(/^exec failed: /);
}, 30_000);
