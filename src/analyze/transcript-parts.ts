// One file may hold a whole terminal session: prompts (`$ redis-cli -h redis-0 cluster nodes`,
// `# kubectl get pods -o wide`, `root@redis-0:/data# ss -tanp`, `127.0.0.1:6379> info replication`,
// `PS C:\> kubectl …`), each followed by what the command printed. It is cut at its prompt lines;
// each part keeps its command, which may say what the output is and whose it is.

export interface TranscriptPart {
  /** The command after the prompt, when the part starts with one. */
  command?: string;
  /** The host of a `user@host` prompt: inside a pod, its name. */
  host?: string;
  /** The output lines, without the prompt line. */
  text: string;
  /** 1-based line of the file where `text` starts. */
  firstLine: number;
}

// Commands a `#` prompt may run. A `#` line with anything else is a comment or an INFO section
// header (`# Replication`), not a prompt.
const COMMANDS =
  'kubectl|k|kc|oc|microk8s|k3s|redis-cli|valkey-cli|redis-trib(?:\\.rb)?|ruby|docker|podman|crictl|nerdctl|ss|netstat|ip|ifconfig|tcpdump|cat|less|tail|head|grep|egrep|for|while|echo|nc|ncat|telnet|helm|sudo|ssh|sh|bash|redis-server|redis-sentinel|conntrack|iptables|ls|env|export|watch|time';
// `$ cmd`, `% cmd`, `> cmd` (PowerShell continuation excluded), with an optional
// `user@host:dir` or `/dir` in front: the shell's own prompt.
const SHELL_PROMPT = /^\s{0,3}(?:\[?[\w.-]+@[\w.-]+(?::[^\s$#%]*)?\]?\s?|\/[^\s$#%]*\s|~[^\s$#%]*\s)?[$%]\s+(\S.*)$/;
const ROOT_PROMPT = new RegExp(
  `^\\s{0,3}(?:\\[?[\\w.-]+@[\\w.-]+(?::[^\\s$#%]*)?\\]?\\s?#\\s+(\\S.*)|(?:\\/[^\\s$#%]*\\s)?#\\s+((?:${COMMANDS})(?:\\s.*)?))$`,
);
const POWERSHELL_PROMPT = /^PS [A-Za-z]:\\[^>]*>\s+(\S.*)$/;
// redis-cli's interactive prompt: `127.0.0.1:6379> cmd`, `redis-0.redis:6379[2]> cmd`, `not connected> cmd`.
const REDIS_CLI_PROMPT =
  /^((?:[\w.-]+|\[[0-9a-f:]+\]|[0-9a-f:]+):\d+(?:\[\d+\])?(?:\(\w+\))?|not connected)>\s+(\S.*)$/i;
// A command typed without a prompt (pasted as the first line of a block): only the tools whose
// output rcnc reads, with an argument, so an output line is never taken for one.
const BARE_COMMAND =
  /^(?:sudo\s+)?(?:(?:kubectl|k|kc|oc)\s+(?:-\S+\s+\S+\s+)*(?:exec|logs|get|debug)\s|(?:redis-cli|valkey-cli)(?:\s|$)|redis-trib(?:\.rb)?\s|ruby\s+\S*redis-trib|docker\s+(?:exec|logs)\s|tcpdump\s|ss\s+-|netstat\s+-|ip\s+(?:-\S+\s+)*(?:a|addr|address)\b|ifconfig\b|cat\s+\S)/;

/** The command on a prompt line, or undefined when the line is output. */
export function promptCommand(line: string): string | undefined {
  const redis = REDIS_CLI_PROMPT.exec(line);
  if (redis) {
    // Kept as a redis-cli command line, so its host is read like `-h`.
    const host = redis[1]!.replace(/:\d+.*$/, '');
    return `redis-cli -h ${host} ${redis[2]!.trim()}`;
  }
  const m = SHELL_PROMPT.exec(line) ?? POWERSHELL_PROMPT.exec(line);
  if (m) {
    return m[1]!.trim();
  }
  const root = ROOT_PROMPT.exec(line);
  if (root) {
    return (root[1] ?? root[2])!.trim();
  }
  return BARE_COMMAND.test(line) ? line.trim() : undefined;
}

const PROMPT_HOST = /^\s{0,3}\[?[\w.-]+@([\w.-]+)[:\]\s$#]/;

/** Cuts a text at its prompt lines. Text before the first prompt is a part without a command. */
export function splitTranscript(text: string): TranscriptPart[] {
  const lines = text.split('\n');
  const parts: TranscriptPart[] = [];
  let current: { command?: string; host?: string; start: number; lines: string[] } = { start: 1, lines: [] };
  const flush = () => {
    if (current.command !== undefined || current.lines.some((l) => l.trim() !== '')) {
      parts.push({
        ...(current.command !== undefined ? { command: current.command } : {}),
        ...(current.host ? { host: current.host } : {}),
        text: current.lines.join('\n'),
        firstLine: current.start,
      });
    }
  };
  lines.forEach((line, i) => {
    const command = promptCommand(line);
    if (command === undefined) {
      current.lines.push(line);
      return;
    }
    flush();
    const host = PROMPT_HOST.exec(line)?.[1];
    current = { command, ...(host ? { host } : {}), start: i + 2, lines: [] };
  });
  flush();
  return parts;
}

// --- what a command says about its output -------------------------------------------------------

/** What a command line tells about its output: its kind, and whose it is. */
export interface CommandHint {
  /** A kind the command produces, when it says (see recognise.ts for the names). */
  kind?: string;
  /** The pod it ran in or against: `kubectl exec POD`, `kubectl logs POD`, `redis-cli -h HOST`. */
  pod?: string;
  /** An address it ran against (`redis-cli -h 10.42.0.5`): the pod is whoever holds it. */
  address?: string;
  /** A node it ran on: `kubectl debug node/NAME`, `docker exec NODE`, `ssh NODE`. */
  node?: string;
  /** Set when the command asks redis-cli for a password (-a, --pass, --askpass, REDISCLI_AUTH). */
  auth?: true;
  /** The host of its `user@host` prompt; a pod only if the pods list has that name. */
  host?: string;
}

// Commands run from outside the pods: they end an interactive session inside one.
const OUTSIDE = /^(?:sudo\s+)?(?:kubectl|k|kc|oc|docker|podman|helm|exit)\b/;

/**
 * The hints of each part of a session: its own command's, and the pod of an interactive
 * `kubectl exec -it POD -- sh|redis-cli` before it, for the commands typed inside (`redis-cli
 * cluster nodes`, `127.0.0.1:6379> role`), until a command from outside.
 */
export function sessionHints(parts: TranscriptPart[]): CommandHint[] {
  let inside: string | undefined;
  return parts.map((part) => {
    if (part.command === undefined) {
      return {};
    }
    const hint = readCommand(part.command);
    if (part.host) {
      hint.host = part.host;
    }
    if (OUTSIDE.test(part.command)) {
      inside = hint.pod && !hint.kind && part.text.trim() === '' ? hint.pod : undefined;
    } else if (inside && !hint.pod && !hint.address) {
      hint.pod = inside;
    }
    return hint;
  });
}

/** Splits a command line into words, honouring quotes (enough for pasted commands, not a shell). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    words.push(m[1] ?? m[2] ?? m[3]!);
  }
  return words;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
// kubectl flags that take a value, so the word after them is not the pod.
const KUBECTL_VALUE_FLAGS = new Set([
  '-n',
  '--namespace',
  '-c',
  '--container',
  '--context',
  '--kubeconfig',
  '-l',
  '--selector',
  '-o',
  '--output',
  '--since',
  '--tail',
  '-f',
  '--filename',
  '--cluster',
  '--user',
  '--image',
  '--target',
  '--profile',
]);

/** A pod or node name from `pod/NAME`, `NAME`, `redis-0.redis.ns.svc.cluster.local`. */
function nameOf(word: string): string {
  const bare = word.replace(/^(?:pods?|po|nodes?|no)\//, '');
  return IPV4.test(bare) ? bare : bare.split('.')[0]!;
}

/** The words after kubectl's global flags: [subcommand, ...rest], with -n and friends skipped. */
function kubectlArgs(words: string[]): { sub?: string; positional: string[]; rest: string[]; output?: string } {
  const positional: string[] = [];
  let output: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') {
      return { sub: positional[0], positional: positional.slice(1), rest: words.slice(i + 1), output };
    }
    if (w === '-o' || w === '--output') {
      output = words[++i];
    } else if (/^(?:-o|--output=)/.test(w)) {
      output = w.replace(/^(?:-o=?|--output=)/, '');
    } else if (KUBECTL_VALUE_FLAGS.has(w)) {
      i++;
    } else if (!w.startsWith('-')) {
      positional.push(w);
    }
  }
  return { sub: positional[0], positional: positional.slice(1), rest: [], output };
}

const GET_KINDS: Record<string, string> = {
  po: 'kube-pods',
  pod: 'kube-pods',
  pods: 'kube-pods',
  no: 'kube-nodes',
  node: 'kube-nodes',
  nodes: 'kube-nodes',
  svc: 'kube-services',
  service: 'kube-services',
  services: 'kube-services',
};

/** The kind a redis-cli argument list asks for. */
function redisCliKind(args: string[]): string | undefined {
  const a = args.map((x) => x.toLowerCase());
  const at = (i: number) => a[i] ?? '';
  if (at(0) === '--cluster') {
    return 'cluster-tool';
  }
  if (at(0) === 'cluster') {
    return { nodes: 'cluster-nodes', info: 'cluster-info', shards: 'cluster-shards', slots: 'cluster-slots' }[at(1)];
  }
  if (at(0) === 'role') {
    return 'role';
  }
  if (at(0) === 'info') {
    return 'info';
  }
  if (at(0) === 'sentinel') {
    const sub = at(1);
    return sub === 'replicas' || sub === 'slaves'
      ? 'sentinel-replicas'
      : sub === 'sentinels'
        ? 'sentinel-sentinels'
        : sub === 'get-master-addr-by-name'
          ? 'sentinel-master-addr'
          : sub === 'masters' || sub === 'master'
            ? 'sentinel-masters'
            : undefined;
  }
  return undefined;
}

/** redis-cli's own options: the host, whether a password is given, and the command's words. */
function readRedisCli(words: string[], hint: CommandHint): void {
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-h') {
      const host = words[++i] ?? '';
      if (IPV4.test(host)) {
        if (!host.startsWith('127.')) {
          hint.address = host;
        }
      } else if (host && host !== 'localhost') {
        hint.pod ??= nameOf(host);
      }
    } else if (w === '-a' || w === '--pass' || w === '--user') {
      hint.auth = w === '--user' ? hint.auth : true;
      i++;
    } else if (w === '--askpass') {
      hint.auth = true;
    } else if (['-p', '-n', '-s', '-u', '--tls', '-c', '--raw', '--no-raw', '--no-auth-warning'].includes(w)) {
      i += w === '-p' || w === '-n' || w === '-s' || w === '-u' ? 1 : 0;
    } else if (w === '--cluster') {
      args.push(...words.slice(i));
      break;
    } else {
      args.push(w);
    }
  }
  const kind = redisCliKind(args);
  if (kind) {
    hint.kind = kind;
  }
}

const TOOL_KINDS: [RegExp, string][] = [
  [/^(?:ss|netstat)$/, 'sockets'],
  [/^tcpdump$/, 'tcpdump'],
  [/^ifconfig$/, 'interfaces'],
  [/^redis-trib(?:\.rb)?$/, 'cluster-tool'],
];

/** What the words of one command (no pipes) say. */
function readWords(words: string[], hint: CommandHint): void {
  let i = 0;
  while (words[i] === 'sudo' || words[i] === 'time' || words[i] === 'watch' || /^\w+=/.test(words[i] ?? '')) {
    if (/^REDISCLI_AUTH=/.test(words[i]!)) {
      hint.auth = true;
    }
    i++;
  }
  const [tool = '', ...args] = words.slice(i);
  if (/^(?:kubectl|k|kc|oc)$/.test(tool)) {
    readKubectl(args, hint);
  } else if (/^(?:redis-cli|valkey-cli)$/.test(tool)) {
    readRedisCli(args, hint);
  } else if (
    (tool === 'docker' || tool === 'podman' || tool === 'nerdctl') &&
    (args[0] === 'exec' || args[0] === 'logs')
  ) {
    const rest = args.slice(1).filter((w, j, all) => !w.startsWith('-') && !/^-[eu]$/.test(all[j - 1] ?? ''));
    hint.node ??= rest[0];
    readWords(rest.slice(1), hint);
    if (args[0] === 'logs') {
      hint.kind = 'log';
    }
  } else if ((tool === 'sh' || tool === 'bash') && args[0] === '-c' && args[1]) {
    readCommand(args[1], hint);
  } else if (tool === 'ruby' && args.some((a) => /redis-trib/.test(a))) {
    hint.kind = 'cluster-tool';
  } else if (tool === 'ip' && args.some((a) => /^(?:a|addr|address)$/.test(a))) {
    hint.kind = 'interfaces';
  } else if (tool === 'cat' && args.some((a) => /\/proc\/net\/tcp/.test(a))) {
    hint.kind = 'sockets';
  } else {
    const kind = TOOL_KINDS.find(([re]) => re.test(tool))?.[1];
    if (kind) {
      hint.kind = kind;
    }
  }
}

function readKubectl(args: string[], hint: CommandHint): void {
  const k = kubectlArgs(args);
  if (k.sub === 'exec' || k.sub === 'logs' || k.sub === 'attach') {
    const target = k.positional[0];
    if (target) {
      hint.pod ??= nameOf(target);
    }
    if (k.sub === 'logs') {
      hint.kind = 'log';
    }
    if (k.rest.length) {
      readWords(k.rest, hint);
    }
  } else if (k.sub === 'get' && k.positional[0]) {
    const resource = k.positional[0].toLowerCase().split(/[/,]/)[0]!;
    const kind = GET_KINDS[resource];
    if (kind) {
      hint.kind = kind;
    }
  } else if (k.sub === 'debug' && k.positional[0]?.startsWith('node/')) {
    hint.node = k.positional[0].slice('node/'.length);
    readWords(k.rest, hint);
  }
}

/** What a pasted command line says about its output (the last command of a pipe decides the kind). */
export function readCommand(line: string, into: CommandHint = {}): CommandHint {
  // `for p in …; do kubectl exec $p -- redis-cli role; done`: the body is what prints.
  const body = /\bdo\s+(.*?)(?:;\s*done\b|$)/.exec(line)?.[1] ?? line;
  const commands = body.split(/\s*(?:&&|\|\||;)\s*/);
  for (const command of commands) {
    const [first] = command.split(/\s\|\s?/);
    const words = shellWords(first ?? '');
    if (words[0] === 'echo' || words.length === 0) {
      continue;
    }
    readWords(words, into);
  }
  // A loop variable is no pod name.
  if (into.pod?.startsWith('$')) {
    delete into.pod;
  }
  return into;
}
