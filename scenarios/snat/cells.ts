// The SNAT expectation table: for each profile, path and traffic policy, the source the server
// sees. Every row cites the rule that produces it; docs/datapath.md#masquerade-source-address tabulates the MASQUERADE source.
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { CellDims, ProfileName, ProviderName, TrafficPolicy } from '../../src/model/dimensions.ts';
import { nodePortRewrite, PROFILE_FACTS, profileFacts, type ServingProfile } from '../../src/model/profiles.ts';
import { dockerSnatRows, type DockerSnatPath } from './docker-cells.ts';
import type { RewriteClass, SnatExpectation } from './types.ts';

export const SNAT_PATHS = [
  'pod-same-node',
  'pod-other-node',
  'nodeport-local-endpoint',
  'nodeport-remote-endpoint',
  'node-nodeport',
  'external-nodeport-local',
  'external-nodeport-remote',
] as const;
export type SnatPath = (typeof SNAT_PATHS)[number];

export interface SnatOptions {
  path: SnatPath | DockerSnatPath;
}

type Rewrite = RewriteClass;
type Row = Record<SnatPath, { Cluster: Rewrite; Local?: Rewrite }>;

// The rules each row cites, by what they say.
const FLANNEL_POD_TO_POD = PROFILE_FACTS['flannel-vxlan'].podToPod;
const POLICY_CLUSTER =
  'docs/datapath.md#externaltrafficpolicy-cluster (EXT under Cluster: KUBE-MARK-MASQ for every NodePort connection)';
const POLICY_LOCAL =
  'docs/datapath.md#externaltrafficpolicy-local (EXT under Local: pod sources go to SVC unmarked, LOCAL sources are marked, others only reach local endpoints)';
const MASQUERADE_SOURCE =
  'docs/datapath.md#masquerade-source-address, docs/datapath.md#device-walk-fallback (MASQUERADE takes the address of the outgoing device, eth0 when it has none)';

// Under Local a node without an endpoint drops NodePort traffic from outside; the same rules
// say what works instead.
const DROPPED_FIX =
  'dial the NodePort on a node that hosts an endpoint of the Service (externalTrafficPolicy Local serves only ' +
  'from nodes with a local endpoint), or use externalTrafficPolicy Cluster and set cluster-announce-ip/port/bus-port ' +
  'on every Redis node, since Cluster masquerades the source';

// The class a NodePort connection is rewritten to, from the profile table, when the endpoint is on
// the ingress node (local) or on another one (remote).
const local = (p: ServingProfile) => nodePortRewrite(p, 'local').class;
const remote = (p: ServingProfile) => nodePortRewrite(p, 'remote').class;

// Paths that never cross kube-proxy have no Local variant.
const table: Partial<Record<ProfileName, Row>> = {
  'flannel-vxlan': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
    'nodeport-local-endpoint': { Cluster: local('flannel-vxlan'), Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: remote('flannel-vxlan'), Local: 'none' },
    'node-nodeport': { Cluster: remote('flannel-vxlan'), Local: remote('flannel-vxlan') },
    'external-nodeport-local': { Cluster: local('flannel-vxlan'), Local: 'none' },
    'external-nodeport-remote': { Cluster: remote('flannel-vxlan'), Local: 'unreachable' },
  },
  'calico-vxlan': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
    'nodeport-local-endpoint': { Cluster: local('calico-vxlan'), Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: remote('calico-vxlan'), Local: 'none' },
    'node-nodeport': { Cluster: remote('calico-vxlan'), Local: remote('calico-vxlan') },
    'external-nodeport-local': { Cluster: local('calico-vxlan'), Local: 'none' },
    'external-nodeport-remote': { Cluster: remote('calico-vxlan'), Local: 'unreachable' },
  },
  'calico-crosssubnet': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
    'nodeport-local-endpoint': { Cluster: local('calico-crosssubnet'), Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: remote('calico-crosssubnet'), Local: 'none' },
    // The node's own IP, masqueraded to itself out of eth0: no visible rewrite.
    'node-nodeport': { Cluster: 'none', Local: 'none' },
    'external-nodeport-local': { Cluster: local('calico-crosssubnet'), Local: 'none' },
    'external-nodeport-remote': { Cluster: remote('calico-crosssubnet'), Local: 'unreachable' },
  },
  'no-nat': {
    'pod-same-node': { Cluster: 'none' },
    'pod-other-node': { Cluster: 'none' },
  } as Row,
};

const sourceFor = (profile: ProfileName, path: SnatPath, policy: TrafficPolicy, rewrite: Rewrite): string => {
  if (path.startsWith('pod-')) {
    return profileFacts(profile).podToPod;
  }
  if (rewrite === 'unreachable') {
    return `${POLICY_LOCAL}; no local endpoint: KUBE-EXTERNAL-SERVICES DROP`;
  }
  return `${policy === 'Cluster' ? POLICY_CLUSTER : POLICY_LOCAL}; ${rewrite === 'none' ? FLANNEL_POD_TO_POD : MASQUERADE_SOURCE}`;
};

const summaryOf = (rewrite: Rewrite): string =>
  rewrite === 'none'
    ? 'the server sees the true source'
    : rewrite === 'unreachable'
      ? 'the node drops the connection'
      : `the server sees a ${rewrite} address`;

// The docker provider has rows of its own (docker-cells.ts): one Docker host, published ports.
const dockerCells = (): Cell<'snat', SnatOptions>[] =>
  dockerSnatRows.map(({ profile, path, rewrite, source }) => {
    const dims: CellDims = {
      provider: 'docker',
      profile,
      exposure: path === 'container-ip' ? 'pod-ip' : 'nodeport',
      announce: 'none',
      policy: 'Cluster',
      nodes: 1,
      variant: path,
    };
    const expectation: SnatExpectation = { rewrite, summary: summaryOf(rewrite), source };
    return { id: cellId(dims), title: path.replace(/-/g, ' '), family: 'snat', dims, expectation, options: { path } };
  });

export const snatCells = (provider: ProviderName = 'netns'): Cell<'snat', SnatOptions>[] =>
  provider === 'docker' ? dockerCells() : kubernetesCells(provider);

const kubernetesCells = (provider: ProviderName): Cell<'snat', SnatOptions>[] =>
  Object.entries(table).flatMap(([profile, row]) =>
    SNAT_PATHS.filter((path) => row![path]).flatMap((path) =>
      (['Cluster', 'Local'] as const)
        .filter((policy) => row![path][policy] !== undefined)
        .map((policy) => {
          const rewrite = row![path][policy]!;
          const dims: CellDims = {
            provider,
            profile: profile as ProfileName,
            exposure: path.startsWith('pod-') ? 'pod-ip' : 'nodeport',
            announce: 'none',
            policy,
            nodes: 2,
            variant: path,
          };
          const expectation: SnatExpectation = {
            rewrite,
            summary: summaryOf(rewrite),
            source: sourceFor(profile as ProfileName, path, policy, rewrite),
            ...(rewrite === 'unreachable' ? { knownFix: DROPPED_FIX } : {}),
          };
          return {
            id: cellId(dims),
            title: `${path.replace(/-/g, ' ')} (${policy})`,
            family: 'snat',
            dims,
            expectation,
            options: { path },
          };
        }),
    ),
  );
