// k3d clusters a killed run left, and which of them may go. Every cluster rcnc creates carries
// its run id as a container label (config.ts RUN_ID_RUNTIME_LABEL) and has a run-state record,
// written before `k3d cluster create` and removed after `k3d cluster delete`, naming the owner
// process by PID and start time (util/run-state.ts). A cluster is removed only when its record
// proves the owner gone; one without a readable record is kept and reported (nothing proves its
// owner gone), unless the user says --all.
import { ownerAlive, runStateRoot, self, StateRecords, type Owner } from '../../util/run-state.ts';
import { RUN_ID_RUNTIME_LABEL } from './config.ts';

export interface ClusterRecord extends Owner {
  cluster: string;
  runId: string;
  createdAt: string;
}

/** Records of k3d clusters, under this user's run-state root. */
export const clusterRecords = (root = runStateRoot()) =>
  new StateRecords<ClusterRecord>(
    'k3d-clusters',
    (id, r) => (r.cluster === id && typeof r.runId === 'string' ? undefined : `names cluster ${String(r.cluster)}`),
    root,
  );

export async function ownClusterRecord(cluster: string, runId: string): Promise<ClusterRecord> {
  return { ...(await self()), cluster, runId, createdAt: new Date().toISOString() };
}

export interface ListedCluster {
  name: string;
  /** The rcnc run id on its node containers; undefined: not a cluster rcnc made. */
  runId?: string;
}

/**
 * `k3d cluster list -o json` (k3d v5: an array of clusters, each with `name` and `nodes[]`, every
 * node with the container's labels as `runtimeLabels`).
 */
export function parseClusterList(json: string): ListedCluster[] {
  const doc = JSON.parse(json || '[]') as unknown;
  if (!Array.isArray(doc)) {
    throw new Error('k3d cluster list -o json did not print a JSON array');
  }
  return doc.map((c: { name?: unknown; nodes?: { runtimeLabels?: Record<string, string> }[] }) => ({
    name: String(c.name ?? ''),
    runId: (c.nodes ?? []).map((n) => n.runtimeLabels?.[RUN_ID_RUNTIME_LABEL]).find((v) => !!v),
  }));
}

export interface RecordView {
  cluster: string;
  runId: string;
  pid: number;
  alive: boolean;
}

export interface ClusterSelection {
  remove: { name: string; runId: string; why: string }[];
  keep: { name: string; why: string }[];
  /** Records of gone owners whose cluster no longer exists: only the record goes. */
  forget: string[];
}

/** Which clusters a sweep removes. Pure: the listing and the records' liveness are its inputs. */
export function selectStaleClusters(
  listed: ListedCluster[],
  records: RecordView[],
  unreadable: { id: string; problem: string }[],
  opts: { all?: boolean } = {},
): ClusterSelection {
  const out: ClusterSelection = { remove: [], keep: [], forget: [] };
  for (const c of listed.filter((l) => l.runId !== undefined)) {
    const record = records.find((r) => r.cluster === c.name);
    const damaged = unreadable.find((u) => u.id === c.name);
    const runId = c.runId!;
    if (opts.all) {
      out.remove.push({ name: c.name, runId, why: '--all' });
    } else if (record && !record.alive) {
      out.remove.push({ name: c.name, runId, why: `its owner (pid ${record.pid}) is gone` });
    } else if (record) {
      out.keep.push({ name: c.name, why: `its owner of run ${record.runId} (pid ${record.pid}) is still alive` });
    } else if (damaged) {
      out.keep.push({ name: c.name, why: `its record ${damaged.problem}; remove it with --all once no run uses it` });
    } else {
      out.keep.push({
        name: c.name,
        why: `run ${runId} left no record of its owner here (another user, or an older rcnc); remove it with --all once no run uses it`,
      });
    }
  }
  const names = new Set(listed.map((l) => l.name));
  out.forget = records.filter((r) => (opts.all || !r.alive) && !names.has(r.cluster)).map((r) => r.cluster);
  return out;
}

/** What the sweep needs of k3d: list and delete (the real k3d, or a fake in tests). */
export interface ClusterLister {
  listClusters(): Promise<string>;
  deleteCluster(name: string): Promise<void>;
}

/**
 * Removes the k3d clusters selectStaleClusters picks; returns one line per cluster. Calls k3d only
 * when a record exists or --all is given, so machines without k3d pay nothing.
 */
export async function sweepK3dClusters(
  k3d: () => Promise<ClusterLister>,
  opts: { all?: boolean; root?: string } = {},
): Promise<string[]> {
  const store = clusterRecords(opts.root);
  const { records, problems } = await store.readAll();
  if (!records.length && !problems.length && !opts.all) {
    return [];
  }
  let lister: ClusterLister;
  let listed: ListedCluster[];
  try {
    lister = await k3d();
    listed = parseClusterList(await lister.listClusters());
  } catch (e) {
    const names = [...records.map((r) => r.cluster), ...problems.map((p) => p.id)];
    return names.map((n) => `kept k3d cluster ${n}: cannot list k3d clusters (${(e as Error).message.split('\n')[0]})`);
  }
  const views = await Promise.all(
    records.map(async (r) => ({ cluster: r.cluster, runId: r.runId, pid: r.pid, alive: await ownerAlive(r) })),
  );
  const pick = selectStaleClusters(listed, views, problems, opts);
  const lines: string[] = [];
  for (const c of pick.remove) {
    try {
      await lister.deleteCluster(c.name);
      await store.remove(c.name);
      lines.push(`removed k3d cluster ${c.name} of run ${c.runId}: ${c.why}`);
    } catch (e) {
      lines.push(`could not remove k3d cluster ${c.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  for (const c of pick.keep) {
    lines.push(`kept k3d cluster ${c.name}: ${c.why}`);
  }
  for (const name of pick.forget) {
    await store.remove(name);
  }
  return lines;
}
