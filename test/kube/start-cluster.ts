// Starts a kube cluster and waits to be killed (cluster.e2e.test.ts SIGKILLs it mid-start): the
// cluster's record says run `e2e-sigkill`, so the test finds it.
import { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { clusterImages } from './cluster-traces.ts';

const [bin, server, cli] = process.argv.slice(2) as [string, string, string];
const images = await clusterImages(bin, { server, cli });
await KubeCluster.start({ nodes: 2, proxyMode: 'iptables', bin, images, runId: 'e2e-sigkill' });
// Started: stay until killed, as a run would while its cells run.
await new Promise(() => {});
