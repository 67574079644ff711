// Packet capture on Kubernetes, two routes (docs/kubernetes.md#exec-and-capture):
// - host: enter the node container's or the pod's network namespace from this machine with
//   nsenter and run this machine's tcpdump (startTcpdump with an nsenter prefix). Needs Linux,
//   root, a local Docker daemon and tcpdump + nsenter here; pulls nothing.
// - ephemeral: add a debug container (netshoot) to the pod, which shares its network namespace,
//   and run tcpdump there with the pcap streamed back over exec. Needs the user's consent (it
//   changes the pod spec and pulls an image) and ephemeral-container rights.
// Which routes a provider has is declared in its check() (the `capture` capability); a declared
// route that fails at run time rejects with a ProbeError saying why.
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProbeError } from '../../util/errors.ts';
import { waitFor } from '../../util/wait.ts';
import type { Capture, CaptureOptions, CaptureResult } from '../provider.ts';
import type { KubeClient } from './apply.ts';
import { execInPod } from './exec.ts';
import { DEBUG_IMAGE } from './versions.ts';

const which = async (tool: string): Promise<boolean> => {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      await access(join(dir, tool));
      return true;
    } catch {
      /* next */
    }
  }
  return false;
};

/** What decides whether this machine can enter a local container's namespaces. */
export interface HostFacts {
  platform: NodeJS.Platform;
  uid: number;
  /** Tools found on PATH. */
  tools: ReadonlySet<string>;
  /** The Docker daemon shares this machine's kernel (not Docker Desktop's VM, not remote). */
  localDaemon: boolean;
  daemon: string;
}

export async function hostFacts(daemon: { local?: boolean; detail: string }): Promise<HostFacts> {
  const tools = new Set<string>();
  for (const t of ['nsenter', 'tcpdump']) {
    if (await which(t)) {
      tools.add(t);
    }
  }
  const remote = /^(tcp|ssh|https?):/.test(process.env.DOCKER_HOST ?? '');
  return {
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    tools,
    localDaemon: !!daemon.local && !remote,
    daemon: daemon.detail,
  };
}

/**
 * Why this machine cannot run its own programs (`tools`) inside a local container's network
 * namespace, or undefined when it can. Pure, so each reason is unit-tested.
 */
export function hostNamespaceGap(h: HostFacts, tools: string[] = ['nsenter']): string | undefined {
  if (h.platform !== 'linux') {
    return `entering a node's or pod's network namespace from this machine needs Linux (this is ${h.platform})`;
  }
  if (h.uid !== 0) {
    return "entering a node's or pod's network namespace from this machine needs root (nsenter)";
  }
  if (!h.localDaemon) {
    return `the Docker daemon is not on this machine's kernel (${h.daemon}), so its namespaces are out of reach`;
  }
  const missing = tools.filter((t) => !h.tools.has(t));
  return missing.length ? `this machine has no ${missing.join(' and ')} to run in a node's namespace` : undefined;
}

/** Why this machine cannot capture inside a local container's namespaces, or undefined if it can. */
export async function hostCaptureUnsupported(): Promise<string | undefined> {
  return hostNamespaceGap(await hostFacts({ local: true, detail: 'local' }), ['nsenter', 'tcpdump']);
}

/**
 * Path of a network namespace file as this machine sees it. `/proc/<pid>/root` enters the node
 * container's mount namespace, where the CNI's netns bind mounts and its own /proc live.
 */
export async function checkNetnsPath(path: string): Promise<string> {
  try {
    await access(path);
    return path;
  } catch (e) {
    throw new ProbeError(`cannot open network namespace ${path} from this machine: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** From `crictl inspect -o json`: the pod sandbox's netns path and the container's pid. */
export function netnsFromCrictl(json: string): { netnsPath?: string; pid?: number } {
  const doc = JSON.parse(json) as {
    info?: { pid?: number; runtimeSpec?: { linux?: { namespaces?: { type?: string; path?: string }[] } } };
  };
  const ns = doc.info?.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
  return { netnsPath: ns || undefined, pid: doc.info?.pid };
}

/** `containerd://<id>` → `<id>` of the pod's container (`main`, the one rcnc's pods have). */
export function containerIdOf(pod: V1Pod, container = 'main'): string | undefined {
  const id = pod.status?.containerStatuses?.find((c) => c.name === container)?.containerID;
  return id?.replace(/^[a-z]+:\/\//, '') || undefined;
}

// --- ephemeral debug container ----------------------------------------------------------------

const DEBUG_CONTAINER = 'rcnc-debug';

async function ensureDebugContainer(kube: KubeClient, namespace: string, pod: string, target: string): Promise<void> {
  const current = await kube.core.readNamespacedPod({ name: pod, namespace });
  const running = () =>
    current.status?.ephemeralContainerStatuses?.find((s) => s.name === DEBUG_CONTAINER)?.state?.running;
  if (!current.spec?.ephemeralContainers?.some((c) => c.name === DEBUG_CONTAINER)) {
    try {
      await kube.core.patchNamespacedPodEphemeralcontainers(
        {
          name: pod,
          namespace,
          body: {
            spec: {
              ephemeralContainers: [
                {
                  name: DEBUG_CONTAINER,
                  image: DEBUG_IMAGE,
                  imagePullPolicy: 'IfNotPresent',
                  targetContainerName: target,
                  // Ephemeral containers cannot be removed; this one ends by itself.
                  command: ['sleep', '7200'],
                  securityContext: { capabilities: { add: ['NET_RAW', 'NET_ADMIN'] } },
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    } catch (e) {
      throw new ProbeError(`cannot add a debug container to pod ${pod}: ${(e as Error).message.split('\n')[0]}`, {
        cause: e,
      });
    }
  } else if (running()) {
    return;
  }
  await waitFor({
    target: `debug container in pod ${pod} running`,
    timeoutMs: 120_000,
    intervalMs: 1000,
    isFatal: (e) => e instanceof ProbeError,
    check: async () => {
      const p = await kube.core.readNamespacedPod({ name: pod, namespace });
      const st = p.status?.ephemeralContainerStatuses?.find((s) => s.name === DEBUG_CONTAINER)?.state;
      if (st?.terminated) {
        throw new ProbeError(`the debug container in pod ${pod} ended: ${st.terminated.reason ?? '?'}`);
      }
      if (st?.waiting?.reason && /ErrImagePull|ImagePullBackOff|InvalidImageName/.test(st.waiting.reason)) {
        throw new ProbeError(`debug image ${DEBUG_IMAGE} cannot be pulled: ${st.waiting.message ?? st.waiting.reason}`);
      }
      return { done: !!st?.running, state: st?.waiting?.reason ?? 'not started' };
    },
  });
}

/**
 * tcpdump inside the pod's network namespace through an ephemeral container; the pcap streams
 * back over exec into a local file. Live once it returns (tcpdump printed "listening on").
 */
export async function startEphemeralCapture(
  kube: KubeClient,
  namespace: string,
  pod: string,
  opts: CaptureOptions & { dir: string; container: string },
): Promise<Capture> {
  await ensureDebugContainer(kube, namespace, pod, opts.container);
  await mkdir(opts.dir, { recursive: true });
  const file = join(opts.dir, `${opts.name}.pcap`);
  const sink = createWriteStream(file);
  const argv = ['timeout', String(opts.maxSeconds), 'tcpdump', '-i', opts.iface ?? 'any', '-U', '-w', '-'];
  if (opts.maxPackets) {
    argv.push('-c', String(opts.maxPackets));
  }
  argv.push(...opts.filter.split(/\s+/).filter(Boolean));
  let stderr = '';
  let listening: () => void = () => {};
  const live = new Promise<void>((resolve) => (listening = resolve));
  const running = execInPod(kube.exec, {
    namespace,
    pod,
    container: DEBUG_CONTAINER,
    argv,
    stdoutSink: sink,
    timeoutMs: (opts.maxSeconds + 10) * 1000,
    onStderr: (t) => {
      stderr += t;
      if (/listening on/.test(stderr)) {
        listening();
      }
    },
  });
  const ended = running.then(() => {
    throw new ProbeError(`tcpdump in pod ${pod} ended before listening: ${stderr.trim() || 'no output'}`);
  });
  ended.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProbeError(`tcpdump in pod ${pod} not listening after 15s: ${stderr.trim()}`)),
      15_000,
    );
  });
  try {
    await Promise.race([live, ended, timeout]);
  } finally {
    clearTimeout(timer);
  }

  let result: Promise<CaptureResult> | undefined;
  return {
    name: opts.name,
    stop: () => (result ??= stopEphemeralCapture(kube, namespace, pod, running, sink, file)),
  };
}

/** SIGINT makes tcpdump flush and exit, which ends the exec; the pcap is then decoded in the pod. */
async function stopEphemeralCapture(
  kube: KubeClient,
  namespace: string,
  pod: string,
  running: Promise<unknown>,
  sink: WriteStream,
  file: string,
): Promise<CaptureResult> {
  const inDebug = { namespace, pod, container: DEBUG_CONTAINER };
  await execInPod(kube.exec, { ...inDebug, argv: ['pkill', '-INT', '-x', 'tcpdump'], timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  await running.catch(() => undefined);
  await new Promise<void>((resolve) => (sink.writableFinished ? resolve() : sink.once('finish', () => resolve())));
  const decoded = await execInPod(kube.exec, {
    ...inDebug,
    argv: ['tcpdump', '-r', '-', '-nn', '-tt', '-v'],
    input: await readFile(file),
    timeoutMs: 30_000,
  });
  return { file, text: decoded.stdout };
}
