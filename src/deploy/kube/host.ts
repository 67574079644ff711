// The cluster's place on this machine, all of it inside the run's own namespaces, mounts and
// cgroups (the lab's safety rule): a hub namespace holding the "docker network" bridge, a
// control-plane namespace, and per node a network namespace plus a persistent mount namespace;
// cgroups only under one per-run folder in each v1 hierarchy. Every step registers its undo on
// the teardown before the next one starts.
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../util/exec.ts';
import type { Teardown } from '../../util/teardown.ts';
import { KUBE_NET, type KubeNames } from './names.ts';

const ip = (argv: string[]) => run(['ip', ...argv]);

async function addNamespace(name: string, td: Teardown): Promise<void> {
  await ip(['netns', 'add', name]);
  td.defer(`delete namespace ${name}`, () => run(['ip', 'netns', 'delete', name], { reject: false }).then(() => {}));
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** A namespace on the hub's bridge at `address`, its eth0 created from inside the hub. */
async function attach(n: KubeNames, ns: string, which: string, address: string): Promise<void> {
  const hubSide = n.veth(which);
  await ip(['-n', n.hub, 'link', 'add', hubSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await ip(['-n', n.hub, 'link', 'set', hubSide, 'master', n.bridge, 'up']);
  await ip(['-n', ns, 'addr', 'add', `${address}/16`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'route', 'add', 'default', 'via', KUBE_NET.gateway]);
}

/** sysctls of a namespace (net.* are per namespace; `ip netns exec` gives sysctl its /proc/sys). */
const sysctls = (ns: string, kv: string[]) => run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...kv]);

export async function buildNetwork(n: KubeNames, nodes: number, td: Teardown): Promise<void> {
  // Bridged pod traffic must pass iptables on each node (kube-proxy's hairpin and flannel's rules).
  await run(['modprobe', 'br_netfilter'], { reject: false });
  await addNamespace(n.hub, td);
  await ip(['-n', n.hub, 'link', 'add', n.bridge, 'type', 'bridge']);
  await ip(['-n', n.hub, 'addr', 'add', `${KUBE_NET.gateway}/16`, 'dev', n.bridge]);
  await ip(['-n', n.hub, 'link', 'set', n.bridge, 'up']);
  await addNamespace(n.cp, td);
  await attach(n, n.cp, 'c', KUBE_NET.controlPlane);
  for (let i = 0; i < nodes; i++) {
    const ns = n.node(i);
    await addNamespace(ns, td);
    await attach(n, ns, `n${i}`, KUBE_NET.nodeIP(i));
    await sysctls(ns, ['net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
  }
}

/**
 * Each node's mount namespace, and the control plane's, kept alive by a bind of its /proc file
 * under the run dir (made a private mount first, as unshare(1) requires). Inside a node's, /run and
 * /var/log are tmpfs of their own: containerd's shim sockets, runc state, kubelet's pod log links
 * and iptables' lock stay per node and vanish with it, and nothing is written into this machine's
 * /run or /var/log. In every one, /etc/resolv.conf names 127.0.0.1: nothing in the cluster may
 * send a lookup towards this machine's resolver (the API server otherwise resolves node names
 * there), and with no DNS server in the cluster a lookup then fails at once.
 */
export async function buildMountNamespaces(n: KubeNames, nodes: number, td: Teardown): Promise<void> {
  await mkdir(n.nsDir, { recursive: true });
  await run(['mount', '--bind', n.nsDir, n.nsDir]);
  td.defer(`unmount ${n.nsDir}`, () => run(['umount', '-l', n.nsDir], { reject: false }).then(() => {}));
  await run(['mount', '--make-private', n.nsDir]);
  const resolv = join(n.dir, 'resolv.conf');
  await writeFile(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const files = [n.cpMountNs, ...Array.from({ length: nodes }, (_, i) => n.mountNs(i))];
  for (const file of files) {
    await writeFile(file, '');
    await run(['unshare', `--mount=${file}`, '--propagation', 'slave', 'true']);
    td.defer(`unmount ${file}`, () => run(['umount', '-l', file], { reject: false }).then(() => {}));
    const inside = (argv: string[]) => run(['nsenter', `--mount=${file}`, '--', ...argv]);
    await inside(['mount', '--bind', resolv, '/etc/resolv.conf']);
    if (file !== n.cpMountNs) {
      for (const dir of ['/run', '/var/log']) {
        await inside(['mount', '-t', 'tmpfs', '-o', 'mode=0755', `rcnc-kube-${n.id}`, dir]);
      }
    }
  }
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The mounted hierarchies (real directories: cpu,cpuacct links are skipped). The kubelet needs its
 * cgroupRoot in the v1 ones; runc also makes the pods' paths in the cgroup2 `unified` mount, so
 * teardown looks there too (`withUnified`).
 */
export function cgroupHierarchies(o: { withUnified?: boolean } = {}): string[] {
  if (!existsSync(CGROUP_ROOT)) {
    return [];
  }
  return readdirSync(CGROUP_ROOT).filter((h) => {
    const p = join(CGROUP_ROOT, h);
    return (o.withUnified || h !== 'unified') && !lstatSync(p).isSymbolicLink() && existsSync(join(p, 'cgroup.procs'));
  });
}

/** This process's cgroup in the memory hierarchy: pods nest under it, inside whatever limits it. */
export async function ownMemoryCgroup(): Promise<string> {
  const text = await readFile('/proc/self/cgroup', 'utf8');
  const line = text.split('\n').find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  return line?.split(':')[2] ?? '/';
}

/** Node `i`'s cgroup root (its kubelet's --cgroup-root) under the cluster's base. */
export const nodeCgroupRoot = (base: string, i: number): string => join(base, `node-${i}`);

/**
 * Node i's cgroupRoot (kubelet's cgroupRoot, cgroupfs driver): `<own memory cgroup>/rcnc-kube-<id>/node-<i>`,
 * made in every hierarchy, as the kubelet requires. Two kubelets on one root would kill each
 * other's pods, so each node has its own. cpuset children start empty: each level copies its
 * parent's cpus and mems.
 */
export async function buildCgroups(n: KubeNames, base: string, nodes: number, td: Teardown): Promise<string[]> {
  const roots = Array.from({ length: nodes }, (_, i) => nodeCgroupRoot(base, i));
  for (const h of cgroupHierarchies()) {
    const made: string[] = [];
    for (const rel of [base, ...roots]) {
      const parts = rel.split('/').filter(Boolean);
      for (let k = 1; k <= parts.length; k++) {
        const dir = join(CGROUP_ROOT, h, ...parts.slice(0, k));
        if (!existsSync(dir)) {
          await mkdir(dir);
          made.push(dir);
          if (h === 'cpuset') {
            for (const f of ['cpuset.cpus', 'cpuset.mems']) {
              await writeFile(join(dir, f), await readFile(join(dir, '..', f), 'utf8'));
            }
          }
        }
      }
    }
    td.defer(`remove cgroups of ${n.cgroup} in ${h}`, () => removeCgroupDirs(made));
  }
  // What runc made in the cgroup2 mount on its own (no process lives there once the pods are gone).
  td.defer(`remove cgroups of ${n.cgroup} in unified`, () => removeCgroupDirs([join(CGROUP_ROOT, 'unified', base)]));
  return roots;
}

/** rmdir deepest first (a cgroup dir goes only once empty of processes and children). */
export async function removeCgroupDirs(dirs: string[]): Promise<void> {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    await removeTree(d);
  }
}

async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) {
    return;
  }
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      await removeTree(join(dir, e.name));
    }
  }
  await rmdir(dir).catch(() => {});
}

/** Every pid in a cgroup tree of one hierarchy (pods' processes, to kill before removing it). */
export function pidsUnder(dir: string): number[] {
  if (!existsSync(dir)) {
    return [];
  }
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      const procs = readFileSync(join(d, 'cgroup.procs'), 'utf8');
      pids.push(...procs.split('\n').filter(Boolean).map(Number));
    } catch {
      return;
    }
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        walk(join(d, e.name));
      }
    }
  };
  walk(dir);
  return pids;
}
