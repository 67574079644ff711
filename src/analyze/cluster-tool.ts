// What `redis-cli --cluster create|add-node|check|fix` and the older redis-trib.rb print
// (redis-cli.c clusterManagerCommand*, redis-trib.rb): the nodes it was given (`M: <id> ip:port`,
// `S: …`, `Adding node …`), the MEETs it sent, and how it ended. A create that stays at `Waiting
// for the cluster to join` with dots and never reaches `>>> Performing Cluster Check` is the
// symptom of cluster-bus handshakes that never complete (docs/datapath.md#redis-meet-and-handshake).

export interface ClusterToolRun {
  /** create, add-node, check, fix, … (redis-trib's subcommand for redis-trib). */
  command?: string;
  /** `ip:port` of each node it talked to, in order, once. */
  addresses: string[];
  /** Node ids it printed, with their address and role. */
  nodes: { id: string; address: string; role: 'master' | 'replica' }[];
  /** It waited for the nodes to join and the output ends before they did. */
  stuckJoining: boolean;
  /** `[ERR] …` lines and connection errors, as printed. */
  errors: string[];
  /** `[OK] …` lines. */
  ok: string[];
}

const ADDRESS = /(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]+:[0-9a-f:]+|[a-z0-9][-a-z0-9.]*):(\d{1,5})\b/i;
const NODE_LINE = /^\s*([MS]):\s+([0-9a-f]{40})\s+(\S+:\d+)/;
// Lines only the cluster tools print: the signature of this kind of output.
export const CLUSTER_TOOL_LINE =
  /^(?:>>> (?:Performing|Creating|Sending|Adding|Send CLUSTER MEET|Nodes configuration|Assign|Configure node|Check|Fixing|Covering|Rebalancing|Getting|Sending CLUSTER MEET)|[MS]: [0-9a-f]{40} |\s+slots:|\s+replicates [0-9a-f]{40}|\s+\d+ additional replica|Master\[\d+\] -> Slots|Adding replica \S+ to \S+|Using \d+ masters:|Can I set the above configuration\?|Waiting for the cluster to join|\[(?:OK|ERR|WARNING)\] |Connecting to node \S+: )/;

export function parseClusterTool(text: string, commandLine?: string): ClusterToolRun {
  const run: ClusterToolRun = { addresses: [], nodes: [], stuckJoining: false, errors: [], ok: [] };
  const sub =
    /--cluster\s+(\S+)/.exec(commandLine ?? '')?.[1] ?? /redis-trib(?:\.rb)?\s+(\S+)/.exec(commandLine ?? '')?.[1];
  if (sub) {
    run.command = sub;
  }
  const seen = (a: string) => !run.addresses.includes(a) && run.addresses.push(a);
  let waiting = false;
  for (const line of text.split('\n')) {
    const node = NODE_LINE.exec(line);
    if (node) {
      run.nodes.push({ id: node[2]!, address: node[3]!, role: node[1] === 'M' ? 'master' : 'replica' });
      seen(node[3]!);
      continue;
    }
    if (/^Waiting for the cluster to join/.test(line)) {
      waiting = true;
    } else if (/^>>> Performing Cluster Check|^\[OK\] All \d+ slots covered/.test(line)) {
      waiting = false;
    }
    const given =
      /^(?:Adding replica (\S+) to (\S+)|Connecting to node (\S+?):? |>>> Adding node (\S+) to cluster (\S+)|>>> Send CLUSTER MEET to node (\S+))/.exec(
        line,
      );
    for (const a of given?.slice(1) ?? []) {
      if (a && ADDRESS.test(a)) {
        seen(a);
      }
    }
    if (/^\[ERR\]|^Could not connect to Redis|^\(error\)|^ERR /.test(line)) {
      run.errors.push(line.trim());
    } else if (/^\[OK\]/.test(line)) {
      run.ok.push(line.trim());
    }
  }
  run.stuckJoining = waiting;
  // The command line's own addresses come first when the output does not list them.
  for (const m of (commandLine ?? '').matchAll(new RegExp(ADDRESS.source, 'gi'))) {
    if (/^\d/.test(m[0])) {
      seen(m[0]);
    }
  }
  return run;
}
