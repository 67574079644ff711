// The per-cell anchors of index.html (`#cell-netns_flannel-vxlan_nodeport_announce-none`), computed
// once so compatibility.md can link each cell id to the evidence behind it.
import { cellSlug } from '../model/cell.ts';
import type { CellResult } from '../model/results.ts';
import { compareStrings } from '../util/text.ts';

/** Ids from the cell slug, with a counter when two ids slug to the same text. */
export function cellAnchors(cells: readonly CellResult[]): Map<CellResult, string> {
  const anchors = new Map<CellResult, string>();
  const used = new Set<string>();
  for (const cell of [...cells].sort((a, b) => compareStrings(a.id, b.id))) {
    const base = `cell-${cellSlug(cell.id)}`;
    let anchor = base;
    for (let n = 2; used.has(anchor); n++) {
      anchor = `${base}-${n}`;
    }
    used.add(anchor);
    anchors.set(cell, anchor);
  }
  return anchors;
}
