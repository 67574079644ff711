// The benchmark's floors: the same redis-server processes with no lab at all — one private
// namespace with only loopback up (so no port clashes with the host), no bridges, no iptables. It
// implements just enough of StartedTopology for RedisCluster to drive it, commands included over
// the same unix sockets the lab uses, so the two differ only by the lab's datapath. It is a lab
// like the others to `rcnc clean`: its namespace and temp dir carry a lab id with a record.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labNames, newLabId } from '../src/deploy/netns/names.ts';
import { ownRecord, removeRecord, writeRecord } from '../src/deploy/netns/ownership.ts';
import type { ExecOptions, ExecTarget, PodInfo, PodSpec } from '../src/deploy/provider.ts';
import { UNIX_SOCKET, type RedisHost } from '../src/deploy/redis-cluster.ts';
import { respCall } from '../src/deploy/resp.ts';
import { run } from '../src/util/exec.ts';
import { trackForSignals } from '../src/util/teardown.ts';
import { waitFor } from '../src/util/wait.ts';

export type Loopback = RedisHost &
  AsyncDisposable & { stop(): Promise<void>; logs(pod: string): Promise<string>; logFile(pod: string): string };

/** Starts one pod's command in the namespace (into `procs` at once) and waits until it answers. */
async function startPod(ns: string, dir: string, pod: PodSpec, procs: ChildProcess[]): Promise<void> {
  const podDir = join(dir, pod.name);
  await mkdir(podDir, { recursive: true });
  for (const [file, content] of Object.entries(pod.files ?? {})) {
    await writeFile(join(podDir, file), content);
  }
  const argv = pod.command.map((a) =>
    a
      .replace('$(CONFIG_DIR)', podDir)
      .replace('$(DATA_DIR)', podDir)
      .replace(/\$\((POD_IP|HOST_IP)\)/g, '127.0.0.1'),
  );
  const log = openSync(join(podDir, 'redis.log'), 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'ip', 'netns', 'exec', ns, ...argv], {
    cwd: podDir,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  procs.push(child);
  // Ready once its unix socket answers, as the lab's pods are once they log so.
  await waitFor({
    target: `${pod.name} answering on its unix socket`,
    timeoutMs: 10_000,
    intervalMs: 5,
    check: async () => ({
      done: await respCall(join(podDir, UNIX_SOCKET), ['PING']).then(
        (r) => r === 'PONG',
        () => false,
      ),
      state: child.exitCode == null ? 'not answering yet' : `exited with ${child.exitCode}`,
    }),
  });
}

export async function startLoopback(pods: PodSpec[]): Promise<Loopback> {
  const id = newLabId();
  const names = labNames(id);
  const ns = `${names.hub.slice(0, -'hub'.length)}lo`;
  await writeRecord(await ownRecord(id, names.dir));
  await mkdir(names.dir, { recursive: true });
  const procs: ChildProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      untrack();
      const exits = procs.map((c) => new Promise((r) => (c.exitCode != null ? r(0) : c.once('exit', r))));
      procs.forEach((c) => c.kill('SIGKILL'));
      await Promise.all(exits);
      await run(['ip', 'netns', 'del', ns], { reject: false });
      await rm(names.dir, { recursive: true, force: true });
      await removeRecord(id);
    })());
  // SIGINT/SIGTERM tear it down like a lab.
  const untrack = trackForSignals({ stop: () => stop() });
  try {
    await run(['ip', 'netns', 'add', ns]);
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await Promise.all(pods.map((p) => startPod(ns, names.dir, p, procs)));
  } catch (e) {
    await stop();
    throw e;
  }
  const infos: PodInfo[] = pods.map((p) => ({
    name: p.name,
    node: 0,
    ip: '127.0.0.1',
    hostIP: '127.0.0.1',
    hostNetwork: true,
    generation: 1,
  }));
  const logFile = (name: string) => join(names.dir, name, 'redis.log');
  return {
    nodes: [{ name: 'loopback', index: 0, ip: '127.0.0.1', cniAddresses: {}, podCidr: '' }],
    pod: (name) => infos.find((i) => i.name === name)!,
    exec: (_t: ExecTarget, argv: string[], opts?: ExecOptions) => run(['ip', 'netns', 'exec', ns, ...argv], opts),
    localDataDir: (name) => join(names.dir, name),
    logFile,
    logs: (name) => readFile(logFile(name), 'utf8').catch(() => ''),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
