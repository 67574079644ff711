// The Docker side of k3d: is a daemon answering, and the node containers (exec, pid, network).
// k3d's nodes are containers whose names are also the Kubernetes node names.
import { getContainerRuntimeClient } from 'testcontainers';
import { ProbeError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import type { ExecOptions, ExecResult, Requirement } from '../provider.ts';

export interface DockerStatus {
  ok: boolean;
  /** One line: the daemon's version and OS, or why none answers. */
  detail: string;
  /** The daemon shares this machine's kernel (not Docker Desktop's VM or a remote host). */
  local?: boolean;
}

/**
 * Asks through testcontainers' runtime detection (DOCKER_HOST, docker contexts, the default
 * sockets, ~/.testcontainers.properties). It throws a plain Error "Could not find a working
 * container runtime strategy" when nothing answers (docs/kubernetes.md#docker-detection); that becomes a one-line reason.
 */
export async function dockerStatus(): Promise<DockerStatus> {
  try {
    const client = await getContainerRuntimeClient();
    const rt = client.info.containerRuntime;
    const local = rt.operatingSystemType === 'linux' && !/Docker Desktop/i.test(rt.operatingSystem);
    return { ok: true, detail: `Docker ${rt.serverVersion} on ${rt.operatingSystem} via ${rt.host}`, local };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { ok: false, detail: `no Docker daemon answers (testcontainers: ${why})` };
  }
}

export async function dockerRequirement(): Promise<Requirement> {
  const s = await dockerStatus();
  return { name: 'Docker daemon', met: s.ok, detail: s.detail };
}

export const docker = (args: string[], opts?: ExecOptions): Promise<ExecResult> => run(['docker', ...args], opts);

export { CNI_DEVICES, parseCniAddresses } from '../k8s/cni-addresses.ts';

export async function containerPid(container: string): Promise<number> {
  const r = await docker(['inspect', '-f', '{{.State.Pid}}', container]);
  const pid = Number(r.stdout.trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProbeError(`container ${container} is not running (pid ${r.stdout.trim() || '?'})`);
  }
  return pid;
}

/** The host's address on a Docker network: what a process on this machine is seen as there. */
export async function networkGateway(network: string): Promise<string | undefined> {
  const r = await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}} {{end}}', network], {
    reject: false,
  });
  return r.stdout.split(/\s+/).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
}

export async function imagePresent(image: string): Promise<boolean> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', image], { reject: false })).exitCode === 0;
}
