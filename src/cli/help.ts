// The help text of every command: its prose here, its options listed from the flag specification
// parse() uses (flags.ts). Kept apart from the commands so `rcnc --help` runs no command code.
import { ANALYZE_FILES_HELP } from '../analyze/analyze.ts';
import { COMMANDS, optionLines, type Command } from './flags.ts';

const MAIN = `rcnc — Redis Cluster Network Conformance

Usage: rcnc <command> [options]

Commands:
  run                 run the conformance matrix and write reports/latest/
  reproduce nat-meet  reproduce the NAT meet failure and explain it, in seconds
  analyze DIR         diagnose files collected from a real cluster (netstat, tcpdump, logs…)
  collect -n NS DIR   gather those files from a running Redis deployment, then analyze them
  report DIR          rewrite compatibility.md, junit.xml and index.html from DIR/results.json
  merge DIR…          join the reports of a run's shards (run --shard I/N) into one
  diff OLD NEW        what changed between two runs' results (exit 1 on a regression)
  doctor              check what the lab needs from this machine
  setup               install missing system packages (apt-get, as root)
  clean               remove namespaces, processes and temp dirs a killed run left
  kube up|down|list   a real Kubernetes cluster in namespaces, to look at with kubectl
  k3d -- ARGS…        run the real k3d binary ($K3D_BIN, PATH, or the rcnc cache)

See 'rcnc <command> --help' for the options of a command, 'rcnc --version' for the version.
Exit codes: 0 as expected, 1 an unexpected result, 2 bad usage, a missing requirement, or a run in
which every cell was skipped (nothing ran); 130 interrupted (SIGINT, Ctrl-C) and 143 terminated
(SIGTERM), after tearing down what it had started (a second signal exits at once).`;

/** `rcnc k3d` passes its arguments to k3d untouched: it has no options of its own. */
const K3D = `Usage: rcnc k3d -- ARGS…

Runs the real k3d binary with ARGS (the npm package named "k3d" is unrelated and never used).
It is found in this order: $K3D_BIN, PATH, the rcnc cache dir; with K3D_AUTO_INSTALL=1 a pinned
release is downloaded and checked against its sha256 when none is found.
Exit: k3d's own exit code, or 2 when k3d cannot be found.`;

/** Each command's text before its options and, where it has one, after them. */
const PROSE: Record<Command, { before: string; after?: string }> = {
  run: {
    before: `Usage: rcnc run [options]

Runs every cell of the matrix that matches the filters on the chosen provider, printing progress
per cell, then writes results.json, compatibility.md, junit.xml and index.html (with every cell's
evidence) to <report-dir>/<run-id>/ and <report-dir>/latest/, and lists the failed and skipped
cells with their reasons. With $GITHUB_STEP_SUMMARY set it appends a summary to it (failed cells
first, then the matrices; bounded in size). As root on Debian it first installs the packages the
lab needs that are missing (what 'rcnc setup' does).`,
    after: `Exit: 0 every cell as expected (skips allowed), 1 an unexpected result, 2 bad usage, a missing
requirement, or every cell skipped (nothing ran); 130 on SIGINT (Ctrl-C) and 143 on SIGTERM, once
the labs of the run are torn down (a second signal exits at once).`,
  },
  reproduce: {
    before: `Usage: rcnc reproduce nat-meet [options]

Builds a single-node k3s-shaped lab, exposes three masters over NodePort, lets a replica join
without cluster-announce-ip the way operators do, and shows what each side recorded, the failed
dial-back, the NATed bus connection, and the fix with its result.
With --provider kubeconfig the same happens on your cluster, in a new namespace; with --keep no
fix is applied and the namespace stays as the failure left it, for 'rcnc collect -n NS DIR'.
       rcnc reproduce CASE | --list
A published failure (one public thread each, rcnc reproduce --list names them) on its own lab: what
the thread reported, the record that shows it, the fix, and the record after the fix.`,
  },
  doctor: {
    before: `Usage: rcnc doctor [--json]

Lists what the netns lab needs (root, network namespaces, packages, br_netfilter, iptables-nft)
and what is missing. Exit 0 when everything is there, 2 otherwise.`,
  },
  setup: {
    before: `Usage: rcnc setup

Installs the system packages the lab needs with apt-get when running as root on Debian;
otherwise names the packages to install. Exit 2 when packages are missing and cannot be installed.
Also installs docker.io (dockerd, containerd, runc, docker-proxy) when dockerd is missing, for the
docker provider's private daemon, without starting its service; the lab does not need it.
With --kube, also what --provider kube runs: containerd, runc, the CNI plugins, socat, busybox-static
(services held back), and Kubernetes, etcd and flannel built from Go modules into a cache outside
the clone ($RCNC_CACHE_DIR, else ~/.cache/rcnc), keyed by their pinned versions; later runs reuse it.`,
  },
  kube: {
    before: `Usage: rcnc kube up [--nodes N] [--proxy-mode iptables|nftables] [--kube-bin DIR]
       rcnc kube down [ID | --all]
       rcnc kube kubeconfig [ID]
       rcnc kube list

up starts real upstream Kubernetes (the versions rcnc setup --kube builds) in network and mount
namespaces of this machine: a control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler) and N worker nodes (containerd, kubelet, flanneld VXLAN, kube-proxy), nodes on
172.18.0.0/16, pods on 10.42.N.0/24, Services on 10.43.0.0/16, as k3d lays them out. Nothing is
added to this machine's network: kubectl reaches the API server through a loopback relay, with the
kubeconfig up prints. The cluster stays until kube down; rcnc clean leaves it alone while it runs.`,
  },
  diff: {
    before: `Usage: rcnc diff OLD NEW [options]

Compares two runs' results.json (or the report directories that hold them), e.g. the same matrix
before and after a kernel, CNI or Redis upgrade: cells added or removed, a compatibility word or a
ghost class that changed, a cell that started or stopped failing, and recovery figures (recovery
time, failover, the client's error window) that moved beyond the tolerance. Given a lab run and a
real cluster's run of the same cells (--provider netns, then kube), it compares each pair on
verdict, word and the facts its family names, disagreements first: the lab against real
Kubernetes.`,
    after: `Exit: 0 no regression, 1 a regression (what a user gets got worse, a cell started to fail, a figure
grew) or a lab cell that disagrees with its real twin, 2 a file missing or not an rcnc results file.`,
  },
  analyze: {
    before: `Usage: rcnc analyze DIR [--format text|json|markdown]

Diagnoses what was collected on a real cluster. DIR holds any of:
${ANALYZE_FILES_HELP}
It reports nodes that never joined, NATed bus connections with the likely rewrite, NAT mappings
from pairs of captures, ghost/handshake/noaddr entries, failed dial-backs, stale addresses, and
the settings or commands that fix each. Each diagnosis names the address, who holds it now (and
before, for a reused or stale one) and its cause: a flannel .0 device, a .1 bridge gateway, a node
IP, a sidecar's loopback, a Docker gateway, a reused IP, an unreachable or doubled bus port, a
create over Service IPs, a Sentinel master no pod is at. Fixes come as commands, StatefulSet
snippets, and the values or fields of Bitnami's redis-cluster and redis charts, the OT and
spotahome operators, or KubeBlocks when the files show which deployed the pods.
--format markdown prints it for a ticket; --format json prints the AnalyzeReport type
(src/analyze/report-types.ts). Files may be UTF-8 or UTF-16, with LF or CRLF line ends.
Exit: 0 nothing wrong, and the files could have shown each problem (it lists what it checked);
1 problems found, or nothing found but the files cannot rule problems out (it says what to
collect next); 2 DIR missing or unreadable, or nothing in it usable.`,
  },
  collect: {
    before: `Usage: rcnc collect -n NAMESPACE [options] DIR

Finds the Redis Cluster pods of NAMESPACE (those matching -l), gathers from each exactly what
'rcnc analyze' reads — CLUSTER NODES, INFO replication, its socket table (ss, netstat or
/proc/net/tcp, whichever the image has), its log — plus the pods, nodes, Services and pod CIDRs,
writes them into DIR (new or empty) and prints the analysis. Nothing in the cluster is changed
unless --debug allows it.
A password (from --password-secret, REDISCLI_AUTH in the environment, or --password) and TLS
material reach redis-cli in the pod on its stdin, never in an argv, and are never printed or
written; the password is replaced by <redacted> in every file written. For Bitnami's
redis-cluster chart: --password-secret RELEASE-redis-cluster/redis-password, and with TLS
--tls-dir /opt/bitnami/redis/certs. The kubeconfig is --kubeconfig, else $KUBECONFIG, else
~/.kube/config (under sudo, root's).`,
    after: `Exit: 0 nothing wrong found, 1 problems found, 2 bad usage, no kubeconfig, an unreachable
cluster, no Redis pods, or Redis refusing redis-cli (a password or TLS missing or wrong).`,
  },
  merge: {
    before: `Usage: rcnc merge DIR… [--out DIR]

Joins the reports of the shards of one run (rcnc run --shard I/N, e.g. parallel CI jobs; each DIR
a report directory or its results.json) into one report in --out: results.json with every cell,
the shards' artifacts, and compatibility.md, junit.xml and index.html written from the whole, as an
unsplit run would have written them. A shard given twice, shards of different splits or of
different rcnc or Redis versions, and a missing shard (unless the others hold every selected cell)
are refused. --out is replaced; it must be new, empty, or an earlier report. With
$GITHUB_STEP_SUMMARY set, the joined summary is appended to it.`,
    after: `Exit: 0 every cell as expected (skips allowed), 1 a cell failed, 2 bad input (a missing or invalid
report, shards that are not one run), or every cell skipped (nothing ran).`,
  },
  report: {
    before: `Usage: rcnc report DIR

Rewrites compatibility.md, junit.xml and index.html in DIR from DIR/results.json (DIR may also be
the results.json itself), e.g. after upgrading rcnc or to render results copied from CI.
results.json and the artifacts are left as they are. Exit 2 when results.json is missing or invalid.`,
  },
  clean: {
    before: `Usage: rcnc clean [--all]

Removes the network namespaces, processes and temp dirs of labs whose run is no longer alive, and
of the docker provider's private Docker hosts (dockerd, containerd, shims, containers, mounts,
cgroups, namespaces, dirs); and the k3d clusters and kubeconfig namespaces of k3d/kubeconfig runs
whose process is gone (by their run-state records; anything without one is kept and named).`,
  },
};

const isCommand = (topic: string): topic is Command => Object.hasOwn(COMMANDS, topic);

/** The help of `topic` (a command, or `main` for the list of commands). */
export function helpText(topic: string): string {
  if (topic === 'k3d') {
    return K3D;
  }
  if (!isCommand(topic)) {
    return MAIN;
  }
  const { before, after } = PROSE[topic];
  return [before, '', 'Options:', ...optionLines(topic), ...(after ? ['', after] : [])].join('\n');
}

export function help(topic: string): number {
  console.log(helpText(topic));
  return 0;
}
