// Every command's flags, declared once: parse() (args.ts) hands them to node's parseArgs and --help
// (help.ts) lists them, so a flag cannot be accepted without being documented or documented without
// being accepted. A flag's place in its command is its place in the help.
import { scenarioNames } from '../../scenarios/registry.ts';
import { labProfiles } from '../deploy/netns/profiles.ts';
import { namedOnlyProfiles } from '../deploy/providers.ts';
import { EXPOSURES, PROFILES } from '../model/dimensions.ts';
import { QUICK_CELLS } from './selection.ts';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The flag may be given more than once; its value is then a list. */
  readonly multiple?: boolean;
  /** The value's name in help (`--profile LIST`); string flags only. */
  readonly value?: string;
  /** What it does, for help; each line after the first is shown indented under the first. */
  readonly description: string;
}

export interface CommandSpec {
  /** Whether the command takes operands (a directory, two files, a scenario). */
  readonly positionals: boolean;
  readonly flags: Readonly<Record<string, FlagSpec>>;
}

/** Every command that parses flags has -h/--help; it is listed last. */
export const HELP_FLAG = { type: 'boolean', short: 'h', description: 'show this help' } as const satisfies FlagSpec;

const CONTEXT = {
  type: 'string',
  value: 'NAME',
  description: 'context in that kubeconfig (default: its current-context)',
} as const satisfies FlagSpec;

const KUBECONFIG = {
  type: 'string',
  value: 'PATH',
  description: 'kubeconfig of the cluster (--provider kubeconfig)',
} as const satisfies FlagSpec;

const IMAGE = {
  type: 'string',
  value: 'REF',
  description: `with --provider kubeconfig: the Redis image of its pods (default redis:7.0.15);
on a cluster of rcnc kube up, the image it names`,
} as const satisfies FlagSpec;

const KUBE_BIN = {
  type: 'string',
  value: 'DIR',
  description:
    'with --provider kube: prebuilt binaries (kube-apiserver, kubelet, etcd, flanneld, …)\ninstead of the build cache (see rcnc setup --kube)',
} as const satisfies FlagSpec;

const PROXY_MODE = {
  type: 'string',
  value: 'MODE',
  description: 'kube-proxy mode of the kube clusters rcnc starts: iptables (default) or nftables',
} as const satisfies FlagSpec;

const KUBE_FLAGS = {
  nodes: { type: 'string', value: 'N', description: 'kube up: worker nodes, 1 to 4 (default 3)' },
  'proxy-mode': PROXY_MODE,
  'kube-bin': KUBE_BIN,
  'redis-server': {
    type: 'string',
    value: 'PATH',
    description: "kube up: redis-server for the pods' image (default: on PATH)",
  },
  'redis-cli': {
    type: 'string',
    value: 'PATH',
    description: "kube up: redis-cli for the pods' image (default: on PATH)",
  },
  all: { type: 'boolean', description: 'kube down: every kube cluster on this machine' },
} as const satisfies Record<string, FlagSpec>;

const RUN_FLAGS = {
  provider: {
    type: 'string',
    value: 'NAME',
    description: `netns (default: the embedded lab), k3d (needs Docker and k3d),
kubeconfig (an existing cluster; with --kubeconfig PATH --context NAME),
kube (real upstream Kubernetes built here, started in namespaces),
docker (containers through testcontainers: the daemon DOCKER_HOST names or
the default socket's, else, as root, a private dockerd per topology)`,
  },
  kubeconfig: KUBECONFIG,
  context: CONTEXT,
  image: IMAGE,
  scenario: {
    type: 'string',
    value: 'LIST',
    description: `comma-separated scenario families (${scenarioNames().join(', ')})`,
  },
  profile: {
    type: 'string',
    value: 'LIST',
    description: `comma-separated profiles (${PROFILES.join(', ')}); the lab runs ${namedOnlyProfiles('netns').join(', ')} only when named here`,
  },
  exposure: { type: 'string', value: 'LIST', description: `comma-separated exposures (${EXPOSURES.join(', ')})` },
  cell: {
    type: 'string',
    multiple: true,
    value: 'ID|GLOB',
    description: `only cells whose id matches (repeat or comma-separate; * matches anything);
'!GLOB' leaves the cells it matches out`,
  },
  skip: {
    type: 'string',
    multiple: true,
    value: 'GLOB',
    description: 'leave out cells whose id matches (repeat or comma-separate)',
  },
  quick: {
    type: 'boolean',
    description: `the pull-request subset: ${QUICK_CELLS.length} fixed cells, every family and exposure (README
lists them); combines with the other filters`,
  },
  shard: {
    type: 'string',
    value: 'I/N',
    description: `run part I of N of the selected cells (parallel CI jobs; split by id, balanced);
rcnc merge joins the parts' reports`,
  },
  concurrency: {
    type: 'string',
    value: 'N',
    description: 'cells run side by side, each in its own lab (default: from cores and memory)',
  },
  'timing-cells': {
    type: 'string',
    value: 'MODE',
    description: `alone: failover and rolling cells get the machine to themselves (default);
shared: they run beside others, marked so (default with RCNC_MATRIX=full)`,
  },
  'report-dir': { type: 'string', value: 'DIR', description: 'where reports go (default: ./reports)' },
  'redis-server': {
    type: 'string',
    value: 'PATH',
    description: 'redis-server binary to test (default: redis-server on PATH)',
  },
  'redis-cli': { type: 'string', value: 'PATH', description: 'redis-cli binary to use (default: redis-cli on PATH)' },
  'kube-bin': KUBE_BIN,
  // kube-proxy's mode is the profile's now: declared so that the flag gets an error naming it.
  'proxy-mode': { ...PROXY_MODE, description: 'gone: kube-proxy nftables mode is --profile flannel-vxlan-nftables' },
  'fail-fast': { type: 'boolean', description: 'after the first failed cell start no more (running cells finish)' },
  'collect-on-failure': {
    type: 'boolean',
    description: `a failed cell keeps what rcnc collect gathers from its pods, as a bundle
(secrets redacted) in its artifacts, named in the report; every provider. Cells
collect at teardown (the verdict comes after): each pays for it, a pass discards it`,
  },
  'junit-file': { type: 'string', value: 'PATH', description: "also write junit.xml to PATH (for a CI's test report)" },
  list: {
    type: 'boolean',
    description: 'print the matching cells and exit without running them (as JSON with --json)',
  },
  json: { type: 'boolean', description: 'print results.json instead of the summary (progress stays on stderr)' },
} as const satisfies Record<string, FlagSpec>;

const REPRODUCE_FLAGS = {
  list: {
    type: 'boolean',
    description: 'list what can be reproduced: the families and every named case with its thread',
  },
  provider: {
    type: 'string',
    value: 'NAME',
    description: `netns (default: a small lab of this machine's), or kubeconfig (a cluster you have,
with --kubeconfig PATH --context NAME; the pods land in a new namespace)`,
  },
  kubeconfig: KUBECONFIG,
  context: CONTEXT,
  image: IMAGE,
  keep: {
    type: 'boolean',
    description: `with --provider kubeconfig: apply no fix and leave the failure deployed in its
namespace, for rcnc collect; it prints the namespace and how to remove it`,
  },
  profile: {
    type: 'string',
    value: 'NAME',
    description: `datapath to use (${labProfiles()
      .filter((p) => p !== 'no-nat')
      .join(', ')}; default flannel-vxlan);
with --provider kubeconfig, the cluster's CNI, for what to expect`,
  },
  nodes: { type: 'string', value: 'N', description: '1 (default) or more; with more, the joiner dials its own node' },
  'redis-server': {
    type: 'string',
    value: 'PATH',
    description: 'redis-server binary (default: redis-server on PATH)',
  },
  'redis-cli': { type: 'string', value: 'PATH', description: 'redis-cli binary (default: redis-cli on PATH)' },
  json: { type: 'boolean', description: 'print the observations as JSON' },
} as const satisfies Record<string, FlagSpec>;

const COLLECT_FLAGS = {
  kubeconfig: {
    type: 'string',
    value: 'PATH',
    description: 'kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)',
  },
  context: CONTEXT,
  namespace: { type: 'string', short: 'n', value: 'NS', description: 'namespace of the Redis pods (required)' },
  selector: {
    type: 'string',
    short: 'l',
    value: 'SEL',
    description: 'label selector of the Redis pods (default: every running pod)',
  },
  container: {
    type: 'string',
    short: 'c',
    value: 'NAME',
    description: `the Redis container, in pods with sidecars (default: the one with port
6379, else the pod's default container, else one named redis*)`,
  },
  port: {
    type: 'string',
    value: 'N',
    description: 'Redis port of every pod (default: detected, a port p with p+10000 listening)',
  },
  'password-secret': {
    type: 'string',
    value: 'NAME/KEY',
    // The label is wider than the column: the description starts on the next line.
    description: `
the Redis password from key KEY of Secret NAME in the namespace
(Bitnami's redis-cluster chart: RELEASE-redis-cluster/redis-password)`,
  },
  password: {
    type: 'string',
    value: 'PASS',
    description: `the Redis password; shows in the process list: prefer --password-secret or
REDISCLI_AUTH in the environment (used when neither option is given)`,
  },
  user: { type: 'string', value: 'NAME', description: 'ACL user to authenticate as (with the password)' },
  tls: {
    type: 'boolean',
    description: 'connect with TLS (implied by the TLS options below; alone: the system CAs)',
  },
  'tls-dir': {
    type: 'string',
    value: 'PATH',
    description: `TLS files already in the pod: PATH/ca.crt, PATH/tls.crt, PATH/tls.key
(Bitnami's redis-cluster chart mounts them at /opt/bitnami/redis/certs)`,
  },
  'tls-secret': {
    type: 'string',
    value: 'NAME',
    description: 'CA, certificate and key from Secret NAME (keys ca.crt, tls.crt, tls.key)',
  },
  cacert: { type: 'string', value: 'FILE', description: 'CA certificate (PEM), a file on this machine' },
  cert: { type: 'string', value: 'FILE', description: 'client certificate (PEM), with --key' },
  key: { type: 'string', value: 'FILE', description: 'client private key (PEM), with --cert' },
  bundle: {
    type: 'string',
    value: 'FILE.tar.gz',
    description: `also pack the files, the analysis (text and JSON), the versions and a
manifest (sizes, sha256) into one archive, with passwords, tokens, keys and
certificates redacted (packet captures stay out)`,
  },
  debug: {
    type: 'boolean',
    description: `allow an ephemeral debug container (nicolaka/netshoot) in each pod and a
host-network debug pod per node: packet captures and node addresses`,
  },
  capture: {
    type: 'string',
    value: 'SECONDS',
    description: 'with --debug: capture that long in every Redis pod (tcpdump text + pcap/)',
  },
  json: { type: 'boolean', description: 'print the analysis as JSON' },
} as const satisfies Record<string, FlagSpec>;

export const COMMANDS = {
  run: { positionals: false, flags: RUN_FLAGS },
  reproduce: { positionals: true, flags: REPRODUCE_FLAGS },
  analyze: {
    positionals: true,
    flags: {
      format: {
        type: 'string',
        value: 'FORMAT',
        description: 'text (default), json (AnalyzeReport, src/analyze/report-types.ts) or markdown (a ticket)',
      },
      json: { type: 'boolean', description: 'the same as --format json' },
    },
  },
  collect: { positionals: true, flags: COLLECT_FLAGS },
  report: { positionals: true, flags: {} },
  merge: {
    positionals: true,
    flags: {
      out: { type: 'string', value: 'DIR', description: 'where the joined report goes (default: reports/merged)' },
    },
  },
  diff: {
    positionals: true,
    flags: {
      'tolerance-ms': {
        type: 'string',
        value: 'N',
        description: 'a figure that moved by at most N ms has not changed (default 1000)',
      },
      'tolerance-ratio': {
        type: 'string',
        value: 'R',
        description: '…or by at most R times its old value, whichever allows more (default 0.25)',
      },
      json: { type: 'boolean', description: 'print the changes as JSON' },
    },
  },
  doctor: { positionals: false, flags: { json: { type: 'boolean', description: 'print the requirements as JSON' } } },
  setup: {
    positionals: false,
    flags: {
      kube: { type: 'boolean', description: 'also install and build what --provider kube runs (Go builds, minutes)' },
      'kube-optional': {
        type: 'boolean',
        description: 'like --kube, but where that cannot be done say why and go on (npm test)\nunless REQUIRE_KUBE=1',
      },
      'kube-bin': KUBE_BIN,
    },
  },
  kube: { positionals: true, flags: KUBE_FLAGS },
  clean: {
    positionals: false,
    flags: { all: { type: 'boolean', description: 'also remove those of runs that are still alive' } },
  },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof COMMANDS;
type Flags<C extends Command> = (typeof COMMANDS)[C]['flags'];
type ValueOf<F> = F extends { type: 'boolean' } ? boolean : F extends { multiple: true } ? string[] : string;

/** What parse() returns for a command: each of its flags, typed by its spec, when given. */
export type FlagValues<C extends Command> = { [K in keyof Flags<C>]?: ValueOf<Flags<C>[K]> } & { help?: boolean };

/** The help lines of a command's options: `  --profile LIST        comma-separated…`. */
export function optionLines(command: Command): string[] {
  const flags: [string, FlagSpec][] = [...Object.entries(COMMANDS[command].flags), ['help', HELP_FLAG]];
  return flags.flatMap(([name, flag]) => {
    const label = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.value ? ` ${flag.value}` : ''}`;
    const [first, ...rest] = flag.description.split('\n');
    return [`  ${label.padEnd(20)}  ${first}`, ...rest.map((line) => `${' '.repeat(24)}${line}`)];
  });
}
