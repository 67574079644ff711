// What cluster a run happened on, for the report: server version, distribution, nodes, and the
// CNI as detected from what runs there (DaemonSets, k3s' flannel node annotations, Calico's
// Installation). Detection is read-only and best-effort: a user without cluster-wide list rights
// gets `unknown` with the reason as evidence, never a failed run.
import type { V1DaemonSetList, V1NodeList, VersionInfo } from '@kubernetes/client-node';
import { apiMessage } from './apply.ts';

export interface CniDetection {
  /** calico, cilium, flannel, … or unknown. */
  name: string;
  /** Mode details when readable: flannel backend, Calico encapsulation. */
  detail?: string;
  evidence: string[];
}

export interface ClusterInfo {
  serverVersion: string;
  /** k3s, rke2, eks, gke, aks, kind, or kubernetes when nothing more specific shows. */
  distribution: string;
  nodes: { name: string; internalIP?: string; kubelet?: string; runtime?: string; os?: string }[];
  cni: CniDetection;
}

/** The API calls detection makes (a KubeClient has them; tests pass recorded responses). */
export interface ClusterApis {
  version: { getCode(): Promise<VersionInfo> };
  core: { listNode(): Promise<V1NodeList> };
  apps: { listDaemonSetForAllNamespaces(): Promise<V1DaemonSetList> };
  custom: {
    getClusterCustomObject(p: { group: string; version: string; plural: string; name: string }): Promise<unknown>;
  };
}

// DaemonSet names each CNI's install uses (upstream manifests, Helm charts, managed offerings).
const SIGNATURES: [RegExp, string][] = [
  [/^canal$/, 'canal'],
  [/^calico-node$/, 'calico'],
  [/^(cilium|cilium-agent)$/, 'cilium'],
  [/^anetd$/, 'cilium'], // GKE Dataplane V2
  [/^kube-flannel(-ds)?(-amd64)?$/, 'flannel'],
  [/^weave-net$/, 'weave'],
  [/^antrea-agent$/, 'antrea'],
  [/^kube-router$/, 'kube-router'],
  [/^kindnet$/, 'kindnet'],
  [/^aws-node$/, 'amazon-vpc-cni'],
  [/^azure-cns$/, 'azure-cni'],
  [/^ovnkube-node$/, 'ovn-kubernetes'],
];

const FLANNEL_BACKEND = 'flannel.alpha.coreos.com/backend-type';

export interface CniInput {
  daemonSets: { namespace: string; name: string }[];
  nodeAnnotations: Record<string, string>[];
  /** Encapsulation of Calico's first pool (Installation), when readable. */
  calicoEncapsulation?: string;
  /** Why DaemonSets could not be listed, if they could not. */
  listError?: string;
  /** The distribution, when known: flannel without a DaemonSet is k3s's embedded one only on k3s. */
  distribution?: string;
}

export function detectCni(input: CniInput): CniDetection {
  const evidence: string[] = [];
  const found: string[] = [];
  for (const ds of input.daemonSets) {
    const hit = SIGNATURES.find(([re]) => re.test(ds.name));
    if (hit && !found.includes(hit[1])) {
      found.push(hit[1]);
      evidence.push(`DaemonSet ${ds.namespace}/${ds.name}`);
    }
  }
  const backend = input.nodeAnnotations.map((a) => a[FLANNEL_BACKEND]).find(Boolean);
  if (backend) {
    evidence.push(`node annotation ${FLANNEL_BACKEND}=${backend}`);
  }
  if (input.listError) {
    evidence.push(`cannot list DaemonSets: ${input.listError}`);
  }
  // Canal is Calico policy on flannel networking: report it as such, not as two CNIs.
  const name = found[0] ?? (backend ? 'flannel' : 'unknown');
  let detail: string | undefined;
  if (name === 'flannel' || name === 'canal') {
    // No DaemonSet runs it: k3s embeds flanneld; elsewhere (rcnc's kube provider, hand-made
    // clusters) flanneld runs on the nodes outside any pod.
    const outside =
      input.distribution === undefined || input.distribution === 'k3s' ? 'embedded in k3s' : 'flanneld outside pods';
    detail = [found.length === 0 ? outside : undefined, backend ? `backend ${backend}` : undefined]
      .filter(Boolean)
      .join(', ');
  } else if (name === 'calico' && input.calicoEncapsulation) {
    detail = `encapsulation ${input.calicoEncapsulation}`;
    evidence.push(`Installation default: encapsulation ${input.calicoEncapsulation}`);
  }
  if (found.length > 1) {
    evidence.push(`also found: ${found.slice(1).join(', ')}`);
  }
  if (name === 'unknown' && !input.listError) {
    evidence.push(`no known CNI among ${input.daemonSets.length} DaemonSet(s)`);
  }
  return { name, ...(detail ? { detail } : {}), evidence };
}

export function distributionOf(gitVersion: string, providerIds: string[]): string {
  if (/\+k3s/.test(gitVersion)) {
    return 'k3s';
  }
  if (/\+rke2/.test(gitVersion)) {
    return 'rke2';
  }
  if (/-eks-/.test(gitVersion)) {
    return 'eks';
  }
  if (/-gke\./.test(gitVersion)) {
    return 'gke';
  }
  if (providerIds.some((p) => p.startsWith('azure://'))) {
    return 'aks';
  }
  if (providerIds.some((p) => p.startsWith('kind://'))) {
    return 'kind';
  }
  return 'kubernetes';
}

export async function readClusterInfo(api: ClusterApis): Promise<ClusterInfo> {
  const [code, nodes] = await Promise.all([api.version.getCode(), api.core.listNode()]);
  let daemonSets: CniInput['daemonSets'] = [];
  let listError: string | undefined;
  try {
    daemonSets = (await api.apps.listDaemonSetForAllNamespaces()).items.map((d) => ({
      namespace: d.metadata?.namespace ?? '',
      name: d.metadata?.name ?? '',
    }));
  } catch (e) {
    listError = apiMessage(e);
  }
  let calicoEncapsulation: string | undefined;
  if (daemonSets.some((d) => d.name === 'calico-node')) {
    try {
      const inst = (await api.custom.getClusterCustomObject({
        group: 'operator.tigera.io',
        version: 'v1',
        plural: 'installations',
        name: 'default',
      })) as { spec?: { calicoNetwork?: { ipPools?: { encapsulation?: string }[] } } };
      calicoEncapsulation = inst.spec?.calicoNetwork?.ipPools?.[0]?.encapsulation;
    } catch {
      // Calico installed from plain manifests has no Installation: the encapsulation stays unknown.
    }
  }
  const distribution = distributionOf(
    code.gitVersion,
    nodes.items.map((n) => n.spec?.providerID ?? ''),
  );
  return {
    serverVersion: code.gitVersion,
    distribution,
    nodes: nodes.items.map((n) => ({
      name: n.metadata?.name ?? '?',
      internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      kubelet: n.status?.nodeInfo?.kubeletVersion,
      runtime: n.status?.nodeInfo?.containerRuntimeVersion,
      os: n.status?.nodeInfo?.osImage,
    })),
    cni: detectCni({
      daemonSets,
      nodeAnnotations: nodes.items.map((n) => n.metadata?.annotations ?? {}),
      calicoEncapsulation,
      listError,
      distribution,
    }),
  };
}

/** Flat `key: value` lines for a report's environment section. */
export function clusterInfoSummary(info: ClusterInfo): Record<string, string> {
  return {
    'kubernetes.version': info.serverVersion,
    'kubernetes.distribution': info.distribution,
    'kubernetes.nodes': String(info.nodes.length),
    cni: info.cni.detail ? `${info.cni.name} (${info.cni.detail})` : info.cni.name,
    'cni.evidence': info.cni.evidence.join('; '),
  };
}
