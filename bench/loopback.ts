// The benchmark's floors: the same redis-server processes with no lab at all — one private
// namespace with only loopback up (so no port clashes with the host), no bridges, no iptables. It
// implements just enough of StartedTopology for RedisCluster to drive it, commands included over
// the same unix sockets the lab uses, so the two differ only by the lab's datapath.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecOptions, ExecTarget, PodInfo, PodSpec } from '../src/deploy/provider.ts';
import { UNIX_SOCKET, type RedisHost } from '../src/deploy/redis-cluster.ts';
import { respCall } from '../src/deploy/resp.ts';
import { run } from '../src/util/exec.ts';
import { waitFor } from '../src/util/wait.ts';

export type Loopback = RedisHost & AsyncDisposable & { stop(): Promise<void>; logs(pod: string): Promise<string> };

export async function startLoopback(pods: PodSpec[]): Promise<Loopback> {
  const id = Math.random().toString(16).slice(2, 8);
  const ns = `rcnc-${id}-lo`;
  const dir = await mkdtemp(join(tmpdir(), `rcnc-${id}-`));
  await run(['ip', 'netns', 'add', ns]);
  await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  const procs: ChildProcess[] = [];
  const exec = (_t: ExecTarget, argv: string[], opts?: ExecOptions) => run(['ip', 'netns', 'exec', ns, ...argv], opts);
  const infos: PodInfo[] = pods.map((p) => ({
    name: p.name,
    node: 0,
    ip: '127.0.0.1',
    hostIP: '127.0.0.1',
    hostNetwork: true,
    generation: 1,
  }));
  await Promise.all(
    pods.map(async (p) => {
      const pdir = join(dir, p.name);
      await run(['mkdir', '-p', pdir]);
      for (const [f, c] of Object.entries(p.files ?? {})) {
        await writeFile(join(pdir, f), c);
      }
      const argv = p.command.map((a) =>
        a
          .replace('$(CONFIG_DIR)', pdir)
          .replace('$(DATA_DIR)', pdir)
          .replace(/\$\((POD_IP|HOST_IP)\)/g, '127.0.0.1'),
      );
      const log = openSync(join(pdir, 'redis.log'), 'a');
      procs.push(
        spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', ns, ...argv], {
          cwd: pdir,
          stdio: ['ignore', log, log],
        }),
      );
      closeSync(log);
      // Ready once its unix socket exists and answers, as the lab's pods are once they log so.
      await waitFor({
        target: `${p.name} ready`,
        timeoutMs: 10_000,
        intervalMs: 5,
        check: async () => ({
          done: await respCall(join(pdir, UNIX_SOCKET), ['PING']).then(
            (r) => r === 'PONG',
            () => false,
          ),
          state: 'not ready',
        }),
      });
    }),
  );
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const exits = procs.map((c) => new Promise((r) => (c.exitCode != null ? r(0) : c.once('exit', r))));
      procs.forEach((c) => c.kill('SIGKILL'));
      await Promise.all(exits);
      await run(['ip', 'netns', 'del', ns], { reject: false });
      await rm(dir, { recursive: true, force: true });
    })());
  return {
    nodes: [{ name: 'loopback', index: 0, ip: '127.0.0.1', cniAddresses: {}, podCidr: '' }],
    pod: (name) => infos.find((i) => i.name === name)!,
    exec,
    localDataDir: (name) => join(dir, name),
    logs: (name) => readFile(join(dir, name, 'redis.log'), 'utf8').catch(() => ''),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
