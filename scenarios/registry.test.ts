// The registry is the only place the program learns which families exist: every name in FAMILIES
// has its module, each module describes its own cells (their family, their expectations in the
// family's schema and words), and `rcnc reproduce` finds a family's classic cell.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { inRun } from '../src/deploy/providers.ts';
import type { AnyCell } from '../src/model/cell.ts';
import { FAMILIES, PROVIDERS } from '../src/model/dimensions.ts';
import { UsageError } from '../src/util/errors.ts';
import { allCells, expectationText, familyModule, scenarioNames, SCENARIOS } from './registry.ts';

const ROOT = join(import.meta.dirname, '..');

describe('the registry', () => {
  test('has one module per family, in the order of FAMILIES, each with its test file', () => {
    expect(scenarioNames()).toEqual([...FAMILIES]);
    for (const family of FAMILIES) {
      const module = familyModule(family);
      expect(module.name).toBe(family);
      expect(existsSync(join(ROOT, module.testFile)), module.testFile).toBe(true);
    }
  });

  test("a module's cells are its family's, with expectations its schema accepts and its words read", () => {
    for (const module of SCENARIOS) {
      for (const provider of PROVIDERS) {
        for (const cell of module.cells(provider, 'full')) {
          expect(cell.family, cell.id).toBe(module.name);
          const problems: string[] = [];
          module.schema.expectation(problems, cell.expectation, cell.id);
          expect(problems).toEqual([]);
          expect(expectationText(cell), cell.id).not.toBe('');
        }
      }
    }
  });

  test('every cell of a provider, once', () => {
    const ids = allCells('netns', 'default').map((cell) => cell.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Each family's cells the lab runs unasked (inRun): not the nftables profile's, which it runs
    // only when named (--profile flannel-vxlan-nftables), and then all of them.
    const runnable = (module: (typeof SCENARIOS)[number]) =>
      module.cells('netns', 'default').filter((cell) => inRun(cell)).length;
    expect(ids.length).toBe(SCENARIOS.reduce((sum, module) => sum + runnable(module), 0));
    expect(ids.filter((id) => id.includes('nftables'))).toEqual([]);
    const of = (profile: string, cells: AnyCell[]) => cells.filter((cell) => cell.dims.profile === profile);
    const named = of('flannel-vxlan-nftables', allCells('netns', 'default', { profile: ['flannel-vxlan-nftables'] }));
    const flannel = new Set(of('flannel-vxlan', allCells('netns', 'default')).map((cell) => cell.id));
    expect(named.length).toBeGreaterThan(0);
    // Each is a flannel-vxlan cell of the default matrix, on the paths through kube-proxy.
    expect(
      named
        .map((cell) => cell.id.replace('/flannel-vxlan-nftables/', '/flannel-vxlan/'))
        .filter((id) => !flannel.has(id)),
    ).toEqual([]);
  });

  test('every word of a vocabulary has a tone and a meaning', () => {
    for (const module of SCENARIOS) {
      for (const [word, definition] of Object.entries(module.words.words)) {
        expect(['good', 'needs-setting', 'bad'], `${module.name}: ${word}`).toContain(definition.tone);
        expect(definition.meaning, `${module.name}: ${word}`).not.toBe('');
      }
    }
  });
});

describe('rcnc reproduce finds what to run in the family', () => {
  const reproduction = familyModule('nat-meet').reproduce!;

  test("nat-meet's classic cell: add-node on one node, the joiner dialling its own node on more", () => {
    const one = reproduction.cell({});
    expect(one).toMatchObject({ id: 'netns/flannel-vxlan/nodeport/announce-none/add-node', family: 'nat-meet' });
    const three = reproduction.cell({ profile: 'calico-vxlan', nodes: '3' });
    expect(three.id).toBe('netns/calico-vxlan/nodeport/announce-none/3-nodes/dial-own-node');
    expect(three.dims.nodes).toBe(3);
  });

  test('flags it cannot use are a usage error', () => {
    expect(() => reproduction.cell({ profile: 'no-nat' })).toThrow(UsageError);
    expect(() => reproduction.cell({ nodes: '9' })).toThrow(/give a whole number from 1 to 5/);
  });
});
