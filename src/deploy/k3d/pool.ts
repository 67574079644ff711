// Clusters shared by the topologies of one provider (one profile): a topology leases a cluster
// and gives it back at stop; the next topology reuses it instead of paying for another start.
// Two topologies never share a cluster at once (their fixed NodePorts would collide), so a lease
// while every cluster is busy starts another. A start that failed is remembered: every later
// lease fails at once with that error instead of spending another start's budget on each cell.
// A cluster given back broken (a teardown step failed: a partition rule or a NodePort may be left)
// is deleted rather than reused. close() deletes every cluster and reports every failure.
import { TopologyError } from '../../util/errors.ts';

export interface PooledCluster {
  readonly name: string;
  delete(): Promise<void>;
}

export interface Lease<C extends PooledCluster> {
  readonly cluster: C;
  /** Gives the cluster back; with `broken`, deletes it instead. */
  release(broken?: unknown): Promise<void>;
}

export class ClusterPool<C extends PooledCluster> {
  private readonly idle: C[] = [];
  private readonly all = new Set<C>();
  private failed?: Error;
  private closed = false;

  constructor(private readonly start: () => Promise<C>) {}

  /** How many clusters exist now (for tests and messages). */
  get size(): number {
    return this.all.size;
  }

  async lease(): Promise<Lease<C>> {
    if (this.closed) {
      throw new TopologyError('this provider was closed; its clusters are gone');
    }
    if (this.failed) {
      throw new TopologyError(`not starting another cluster: an earlier start failed (${this.failed.message})`, {
        cause: this.failed,
      });
    }
    let cluster = this.idle.shift();
    if (!cluster) {
      try {
        cluster = await this.start();
      } catch (e) {
        this.failed = e as Error;
        throw e;
      }
      this.all.add(cluster);
    }
    const leased = cluster;
    let released = false;
    return {
      cluster: leased,
      release: async (broken?: unknown) => {
        if (released) {
          return;
        }
        released = true;
        if (broken === undefined && !this.closed) {
          this.idle.push(leased);
          return;
        }
        this.all.delete(leased);
        await leased.delete();
      },
    };
  }

  /** Deletes every cluster, leased or not; one failure does not stop the others. */
  async close(): Promise<void> {
    this.closed = true;
    const clusters = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    const results = await Promise.allSettled(clusters.map((c) => c.delete()));
    const errors = results.flatMap((r, i) =>
      r.status === 'rejected' ? [new Error(`${clusters[i]!.name}: ${(r.reason as Error).message}`)] : [],
    );
    if (errors.length) {
      throw new TopologyError(`deleting k3d clusters failed: ${errors.map((e) => e.message).join('; ')}`, {
        cause: errors[0],
      });
    }
  }
}
