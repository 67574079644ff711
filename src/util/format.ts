// Durations, sizes and lists of addresses as every writer prints them (reports, progress lines,
// the families' own words and pictures), so they all say "4.2s" the same way.
import { compareStrings, oneLine } from './text.ts';

/** `850ms`, `4.2s`, `3m 05s`; `?` for a value that is not a duration. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '?';
  }
  if (ms < 1000) {
    return `${Math.round(ms)}ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)}s`;
  }
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/** A moment relative to another: `-1.2s` before it, `850ms` after. */
export const formatOffset = (ms: number): string => (ms < 0 ? `-${formatMs(-ms)}` : formatMs(ms));

export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${(bytes / 1024).toFixed(1)} KiB`;
  }
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Groups in first-seen order; each group keeps the items' order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) {
      group.push(item);
    } else {
      groups.set(k, [item]);
    }
  }
  return groups;
}

/** Evidence lists a few addresses; more than that is noise in a one-line bullet. */
const MAX_ADDRESSES = 3;

/**
 * `10.42.0.1:6379 seen by redis-0, 10.42.0.2:6379 seen by redis-1 and 2 more`: addresses sorted,
 * each with who it is about; `code` formats an address (a code span in markdown).
 */
export function listAddresses<T>(
  byAddress: Map<string, T[]>,
  verb: string,
  who: (entries: T[]) => string[],
  code: (text: string) => string,
): string {
  const addresses = [...byAddress.keys()].sort(compareStrings);
  const shown = addresses.slice(0, MAX_ADDRESSES).map((address) => {
    const pods = [...new Set(who(byAddress.get(address) ?? []))].sort(compareStrings);
    return `${code(address)} ${verb} ${oneLine(pods.join(', '))}`;
  });
  const more = addresses.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}
