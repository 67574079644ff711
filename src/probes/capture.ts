// The capture discipline that goes with tcpdump: stop a capture exactly once and parse what it
// saw, and pair every capture that should stay empty with one that proves the filter sees the
// traffic (Cilium's ModeAssert/ModeSanity).
import type { Capture, CaptureOptions, CaptureResult, StartedTopology } from '../deploy/provider.ts';
import { isCapabilityError } from '../deploy/provider.ts';
import { ProbeError } from '../util/errors.ts';
import type { ParseWarning } from './cluster-nodes.ts';
import { parseTcpdump, summarizeFlows, type FlowSummary, type Packet } from './tcpdump-text.ts';

export interface ParsedCapture extends CaptureResult {
  name: string;
  packets: Packet[];
  warnings: ParseWarning[];
}

/**
 * Starts one capture per pod. A provider that declares it cannot capture leaves them all out (the
 * ones already started are stopped) and says why in `captureSkipped`; any other failure is thrown.
 */
export interface PodCaptures {
  captures: Map<string, Capture>;
  captureSkipped?: string;
}

export async function startPodCaptures(
  topo: StartedTopology,
  pods: { name: string }[],
  options: (pod: string) => CaptureOptions,
): Promise<PodCaptures> {
  const captures = new Map<string, Capture>();
  try {
    for (const m of pods) {
      captures.set(m.name, await topo.capture({ pod: m.name }, options(m.name)));
    }
  } catch (e) {
    if (!isCapabilityError(e)) {
      throw e;
    }
    await Promise.allSettled([...captures.values()].map((c) => c.stop()));
    return { captures: new Map(), captureSkipped: e.message };
  }
  return { captures };
}

/** Stops a capture and parses what it saw. */
export async function stopAndParse(capture: Capture): Promise<ParsedCapture> {
  const result = await capture.stop();
  return { name: capture.name, ...result, ...parseTcpdump(result.text) };
}

export interface SanityChecked<T> {
  /** What `traffic` returned. */
  value: T;
  /** The capture expected to stay empty; the caller asserts on `assert.packets` / `unexpected`. */
  assert: ParsedCapture;
  /** The control capture; guaranteed to hold at least one packet. */
  sanity: ParsedCapture;
  /** Flows the assert capture saw, ready for an assertion message. */
  unexpected: FlowSummary[];
}

/**
 * Cilium's ModeAssert/ModeSanity pairing: a capture that should see *no* packets proves nothing
 * unless a capture of the same traffic, started the same way, does see packets. Both captures are
 * live before `traffic` runs and are stopped (once) whatever happens. Rejects with a ProbeError
 * when the sanity capture is empty: then the filter, the interface or the traffic is wrong, and
 * an empty assert capture would be a false "nothing leaked".
 */
export async function withTcpdumpSanity<T>(opts: {
  assert: () => Promise<Capture>;
  sanity: () => Promise<Capture>;
  traffic: () => Promise<T>;
}): Promise<SanityChecked<T>> {
  const sanityCapture = await opts.sanity();
  let assertCapture: Capture;
  try {
    assertCapture = await opts.assert();
  } catch (e) {
    await sanityCapture.stop().catch(() => undefined);
    throw e;
  }
  let value: T;
  try {
    value = await opts.traffic();
  } catch (e) {
    await Promise.allSettled([sanityCapture.stop(), assertCapture.stop()]);
    throw e;
  }
  const [sanity, assert] = await Promise.all([stopAndParse(sanityCapture), stopAndParse(assertCapture)]);
  if (sanity.packets.length === 0) {
    throw new ProbeError(
      `this check might be broken: sanity capture "${sanity.name}" saw no TCP packets, so the empty ` +
        `capture "${assert.name}" proves nothing; check the filter, the interface and that the traffic ran ` +
        `(pcap: ${sanity.file})`,
    );
  }
  return { value, assert, sanity, unexpected: summarizeFlows(assert.packets) };
}
