// The SNAT expectation table: for each profile, path and traffic policy, the source the server
// sees. Every row cites the rule that produces it; datapath.md §5 tabulates the MASQUERADE source.
import { cellId, type Cell } from '../src/cells.ts';
import type { ProfileName, TrafficPolicy } from '../src/deploy/provider.ts';
import type { CellDims, Expectation, SnatObservation } from '../src/report/results.ts';
import { SNAT_PATHS, type SnatOptions, type SnatPath } from '../src/scenarios/snat.ts';

type Rewrite = SnatObservation['rewrite'];
type Row = Record<SnatPath, { Cluster: Rewrite; Local?: Rewrite }>;

const S2 = 'datapath.md §2 (FLANNEL-POSTRTG returns before MASQUERADE for pod↔pod)';
const S3C = 'datapath.md §3 (EXT under Cluster: KUBE-MARK-MASQ for every NodePort connection)';
const S3L =
  'datapath.md §3 (EXT under Local: pod sources go to SVC unmarked, LOCAL sources are marked, others only reach local endpoints)';
const S4 = 'datapath.md §4 (cali-nat-outgoing skips destinations in the pools)';
const S5 = 'datapath.md §5 (MASQUERADE takes the address of the outgoing device, eth0 when it has none)';

// Paths that never cross kube-proxy have no Local variant.
const table: Partial<Record<ProfileName, Row>> = {
  'flannel-vxlan': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
    'nodeport-local-endpoint': { Cluster: 'bridge-gateway', Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: 'tunnel', Local: 'none' },
    'node-nodeport': { Cluster: 'tunnel', Local: 'tunnel' },
    'external-nodeport-local': { Cluster: 'bridge-gateway', Local: 'none' },
    'external-nodeport-remote': { Cluster: 'tunnel', Local: 'unreachable' },
  },
  'calico-vxlan': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
    'nodeport-local-endpoint': { Cluster: 'node-ip', Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: 'tunnel', Local: 'none' },
    'node-nodeport': { Cluster: 'tunnel', Local: 'tunnel' },
    'external-nodeport-local': { Cluster: 'node-ip', Local: 'none' },
    'external-nodeport-remote': { Cluster: 'tunnel', Local: 'unreachable' },
  },
  'calico-crosssubnet': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
    'nodeport-local-endpoint': { Cluster: 'node-ip', Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: 'node-ip', Local: 'none' },
    // The node's own IP, masqueraded to itself out of eth0: no visible rewrite.
    'node-nodeport': { Cluster: 'none', Local: 'none' },
    'external-nodeport-local': { Cluster: 'node-ip', Local: 'none' },
    'external-nodeport-remote': { Cluster: 'node-ip', Local: 'unreachable' },
  },
  'no-nat': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
  } as Row,
};

const sourceFor = (profile: ProfileName, path: SnatPath, policy: TrafficPolicy, rewrite: Rewrite): string => {
  if (path.startsWith('pod-')) {
    return profile.startsWith('calico') ? S4 : profile === 'no-nat' ? 'datapath.md §9 no-nat' : S2;
  }
  if (rewrite === 'unreachable') {
    return `${S3L}; no local endpoint: KUBE-EXTERNAL-SERVICES DROP`;
  }
  return `${policy === 'Cluster' ? S3C : S3L}; ${rewrite === 'none' ? S2 : S5}`;
};

export const snatCells = (provider: CellDims['provider'] = 'netns'): Cell<SnatOptions>[] =>
  Object.entries(table).flatMap(([profile, row]) =>
    SNAT_PATHS.filter((path) => row![path]).flatMap((path) =>
      (['Cluster', 'Local'] as const)
        .filter((policy) => row![path][policy] !== undefined)
        .map((policy) => {
          const rewrite = row![path][policy]!;
          const dims: CellDims = {
            scenario: 'snat',
            provider,
            profile: profile as ProfileName,
            exposure: path.startsWith('pod-') ? 'pod-ip' : 'nodeport',
            announce: 'none',
            policy,
            nodes: 2,
            variant: path,
          };
          const expectation: Expectation = {
            meet: rewrite === 'unreachable' ? 'fails' : 'ok',
            rewrite,
            summary:
              rewrite === 'none'
                ? 'the server sees the true source'
                : rewrite === 'unreachable'
                  ? 'the node drops the connection'
                  : `the server sees a ${rewrite} address`,
            source: sourceFor(profile as ProfileName, path, policy, rewrite),
          };
          return {
            id: cellId(dims),
            title: `${path.replace(/-/g, ' ')} (${policy})`,
            dims,
            expectation,
            options: { path },
          };
        }),
    ),
  );
