// Reusable by any test (and by the `cases` family's cells): a folder of collected files as people
// paste them — each file under an arbitrary name in subfolders, and all of them as ONE terminal
// transcript where each output follows the prompt of the command that printed it (pod names only
// in the prompts) — and the part of an analysis that must not depend on that: the verdict, the
// problem kinds, their addresses and owners, and the fixes. File names are left out by design.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalyzeReport } from '../../src/analyze/report-types.ts';

/** Files that describe a folder rather than being evidence in it. */
const NOT_EVIDENCE = new Set(['README.md', 'expected.json', 'EXPECTED.md', 'SOURCE.md']);

const PROMPTS = ['$ ', 'root@bastion:~# ', 'user@laptop:~/debug$ ', 'PS C:\\Users\\me> '];

/**
 * The command that prints a file of rcnc's layout (POD.KIND.txt, pods.txt, …); undefined for others.
 * A file that opens with redis-cli's own prompt (`127.0.0.1:6379> info replication`) was typed in
 * an interactive session: the command is the `kubectl exec -it POD -- redis-cli` that opened it.
 */
export function commandFor(name: string, text = ''): string | undefined {
  // Its first lines: a shell prompt (`/data $ redis-cli`) may come before redis-cli's.
  const interactive = /^\S+:(\d+)> /m.exec(text.split('\n').slice(0, 3).join('\n'));
  const pod = /^(.+?)\.[a-z-]+(?:\.(?:txt|log|conf))?$/.exec(name)?.[1];
  if (interactive && pod) {
    return `kubectl exec -it ${pod} -- redis-cli${interactive[1] === '6379' ? '' : ` -p ${interactive[1]}`}`;
  }
  return layoutCommand(name);
}

function layoutCommand(name: string): string | undefined {
  const tables: Record<string, string> = {
    'pods.txt': 'kubectl get pods -o wide',
    'nodes.txt': 'kubectl get nodes -o wide',
    'services.txt': 'kubectl get svc -o wide',
    'podcidrs.txt': 'kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR',
  };
  if (tables[name]) {
    return tables[name];
  }
  const m = /^(.+?)\.([a-z-]+)(?:\.(?:txt|log|conf))?$/.exec(name);
  const [pod = '', kind = ''] = m ? [m[1], m[2]] : [];
  const exec = (cmd: string) => `kubectl exec ${pod} -- ${cmd}`;
  return {
    'cluster-nodes': exec('redis-cli cluster nodes'),
    ss: exec('ss -tanp'),
    netstat: exec('netstat -anop'),
    'proc-net-tcp': exec('cat /proc/net/tcp /proc/net/tcp6'),
    tcpdump: exec('tcpdump -i any -nn -tt -v'),
    log: `kubectl logs ${pod}`,
    'info-replication': exec('redis-cli info replication'),
    'sentinel-replicas': exec('redis-cli -p 26379 sentinel replicas mymaster'),
    'sentinel-sentinels': exec('redis-cli -p 26379 sentinel sentinels mymaster'),
    'sentinel-master': exec('redis-cli -p 26379 sentinel get-master-addr-by-name mymaster'),
    'sentinel-get-master-addr': exec('redis-cli -p 26379 sentinel get-master-addr-by-name mymaster'),
    sentinel: exec('cat /etc/redis/sentinel.conf'),
    'ip-addr': `docker exec ${pod} ip addr`,
    ifconfig: `docker exec ${pod} ifconfig`,
  }[kind];
}

/** The evidence files of `dir`, sorted (its own description files left out). */
export async function evidenceFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => !NOT_EVIDENCE.has(f)).sort();
}

/** `dir`'s files as one transcript: the prompt and command before each (a neutral one for other names). */
export async function transcriptOf(dir: string): Promise<string> {
  const files = await evidenceFiles(dir);
  const parts = await Promise.all(
    files.map(async (f, i) => {
      const text = (await readFile(join(dir, f), 'utf8')).replace(/\n?$/, '\n');
      return `${PROMPTS[i % PROMPTS.length]}${commandFor(f, text) ?? `./collect-part-${i}.sh`}\n${text}`;
    }),
  );
  return parts.join('');
}

/** Writes `dir`'s files as ONE transcript, `session/terminal-2024-05-01.log` under `to`. */
export async function writeTranscript(dir: string, to: string): Promise<void> {
  await mkdir(join(to, 'session'), { recursive: true });
  await writeFile(join(to, 'session', 'terminal-2024-05-01.log'), await transcriptOf(dir));
}

/** Writes each of `dir`'s files under `to` with an arbitrary name in one of three subfolders, after its own prompt. */
export async function writeRenamed(dir: string, to: string): Promise<void> {
  for (const [i, f] of (await evidenceFiles(dir)).entries()) {
    const text = await readFile(join(dir, f), 'utf8');
    const command = commandFor(f, text);
    await mkdir(join(to, `part-${i % 3}`), { recursive: true });
    // A file of rcnc's layout gets its command's prompt (its pod is named nowhere else); any
    // other file already says whose it is by its content or its own prompt, and stays as it is.
    await writeFile(join(to, `part-${i % 3}`, `paste-${i}.txt`), command ? `$ ${command}\n${text}` : text);
  }
}

/** File names, and `file:line` references, as they appear in a report's sentences. */
const FILE_REF = /[\w./-]+\.(?:txt|log|conf)(?::\d+)?|session\/[\w./-]+(?::\d+)?|part-\d\/paste-\d+\.txt(?::\d+)?/g;
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
