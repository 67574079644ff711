// Starts a kube cluster and waits to be killed (cluster.e2e.test.ts SIGKILLs it mid-start): the
// cluster's record says run `e2e-sigkill`, so the test finds it.
import { join } from 'node:path';
import { cacheRoot } from '../../src/deploy/kube/build.ts';
import { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { pauseImage, redisImage } from '../../src/deploy/kube/images.ts';

const [bin, server, cli] = process.argv.slice(2) as [string, string, string];
const dir = join(cacheRoot(), 'kube', 'images');
const images = { pause: await pauseImage(join(bin, 'pause'), dir), redis: await redisImage({ server, cli }, dir) };
await KubeCluster.start({ nodes: 2, proxyMode: 'iptables', bin, images, runId: 'e2e-sigkill' });
// Started: stay until killed, as a run would while its cells run.
await new Promise(() => {});
