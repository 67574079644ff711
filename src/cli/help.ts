// The help text of every command. Kept apart from the commands so `rcnc --help` loads nothing heavy.
import { scenarioNames } from '../../scenarios/registry.ts';
import { ANALYZE_FILES_HELP } from '../analyze/analyze.ts';
import { labProfiles } from '../deploy/netns/profiles.ts';
import { EXPOSURES, PROFILES } from '../model/dimensions.ts';

export const HELP: Record<string, string> = {
  main: `rcnc — Redis Cluster Network Conformance

Usage: rcnc <command> [options]

Commands:
  run                 run the conformance matrix and write reports/latest/
  reproduce nat-meet  reproduce the NAT meet failure and explain it, in seconds
  analyze DIR         diagnose files collected from a real cluster (netstat, tcpdump, logs…)
  collect -n NS DIR   gather those files from a running Redis deployment, then analyze them
  report DIR          rewrite compatibility.md, junit.xml and index.html from DIR/results.json
  diff OLD NEW        what changed between two runs' results (exit 1 on a regression)
  doctor              check what the lab needs from this machine
  setup               install missing system packages (apt-get, as root)
  clean               remove namespaces, processes and temp dirs a killed run left
  k3d -- ARGS…        run the real k3d binary ($K3D_BIN, PATH, or the rcnc cache)

Run 'npx rcnc <command> --help' for the options of a command, 'npx rcnc --version' for the version.
Exit codes: 0 as expected, 1 an unexpected result, 2 bad usage or a missing requirement.`,
  run: `Usage: rcnc run [options]

Runs every cell of the matrix that matches the filters on the chosen provider, printing progress
per cell, then writes results.json, compatibility.md, junit.xml and index.html (with every cell's
evidence) to <report-dir>/<run-id>/ and <report-dir>/latest/.

Options:
  --provider NAME       netns (default: the embedded lab), k3d (needs Docker and k3d),
                        kubeconfig (an existing cluster; with --kubeconfig PATH --context NAME),
                        docker (containers through testcontainers: the daemon DOCKER_HOST names or
                        the default socket's, else, as root, a private dockerd per topology)
  --kubeconfig PATH     kubeconfig of the cluster to test (--provider kubeconfig)
  --context NAME        context in that kubeconfig (default: its current-context)
  --scenario LIST       comma-separated scenario families (${scenarioNames().join(', ')})
  --profile LIST        comma-separated profiles (${PROFILES.join(', ')})
  --exposure LIST       comma-separated exposures (${EXPOSURES.join(', ')})
  --cell ID|GLOB        only cells whose id matches (repeat or comma-separate; * matches anything)
  --concurrency N       cells run side by side, each in its own lab (default: from cores and memory)
  --timing-cells MODE   alone: failover and rolling cells get the machine to themselves (default);
                        shared: they run beside others, marked so (default with RCNC_MATRIX=full)
  --report-dir DIR      where reports go (default: ./reports)
  --redis-server PATH   redis-server binary to test (default: redis-server on PATH)
  --redis-cli PATH      redis-cli binary to use (default: redis-cli on PATH)
  --fail-fast           after the first failed cell start no more (running cells finish)
  --list                print the matching cells and exit without running them
  --json                print results.json instead of the summary (progress stays on stderr)
  -h, --help            show this help`,
  reproduce: `Usage: rcnc reproduce nat-meet [options]

Builds a single-node k3s-shaped lab, exposes three masters over NodePort, lets a replica join
without cluster-announce-ip the way operators do, and shows what each side recorded, the failed
dial-back, the NATed bus connection, and the fix with its result.

Options:
  --profile NAME        datapath to use (${labProfiles()
    .filter((p) => p !== 'no-nat')
    .join(', ')}; default flannel-vxlan)
  --nodes N             1 (default) or more; with more, the joiner dials its own node
  --redis-server PATH   redis-server binary (default: redis-server on PATH)
  --redis-cli PATH      redis-cli binary (default: redis-cli on PATH)
  --json                print the observations as JSON
  -h, --help            show this help`,
  doctor: `Usage: rcnc doctor [--json]

Lists what the netns lab needs (root, network namespaces, packages, br_netfilter, iptables-nft)
and what is missing. Exit 0 when everything is there, 2 otherwise.`,
  setup: `Usage: rcnc setup

Installs the system packages the lab needs with apt-get when running as root on Debian;
otherwise names the packages to install. Exit 2 when packages are missing and cannot be installed.
Also installs docker.io (dockerd, containerd, runc, docker-proxy) when dockerd is missing, for the
docker provider's private daemon, without starting its service; the lab does not need it.`,
  diff: `Usage: rcnc diff OLD NEW [options]

Compares two runs' results.json (or the report directories that hold them), e.g. the same matrix
before and after a kernel, CNI or Redis upgrade: cells added or removed, a compatibility word or a
ghost class that changed, a cell that started or stopped failing, and recovery figures (recovery
time, failover, the client's error window) that moved beyond the tolerance.

Options:
  --tolerance-ms N      a figure that moved by at most N ms has not changed (default 1000)
  --tolerance-ratio R   …or by at most R times its old value, whichever allows more (default 0.25)
  --json                print the changes as JSON
  -h, --help            show this help

Exit: 0 no regression, 1 a regression (what a user gets got worse, a cell started to fail, a figure
grew), 2 a file missing or not an rcnc results file.`,
  analyze: `Usage: rcnc analyze DIR [--json]

Diagnoses artifacts collected on a real cluster. DIR holds any of:
${ANALYZE_FILES_HELP}
It reports NATed bus connections with the likely rewrite, NAT mappings from pairs of captures,
ghost/handshake/noaddr entries, failed dial-backs, and the announce settings that fix each node,
with the commands to apply them. Files may be UTF-8 or UTF-16, with LF or CRLF line ends.
Exit: 0 nothing wrong found, 1 problems found, 2 DIR missing or unreadable, or nothing in it usable.`,
  collect: `Usage: rcnc collect -n NAMESPACE [options] DIR

Finds the Redis Cluster pods of NAMESPACE (those matching -l), gathers from each exactly what
'rcnc analyze' reads — CLUSTER NODES, INFO replication, its socket table (ss, netstat or
/proc/net/tcp, whichever the image has), its log — plus the pods, nodes, Services and pod CIDRs,
writes them into DIR (new or empty) and prints the analysis. Nothing in the cluster is changed
unless --debug allows it.

Options:
  --kubeconfig PATH     kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME        context in that kubeconfig (default: its current-context)
  -n, --namespace NS    namespace of the Redis pods (required)
  -l, --selector SEL    label selector of the Redis pods (default: every running pod)
  -c, --container NAME  the Redis container (default: the one with port 6379, or named redis*)
  --port N              Redis port of every pod (default: detected, a port p with p+10000 listening)
  --debug               allow an ephemeral debug container (nicolaka/netshoot) in each pod and a
                        host-network debug pod per node: packet captures and node addresses
  --capture SECONDS     with --debug: capture that long in every Redis pod (tcpdump text + pcap/)
  --json                print the analysis as JSON
  -h, --help            show this help
Exit: 0 nothing wrong found, 1 problems found, 2 bad usage, an unreachable cluster or no Redis pods.`,
  report: `Usage: rcnc report DIR

Rewrites compatibility.md, junit.xml and index.html in DIR from DIR/results.json (DIR may also be
the results.json itself), e.g. after upgrading rcnc or to render results copied from CI.
results.json and the artifacts are left as they are. Exit 2 when results.json is missing or invalid.`,
  k3d: `Usage: rcnc k3d -- ARGS…

Runs the real k3d binary with ARGS (the npm package named "k3d" is unrelated and never used).
It is found in this order: $K3D_BIN, PATH, the rcnc cache dir; with K3D_AUTO_INSTALL=1 a pinned
release is downloaded and checked against its sha256 when none is found.
Exit: k3d's own exit code, or 2 when k3d cannot be found.`,
  clean: `Usage: rcnc clean [--all]

Removes the network namespaces, processes and temp dirs of labs whose run is no longer alive, and
of the docker provider's private Docker hosts (dockerd, containerd, shims, containers, mounts,
cgroups, namespaces, dirs); and the k3d clusters and kubeconfig namespaces of k3d/kubeconfig runs
whose process is gone (by their run-state records; anything without one is kept and named).
--all also removes those of runs that are still alive.`,
};

export function help(topic: string): number {
  console.log(HELP[topic] ?? HELP.main);
  return 0;
}
