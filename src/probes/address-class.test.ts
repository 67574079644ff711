// Who an address belongs to, for the classes a provider's devices give: Docker's bridges are the
// bridge gateway of their host, as cni0 is on a flannel node.
import { describe, expect, test } from 'vitest';
import { classifyAddress, classifyRewrite } from './address-class.ts';

describe('address classes', () => {
  test('a Docker bridge is the bridge gateway of its host', () => {
    const book = {
      pods: [{ name: 'redis-0', ip: '172.18.0.2', hostNetwork: false }],
      nodes: [
        {
          name: 'docker-host',
          ip: '10.253.0.2',
          cniAddresses: { 'br-0123456789ab': '172.18.0.1', docker0: '172.17.0.1' },
        },
      ],
    };
    expect(classifyAddress('172.18.0.1', book)).toEqual({
      class: 'bridge-gateway',
      owner: 'br-0123456789ab@docker-host',
    });
    expect(classifyAddress('172.17.0.1', book)).toEqual({ class: 'bridge-gateway', owner: 'docker0@docker-host' });
    expect(classifyAddress('10.253.0.2', book).class).toBe('node-ip');
    expect(classifyAddress('172.18.0.2', book)).toEqual({ class: 'pod', owner: 'redis-0' });
    // A device name that is no Docker bridge (too short an id) is not taken for one.
    const other = { ...book, nodes: [{ ...book.nodes[0]!, cniAddresses: { 'br-0123': '172.19.0.1' } }] };
    expect(classifyAddress('172.19.0.1', other).class).toBe('unknown');
    expect(classifyRewrite('127.0.0.1', '172.18.0.1', book)).toEqual({
      rewrite: 'bridge-gateway',
      owner: 'br-0123456789ab@docker-host',
    });
  });
});
