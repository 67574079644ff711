// A pod's TCP socket table through whatever the pod has. The official redis image has neither ss
// nor netstat (docs/kubernetes.md#socket-tables), but every Linux container can read /proc/net/tcp{,6}, which is
// the same kernel table; for host-network pods it is the node's. Works on any provider's exec.
import type { ExecTarget, StartedTopology } from '../deploy/provider.ts';
import { ProbeError } from '../util/errors.ts';
import type { ParseWarning } from './cluster-nodes.ts';
import { parseNetstat, parseProcNetTcp, parseSs, type SocketEntry } from './sockets.ts';

export type SocketTool = 'ss' | 'netstat' | 'proc';

export interface SocketTable {
  tool: SocketTool;
  sockets: SocketEntry[];
  warnings: ParseWarning[];
  /** The text the table was parsed from, to keep as an artifact. */
  raw: string;
}

const PROC_HEADER = /^\s*sl\s+local_address/m;

/** `absent`: tools the caller already found missing there (exit 127), not tried again. */
export async function readSockets(
  topo: Pick<StartedTopology, 'exec'>,
  target: ExecTarget,
  opts: { absent?: ReadonlySet<string> } = {},
): Promise<SocketTable> {
  const tried: string[] = [];
  const attempts: [SocketTool, string[], (t: string) => Omit<SocketTable, 'tool' | 'raw'>][] = [
    ['ss', ['ss', '-tan'], parseSs],
    ['netstat', ['netstat', '-tan'], parseNetstat],
  ];
  for (const [tool, argv, parse] of attempts.filter(([tool]) => !opts.absent?.has(tool))) {
    const r = await topo.exec(target, argv, { reject: false, timeoutMs: 10_000 });
    if (r.exitCode === 0 && r.stdout.trim()) {
      return { tool, raw: r.stdout, ...parse(r.stdout) };
    }
    tried.push(`${argv[0]}: exit ${r.exitCode}`);
  }
  // tcp6 is missing where IPv6 is disabled: cat then exits 1 but has printed tcp, which is enough.
  const r = await topo.exec(target, ['cat', '/proc/net/tcp', '/proc/net/tcp6'], { reject: false, timeoutMs: 10_000 });
  if (PROC_HEADER.test(r.stdout)) {
    return { tool: 'proc', raw: r.stdout, ...parseProcNetTcp(r.stdout) };
  }
  tried.push(`cat /proc/net/tcp: exit ${r.exitCode} ${r.stderr.trim().split('\n')[0] ?? ''}`.trim());
  throw new ProbeError(`cannot read the socket table of ${JSON.stringify(target)} (${tried.join('; ')})`);
}
