// Starts a 2-node kube cluster (kube-proxy in the mode given, iptables by default) and waits to be
// killed (cluster.e2e.test.ts SIGKILLs it mid-start, and SIGTERMs it once it is up): the cluster's
// record carries the run id given, so the test finds it, and `READY <id>` on stdout says every node
// is Ready. Its node daemons are this process's, so only it can stop a node: on stdin, `STOP <i>`
// and `START <i>` stop and start node i (KubeCluster.stopNode, startStoppedNode), answered on stdout
// by `STOPPED <i>` / `STARTED <i>`, or `FAILED <message>`.
import { createInterface } from 'node:readline';
import { KubeCluster } from '../../src/deploy/kube/cluster.ts';
import { clusterImages } from '../../src/deploy/kube/images.ts';

const [bin, server, cli, runId, mode] = process.argv.slice(2) as [string, string, string, string, string?];
const images = await clusterImages(bin, { server, cli });
const proxyMode = mode === 'nftables' ? 'nftables' : 'iptables';
const cluster = await KubeCluster.start({ nodes: 2, proxyMode, bin, images, runId });
process.stdout.write(`READY ${cluster.id}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^(STOP|START) (\d)$/.exec(line.trim());
  if (!m) {
    process.stdout.write(`FAILED unknown command ${JSON.stringify(line)}\n`);
    return;
  }
  const i = Number(m[2]);
  const done = m[1] === 'STOP' ? cluster.stopNode(i) : cluster.startStoppedNode(i);
  done.then(
    () => process.stdout.write(`${m[1] === 'STOP' ? 'STOPPED' : 'STARTED'} ${i}\n`),
    (e: unknown) => process.stdout.write(`FAILED ${(e as Error).message.replace(/\n/g, ' ')}\n`),
  );
});
// Started: stay until killed, as a run would while its cells run (a timer keeps the event loop
// alive: the daemons are not this process's handles, and a bare pending promise lets node exit).
setInterval(() => {}, 60_000);
