// Every namespace, directory, cgroup, container, network and volume of a docker topology carries
// its id, so concurrent runs never collide and `rcnc clean` finds what a killed run left behind.
// The id starts with `dk`, which no netns lab id can (those are six hex digits): the lab's sweeper
// never mistakes a Docker host for one of its labs, and this one never takes a lab.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DOCKER_ID = /^dk[0-9a-f]{6}$/;

/** Labels every container, network and volume of a run carries (docs/docker.md#cleanup). */
export const RUN_ID_LABEL = 'rcnc.run-id';
export const TOPOLOGY_LABEL = 'rcnc.docker-id';
export const POD_LABEL = 'rcnc.pod';

/**
 * The link between the Docker host and the machine outside it. Both ends live in namespaces of
 * their own, so every topology can use the same addresses (docs/docker.md#the-docker-host).
 */
export const HOST_LINK = { host: '10.253.0.2', outside: '10.253.0.1', prefix: 24 } as const;

export const newDockerId = (): string => `dk${randomBytes(3).toString('hex')}`;

export function dockerNames(id: string) {
  if (!DOCKER_ID.test(id)) {
    throw new Error(`bad docker topology id ${id}`);
  }
  const dir = join(tmpdir(), `rcnc-${id}`);
  return {
    dir,
    /** The Docker host: dockerd, its bridges and iptables rules, host-network containers. */
    hostNs: `rcnc-${id}-dh`,
    /** A machine outside the Docker host, on the Docker host's network. */
    outsideNs: `rcnc-${id}-out`,
    dataRoot: join(dir, 'data'),
    execRoot: join(dir, 'exec'),
    socket: join(dir, 'docker.sock'),
    pidFile: join(dir, 'docker.pid'),
    configFile: join(dir, 'daemon.json'),
    log: join(dir, 'dockerd.log'),
    rootfs: join(dir, 'rootfs'),
    captures: join(dir, 'captures'),
    /** dockerd --cgroup-parent: the containers' cgroups, found by name after a SIGKILL. */
    cgroupParent: `rcnc-${id}`,
    network: `rcnc-${id}`,
    container: (pod: string) => `rcnc-${id}-${pod}`,
    volume: (pod: string) => `rcnc-${id}-${pod}-data`,
  };
}

export type DockerNames = ReturnType<typeof dockerNames>;

/** The docker topology id inside a namespace, directory or cgroup name of ours, or undefined. */
export const dockerIdOf = (name: string): string | undefined => /^rcnc-(dk[0-9a-f]{6})(?:-|$)/.exec(name)?.[1];

/**
 * testcontainers asks one container runtime per process and keeps the answer
 * (docs/docker.md#one-runtime-per-process), so the process points it at this fixed path once; each
 * private daemon the process starts is linked there while it runs.
 */
export const processSocketLink = (pid = process.pid): string => join(tmpdir(), `rcnc-docker-${pid}.sock`);

/** The pid in a socket link's name, or undefined. */
export const socketLinkPid = (name: string): number | undefined => {
  const m = /^rcnc-docker-(\d+)\.sock$/.exec(name);
  return m ? Number(m[1]) : undefined;
};
