// Collected files as people paste them, and what of an analysis must not depend on that. Pure, so
// that tests (test/support/any-name.ts, which reads and writes folders) and scenario cells can both
// use it: each file under an arbitrary name in subfolders, or all of them as ONE terminal
// transcript where each output follows the prompt of the command that printed it (pod names only
// in the prompts); and the verdict, problem kinds, addresses, owners and fixes, file names left out.
import type { AnalyzeReport } from './report-types.ts';

/** One collected file: its name in rcnc's layout (POD.KIND.txt, pods.txt, …) or any other, and its text. */
export interface NamedText {
  name: string;
  text: string;
}

const PROMPTS = ['$ ', 'root@bastion:~# ', 'user@laptop:~/debug$ ', 'PS C:\\Users\\me> '];

const TABLES: Record<string, string> = {
  'pods.txt': 'kubectl get pods -o wide',
  'nodes.txt': 'kubectl get nodes -o wide',
  'services.txt': 'kubectl get svc -o wide',
  'podcidrs.txt': 'kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR',
};

const LAYOUT = /^(.+?)\.([a-z-]+)(?:\.(?:txt|log|conf))?$/;

function layoutCommand(name: string): string | undefined {
  if (TABLES[name]) {
    return TABLES[name];
  }
  const [, pod = '', kind = ''] = LAYOUT.exec(name) ?? [];
  const exec = (cmd: string) => `kubectl exec ${pod} -- ${cmd}`;
  const sentinel = (what: string) => exec(`redis-cli -p 26379 sentinel ${what}`);
  return {
    'cluster-nodes': exec('redis-cli cluster nodes'),
    ss: exec('ss -tanp'),
    netstat: exec('netstat -anop'),
    'proc-net-tcp': exec('cat /proc/net/tcp /proc/net/tcp6'),
    tcpdump: exec('tcpdump -i any -nn -tt -v'),
    log: `kubectl logs ${pod}`,
    'info-replication': exec('redis-cli info replication'),
    'sentinel-replicas': sentinel('replicas mymaster'),
    'sentinel-sentinels': sentinel('sentinels mymaster'),
    'sentinel-master': sentinel('get-master-addr-by-name mymaster'),
    'sentinel-get-master-addr': sentinel('get-master-addr-by-name mymaster'),
    sentinel: exec('cat /etc/redis/sentinel.conf'),
    'ip-addr': `docker exec ${pod} ip addr`,
    ifconfig: `docker exec ${pod} ifconfig`,
  }[kind];
}

/**
 * The command that prints a file of rcnc's layout; undefined for other names. A file that opens
 * with redis-cli's own prompt (`127.0.0.1:6379> info replication`, maybe after a shell prompt) was
 * typed in an interactive session: the command is the `kubectl exec -it POD -- redis-cli` that
 * opened it.
 */
export function commandFor(name: string, text = ''): string | undefined {
  const interactive = /^\S+:(\d+)> /m.exec(text.split('\n').slice(0, 3).join('\n'));
  const pod = LAYOUT.exec(name)?.[1];
  if (interactive && pod) {
    return `kubectl exec -it ${pod} -- redis-cli${interactive[1] === '6379' ? '' : ` -p ${interactive[1]}`}`;
  }
  return layoutCommand(name);
}

/** The files as one transcript: each after a prompt and its command (a neutral one for other names). */
export function asTranscript(files: NamedText[]): string {
  return [...files]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f, i) => {
      const text = f.text.replace(/\n?$/, '\n');
      return `${PROMPTS[i % PROMPTS.length]}${commandFor(f.name, f.text) ?? `./collect-part-${i}.sh`}\n${text}`;
    })
    .join('');
}

/**
 * The files under arbitrary names in three subfolders. A file of rcnc's layout gets its command's
 * prompt (its pod is named nowhere else); any other already says whose it is by its content or its
 * own prompt, and stays as it is.
 */
export function asRenamed(files: NamedText[]): NamedText[] {
  return [...files]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f, i) => {
      const command = commandFor(f.name, f.text);
      return { name: `part-${i % 3}/paste-${i}.txt`, text: command ? `$ ${command}\n${f.text}` : f.text };
    });
}

/** File names, and `file:line` references, as they appear in a report's sentences. */
const FILE_REF = /[\w./-]+\.(?:txt|log|conf)(?::\d+)?|session\/[\w./-]+(?::\d+)?/g;
const unfile = (s: string) => s.replace(FILE_REF, 'FILE');

/** What must be the same whatever the files are called: verdict, kinds, addresses, owners, fixes. */
export function diagnosisOf(r: AnalyzeReport) {
  return {
    verdict: r.verdict,
    problems: r.problems.length,
    diagnoses: r.diagnoses.map((d) => ({
      kind: d.kind,
      certainty: d.certainty,
      addresses: d.addresses,
      owner: unfile(d.owner),
      previousOwner: d.previousOwner,
      fix: { ...d.fix, summary: unfile(d.fix.summary) },
    })),
    recommendations: r.recommendations.map((x) => ({ pod: x.pod, settings: x.settings, commands: x.commands })),
    deployer: r.deployer?.name,
  };
}
