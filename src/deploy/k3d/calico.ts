// Calico on k3d through the Tigera operator (k3d docs/usage/advanced/calico.md, docs/kubernetes.md#calico-on-k3d):
// operator manifest, then the Installation and APIServer resources, then wait for the operator to
// report Calico Available. The Installation is built here, not downloaded: it carries
// containerIPForwarding (k3d's required patch) and the encapsulation the profile tests.
import { loadYaml, type KubernetesObject } from '@kubernetes/client-node';
import { CALICO_POOL, type CalicoMode } from '../../model/profiles.ts';
import { TopologyError } from '../../util/errors.ts';
import { waitFor } from '../../util/wait.ts';
import { apiMessage, isNotFound, type KubeClient } from '../k8s/apply.ts';
import { TIGERA_OPERATOR_URL } from '../k8s/versions.ts';

/** The operator's custom resources for a Calico mode (the profile table gives each Calico profile its mode). */
export function calicoCustomResources(mode: CalicoMode): KubernetesObject[] {
  const installation = {
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: { name: 'default' },
    spec: {
      calicoNetwork: {
        // Without it pods cannot forward, and k3s' node-local paths break (k3d calico.md, Nov 2024).
        containerIPForwarding: 'Enabled',
        ipPools: [
          {
            name: 'default-ipv4-ippool',
            blockSize: 26,
            cidr: CALICO_POOL,
            encapsulation: mode === 'Always' ? 'VXLAN' : 'VXLANCrossSubnet',
            natOutgoing: 'Enabled',
            nodeSelector: 'all()',
          },
        ],
      },
    },
  };
  const apiServer = { apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' }, spec: {} };
  return [installation, apiServer];
}

export async function fetchOperatorManifest(url = TIGERA_OPERATOR_URL): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) {
      throw new Error(`HTTP ${res.status}`);
    }
    return await res.text();
  } catch (e) {
    throw new TopologyError(`could not download the Tigera operator manifest ${url}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * The objects of a multi-document manifest. Documents are split here because client-node's
 * loadAllYaml dereferences every document, and published manifests contain empty or comment-only
 * ones.
 */
export const parseManifest = (yaml: string): KubernetesObject[] =>
  yaml
    .split(/^---(?:[ \t].*)?$/m)
    .filter((doc) => doc.split('\n').some((l) => l.trim() !== '' && !l.trimStart().startsWith('#')))
    .map((doc) => loadYaml<KubernetesObject>(doc))
    .filter((o) => !!o.kind);

export interface CalicoInstallOptions {
  mode: CalicoMode;
  /** The operator manifest's text; default: downloaded from the pinned URL. */
  operatorManifest?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export async function installCalico(kube: KubeClient, o: CalicoInstallOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 300_000;
  o.log?.(`installing Calico (${o.mode}) through the Tigera operator`);
  await kube.applyAll(parseManifest(o.operatorManifest ?? (await fetchOperatorManifest())));
  // The operator's CRDs take a moment to be served: retry until the resources are accepted.
  await waitFor({
    target: 'Calico Installation accepted (operator CRDs served)',
    timeoutMs: 60_000,
    intervalMs: 1000,
    check: async () => {
      try {
        for (const r of calicoCustomResources(o.mode)) {
          await kube.apply(r);
        }
        return { done: true, state: 'applied' };
      } catch (e) {
        return { done: false, state: apiMessage(e) };
      }
    },
  });
  await waitFor({
    target: 'tigerastatus calico Available',
    timeoutMs,
    intervalMs: 2000,
    check: async () => {
      try {
        const st = (await kube.custom.getClusterCustomObject({
          group: 'operator.tigera.io',
          version: 'v1',
          plural: 'tigerastatuses',
          name: 'calico',
        })) as { status?: { conditions?: { type?: string; status?: string; message?: string }[] } };
        const conds = st.status?.conditions ?? [];
        const available = conds.some((c) => c.type === 'Available' && c.status === 'True');
        const degraded = conds.find((c) => c.type === 'Degraded' && c.status === 'True');
        return { done: available, state: degraded?.message ?? conds.map((c) => `${c.type}=${c.status}`).join(' ') };
      } catch (e) {
        if (isNotFound(e)) {
          return { done: false, state: 'no tigerastatus yet' };
        }
        throw e;
      }
    },
  });
}
