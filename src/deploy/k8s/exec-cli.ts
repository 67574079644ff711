// `StartedTopology.spawn` for a pod: a local child process that is an exec in the pod, with its
// stdio piped through the API server (the contract returns a ChildProcess, and an exec is a web
// socket). Run as `node --import <tsx> exec-cli.ts KUBECONFIG NAMESPACE POD CONTAINER -- ARGV…`;
// exits with the command's exit code (255 when the socket closed without one).
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitCodeFromStatus, NO_STATUS_EXIT_CODE } from './exec.ts';

const SELF = fileURLToPath(import.meta.url);

/** Starts the helper; the kubeconfig file must stay until the child exits. */
export function spawnPodExec(
  kubeconfigFile: string,
  target: { namespace: string; pod: string; container: string },
  argv: string[],
): ChildProcess {
  // tsx resolved from here, not from the caller's cwd, which may be outside the package.
  const tsx = import.meta.resolve('tsx');
  return spawn(
    process.execPath,
    ['--import', tsx, SELF, kubeconfigFile, target.namespace, target.pod, target.container, '--', ...argv],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

async function main(args: string[]): Promise<number> {
  const [file, namespace, pod, container, dashes, ...argv] = args;
  if (!file || !namespace || !pod || !container || dashes !== '--' || argv.length === 0) {
    console.error('usage: exec-cli.ts KUBECONFIG NAMESPACE POD CONTAINER -- ARGV…');
    return 2;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  let status: V1Status | undefined;
  const ws = await new Exec(kc).exec(
    namespace,
    pod,
    container,
    argv,
    process.stdout,
    process.stderr,
    process.stdin,
    false,
    (s) => {
      status = s;
    },
  );
  await new Promise<void>((resolve, reject) => {
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
  return status ? exitCodeFromStatus(status) : NO_STATUS_EXIT_CODE;
}

if (process.argv[1] === SELF) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`exec failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(NO_STATUS_EXIT_CODE);
    },
  );
}
