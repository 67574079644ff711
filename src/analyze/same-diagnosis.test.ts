// Issue #23's done-when: analyze gives the same diagnosis and fix on every examples/* folder and
// every fixture folder whether the files keep their names, take arbitrary names in subfolders, or
// are concatenated into ONE terminal transcript (test/support/any-name.ts).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnosisOf, writeRenamed, writeTranscript } from '../../test/support/any-name.ts';
import { analyzeCommand, analyzeDir } from './analyze.ts';
import { asRenamed, asTranscript } from './any-name.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'analyze');

let scratch: string;
let n = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'analyze-same-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

const examples = (await readdir(join(ROOT, 'examples'), { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => join('examples', d.name));
// bitnami-charts-8605's one file, slave-info.txt, is whose only by its name ("slave", its role): no
// prompt of a transcript would name that pod, so there the pod is rightly unnamed.
const NAMED_BY_FILE_NAME_ONLY = new Set(['bitnami-charts-8605-replica-stale-master']);
const fixtures = [
  join('test', 'fixtures', 'analyze', 'redis-15136-stale-masters'),
  ...(await readdir(join(FIXTURES, 'public')))
    .filter((d) => !NAMED_BY_FILE_NAME_ONLY.has(d))
    .map((d) => join('test', 'fixtures', 'analyze', 'public', d)),
];

describe('the pure forms (src/analyze/any-name.ts)', () => {
  const files = [
    { name: 'redis-0.cluster-nodes.txt', text: 'ID 10.0.0.1:6379@16379 myself,master - 0 0 1 connected\n' },
    { name: 'pods.txt', text: 'NAME IP\n' },
    {
      name: 'rfr-0.info-replication.txt',
      text: '/data $ redis-cli\n127.0.0.1:6379> info replication\n# Replication\n',
    },
    { name: 'notes.md', text: 'hello' },
  ];

  it('one transcript: pod names only in the prompts, a neutral prompt for files of other names', () => {
    expect(asTranscript(files)).toBe(
      [
        '$ ./collect-part-0.sh',
        'hello',
        'root@bastion:~# kubectl get pods -o wide',
        'NAME IP',
        'user@laptop:~/debug$ kubectl exec redis-0 -- redis-cli cluster nodes',
        'ID 10.0.0.1:6379@16379 myself,master - 0 0 1 connected',
        'PS C:\\Users\\me> kubectl exec -it rfr-0 -- redis-cli',
        '/data $ redis-cli',
        '127.0.0.1:6379> info replication',
        '# Replication',
        '',
      ].join('\n'),
    );
  });

  it('renamed: arbitrary names in three subfolders, each after its own prompt', () => {
    expect(asRenamed(files).map((f) => [f.name, f.text.split('\n')[0]])).toEqual([
      ['part-0/paste-0.txt', 'hello'],
      ['part-1/paste-1.txt', '$ kubectl get pods -o wide'],
      ['part-2/paste-2.txt', '$ kubectl exec redis-0 -- redis-cli cluster nodes'],
      ['part-0/paste-3.txt', '$ kubectl exec -it rfr-0 -- redis-cli'],
    ]);
  });
});

describe.each([...examples, ...fixtures])('%s', (folder) => {
  const from = join(ROOT, folder);

  it('as ONE terminal transcript in a subfolder: the same diagnosis, fix and exit code', async () => {
    const dir = join(scratch, `t${n++}`);
    await writeTranscript(from, dir);
    const [original, again] = [await analyzeDir(from), await analyzeDir(dir)];
    expect(again.files).toEqual(['session/terminal-2024-05-01.log']);
    expect(diagnosisOf(again)).toEqual(diagnosisOf(original));
    expect((await analyzeCommand(dir, 'text')).exitCode).toBe((await analyzeCommand(from, 'text')).exitCode);
  });

  it('under arbitrary names in subfolders: the same diagnosis and fix', async () => {
    const dir = join(scratch, `r${n++}`);
    await writeRenamed(from, dir);
    expect(diagnosisOf(await analyzeDir(dir))).toEqual(diagnosisOf(await analyzeDir(from)));
  });
});
