// What the kube end-to-end tests share: what a cluster of a given id left on this machine
// (namespaces, mounts, cgroup dirs, processes), as the shared cluster's owner checks it too.
export { clusterTraces as traces } from '../../src/deploy/kube/sweep.ts';
