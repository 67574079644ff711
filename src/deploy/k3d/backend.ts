// The boundary between the k3d provider and what cannot run on every machine: the k3d CLI, the
// Docker daemon and a cluster's API server. The provider's decisions (which node a fault targets,
// how a failed start is undone, when clusters are shared) are made above this interface, so unit
// tests drive them with a fake backend; DockerK3dBackend is the real one, exercised end to end by
// test/k3d/ where Docker and k3d exist.
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { TopologyError } from '../../util/errors.ts';
import { run } from '../../util/exec.ts';
import { KubeClient } from '../k8s/apply.ts';
import { readClusterInfo, type ClusterInfo } from '../k8s/cluster-info.ts';
import type { ExecOptions, ExecResult } from '../provider.ts';
import { installCalico } from './calico.ts';
import { apiHostFor, rewriteKubeconfig, type CalicoMode } from './config.ts';
import { docker, dockerStatus, imagePresent, networkGateway, type DockerStatus } from './docker.ts';

/** What a cluster start does through the API server. */
export interface ClusterApi {
  readonly kube: KubeClient;
  installCalico(mode: CalicoMode, opts: { operatorManifest?: string; log?: (l: string) => void }): Promise<void>;
  /** Every node of the cluster Ready (k3d's own wait only watches log lines). */
  waitForNodesReady(count: number, timeoutMs: number): Promise<void>;
  clusterInfo(): Promise<ClusterInfo | undefined>;
}

export interface K3dBackend {
  dockerStatus(): Promise<DockerStatus>;
  /** `k3d cluster create --config -` with the YAML on stdin; rejects with k3d's last lines. */
  createCluster(name: string, config: string, timeoutMs: number): Promise<void>;
  deleteCluster(name: string): Promise<void>;
  /** `k3d cluster list -o json`. */
  listClusters(): Promise<string>;
  /** The cluster's kubeconfig, API host rewritten to one this machine can dial. */
  kubeconfig(name: string): Promise<string>;
  /** Imports a locally present image into the cluster's nodes; false when the image is not here. */
  importImage(name: string, image: string, timeoutMs: number): Promise<boolean>;
  networkGateway(network: string): Promise<string | undefined>;
  /** The docker CLI (node containers: exec, inspect, stop, start). */
  docker(args: string[], opts?: ExecOptions): Promise<ExecResult>;
  connect(kubeconfig: string): ClusterApi;
}

/** The real boundary: the k3d binary, the docker CLI and client-node. */
export class DockerK3dBackend implements K3dBackend {
  constructor(private readonly k3d: () => Promise<string>) {}

  dockerStatus(): Promise<DockerStatus> {
    return dockerStatus();
  }

  async createCluster(name: string, config: string, timeoutMs: number): Promise<void> {
    const created = await execa(await this.k3d(), ['cluster', 'create', '--config', '-'], {
      input: config,
      reject: false,
      timeout: timeoutMs,
    });
    if (created.exitCode !== 0) {
      const out = `${String(created.stderr)}\n${String(created.stdout)}`.trim().split('\n').slice(-3).join(' | ');
      const why = created.timedOut ? `timed out after ${timeoutMs / 1000}s` : `exit ${created.exitCode}`;
      throw new TopologyError(`k3d cluster create ${name} failed (${why}): ${out}`);
    }
  }

  async deleteCluster(name: string): Promise<void> {
    await run([await this.k3d(), 'cluster', 'delete', name], { timeoutMs: 180_000 });
  }

  async listClusters(): Promise<string> {
    return (await run([await this.k3d(), 'cluster', 'list', '-o', 'json'], { timeoutMs: 60_000 })).stdout;
  }

  async kubeconfig(name: string): Promise<string> {
    const r = await run([await this.k3d(), 'kubeconfig', 'get', name], { timeoutMs: 30_000 });
    return rewriteKubeconfig(r.stdout, apiHostFor());
  }

  async importImage(name: string, image: string, timeoutMs: number): Promise<boolean> {
    if (!(await imagePresent(image))) {
      return false;
    }
    await run([await this.k3d(), 'image', 'import', image, '-c', name, '--mode', 'direct'], { timeoutMs });
    return true;
  }

  networkGateway(network: string): Promise<string | undefined> {
    return networkGateway(network);
  }

  docker(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return docker(args, opts);
  }

  connect(kubeconfig: string): ClusterApi {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    const kube = new KubeClient(kc);
    return {
      kube,
      installCalico: (mode, opts) => installCalico(kube, { mode, ...opts }),
      waitForNodesReady: async (count, timeoutMs) => {
        await kube.waitForNodesReady(count, timeoutMs);
      },
      // Best effort: the report shows it when present.
      clusterInfo: () => readClusterInfo(kube).catch(() => undefined),
    };
  }
}
