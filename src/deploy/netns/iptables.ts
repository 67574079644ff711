// iptables-restore documents. Each node namespace gets its whole ruleset in one iptables-restore
// call (atomic, one process), composed from the parts each component (kube-proxy, the CNI) owns.
export interface RestoreTable {
  /** Chains the component creates (built-in chains are implicit). */
  chains: string[];
  /** `-A CHAIN …` lines in the order the component installs them. */
  rules: string[];
}

export interface RestoreTables {
  nat?: RestoreTable;
  filter?: RestoreTable;
}

const BUILTIN: Record<'nat' | 'filter', string[]> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/**
 * Merges parts in order: rules of earlier parts come first in every chain they share, which is
 * how the jumps end up when kube-proxy prepends its hooks and the CNI appends its own.
 */
export function restoreDocument(parts: RestoreTables[]): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const chains = new Set<string>();
    const rules: string[] = [];
    for (const part of parts) {
      for (const ch of part[table]?.chains ?? []) {
        chains.add(ch);
      }
      rules.push(...(part[table]?.rules ?? []));
    }
    out.push(`*${table}`);
    for (const ch of BUILTIN[table]) {
      out.push(`:${ch} ACCEPT [0:0]`);
    }
    for (const ch of chains) {
      out.push(`:${ch} - [0:0]`);
    }
    out.push(...rules, 'COMMIT');
  }
  return out.join('\n') + '\n';
}
