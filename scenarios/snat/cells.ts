// The SNAT expectation table: for each profile, path and traffic policy, the source the server
// sees. Every row cites the rule that produces it; docs/datapath.md#masquerade-source-address tabulates the MASQUERADE source.
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { CellDims, ProfileName, ProviderName, TrafficPolicy } from '../../src/model/dimensions.ts';
import {
  expectsAs,
  kubernetesProfiles,
  nodePortRewrite,
  PROFILE_FACTS,
  profileFacts,
  servesServices,
  variantSource,
  type ServingProfile,
} from '../../src/model/profiles.ts';
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

/**
 * A profile's row, from the profile table: pod↔pod paths keep their source (profileFacts.podToPod
 * says why); every NodePort path is rewritten to the class the table gives for a local or a remote
 * endpoint under Cluster, while Local keeps the source of a path whose endpoint is local, and drops
 * an outside connection to a node without one (KUBE-EXTERNAL-SERVICES). A node dialing its own
 * NodePort is masqueraded to the remote class's address; where that is the node IP it is the
 * node's own source, so no rewrite shows (Calico CrossSubnet). Paths that never cross kube-proxy
 * have no Local variant.
 */
function rowFor(profile: ProfileName): Partial<Row> {
  const pods = { 'pod-same-node': { Cluster: 'none' }, 'pod-other-node': { Cluster: 'none' } } as const;
  if (!servesServices(profile)) {
    return pods;
  }
  const [l, r] = [local(profile), remote(profile)];
  const own: Rewrite = r === 'node-ip' ? 'none' : r;
  return {
    ...pods,
    'nodeport-local-endpoint': { Cluster: l, Local: 'none' },
    'nodeport-remote-endpoint': { Cluster: r, Local: 'none' },
    'node-nodeport': { Cluster: own, Local: own },
    'external-nodeport-local': { Cluster: l, Local: 'none' },
    'external-nodeport-remote': { Cluster: r, Local: 'unreachable' },
  };
}

const table = (): [ProfileName, Partial<Row>][] => kubernetesProfiles().map((p) => [p, rowFor(p)]);

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
  table().flatMap(([profile, row]) =>
    SNAT_PATHS.filter((path) => row![path]).flatMap((path) =>
      (['Cluster', 'Local'] as const)
        .filter((policy) => row[path]![policy] !== undefined)
        .map((policy) => {
          const rewrite = row[path]![policy]!;
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
            source: variantSource(profile, sourceFor(expectsAs(profile), path, policy, rewrite)),
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
