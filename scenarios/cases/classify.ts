// Whose address a record holds, relative to the record's subject: pure, from what the topology
// knows (its pods, its nodes' devices, its Services) and from the probe that asked whether
// anything listens there. The classes are RECORD_CLASSES (types.ts).
import type { NodeInfo, PodInfo, ServiceInfo } from '../../src/deploy/provider.ts';
import { deviceClass } from '../../src/model/profiles.ts';
import type { RecordClass } from './types.ts';

export interface RecordBook {
  pods: readonly Pick<PodInfo, 'name' | 'ip'>[];
  nodes: readonly Pick<NodeInfo, 'name' | 'ip' | 'cniAddresses'>[];
  services: readonly Pick<ServiceInfo, 'name' | 'pod' | 'clusterIP' | 'ports'>[];
  /** Addresses pods held before they were recreated, with whose they were. */
  former?: Record<string, string>;
}

export interface Classified {
  recordedAs: RecordClass;
  owner: string;
}

/**
 * `ip:port` as recorded for `subject`. `listening` is whether something accepts connections there
 * (undefined: not asked); a port nobody listens on wins over whose address it is, since the record
 * then reaches nothing. A node address with a NodePort of a Service is the pod that Service
 * selects: the subject itself (`pod`) or another one.
 */
export function classifyRecord(
  ip: string,
  port: number,
  subject: string,
  book: RecordBook,
  listening?: boolean,
): Classified {
  if (listening === false) {
    return { recordedAs: 'unlistened-port', owner: `nothing listens on ${ip}:${port}` };
  }
  if (/^127\./.test(ip)) {
    return { recordedAs: 'loopback', owner: 'loopback (the connection came from a local proxy)' };
  }
  const pod = book.pods.find((p) => p.ip === ip);
  if (pod) {
    return { recordedAs: pod.name === subject ? 'pod' : 'other-pod', owner: pod.name };
  }
  const service = book.services.find((s) => s.clusterIP === ip);
  if (service) {
    return { recordedAs: 'service-ip', owner: `Service ${service.name} (ClusterIP)` };
  }
  for (const n of book.nodes) {
    for (const [dev, addr] of Object.entries(n.cniAddresses)) {
      if (addr === ip) {
        const cls = deviceClass(dev);
        return {
          recordedAs: cls === 'tunnel' ? 'tunnel' : cls === 'bridge-gateway' ? 'bridge-gateway' : 'no-pod',
          owner: `${dev}@${n.name}`,
        };
      }
    }
    if (n.ip === ip) {
      const via = book.services.find((s) => s.ports.some((p) => p.nodePort === port));
      if (via) {
        return {
          recordedAs: via.pod === subject ? 'pod' : 'other-pod',
          owner: `${via.pod} (NodePort ${port} on ${n.name})`,
        };
      }
      return { recordedAs: 'node-ip', owner: `eth0@${n.name}` };
    }
  }
  const was = book.former?.[ip];
  return { recordedAs: 'no-pod', owner: was ? `nobody (${was}'s address before it was recreated)` : 'nobody' };
}
