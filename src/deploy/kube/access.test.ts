// A kube node's MAC address, which the partitions drop frames by. The first partition-link and
// isolate-node cells on a real kube cluster never partitioned anything: the address was read from
// /sys/class/net/eth0/address inside the node, and /sys shows the devices of the namespace that
// mounted it (this machine's), so every node reported this machine's eth0 and the DROP rules
// matched no frame. Here a namespace of the test's own holds an eth0 with a known address.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KubeNodes } from './access.ts';
import type { KubeCluster } from './cluster.ts';

const root = process.getuid?.() === 0;
// Not an rcnc prefix: `rcnc clean` of another run must not take it, nor this test anyone's.
const ns = `macprobe-${process.pid}-${randomBytes(2).toString('hex')}`;
const address = '02:00:5e:10:20:30';

beforeAll(async () => {
  if (!root) {
    return;
  }
  await execa('ip', ['netns', 'add', ns]);
  await execa('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
  await execa('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', address]);
});

afterAll(async () => {
  if (root) {
    await execa('ip', ['netns', 'del', ns], { reject: false });
  }
});

test.skipIf(!root)("a node's MAC is its own eth0's, not this machine's", async () => {
  const cluster = {
    names: { hub: ns, node: () => ns },
    nodePlace: () => ({ netns: ns }),
  } as unknown as KubeCluster;
  const nodes = new KubeNodes(cluster, { sharedDataRoot: '/nonexistent', nodeFaults: false });
  const mac = await nodes.mac(0);
  expect(mac).toBe(address);
  let host = '';
  try {
    host = readFileSync('/sys/class/net/eth0/address', 'utf8').trim();
  } catch {
    // No eth0 here: the comparison above is the test.
  }
  expect(mac).not.toBe(host);
});
