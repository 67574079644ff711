// Every `docs/<file>.md#anchor` cited in code, cells, fixtures and docs names a heading that exists
// (GitHub's slug rules), and no link in the repository leads outside it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

const tracked = (): string[] =>
  execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && /\.(ts|md|json|yml|mjs|js)$/.test(f) && !f.startsWith('node_modules/'))
    .filter((f) => existsSync(join(ROOT, f)));

/** GitHub's heading slug: lowercase, drop punctuation except `-` and `_`, spaces become `-`. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a markdown file defines, with GitHub's `-1`, `-2` suffixes for repeated headings. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
    }
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) {
      continue;
    }
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const CITATION = /docs\/([\w-]+\.md)#([\w-]+)/g;

describe('documentation citations', () => {
  const files = tracked();
  const docs = new Map<string, Set<string>>();
  const anchorsIn = (doc: string) => {
    let a = docs.get(doc);
    if (!a) {
      const path = join(ROOT, 'docs', doc);
      a = existsSync(path) ? anchorsOf(readFileSync(path, 'utf8')) : new Set<string>();
      docs.set(doc, a);
    }
    return a;
  };

  test('the slug rules match GitHub on the headings we use', () => {
    expect(slug('Calico CrossSubnet: remote endpoint')).toBe('calico-crosssubnet-remote-endpoint');
    expect(slug('`externalTrafficPolicy: Local`')).toBe('externaltrafficpolicy-local');
    expect(anchorsOf('# A\n## A\n```\n# not a heading\n```\n### B c')).toEqual(new Set(['a', 'a-1', 'b-c']));
  });

  test('every cited anchor exists', () => {
    const broken: string[] = [];
    let cited = 0;
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(CITATION)) {
        cited++;
        if (!anchorsIn(m[1]!).has(m[2]!)) {
          broken.push(`${file}: docs/${m[1]}#${m[2]}`);
        }
      }
    }
    expect(broken).toEqual([]);
    // The scenarios cite the reference heavily; zero citations would mean the pattern broke.
    expect(cited).toBeGreaterThan(50);
  });

  test('no citation or link leads outside the repository', () => {
    const outside: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (/shared\/docs|k8s-path\.md|datapath\.md\s*§/.test(text) && file !== 'test/unit/doc-anchors.test.ts') {
        outside.push(`${file}: cites the internal background notes`);
      }
      if (!file.endsWith('.md')) {
        continue;
      }
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (!target || /^[a-z]+:/i.test(target)) {
          continue;
        }
        const abs = resolve(dirname(join(ROOT, file)), target);
        if (relative(ROOT, abs).startsWith('..')) {
          outside.push(`${file}: links ${m[1]}`);
        } else if (!existsSync(abs)) {
          outside.push(`${file}: links ${m[1]}, which does not exist`);
        }
      }
    }
    expect(outside).toEqual([]);
  });
});
