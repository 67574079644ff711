// Every namespace, interface, process and temp dir of a lab carries its id, so concurrent labs
// never collide and `rcnc clean` finds what a killed run left behind.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NS_PREFIX = 'rcnc-';
/** Where `ip netns exec` finds files it mounts over /etc for a namespace's processes (ip-netns(8)). */
export const ETC_NETNS = '/etc/netns';
const ID = /^[0-9a-f]{6}$/;

export const newLabId = (): string => randomBytes(3).toString('hex');

export const labNames = (id: string) => {
  if (!ID.test(id)) {
    throw new Error(`bad lab id ${id}`);
  }
  return {
    dir: join(tmpdir(), `${NS_PREFIX}${id}`),
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
