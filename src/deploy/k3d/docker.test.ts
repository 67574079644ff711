import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parseCniAddresses } from './docker.ts';

test('CNI device addresses from real `ip -4 -o addr show` output (test/fixtures/k8s/capture-ip-addr.sh)', () => {
  const text = readFileSync(new URL('../../../test/fixtures/k8s/ip-4-o-addr.txt', import.meta.url), 'utf8');
  // eth0 and lo are not CNI devices; the bridge, flannel's and Calico's VXLAN devices are.
  expect(parseCniAddresses(text)).toEqual({
    cni0: '10.42.1.1',
    'flannel.1': '10.42.1.0',
    'vxlan.calico': '192.168.94.128',
  });
});

test('busybox spelling (link@peer) and an address-less device', () => {
  const text = [
    '7: tunl0@NONE    inet 192.168.94.129/32 scope global tunl0',
    '8: cni0    inet6 fe80::1/64 scope link',
  ].join('\n');
  expect(parseCniAddresses(text)).toEqual({ tunl0: '192.168.94.129' });
});
