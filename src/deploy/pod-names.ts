// The one check of the names a topology spec gives its pods (and of the other objects named like
// them): every provider refuses what the API server would, before anything is built, and says so
// in the same words. Providers differ only in how long a name may be (what they derive from it
// must fit: a lab's interface names, a StatefulSet's claim names).
import { UsageError } from '../util/errors.ts';

/** A DNS-1123 label: what Kubernetes names pods, Services and StatefulSets by (at most 63 chars). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const isDnsLabel = (name: string, maxLength = 63): boolean =>
  name.length <= Math.min(maxLength, 63) && DNS_LABEL.test(name);

/**
 * Every pod's name is a DNS label of at most `maxLength` chars, and no two pods share one; else a
 * UsageError naming the first that is not. Returns the names.
 */
export function checkPodNames(pods: readonly { name: string }[], maxLength: number): Set<string> {
  const names = new Set<string>();
  for (const p of pods) {
    if (!isDnsLabel(p.name, maxLength)) {
      throw new UsageError(`pod name "${p.name}" is not a DNS label of at most ${maxLength} chars`);
    }
    if (names.has(p.name)) {
      throw new UsageError(`pod name "${p.name}" is used twice`);
    }
    names.add(p.name);
  }
  return names;
}
