// The lab measured against a real cluster: every cell id that ran on the netns lab and on a real
// provider (kube: upstream Kubernetes built here) in the same results, compared on what a user
// gets — the verdict, the compatibility word, and the facts its family names (nat-meet's ghost
// class and owner, snat's rewrite, owner and source address). Disagreements come first; each
// shows both observations. A pure function over results: `npm test` fails on a disagreement
// (scripts/test.ts), and compatibility.md shows the table.
import { familyModule } from '../../scenarios/registry.ts';
import type { ProviderName } from '../model/dimensions.ts';
import type { CellResult } from '../model/results.ts';
import { compareStrings } from '../util/text.ts';
import { wordLabelOf } from './words.ts';

/** The emulation, and the real providers whose cells share its ids after the provider part. */
const EMULATION: ProviderName = 'netns';
const REAL: readonly ProviderName[] = ['kube', 'k3d', 'kubeconfig'];

export interface FidelityDifference {
  subject: string;
  lab: string;
  real: string;
}

export interface FidelityPair {
  /** The cell id without its provider part: `flannel-vxlan/nodeport/announce-none`. */
  id: string;
  real: ProviderName;
  lab: CellResult;
  other: CellResult;
  /** Why the two cannot be compared (one was skipped or has no observation); undefined when compared. */
  notCompared?: string;
  differences: FidelityDifference[];
}

const withoutProvider = (id: string): string => id.slice(id.indexOf('/') + 1);
const shown = (v: string | undefined): string => v ?? 'none';

/** Every lab/real pair in `cells`, disagreements first, then by id. */
export function fidelityPairs(cells: readonly CellResult[]): FidelityPair[] {
  const lab = new Map(
    cells.filter((c) => c.dims.provider === EMULATION).map((c) => [withoutProvider(c.id), c] as const),
  );
  const pairs = cells
    .filter((c) => REAL.includes(c.dims.provider))
    .flatMap((other) => {
      const twin = lab.get(withoutProvider(other.id));
      return twin ? [comparePair(twin, other)] : [];
    });
  return pairs.sort(
    (a, b) => Number(b.differences.length > 0) - Number(a.differences.length > 0) || compareStrings(a.id, b.id),
  );
}

function comparePair(lab: CellResult, other: CellResult): FidelityPair {
  const base = { id: withoutProvider(other.id), real: other.dims.provider, lab, other };
  const skipped = [lab, other].find((c) => c.verdict.status === 'skip');
  if (skipped) {
    return {
      ...base,
      notCompared: `skipped on ${skipped.dims.provider}: ${skipped.verdict.reason ?? ''}`.trim(),
      differences: [],
    };
  }
  const facts: [string, string | undefined, string | undefined][] = [
    ['verdict', lab.verdict.status, other.verdict.status],
    ['compatibility', wordLabelOf(lab), wordLabelOf(other)],
  ];
  const named = familyModule(other.family).fidelity as ((o: unknown) => Record<string, string | undefined>) | undefined;
  if (named && lab.family === other.family && lab.observation && other.observation) {
    const [a, b] = [named(lab.observation), named(other.observation)];
    for (const subject of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
      facts.push([subject, a[subject], b[subject]]);
    }
  }
  const differences = facts
    .filter(([, a, b]) => a !== b)
    .map(([subject, a, b]) => ({ subject, lab: shown(a), real: shown(b) }));
  return { ...base, differences };
}

/** Pairs compared, how many agree, and the disagreements; undefined when no cell ran both ways. */
export function fidelitySummary(pairs: readonly FidelityPair[]): string | undefined {
  if (pairs.length === 0) {
    return undefined;
  }
  const compared = pairs.filter((p) => !p.notCompared);
  const disagree = compared.filter((p) => p.differences.length > 0);
  const lines = [
    `lab against real Kubernetes: ${compared.length} cell(s) ran both ways, ${compared.length - disagree.length} agree, ${disagree.length} disagree` +
      (pairs.length > compared.length ? ` (${pairs.length - compared.length} not compared: one side skipped)` : ''),
  ];
  for (const p of disagree) {
    lines.push(
      `  ${p.id} (netns vs ${p.real}): ${p.differences.map((d) => `${d.subject} ${d.lab} vs ${d.real}`).join('; ')}`,
    );
  }
  return lines.join('\n');
}

/**
 * One line per pair, for terminals and CI logs (`rcnc diff` of a lab run and a real cluster's run),
 * in fidelityPairs' order: what differs, why it was not compared, or the word both gave.
 */
export function fidelityLines(pairs: readonly FidelityPair[]): string[] {
  const width = Math.max(0, ...pairs.map((p) => p.id.length));
  return pairs.map((p) => {
    const [status, what] = p.notCompared
      ? ['not compared', p.notCompared]
      : p.differences.length > 0
        ? ['DISAGREE', p.differences.map((d) => `${d.subject} ${d.lab} vs ${d.real}`).join('; ')]
        : ['agree', `${p.lab.verdict.status}, ${wordLabelOf(p.lab) ?? 'no word'} on both`];
    return `${status.padEnd(12)}  ${p.id.padEnd(width)}  ${what}`;
  });
}
