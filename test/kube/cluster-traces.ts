// What the kube end-to-end tests share: what a cluster of a given id left on this machine
// (namespaces, mounts, cgroup dirs, processes).
import { readFileSync } from 'node:fs';
import { run } from '../../src/util/exec.ts';

/** What a cluster of this id left on the machine: namespaces, mounts, cgroup dirs, processes. */
export async function traces(id: string): Promise<string[]> {
  const found: string[] = [];
  const ns = (await run(['ip', 'netns', 'list'])).stdout;
  found.push(...ns.split('\n').filter((l) => l.startsWith(`rck-${id}-`)));
  found.push(
    ...readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`rcnc-kube-${id}`)),
  );
  const cg = await run(['find', '/sys/fs/cgroup', '-maxdepth', '5', '-name', `rcnc-kube-${id}`], { reject: false });
  found.push(...cg.stdout.split('\n').filter(Boolean));
  const ps = await run(['ps', '-eo', 'pid,args'], { reject: false });
  found.push(...ps.stdout.split('\n').filter((l) => l.includes(`rcnc-kube-${id}`)));
  return found;
}
