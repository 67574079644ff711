// Namespaces a killed run left on a cluster it was pointed at. The provider writes a run-state
// record (owner PID and start time, kubeconfig, context, run id) before it creates a namespace
// and removes it once the namespace is gone. A sweep deletes a namespace only when its record
// proves the owner gone and the namespace still carries the record's run-id label; a namespace
// whose label names another run, or that has no record, is never touched.
import type { V1Namespace } from '@kubernetes/client-node';
import { ownerAlive, runStateRoot, self, StateRecords, type Owner } from '../../util/run-state.ts';
import { RUN_ID_LABEL } from '../k8s/manifests.ts';

export interface NamespaceRecord extends Owner {
  namespace: string;
  runId: string;
  /** How to reach the cluster again: the kubeconfig file (default: the default loading rules). */
  kubeconfig?: string;
  context?: string;
  createdAt: string;
}

export const namespaceRecords = (root = runStateRoot()) =>
  new StateRecords<NamespaceRecord>(
    'kube-namespaces',
    (id, r) =>
      r.namespace === id && typeof r.runId === 'string' ? undefined : `names namespace ${String(r.namespace)}`,
    root,
  );

export async function ownNamespaceRecord(
  namespace: string,
  runId: string,
  where: { kubeconfig?: string; context?: string },
): Promise<NamespaceRecord> {
  return { ...(await self()), namespace, runId, ...where, createdAt: new Date().toISOString() };
}

export type NamespaceVerdict =
  | { action: 'delete'; why: string }
  | { action: 'keep'; why: string }
  /** The namespace is gone already: only the record goes. */
  | { action: 'forget'; why: string }
  /** Another run's namespace under that name: it stays, the stale record goes. */
  | { action: 'not-ours'; why: string };

/**
 * What to do about one record, given whether its owner lives and what the cluster holds under that
 * name (undefined: no such namespace). Pure.
 */
export function judgeNamespace(
  record: Pick<NamespaceRecord, 'namespace' | 'runId' | 'pid'>,
  alive: boolean,
  live: V1Namespace | undefined,
  opts: { all?: boolean } = {},
): NamespaceVerdict {
  if (alive && !opts.all) {
    return { action: 'keep', why: `its owner of run ${record.runId} (pid ${record.pid}) is still alive` };
  }
  if (!live) {
    return { action: 'forget', why: 'the namespace is gone already' };
  }
  const label = live.metadata?.labels?.[RUN_ID_LABEL];
  if (label !== record.runId) {
    return {
      action: 'not-ours',
      why: `it carries ${RUN_ID_LABEL}=${label ?? '(none)'}, not the record's ${record.runId}: not ours to delete`,
    };
  }
  return { action: 'delete', why: opts.all ? '--all' : `its owner (pid ${record.pid}) is gone` };
}

/** What the sweep needs of a cluster (client-node in use, a fake in tests). */
export interface NamespaceApi {
  read(namespace: string): Promise<V1Namespace | undefined>;
  delete(namespace: string): Promise<void>;
}

/** Removes the namespaces judgeNamespace picks; one line per record. */
export async function sweepNamespaces(
  connect: (where: { kubeconfig?: string; context?: string }) => Promise<NamespaceApi>,
  opts: { all?: boolean; root?: string } = {},
): Promise<string[]> {
  const store = namespaceRecords(opts.root);
  const { records, problems } = await store.readAll();
  const lines = problems.map((p) => `kept namespace ${p.id}: its record ${p.file} ${p.problem}; delete it by hand`);
  for (const r of records) {
    const alive = await ownerAlive(r);
    if (alive && !opts.all) {
      lines.push(`kept namespace ${r.namespace}: ${judgeNamespace(r, alive, undefined, opts).why}`);
      continue;
    }
    const where = `${r.context ?? 'current context'} of ${r.kubeconfig ?? 'the default kubeconfig'}`;
    try {
      const api = await connect({ kubeconfig: r.kubeconfig, context: r.context });
      const verdict = judgeNamespace(r, alive, await api.read(r.namespace), opts);
      if (verdict.action === 'delete') {
        await api.delete(r.namespace);
        lines.push(`removed namespace ${r.namespace} (${where}) of run ${r.runId}: ${verdict.why}`);
      } else if (verdict.action !== 'forget') {
        lines.push(`kept namespace ${r.namespace} (${where}): ${verdict.why}`);
      }
      if (verdict.action !== 'keep') {
        await store.remove(r.namespace);
      }
    } catch (e) {
      lines.push(`kept namespace ${r.namespace} (${where}): cannot reach it (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return lines;
}
