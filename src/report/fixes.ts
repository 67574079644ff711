// What makes a cell work, written once per distinct answer with the cells it applies to. Scenarios
// write an answer per cell with the cell's own addresses in it ("record 172.18.0.2 (eth0@node-0)",
// "(here: cluster-announce-ip 172.18.0.2, …)"); the same advice for seven cells differs only there.
// Generalising those addresses ("<node IP>", "eth0@<node>") groups the cells, and each keeps its
// own values as a detail.
import { familyModule } from '../../scenarios/registry.ts';
import type { Family } from '../model/dimensions.ts';
import type { CellResult } from '../model/results.ts';
import type { AddressKind } from '../suite/family.ts';
import { compareStrings } from '../util/text.ts';
import { toneOfCell } from './words.ts';

export interface AnsweredCell {
  cell: CellResult;
  /** This cell's own values that the generalised text leaves out (`172.18.0.2, eth0@node-0`). */
  detail?: string;
}

export interface AnswerGroup {
  family: Family;
  /** The answer with the cells' own addresses generalised; undefined: no answer is known. */
  text?: string;
  cells: AnsweredCell[];
}

/** The configuration that makes the cell work, or the known answer for a path that drops it. */
export function answerOf(cell: CellResult): string | undefined {
  if (cell.fix !== undefined) {
    return cell.fix;
  }
  return familyModule(cell.family).report.knownAnswer?.(cell);
}

/** Cells that need an answer: every word that is not good news, and every cell that carries one. */
export function needsAnswer(cell: CellResult): boolean {
  const tone = toneOfCell(cell);
  return (tone !== undefined && tone !== 'good') || answerOf(cell) !== undefined;
}

/** Groups by family, then by generalised answer (cells without an answer last), cells by id. */
export function answerGroups(cells: readonly CellResult[]): AnswerGroup[] {
  const groups = new Map<string, AnswerGroup>();
  for (const cell of [...cells].sort((a, b) => compareStrings(a.id, b.id))) {
    if (!needsAnswer(cell)) {
      continue;
    }
    const answer = answerOf(cell);
    const general = answer === undefined ? undefined : generaliseAnswer(cell, answer);
    const key = `${cell.family}\0${general?.text ?? '\uffff'}`;
    const group = groups.get(key) ?? { family: cell.family, ...(general ? { text: general.text } : {}), cells: [] };
    group.cells.push({ cell, ...(general?.detail ? { detail: general.detail } : {}) });
    groups.set(key, group);
  }
  return [...groups.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, group]) => group);
}

const HERE = /\s*\(here: ([^)]*)\)/g;
const IPV4 = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?(?![\w.])/g;
const DEVICE_AT_NODE = /\b([\w.-]+)@(node-\d+)\b/g;

const KIND_LABEL: Record<AddressKind, string> = {
  pod: 'pod IP',
  'bridge-gateway': 'cni0 gateway IP',
  tunnel: 'tunnel device IP',
  'node-ip': 'node IP',
  external: 'client IP',
  unknown: 'rewritten source',
  target: 'target IP',
};

/** The answer with this cell's addresses and node names replaced by what they are. */
export function generaliseAnswer(cell: CellResult, answer: string): { text: string; detail?: string } {
  const labels = addressLabels(cell);
  const details: string[] = [];
  let text = answer.trim().replace(HERE, (_, here: string) => {
    details.push(here.trim());
    return '';
  });
  text = text.replace(IPV4, (whole, ip: string) => {
    details.push(whole);
    return `<${labels.get(ip) ?? 'address'}>`;
  });
  text = text.replace(DEVICE_AT_NODE, (whole, device: string) => {
    details.push(whole);
    return `${device}@<node>`;
  });
  const detail = [...new Set(details)].join(', ');
  return detail ? { text, detail } : { text };
}

/** What the cell's own addresses are, from its observation, as its family names them. */
function addressLabels(cell: CellResult): Map<string, string> {
  const kinds = familyModule(cell.family).report.addressKinds;
  const found = cell.observation && kinds ? kinds(cell.observation) : [];
  return new Map(found.map(([address, kind]) => [address, KIND_LABEL[kind]]));
}
