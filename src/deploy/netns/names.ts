// Every namespace, interface, process and temp dir of a lab carries its id, so concurrent labs
// never collide and `rcnc clean` finds what a killed run left behind.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NS_PREFIX = 'rcnc-';
/** Where `ip netns exec` finds files it mounts over /etc for a namespace's processes (ip-netns(8)). */
export const ETC_NETNS = '/etc/netns';
const ID = /^[0-9a-f]{6}$/;
/** The most nodes a lab has (node-0 … node-19). */
export const MAX_NODES = 20;

export const newLabId = (): string => randomBytes(3).toString('hex');

const SHM = '/dev/shm';
const TMPFS_MAGIC = 0x01021994;
// A 100-member lab with its logs and captures stays well under this; a container's default
// 64 MiB /dev/shm would not hold it.
const SHM_MIN_FREE_BYTES = 2 * 2 ** 30;
let root: string | undefined;

/**
 * Where labs keep their files: /dev/shm when it is a tmpfs with room, else the system temp dir.
 * Redis rewrites and fsyncs nodes.conf at every cluster config change (cluster.c
 * clusterSaveConfigOrDie): a rebalance of 4,096 slots makes thousands of fsyncs per lab, and on a
 * disk those of concurrent labs queue behind each other (a scale-out cell took 32 s on disk beside
 * other cells, 18 s on tmpfs). The lab studies datapaths, not disks, and a pod's files still
 * outlive its process.
 */
export function labRoot(): string {
  if (root === undefined) {
    root = tmpdir();
    try {
      accessSync(SHM, constants.W_OK);
      const fs = statfsSync(SHM);
      if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= SHM_MIN_FREE_BYTES) {
        root = SHM;
      }
    } catch {
      /* no usable /dev/shm: the temp dir it is */
    }
  }
  return root;
}

/** Every place a lab dir of ours may be: today's root, and the temp dirs older releases used. */
export const labRoots = (): string[] => [...new Set([labRoot(), tmpdir(), '/tmp'])];

export const labNames = (id: string) => {
  if (!ID.test(id)) {
    throw new Error(`bad lab id ${id}`);
  }
  return {
    dir: join(labRoot(), `${NS_PREFIX}${id}`),
    hub: `${NS_PREFIX}${id}-hub`,
    node: (i: number) => `${NS_PREFIX}${id}-n${i}`,
    pod: (name: string) => `${NS_PREFIX}${id}-p-${name}`,
    // Interface names must fit IFNAMSIZ (15 chars): 'br-' + 6 = 9, 'vn' + 6 + 'x' + node = ≤ 11,
    // 'vp' + 6 + counter = ≤ 12.
    hubBridge: `br-${id}`,
    nodeUplink: (i: number) => `vn${id}x${i}`,
    podVeth: (n: number) => `vp${id}${n}`,
  };
};

/** The lab id inside a namespace or temp-dir name of ours, or undefined. */
export const labIdOf = (name: string): string | undefined => {
  const m = /^rcnc-([0-9a-f]{6})(?:-|$)/.exec(name);
  return m?.[1];
};
