// The benchmark's baseline: the same redis-server processes forming a cluster with no lab at all —
// one private namespace with only loopback up (so no port clashes with the host), no bridges, no
// iptables. It implements just enough of StartedTopology for RedisCluster to drive it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecOptions, ExecTarget, PodInfo, PodSpec } from '../src/deploy/provider.ts';
import type { RedisHost } from '../src/deploy/redis-cluster.ts';
import { run } from '../src/util/exec.ts';
import { waitFor } from '../src/util/wait.ts';

export async function startLoopback(pods: PodSpec[]): Promise<RedisHost & AsyncDisposable & { stop(): Promise<void> }> {
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
        a.replace('$(CONFIG_DIR)', pdir).replace(/\$\((POD_IP|HOST_IP)\)/g, '127.0.0.1'),
      );
      procs.push(
        spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', ns, ...argv], {
          cwd: pdir,
          stdio: 'ignore',
        }),
      );
      await waitFor({
        target: `${p.name} ready`,
        timeoutMs: 10_000,
        intervalMs: 25,
        check: async () => ({
          done: (await exec({ pod: p.name }, p.readiness!, { reject: false })).exitCode === 0,
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
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
