// The recovery matrix. Expectations come from Redis Cluster's own rules (docs/datapath.md#redis-peer-address: address
// updates from inbound PINGs and announced headers; gossip replaces addresses only of failing
// nodes) and from how each exposure's addresses behave when pods move.
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { CellDims, Exposure, ProfileName, ProviderName } from '../../src/model/dimensions.ts';
import { kubernetesProfiles, servesServices } from '../../src/model/profiles.ts';
import type { Matrix } from '../../src/suite/run-config.ts';
import type { RecoveryExpectation } from './types.ts';

export const RECOVERY_KINDS = [
  'pod-churn-master',
  'pod-churn-replica',
  'whole-restart',
  'node-loss',
  'failover',
  'rolling-restart',
  'scale-out',
  'partition-link',
  'isolate-node',
] as const;
export type RecoveryKind = (typeof RECOVERY_KINDS)[number];

export interface RecoveryOptions {
  kind: RecoveryKind;
}

const UPDATE =
  'docs/datapath.md#redis-address-updates (nodeUpdateAddressIfNeeded: a known node PINGing on an inbound link is re-addressed)';

interface Row {
  kind: RecoveryKind;
  title: string;
  /** Why the cell runs alone, when its figures would be distorted by cells sharing the cores. */
  runAlone?: string;
  expectation: (exposure: Exposure) => RecoveryExpectation;
  exposures: Exposure[];
  profiles: ProfileName[];
  /** More profile × exposure pairs, beyond profiles × exposures, that the default matrix runs. */
  extra?: [ProfileName, Exposure][];
}

const announceFor = (e: Exposure) => (e === 'nodeport' ? 'ip' : 'none');

const recovers = (summary: string, source: string): RecoveryExpectation => ({ heals: 'by-itself', summary, source });

const rows: Row[] = [
  {
    kind: 'pod-churn-master',
    title: 'a master pod is deleted and comes back with a new IP and its nodes.conf',
    expectation: () => recovers('the restarted node PINGs its peers, which update its address', UPDATE),
    exposures: ['pod-ip', 'nodeport', 'host-network'],
    profiles: ['flannel-vxlan', 'calico-vxlan'],
    extra: [
      ['calico-crosssubnet', 'pod-ip'],
      ['calico-crosssubnet', 'nodeport'],
      ['no-nat', 'pod-ip'],
      ['no-nat', 'host-network'],
    ],
  },
  {
    kind: 'pod-churn-replica',
    title: 'a replica pod is deleted and comes back with a new IP',
    expectation: () => recovers('as for a master, without a failover', UPDATE),
    exposures: ['pod-ip'],
    profiles: ['flannel-vxlan'],
  },
  {
    kind: 'whole-restart',
    title: 'every pod is deleted at once',
    expectation: (e) =>
      e === 'pod-ip'
        ? {
            heals: 'after-remediation',
            summary:
              'every node restarts knowing only stale pod IPs, so nobody reaches anybody: cluster_state:fail until rcnc MEETs everyone again; keys persist',
            source:
              'docs/datapath.md#redis-reconnects-and-gossip (reconnects go to node->ip; gossip only re-addresses failing nodes from known senders)',
          }
        : recovers(
            'announced NodePorts and node IPs do not change when pods restart, so the cluster heals by itself; keys persist',
            UPDATE,
          ),
    exposures: ['pod-ip', 'nodeport', 'host-network'],
    profiles: ['flannel-vxlan'],
  },
  {
    kind: 'node-loss',
    title: 'a node goes down; its pods are rescheduled on other nodes',
    expectation: (e) =>
      recovers(
        e === 'nodeport'
          ? 'a replica takes over; the rescheduled pods announce their new node IP in every PING header and are re-addressed'
          : 'a replica takes over; the rescheduled pods are re-addressed from their new peer addresses',
        `${UPDATE}; failover after cluster-node-timeout`,
      ),
    exposures: ['pod-ip', 'nodeport'],
    profiles: ['flannel-vxlan', 'calico-vxlan'],
    extra: [
      ['calico-crosssubnet', 'nodeport'],
      ['no-nat', 'pod-ip'],
    ],
  },
  {
    kind: 'failover',
    title: 'a master process is killed under client load',
    runAlone: 'it measures the client error window and lost writes; cells sharing the cores would stretch them',
    expectation: () =>
      recovers('its replica is promoted; writes confirmed by WAIT 1 survive', 'Redis Cluster failover; WAIT semantics'),
    exposures: ['nodeport', 'pod-ip'],
    profiles: ['flannel-vxlan'],
  },
  {
    kind: 'rolling-restart',
    title: 'every pod restarted one at a time, masters after a manual failover',
    runAlone: 'it measures the client error window across every restart; cells sharing the cores would stretch it',
    expectation: () =>
      recovers(
        'a planned failover moves each master before its pod restarts',
        'CLUSTER FAILOVER (manual, coordinated)',
      ),
    exposures: ['nodeport'],
    profiles: ['flannel-vxlan'],
  },
  {
    kind: 'scale-out',
    title: 'a new shard joins by CLUSTER MEET and slots are rebalanced onto it',
    expectation: () =>
      recovers(
        'the new master meets over the exposure and takes slots; every key stays readable',
        'redis-cli --cluster rebalance --cluster-use-empty-masters',
      ),
    exposures: ['nodeport'],
    profiles: ['flannel-vxlan'],
  },
  {
    kind: 'partition-link',
    title: 'traffic between two nodes is dropped, then restored',
    expectation: () =>
      recovers(
        'both ends flag each other PFAIL, but no majority agrees on FAIL, so nothing fails over',
        'Redis Cluster failure detection (PFAIL → FAIL needs a majority of masters)',
      ),
    exposures: ['pod-ip'],
    profiles: ['flannel-vxlan'],
  },
  {
    kind: 'isolate-node',
    title: 'one node is cut off from both others, then restored',
    expectation: () =>
      recovers(
        'the majority marks its master FAIL and promotes the replica; after healing the old master rejoins as a replica',
        'Redis Cluster failover',
      ),
    exposures: ['pod-ip'],
    profiles: ['flannel-vxlan'],
  },
];

/** `RCNC_MATRIX=full` runs every kind on every lab profile and exposure; the default is a representative subset. */
export const recoveryCells = (
  provider: ProviderName = 'netns',
  matrix: Matrix = 'default',
): Cell<'recovery', RecoveryOptions>[] =>
  // The docker provider has one node and no recovery rows of its own (docs/docker.md#profiles).
  (provider === 'docker' ? [] : rows).flatMap((row) => {
    const full = matrix === 'full';
    const profiles: ProfileName[] = full ? kubernetesProfiles() : row.profiles;
    const exposures: Exposure[] = full ? ['pod-ip', 'nodeport', 'host-network'] : row.exposures;
    const pairs: [ProfileName, Exposure][] = profiles.flatMap((p) =>
      exposures.map((e): [ProfileName, Exposure] => [p, e]),
    );
    if (!full) {
      pairs.push(...(row.extra ?? []));
    }
    return pairs
      .filter(([profile, e]) => servesServices(profile) || e !== 'nodeport')
      .map(([profile, exposure]) => {
        const dims: CellDims = {
          provider,
          profile,
          exposure,
          announce: announceFor(exposure),
          policy: 'Cluster',
          nodes: 3,
          variant: row.kind,
        };
        return {
          id: cellId(dims),
          title: row.title,
          family: 'recovery',
          dims,
          expectation: row.expectation(exposure),
          options: { kind: row.kind },
          // A provider that declares it cannot stop a node skips the cell before deploying it.
          ...(row.kind === 'node-loss' ? { needs: ['node-faults'] as const } : {}),
          ...(row.runAlone ? { runAlone: row.runAlone } : {}),
        };
      });
  });
