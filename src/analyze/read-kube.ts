// kubectl's output, in whatever form it came (a table with or without its header, JSON, YAML, a
// jsonpath list), gathered into one set of pods, nodes, Services and pod CIDRs.
import type { ParseWarning } from '../probes/cluster-nodes.ts';
import { parseHeaderlessPods, parseKubeJson, parseKubeYaml, parsePodList, type KubeObjects } from './kube-objects.ts';
import { parseKubectlTable, parseNodes, parsePodCidrs, parsePods, parseServices, type KubePod } from './kubectl.ts';
import { addParsed, type Piece } from './read-parts.ts';
import type { Warnings } from './warnings.ts';

/** What kubectl output said. */
export interface KubeTables extends KubeObjects {
  cidrs: { node: string; cidr: string }[];
  /** Pod IPs from a list without names (`-o jsonpath='{.items[*].status.podIP}'`). */
  podAddresses: string[];
  /** Where each kind came from (a file, or `file:line` of its prompt), when read. */
  read: { pods?: string; nodes?: string; services?: string; podcidrs?: string };
}

export const noKube = (): KubeTables => ({ pods: [], nodes: [], services: [], cidrs: [], podAddresses: [], read: {} });

/** `kubectl get pods` without -o wide: names and statuses, no IPs. */
function parsePlainPods(text: string): { pods: KubePod[]; warnings: ParseWarning[] } {
  const { rows, warnings } = parseKubectlTable(text, ['NAME', 'READY', 'STATUS']);
  return {
    pods: rows.map((r) => ({
      name: r.cells.NAME!,
      ...(r.cells.NAMESPACE ? { namespace: r.cells.NAMESPACE } : {}),
      ...(r.cells.STATUS ? { status: r.cells.STATUS } : {}),
      line: r.line,
    })),
    warnings,
  };
}

/** A pods table: -o wide (NAME … IP), plain (NAME READY STATUS), or rows whose header grep cut. */
function parseAnyPods(text: string): { pods: KubePod[]; warnings: ParseWarning[] } {
  if (parseKubectlTable(text, ['NAME', 'IP']).rows.length) {
    return parsePods(text);
  }
  return parseKubectlTable(text, ['NAME', 'READY', 'STATUS']).rows.length
    ? parsePlainPods(text)
    : parseHeaderlessPods(text);
}

/** A table's rows and warnings, by kind; the rest of kubectl's forms carry no line warnings. */
function parseTable(p: Piece): Partial<KubeObjects> & { cidrs?: KubeTables['cidrs']; warnings: ParseWarning[] } {
  switch (p.kind) {
    case 'kube-pods': {
      const parsed = parseAnyPods(p.text);
      return { pods: parsed.pods.map((x) => ({ ...x, line: x.line + p.offset })), warnings: parsed.warnings };
    }
    case 'kube-nodes':
      return parseNodes(p.text);
    case 'kube-services':
      return parseServices(p.text);
    case 'kube-podcidrs':
      return parsePodCidrs(p.text);
    case 'kube-json':
      return { ...parseKubeJson(p.text.trim()), warnings: [] };
    case 'kube-yaml':
      return { ...parseKubeYaml(p.text), warnings: [] };
    default:
      return { pods: parsePodList(p.text)?.pods ?? [], warnings: [] };
  }
}

/** Adds one piece of kubectl output to `k`. */
export function readKube(k: KubeTables, p: Piece, warn: Warnings): void {
  const parsed = parseTable(p);
  addParsed(warn, p, parsed.warnings);
  k.pods.push(...(parsed.pods ?? []));
  k.nodes.push(...(parsed.nodes ?? []));
  k.services.push(...(parsed.services ?? []));
  k.cidrs.push(...(parsed.cidrs ?? []));
  if (p.kind === 'pod-list') {
    k.podAddresses.push(...(parsePodList(p.text)?.addresses ?? []));
  }
  // A table says which it is even when empty; JSON and YAML only by what they hold.
  const was = (kind: string, held = 0) =>
    p.kind === kind || (p.kind === 'pod-list' && kind === 'kube-pods') || held > 0 ? p.label : undefined;
  k.read.pods ??= was('kube-pods', parsed.pods?.length);
  k.read.nodes ??= was('kube-nodes', parsed.nodes?.length);
  k.read.services ??= was('kube-services', parsed.services?.length);
  k.read.podcidrs ??= was('kube-podcidrs');
}
