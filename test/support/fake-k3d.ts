// Fakes at the boundary that cannot run here (no Docker registry): the k3d CLI, the docker CLI
// and a cluster's API server. They hold just enough state to answer like the real ones (pods get
// an IP on their node's CIDR and turn Ready; flannel's cni0 appears on a node with its first pod)
// and record every call, so tests can assert what the provider decided: which container a fault
// went to, where a command ran, when addresses were read. The same decisions run for real in
// test/k3d/k3d.e2e.test.ts wherever Docker and k3d exist.
import type {
  KubernetesObject,
  V1Namespace,
  V1Node,
  V1NodeSystemInfo,
  V1Pod,
  V1Service,
  V1Status,
} from '@kubernetes/client-node';
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type { ClusterApi, K3dBackend } from '../../src/deploy/k3d/backend.ts';
import type { DockerStatus } from '../../src/deploy/k3d/docker.ts';
import type { KubeClient } from '../../src/deploy/k8s/apply.ts';
import type { ExecOptions, ExecResult } from '../../src/deploy/provider.ts';
import { CommandError } from '../../src/util/exec.ts';

export interface ExecCall {
  namespace: string;
  pod: string;
  container: string;
  argv: string[];
}

const notFound = (what: string) => Object.assign(new Error(`${what} not found`), { code: 404 });

/** An in-memory API server: nodes, namespaces, pods, services; exec answers from a script. */
export class FakeApi {
  readonly namespaces = new Map<string, V1Namespace>();
  readonly pods = new Map<string, V1Pod>();
  readonly services = new Map<string, V1Service>();
  readonly execs: ExecCall[] = [];
  readonly deletes: { name: string; gracePeriodSeconds?: number }[] = [];
  /** Names of nodes that are stopped (their pods stay Terminating unless force-deleted). */
  readonly down = new Set<string>();
  private seq = 0;
  /** What an exec prints: default `''` with exit 0. */
  answer: (c: ExecCall) => { stdout?: string; exitCode?: number } = () => ({});
  failNamespaceDelete?: Error;

  constructor(readonly nodeNames: string[]) {}

  nodeIp = (name: string) => `172.18.0.${this.nodeNames.indexOf(name) + 2}`;
  podCidr = (name: string) => `10.42.${this.nodeNames.indexOf(name)}.0/24`;

  /** Pods (not host-network) scheduled on a node: what makes flannel create cni0 there. */
  podsOn(node: string): V1Pod[] {
    return [...this.pods.values()].filter(
      (p) => p.spec?.nodeSelector?.['kubernetes.io/hostname'] === node && !p.spec?.hostNetwork,
    );
  }

  private node(name: string): V1Node {
    return {
      metadata: { name, labels: name.includes('server') ? { 'node-role.kubernetes.io/control-plane': 'true' } : {} },
      spec: { podCIDR: this.podCidr(name) },
      status: {
        addresses: [{ type: 'InternalIP', address: this.nodeIp(name) }],
        conditions: [{ type: 'Ready', status: this.down.has(name) ? 'False' : 'True' }],
        nodeInfo: {
          kubeletVersion: 'v1.31.5+k3s1',
          osImage: 'K3s v1.31.5+k3s1',
          kernelVersion: '6.1.0',
          containerRuntimeVersion: 'containerd://1.7.23-k3s2',
        } as V1NodeSystemInfo,
      },
    };
  }

  private key = (ns: string, name: string) => `${ns}/${name}`;

  apply(o: KubernetesObject): void {
    const ns = o.metadata?.namespace ?? '';
    if (o.kind === 'Namespace') {
      this.namespaces.set(o.metadata!.name!, o as V1Namespace);
    } else if (o.kind === 'Pod') {
      const pod = structuredClone(o) as V1Pod;
      const node = pod.spec?.nodeSelector?.['kubernetes.io/hostname'] ?? '';
      const i = this.nodeNames.indexOf(node);
      const n = ++this.seq;
      pod.metadata!.uid = `uid-${n}`;
      pod.status = {
        phase: 'Running',
        podIP: pod.spec?.hostNetwork ? this.nodeIp(node) : `10.42.${i}.${n + 10}`,
        hostIP: this.nodeIp(node),
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: true,
          restartCount: 0,
          containerID: `containerd://c${n}`,
          state: { running: { startedAt: new Date() } },
        })),
      };
      this.pods.set(this.key(ns, pod.metadata!.name!), pod);
    } else if (o.kind === 'Service') {
      const svc = structuredClone(o) as V1Service;
      svc.spec!.clusterIP = `10.43.0.${this.services.size + 10}`;
      this.services.set(this.key(ns, svc.metadata!.name!), svc);
    }
  }

  /** The KubeClient the provider code talks to (only what it calls). */
  client(): KubeClient {
    const pod = (namespace: string, name: string) => {
      const p = this.pods.get(this.key(namespace, name));
      if (!p) {
        throw notFound(`pod ${namespace}/${name}`);
      }
      return p;
    };
    const core = {
      listNode: async () => ({ items: this.nodeNames.map((n) => this.node(n)) }),
      readNode: async ({ name }: { name: string }) => this.node(name),
      readNamespacedPod: async ({ name, namespace }: { name: string; namespace: string }) => pod(namespace, name),
      readNamespacedService: async ({ name, namespace }: { name: string; namespace: string }) =>
        this.services.get(this.key(namespace, name)) ?? Promise.reject(notFound(`service ${name}`)),
      readNamespacedPodLog: async ({ name, previous }: { name: string; previous?: boolean }) =>
        `1:M 01 Jan 2025 00:00:00.000 * ${previous ? 'earlier start' : 'log'} of ${name}\n`,
      listNamespacedPod: async ({ namespace, labelSelector }: { namespace: string; labelSelector?: string }) => ({
        items: [...this.pods.entries()]
          .filter(([k]) => k.startsWith(`${namespace}/`))
          .map(([, p]) => p)
          .filter((p) =>
            (labelSelector ?? '')
              .split(',')
              .filter(Boolean)
              .every((t) => {
                const [k, v] = t.split('=');
                return p.metadata?.labels?.[k!] === v;
              }),
          ),
      }),
      listNamespacedService: async ({ namespace }: { namespace: string }) => ({
        items: [...this.services.entries()].filter(([k]) => k.startsWith(`${namespace}/`)).map(([, s]) => s),
      }),
      deleteNamespacedPod: async (r: { name: string; namespace: string; gracePeriodSeconds?: number }) => {
        this.deletes.push({ name: r.name, gracePeriodSeconds: r.gracePeriodSeconds });
        const p = pod(r.namespace, r.name);
        const node = p.spec?.nodeSelector?.['kubernetes.io/hostname'] ?? '';
        // A stopped node's kubelet never confirms a graceful delete.
        if (!this.down.has(node) || r.gracePeriodSeconds === 0) {
          this.pods.delete(this.key(r.namespace, r.name));
        } else {
          p.metadata!.deletionTimestamp = new Date();
        }
        return p;
      },
    };
    const fake = {
      core,
      applyAll: async (objs: KubernetesObject[]) => objs.forEach((o) => this.apply(o)),
      createNamespace: async (name: string) => this.apply({ kind: 'Namespace', metadata: { name } }),
      deleteNamespace: async (name: string) => {
        if (this.failNamespaceDelete) {
          throw this.failNamespaceDelete;
        }
        this.namespaces.delete(name);
        for (const k of [...this.pods.keys()].filter((k) => k.startsWith(`${name}/`))) {
          this.pods.delete(k);
        }
        for (const k of [...this.services.keys()].filter((k) => k.startsWith(`${name}/`))) {
          this.services.delete(k);
        }
      },
      waitForPodReady: async (namespace: string, name: string) => pod(namespace, name),
      waitForPodGone: async (namespace: string, name: string) => {
        if (this.pods.get(this.key(namespace, name))?.metadata?.deletionTimestamp) {
          throw new Error(`timed out waiting for pod ${namespace}/${name} gone (last: terminating)`);
        }
      },
      waitForNodeReady: async (name: string) => this.node(name),
      waitForNodesReady: async () => this.nodeNames.map((n) => this.node(n)),
      exec: { exec: (...args: unknown[]) => this.exec(args) },
    };
    return fake as unknown as KubeClient;
  }

  private exec(args: unknown[]) {
    const [namespace, pod, container, command, stdout, , , , status] = args as [
      string,
      string,
      string,
      string[],
      Writable,
      Writable,
      unknown,
      boolean,
      (s: V1Status) => void,
    ];
    const call = { namespace, pod, container, argv: command };
    this.execs.push(call);
    const a = this.answer(call);
    const ws = Object.assign(new EventEmitter(), { readyState: 1, close: () => {} });
    setImmediate(() => {
      if (a.stdout) {
        stdout.write(a.stdout);
      }
      status(
        a.exitCode
          ? {
              status: 'Failure',
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(a.exitCode) }] },
            }
          : { status: 'Success' },
      );
      ws.readyState = 3;
      ws.emit('close');
    });
    return Promise.resolve(ws);
  }
}

/** The k3d CLI and docker CLI, with one fake API server per created cluster. */
export class FakeK3d implements K3dBackend {
  readonly calls: string[][] = [];
  readonly docker_: string[][] = [];
  readonly apis = new Map<string, FakeApi>();
  readonly clusters = new Set<string>();
  failPhase?: 'create' | 'nodesReady' | 'calico';
  failDelete?: Error;
  hangPhase?: 'nodesReady';
  status: DockerStatus = { ok: true, detail: 'Docker 27 on Debian via /var/run/docker.sock', local: true };
  /** The node container's init pid `docker inspect` reports (this process: its /proc paths exist). */
  nodePid = process.pid;
  /** crictl inspect fails (a pod's namespace cannot be found). */
  crictlFails = false;
  /** Node containers that `docker stop` stopped: exec into them fails, as Docker's does. */
  readonly stopped = new Set<string>();

  async dockerStatus(): Promise<DockerStatus> {
    return this.status;
  }

  async createCluster(name: string, config: string): Promise<void> {
    this.calls.push(['cluster', 'create', name]);
    if (this.failPhase === 'create') {
      throw new Error('k3d cluster create failed (exit 1): FATA[0001] Failed Cluster Start');
    }
    this.clusters.add(name);
    const agents = Number(/^agents: (\d+)$/m.exec(config)?.[1] ?? 0);
    const nodes = [`k3d-${name}-server-0`, ...Array.from({ length: agents }, (_, i) => `k3d-${name}-agent-${i}`)];
    this.apis.set(name, new FakeApi(nodes));
  }

  async deleteCluster(name: string): Promise<void> {
    this.calls.push(['cluster', 'delete', name]);
    if (this.failDelete) {
      throw this.failDelete;
    }
    this.clusters.delete(name);
  }

  async listClusters(): Promise<string> {
    return JSON.stringify([...this.clusters].map((name) => ({ name, nodes: [] })));
  }

  async kubeconfig(name: string): Promise<string> {
    return name;
  }

  async importImage(): Promise<boolean> {
    return false;
  }

  async networkGateway(): Promise<string | undefined> {
    return '172.18.0.1';
  }

  /** The api of the only (or the named) cluster. */
  api(name?: string): FakeApi {
    const n = name ?? [...this.apis.keys()].at(-1)!;
    return this.apis.get(n)!;
  }

  async docker(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.docker_.push(args);
    const result = (stdout: string, exitCode = 0): ExecResult => {
      const r = { exitCode, stdout, stderr: exitCode ? 'failed' : '', durationMs: 1 };
      if (exitCode && opts.reject !== false) {
        throw new CommandError(['docker', ...args], r);
      }
      return r;
    };
    if (args[0] === 'inspect' && args.includes('{{.State.Pid}}')) {
      return result(`${this.nodePid}\n`);
    }
    if (args[0] === 'inspect') {
      return result(`02:42:ac:12:00:0${args.at(-1)!.slice(-1)} \n`);
    }
    if (args[0] === 'stop' || args[0] === 'start') {
      if (args[0] === 'stop') {
        this.stopped.add(args.at(-1)!);
      } else {
        this.stopped.delete(args.at(-1)!);
      }
      return result('');
    }
    if (args[0] === 'exec') {
      const container = args[args[1] === '-i' ? 2 : 1]!;
      if (this.stopped.has(container)) {
        return result('', 1);
      }
      const argv = args.slice(args[1] === '-i' ? 3 : 2);
      if (argv[0] === 'crictl' && this.crictlFails) {
        return result('', 1);
      }
      return result(this.nodeCommand(container, argv));
    }
    return result('');
  }

  /** What a k3s node container prints: flannel's cni0 exists once a pod runs on the node. */
  private nodeCommand(container: string, argv: string[]): string {
    const cluster = /^k3d-(.+)-(?:server|agent)-\d+$/.exec(container)?.[1] ?? '';
    const api = this.apis.get(cluster);
    if (argv.join(' ') === 'ip -4 -o addr show' && api) {
      const i = api.nodeNames.indexOf(container);
      const lines = [
        `1: lo    inet 127.0.0.1/8 scope host lo`,
        `2: eth0    inet ${api.nodeIp(container)}/16 scope global eth0`,
      ];
      lines.push(`3: flannel.1    inet 10.42.${i}.0/32 scope global flannel.1`);
      if (api.podsOn(container).length) {
        lines.push(`4: cni0    inet 10.42.${i}.1/24 scope global cni0`);
      }
      return lines.join('\n') + '\n';
    }
    if (argv[0] === 'crictl') {
      return JSON.stringify({
        info: { pid: 777, runtimeSpec: { linux: { namespaces: [{ type: 'network', path: '/proc/self/ns/net' }] } } },
      });
    }
    return '';
  }

  connect(kubeconfig: string): ClusterApi {
    const api = this.apis.get(kubeconfig)!;
    const fail = (p: typeof this.failPhase) =>
      this.failPhase === p ? Promise.reject(new Error(`${p} broke`)) : undefined;
    return {
      kube: api.client(),
      installCalico: async () => fail('calico'),
      waitForNodesReady: () =>
        this.hangPhase === 'nodesReady' ? new Promise<void>(() => {}) : (fail('nodesReady') ?? Promise.resolve()),
      clusterInfo: async () => undefined,
    };
  }
}
