// "Attach to existing pods": a StartedTopology over pods that already run, found by namespace and
// label selector, that creates and deletes none of them (Provider.attach). Here: the label
// selector (Kubernetes' syntax, the subset users type with -l), and the view a provider that keeps
// its own topologies (the netns lab) returns for one of them. The Kubernetes attach, which finds
// real pods through the API server, is in k8s/attached.ts.
import type { ChildProcess } from 'node:child_process';
import { UsageError } from '../util/errors.ts';
import type {
  AttachSpec,
  Capture,
  CaptureOptions,
  ExecOptions,
  ExecResult,
  ExecTarget,
  NodeInfo,
  PodInfo,
  ServiceInfo,
  StartedTopology,
} from './provider.ts';

type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Parses `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-separated (all must
 * hold). Rejects anything else with a UsageError that quotes it.
 */
export function parseSelector(selector: string | undefined): Requirement {
  const parts: Requirement[] = [];
  // Commas inside `in (…)` are not separators.
  const terms = (selector ?? '').match(/[^,(]+(?:\([^)]*\))?/g) ?? [];
  for (const raw of terms.map((t) => t.trim()).filter(Boolean)) {
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw);
    const eq = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(raw);
    const exists = /^(!?)([\w./-]+)$/.exec(raw);
    if (set) {
      const values = new Set(set[3]!.split(',').map((v) => v.trim()));
      const key = set[1]!;
      parts.push(set[2] === 'in' ? (l) => values.has(l[key] ?? '\0') : (l) => !values.has(l[key] ?? '\0'));
    } else if (eq) {
      const [, key, op, value] = eq as unknown as [string, string, string, string];
      parts.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if (exists) {
      const [, not, key] = exists as unknown as [string, string, string];
      parts.push(not ? (l) => !(key in l) : (l) => key in l);
    } else {
      throw new UsageError(`label selector term "${raw}" is not k=v, k!=v, k, !k, k in (…) or k notin (…)`);
    }
  }
  return (labels) => parts.every((p) => p(labels));
}

/** The labels a lab pod would carry as a Kubernetes pod of rcnc's (k8s/manifests.ts). */
export const labPodLabels = (pod: string): Record<string, string> => ({
  'statefulset.kubernetes.io/pod-name': pod,
  'app.kubernetes.io/managed-by': 'rcnc',
});

const refuse = (what: string): never => {
  throw new UsageError(`${what}: an attached topology does not change the pods it found`);
};

/**
 * A view of a running topology restricted to the pods a selector picks: reads go through, changes
 * are refused, and stop() leaves the topology running (its owner stops it).
 */
export function attachedView(
  topo: StartedTopology,
  spec: AttachSpec,
  labelsOf: (pod: string) => Record<string, string> = labPodLabels,
): StartedTopology {
  const matches = parseSelector(spec.selector);
  const selected = (): PodInfo[] => topo.pods().filter((p) => matches(labelsOf(p.name)));
  const known = (pod: string) => {
    if (!selected().some((p) => p.name === pod)) {
      throw new UsageError(`pod ${pod} is not among the attached pods (${spec.selector ?? 'all'})`);
    }
  };
  const check = (t: ExecTarget) => ('pod' in t ? known(t.pod) : undefined);
  return {
    id: topo.id,
    provider: topo.provider,
    profile: topo.profile,
    loadBalancers: topo.loadBalancers,
    get nodes(): readonly NodeInfo[] {
      return topo.nodes;
    },
    get services(): readonly ServiceInfo[] {
      const names = new Set(selected().map((p) => p.name));
      return topo.services.filter((s) => names.has(s.pod));
    },
    externalIP: topo.externalIP,
    pods: selected,
    pod: (name: string) => (known(name), topo.pod(name)),
    refreshNodes: () => topo.refreshNodes?.() ?? Promise.resolve(),
    exec: async (t: ExecTarget, argv: string[], opts?: ExecOptions): Promise<ExecResult> => {
      check(t);
      return topo.exec(t, argv, opts);
    },
    spawn: (t: ExecTarget, argv: string[]): ChildProcess => (check(t), topo.spawn(t, argv)),
    logs: async (pod: string) => (known(pod), topo.logs(pod)),
    capture: async (t: ExecTarget, opts: CaptureOptions): Promise<Capture> => (check(t), topo.capture(t, opts)),
    deletePod: async () => refuse('deletePod'),
    deletePods: async () => refuse('deletePods'),
    killContainer: async () => refuse('killContainer'),
    addPods: async () => refuse('addPods'),
    stopNode: async () => refuse('stopNode'),
    startNode: async () => refuse('startNode'),
    partition: async () => refuse('partition'),
    heal: async () => refuse('heal'),
    stop: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}
