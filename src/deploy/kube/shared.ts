// One kube cluster for several test files of a run: `npm test`'s kube tier runs four files one after
// the other, and a cluster start each cost most of a minute of both cores. The cluster belongs to
// one process (vitest's main process, src/suite/kube-shared-setup.ts), which starts it when the first
// file asks, stops it at the end, and is the owner `rcnc clean` checks; the files' workers attach to
// it and never stop it. They ask over an abstract unix socket (Linux): it lives only as long as the
// owner listens, so a killed run leaves no socket file behind, and no network address is used.
import { createConnection, createServer, type Server } from 'node:net';
import { TopologyError } from '../../util/errors.ts';
import type { ProxyMode } from './config.ts';
import type { ImageArchive } from './images.ts';

/** What a worker needs to use a cluster another process started (KubeCluster.attach). */
export interface SharedKubeCluster {
  id: string;
  nodes: number;
  proxyMode: ProxyMode;
  bin: string;
  images: { pause: ImageArchive; redis: ImageArchive };
  relayPort: number;
  cgroupBase: string;
}

type Reply = { ok: true; cluster: SharedKubeCluster } | { ok: false; error: string };

/** The socket's name for a run: abstract (leading NUL), so no file is made or left. */
export const sharedClusterSocket = (runId: string): string => `\0rcnc-kube-shared-${runId}`;

/** Serves `start(mode)`'s cluster (started once per mode, at the first ask) to whoever connects. */
export function serveSharedClusters(socket: string, start: (mode: ProxyMode) => Promise<SharedKubeCluster>): Server {
  const started = new Map<ProxyMode, Promise<SharedKubeCluster>>();
  const server = createServer((conn) => {
    let asked = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      asked += chunk;
      if (!asked.includes('\n')) {
        return;
      }
      const mode = asked.trim() as ProxyMode;
      let cluster = started.get(mode);
      if (!cluster) {
        cluster = start(mode);
        started.set(mode, cluster);
      }
      // A failed start is every asker's answer, as a provider's own failed start is every cell's.
      void cluster
        .then(
          (c): Reply => ({ ok: true, cluster: c }),
          (e: unknown): Reply => ({ ok: false, error: (e as Error).message }),
        )
        .then((reply) => conn.end(`${JSON.stringify(reply)}\n`));
    });
    conn.on('error', () => {});
  });
  server.listen(socket);
  return server;
}

/** Asks the run's owner for its shared cluster in `mode`; it is started on the first ask. */
export function askSharedCluster(socket: string, mode: ProxyMode): Promise<SharedKubeCluster> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let answer = '';
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${mode}\n`));
    conn.on('data', (chunk: string) => (answer += chunk));
    conn.on('error', (e) =>
      reject(
        new TopologyError(
          `the run's shared kube cluster cannot be asked for (${e.message}): its owner, vitest's main process, is gone or never served it`,
          { cause: e },
        ),
      ),
    );
    conn.on('end', () => {
      try {
        const reply = JSON.parse(answer) as Reply;
        if (reply.ok) {
          resolve(reply.cluster);
        } else {
          reject(new TopologyError(`the run's shared kube cluster did not start: ${reply.error}`));
        }
      } catch (e) {
        reject(new TopologyError(`the run's shared kube cluster's owner answered "${answer.trim()}"`, { cause: e }));
      }
    });
  });
}
