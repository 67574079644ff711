// What killed k3d and kubeconfig runs left on this machine's clusters: k3d clusters and namespaces
// whose run-state record proves the owner gone (k3d/leftovers.ts, kubeconfig/leftovers.ts). Used by
// `rcnc clean` and after every test run. Nothing is loaded or asked of k3d or an API server unless
// a record exists (or --all is given), so machines that never ran them pay nothing.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runStateRoot } from '../util/run-state.ts';

const hasRecords = async (root: string, kind: string) =>
  (await readdir(join(root, kind)).catch(() => [] as string[])).some((f) => f.endsWith('.json'));

export async function sweepKubeLeftovers(opts: { all?: boolean; root?: string } = {}): Promise<string[]> {
  const root = opts.root ?? runStateRoot();
  // The sweeps load client-node (seconds): only when there is something to look at.
  if (!opts.all && !(await hasRecords(root, 'k3d-clusters')) && !(await hasRecords(root, 'kube-namespaces'))) {
    return [];
  }
  const { sweepK3dClusters } = await import('./k3d/leftovers.ts');
  const { sweepNamespaces } = await import('./kubeconfig/leftovers.ts');
  const clusters = await sweepK3dClusters(
    async () => {
      const { DockerK3dBackend } = await import('./k3d/backend.ts');
      const { resolveK3d } = await import('./k3d/binary.ts');
      const k3d = (await resolveK3d()).path;
      return new DockerK3dBackend(async () => k3d);
    },
    { ...opts, root },
  );
  const namespaces = await sweepNamespaces(
    async (where) => {
      const { KubeconfigProvider } = await import('./kubeconfig/kubeconfig.ts');
      const { KubeClient, isNotFound } = await import('./k8s/apply.ts');
      const kube = new KubeClient(new KubeconfigProvider(where).load());
      return {
        read: (name) =>
          kube.core.readNamespace({ name }).catch((e: unknown) => {
            if (isNotFound(e)) {
              return undefined;
            }
            throw e;
          }),
        delete: (name) => kube.deleteNamespace(name),
      };
    },
    { ...opts, root },
  );
  return [...clusters, ...namespaces];
}
