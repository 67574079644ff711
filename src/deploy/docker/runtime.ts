// Which Docker daemon a docker topology runs on: the one the environment names (DOCKER_HOST,
// ~/.testcontainers.properties), else one answering on a default socket, else — as root on
// Linux with Debian's docker.io installed — a private dockerd per topology (daemon.ts). The
// choice is made once per process, because testcontainers asks for a runtime once per process and
// keeps the answer (docs/docker.md#finding-a-daemon).
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { ContainerRuntimeClient } from 'testcontainers';
import { TopologyError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { dockerRequirements, namespacesRequirement } from '../netns/system.ts';
import type { Requirement } from '../provider.ts';
import { HOST_LINK, processSocketLink, socketLinkPid } from './names.ts';

export type DaemonChoice =
  | {
      kind: 'existing';
      /** The daemon as testcontainers reached it: version, OS, endpoint. */
      detail: string;
      /** Where it answers, as a docker CLI `--host` (for the sweeper of a killed run). */
      endpoint: string;
      /** The local dockerd serving it (same kernel), whose network namespace is the Docker host. */
      dockerdPid?: number;
      /** From the local dockerd's flags and config file; undefined when it cannot be told. */
      userlandProxy?: boolean;
    }
  | { kind: 'private'; detail: string }
  | { kind: 'none'; detail: string };

/** Sockets testcontainers' strategies try when nothing is configured (unix, rootless, Desktop). */
function defaultSockets(): string[] {
  const uid = process.getuid?.();
  return [
    '/var/run/docker.sock',
    ...(process.env.XDG_RUNTIME_DIR ? [join(process.env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    ...(uid !== undefined ? [`/run/user/${uid}/docker.sock`] : []),
  ];
}

/** `GET /_ping` on a unix socket: does a daemon answer there? */
export function pingSocket(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * An rcnc process running its own daemons points DOCKER_HOST at its socket link, and its children
 * (a CLI it runs, a helper) inherit that: it is no daemon a user configured, and it is dropped.
 */
function dropInheritedSocketLink(): void {
  const m = /^unix:\/\/(.*)$/.exec(process.env.DOCKER_HOST ?? '');
  const pid = m ? socketLinkPid(basename(m[1]!)) : undefined;
  if (pid !== undefined && pid !== process.pid) {
    delete process.env.DOCKER_HOST;
    if (process.env.TESTCONTAINERS_HOST_OVERRIDE === HOST_LINK.host) {
      delete process.env.TESTCONTAINERS_HOST_OVERRIDE;
    }
  }
}

/** Whether the environment names a daemon for testcontainers (then rcnc never starts its own). */
async function configuredDaemon(): Promise<string | undefined> {
  dropInheritedSocketLink();
  if (process.env.DOCKER_HOST) {
    return `DOCKER_HOST=${process.env.DOCKER_HOST}`;
  }
  const props = await readFile(join(homedir(), '.testcontainers.properties'), 'utf8').catch(() => '');
  const m = /^\s*(docker\.host|tc\.host)\s*[=:]\s*(\S+)/m.exec(props);
  return m ? `${m[1]}=${m[2]} in ~/.testcontainers.properties` : undefined;
}

let choice: Promise<DaemonChoice> | undefined;
let privateMode = false;

/** The daemon this process uses, decided once. */
export function chooseDaemon(): Promise<DaemonChoice> {
  choice ??= decide();
  return choice;
}

async function decide(): Promise<DaemonChoice> {
  const configured = await configuredDaemon();
  if (!configured) {
    const live = [];
    for (const s of defaultSockets().filter((p) => existsSync(p))) {
      if (await pingSocket(s)) {
        live.push(s);
      }
    }
    if (live.length === 0) {
      return privateDaemonChoice();
    }
  }
  return existingDaemonChoice(configured);
}

async function existingDaemonChoice(configured: string | undefined): Promise<DaemonChoice> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    const client = await getContainerRuntimeClient();
    const rt = client.info.containerRuntime;
    const local = await localDockerd(socketPathOf(client));
    const modem = client.container.dockerode.modem as { socketPath?: string; host?: string; port?: string | number };
    return {
      kind: 'existing',
      endpoint: modem.socketPath ? `unix://${modem.socketPath}` : `tcp://${modem.host}:${modem.port ?? 2375}`,
      detail: `Docker ${rt.serverVersion} on ${rt.operatingSystem} via ${rt.host}${configured ? ` (${configured})` : ''}`,
      ...local,
    };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { kind: 'none', detail: `${configured ?? 'the Docker socket'} does not answer (testcontainers: ${why})` };
  }
}

async function privateDaemonChoice(): Promise<DaemonChoice> {
  const unmet = (await privateDaemonRequirements()).filter((r) => !r.met);
  if (unmet.length) {
    return {
      kind: 'none',
      detail: `no Docker daemon answers, and rcnc cannot start its own: ${unmet.map((r) => r.detail ?? r.name).join('; ')}`,
    };
  }
  const v = await run(['dockerd', '--version'], { reject: false });
  // From here on testcontainers (whose settings are read once per process) uses the private
  // daemons, through a link that each one occupies while it runs.
  privateMode = true;
  process.env.DOCKER_HOST = `unix://${processSocketLink()}`;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE = HOST_LINK.host;
  return {
    kind: 'private',
    detail: `no Docker daemon answers; rcnc starts a private dockerd per topology in its own network namespace (${v.stdout.trim()})`,
  };
}

/** What a private daemon needs: Linux, root, Debian's docker.io, nsenter, network namespaces. */
export async function privateDaemonRequirements(): Promise<Requirement[]> {
  const reqs: Requirement[] = [];
  const linux = process.platform === 'linux';
  reqs.push({ name: 'Linux', met: linux, detail: linux ? undefined : 'a private dockerd needs Linux' });
  const root = process.getuid?.() === 0;
  reqs.push({
    name: 'root',
    met: root,
    detail: root ? undefined : 'a private dockerd in its own network namespace needs root; run with sudo',
  });
  reqs.push(...dockerRequirements());
  if (root && linux) {
    reqs.push(await namespacesRequirement('rcnc-dkprobe'));
  }
  return reqs;
}

/** The client testcontainers uses, checked to be the private daemon's when rcnc runs its own. */
export async function runtimeClient(): Promise<ContainerRuntimeClient> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  if (privateMode && socketPathOf(client) !== processSocketLink()) {
    throw new TopologyError(
      `testcontainers in this process already uses another container runtime (${socketPathOf(client) ?? client.info.containerRuntime.host}); ` +
        'run the docker provider in a process of its own (testcontainers keeps one runtime per process)',
    );
  }
  return client;
}

export const isPrivateMode = (): boolean => privateMode;

const socketPathOf = (client: ContainerRuntimeClient): string | undefined =>
  (client.container.dockerode.modem as { socketPath?: string }).socketPath;

// ---------------------------------------------------------------------------------------------
// A local dockerd: its network namespace is the Docker host, its flags say the proxy mode.

/**
 * Whether dockerd runs with the userland proxy, from its argv and its config file's JSON: the flag
 * wins, and the default is on (docs/docker.md#profiles).
 */
export function userlandProxyOf(argv: string[], config: Record<string, unknown> | undefined): boolean {
  for (let i = argv.length - 1; i >= 0; i--) {
    const m = /^--userland-proxy(?:=(\w+))?$/.exec(argv[i]!);
    if (m) {
      return m[1] === undefined ? true : m[1] === 'true' || m[1] === '1';
    }
  }
  const v = config?.['userland-proxy'];
  return typeof v === 'boolean' ? v : true;
}

/** The sockets a dockerd serves, from `-H`/`--host` flags and the config's `hosts`. */
export function dockerdHosts(argv: string[], config: Record<string, unknown> | undefined): string[] {
  const hosts: string[] = [];
  argv.forEach((a, i) => {
    if ((a === '-H' || a === '--host') && argv[i + 1]) {
      hosts.push(argv[i + 1]!);
    }
    const m = /^(?:-H|--host)=(.+)$/.exec(a);
    if (m) {
      hosts.push(m[1]!);
    }
  });
  const fromConfig = Array.isArray(config?.hosts) ? (config.hosts as string[]) : [];
  const all = [...hosts, ...fromConfig];
  // No host at all: /var/run/docker.sock; fd:// is systemd's socket, the same path.
  return (all.length ? all : ['unix:///var/run/docker.sock']).map((h) =>
    h.startsWith('fd://') ? 'unix:///var/run/docker.sock' : h,
  );
}

// /var/run is a link to /run on current distributions; either spelling names the same socket.
const norm = (p: string) => p.replace(/^\/var\/run\//, '/run/');

const configFileOf = (argv: string[]): string => {
  const i = argv.findIndex((a) => a === '--config-file');
  const eq = argv.find((a) => a.startsWith('--config-file='));
  return eq ? eq.slice('--config-file='.length) : i >= 0 ? argv[i + 1]! : '/etc/docker/daemon.json';
};

/** The dockerd process on this machine serving `socketPath`, with its proxy mode. */
async function localDockerd(socketPath: string | undefined): Promise<{ dockerdPid?: number; userlandProxy?: boolean }> {
  if (!socketPath) {
    return {};
  }
  const target = await readlink(socketPath).catch(() => socketPath);
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || basename(await readlink(`/proc/${entry}/exe`).catch(() => '')) !== 'dockerd') {
      continue;
    }
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    const config = await readFile(configFileOf(argv), 'utf8')
      .then((t) => JSON.parse(t) as Record<string, unknown>)
      .catch(() => undefined);
    const paths = dockerdHosts(argv, config).map((h) => norm(h.replace(/^unix:\/\//, '')));
    if (paths.some((p) => p === norm(socketPath) || p === norm(target))) {
      return { dockerdPid: Number(entry), userlandProxy: userlandProxyOf(argv, config) };
    }
  }
  return {};
}
