import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CellResult, ResultsFile } from '../model/results.ts';
import { fidelityPairs, fidelitySummary } from './fidelity.ts';
import { readResults } from './write.ts';

// One real run's cells that ran on the lab and on real Kubernetes (test/fixtures/README.md).
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/report/results.lab-and-kube.json', import.meta.url));
const GHOST = 'kube/flannel-vxlan/nodeport/announce-none';
const KEPT = 'kube/flannel-vxlan/pod-ip/announce-none/2-nodes/pod-same-node';
const REMOTE = 'kube/flannel-vxlan/nodeport/announce-none/2-nodes/nodeport-remote-endpoint';

let run: ResultsFile;
beforeAll(async () => {
  run = await readResults(FIXTURE);
});

const edited = (id: string, edit: (cell: CellResult) => void): CellResult[] =>
  structuredClone(run.cells).map((c) => {
    if (c.id === id) {
      edit(c);
    }
    return c;
  });

describe('fidelityPairs', () => {
  test('pairs every kube cell with its lab twin; in this run all 11 agree', () => {
    const pairs = fidelityPairs(run.cells);
    expect(pairs.map((p) => p.id)).toContain('flannel-vxlan/nodeport/announce-none');
    expect(pairs).toHaveLength(11);
    expect(pairs.filter((p) => p.differences.length > 0 || p.notCompared)).toEqual([]);
    expect(fidelitySummary(pairs)).toBe('lab against real Kubernetes: 11 cell(s) ran both ways, 11 agree, 0 disagree');
  });

  test('a client pod at another IP is the same observation: kept sources compare by owner', () => {
    const [lab, kube] = ['netns', 'kube'].map((p) => run.cells.find((c) => c.id === KEPT.replace('kube', p))!);
    // The fixture's two runs handed the client pod different addresses.
    expect(lab!.observation).not.toEqual(kube!.observation);
    expect(fidelityPairs(run.cells).find((p) => p.other.id === KEPT)!.differences).toEqual([]);
  });

  test('a ghost owned by another device is a disagreement, listed first with both values', () => {
    const cells = edited(GHOST, (c) => {
      (c.observation as { ghostOwner?: string }).ghostOwner = 'flannel.1@node-0';
    });
    const [first] = fidelityPairs(cells);
    expect(first!.id).toBe('flannel-vxlan/nodeport/announce-none');
    expect(first!.differences).toEqual([{ subject: 'ghost owner', lab: 'cni0@node-0', real: 'flannel.1@node-0' }]);
    expect(fidelitySummary(fidelityPairs(cells))).toContain(
      'flannel-vxlan/nodeport/announce-none (netns vs kube): ghost owner cni0@node-0 vs flannel.1@node-0',
    );
  });

  test('a rewritten source from another address, a changed word and a failed verdict each count', () => {
    const cells = edited(REMOTE, (c) => {
      (c.observation as { seen?: string }).seen = '172.18.0.3:40000';
      c.verdict = { status: 'fail', reason: 'x' };
    });
    const pair = fidelityPairs(cells).find((p) => p.other.id === REMOTE)!;
    expect(pair.differences.map((d) => `${d.subject}: ${d.lab} / ${d.real}`)).toEqual([
      'verdict: pass / fail',
      'source address: 10.42.1.0 / 172.18.0.3',
    ]);
  });

  test('a pair with a skipped side is not compared, and says why', () => {
    const cells = edited(GHOST, (c) => {
      c.verdict = { status: 'skip', reason: 'kube: not built here' };
    });
    const pair = fidelityPairs(cells).find((p) => p.other.id === GHOST)!;
    expect(pair.notCompared).toBe('skipped on kube: kube: not built here');
    expect(fidelitySummary(fidelityPairs(cells))).toMatch(
      /10 cell\(s\) ran both ways, 10 agree, 0 disagree \(1 not compared/,
    );
  });

  test('no pair, no summary: a run on one provider has nothing to compare', () => {
    expect(fidelitySummary(fidelityPairs(run.cells.filter((c) => c.dims.provider === 'netns')))).toBeUndefined();
  });
});
