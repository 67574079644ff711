// The shapes of diagnoses.ts and deployers.ts, apart so the report's type needs no code.

export type DeployerName =
  'bitnami-redis-cluster' | 'bitnami-redis-sentinel' | 'ot-redis-operator' | 'spotahome-redis-operator' | 'kubeblocks';

export interface Deployer {
  name: DeployerName;
  /** What in the files told it. */
  evidence: string;
}

/** A paste-ready block: a StatefulSet, values or a custom resource fragment, or commands. */
export interface Snippet {
  title: string;
  language: 'yaml' | 'sh' | 'conf';
  text: string;
  /** The public source the keys were read in. */
  source?: string;
}

/** What the fix asks of the deployment: the cluster bus, replication (Sentinel), or a sidecar. */
export type Need = 'cluster-announce' | 'replica-announce' | 'sidecar' | 'hostnames';

export const DIAGNOSIS_KINDS = [
  'unjoined',
  'flannel-dot0',
  'bridge-gateway',
  'node-ip',
  'loopback-sidecar',
  'docker-gateway',
  'stale-address',
  'sentinel-master-no-pod',
  'reused-ip',
  'bus-port-unreachable',
  'bus-port-twice',
  'service-ip-create',
  'announce-mismatch',
  'create-stuck',
] as const;
export type DiagnosisKind = (typeof DIAGNOSIS_KINDS)[number];

export interface DiagnosisFix {
  /** What to change, in words. */
  summary: string;
  /** Commands to paste (kubectl exec … redis-cli …), in order. */
  commands: string[];
  /** StatefulSet, values or custom-resource fragments; each says its source when it is a chart's. */
  snippets: Snippet[];
}

export interface Diagnosis {
  kind: DiagnosisKind;
  /** `shown` when the files prove it; `likely` when they point at it and `next` would prove it. */
  certainty: 'shown' | 'likely';
  /** The addresses it is about (`ip` or `ip:port`), sorted. */
  addresses: string[];
  /** Who holds the address now: a pod, `device@node`, a node, `no pod`, or a description. */
  owner: string;
  /** For a reused or stale address: the pod (or node id) that held it before, when told. */
  previousOwner?: string;
  /** The pods or sentinels whose records show it, sorted. */
  seenBy: string[];
  cause: string;
  fix: DiagnosisFix;
  /** What to collect next to prove it or to see more. */
  next: string[];
}
