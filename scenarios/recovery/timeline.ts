// The failover timeline of a recovery cell (sentinel draws its failovers with it too): the fault
// at 0, the moments the scenario recorded (PFAIL/FAIL flags, the promotion, a remediation, healthy
// again), the client's error window shaded and each failed command as a tick where it was issued
// and a bar to where it failed, so the failures drawn span the band and its "errors for" label
// (results written before the durations were recorded get the ticks alone). Draws what the
// observation holds; a cell with no timed fact besides the fault gets no picture (its table says
// it all).
import type { TimelineEvent } from '../../src/model/results.ts';
import { formatMs, formatOffset } from '../../src/util/format.ts';
import { figure, line, rect, text } from '../../src/util/svg.ts';
import { truncate } from '../../src/util/text.ts';
import type { RecoveryObservation } from './types.ts';

interface Mark {
  atMs: number;
  label: string;
  detail?: string;
  tone: 'fault' | 'bad' | 'good' | 'info';
}

const WIDTH = 720;
const LEFT = 16;
const RIGHT = 16;
const LANES = [14, 28, 42];
/** SVG text does not wrap; a label is cut at this many characters (about 140 px at 11 px). */
const LABEL_CHARS = 24;
const CHAR_PX = 6.2;
/** failedAtMs may hold hundreds of entries; this many ticks already read as a band. */
const MAX_TICKS = 300;

const TONES: Record<string, Mark['tone']> = {
  fault: 'fault',
  pfail: 'bad',
  fail: 'bad',
  promoted: 'info',
  remediation: 'info',
  healthy: 'good',
  heal: 'good',
  recovered: 'good',
};

export function recoveryTimeline(observation: RecoveryObservation, id: string): string[] {
  const marks = timelineMarks(observation);
  const client = observation.client;
  const window =
    client?.errorWindowFromMs !== undefined && client.errorWindowToMs !== undefined
      ? { from: client.errorWindowFromMs, to: client.errorWindowToMs }
      : undefined;
  const ticks = failures(client);
  if (marks.length <= 1 && !window && ticks.length === 0) {
    return [];
  }
  const times = [
    ...marks.map((mark) => mark.atMs),
    ...(window ? [window.from, window.to] : []),
    ...ticks.flatMap((tick) => [tick.at, tick.at + (tick.took ?? 0)]),
  ];
  const min = Math.min(0, ...times);
  const span = Math.max(1, (Math.max(...times) - min) * 1.04);
  const x = (ms: number) => LEFT + ((ms - min) / span) * (WIDTH - LEFT - RIGHT);
  const clientLane = window !== undefined || ticks.length > 0;
  const axisY = clientLane ? 92 : 62;
  const body = [
    ...(clientLane ? clientBand(x, window, ticks) : []),
    ...markLines(marks, x, axisY),
    ...axis(min, min + span, x, axisY),
  ];
  return figure({
    id,
    title: 'Timeline of the fault (ms after it began)',
    desc: timelineDescription(observation, marks, window, ticks),
    width: WIDTH,
    height: axisY + 20,
    body,
    cls: 'timeline',
  });
}

/** The recorded moments, with the fault, the promotion and healthy-again added when not recorded. */
export function timelineMarks(observation: RecoveryObservation): Mark[] {
  const events: TimelineEvent[] = [...(observation.timeline ?? [])];
  const has = (event: string) => events.some((candidate) => candidate.event === event);
  if (!has('fault')) {
    events.push({ atMs: 0, event: 'fault', detail: observation.action });
  }
  if (observation.failover && !has('promoted')) {
    events.push({ atMs: observation.failover.afterMs, event: 'promoted', detail: observation.failover.promoted });
  }
  const healthyAt = healthyAtMs(observation, events);
  if (healthyAt !== undefined && !has('healthy')) {
    events.push({ atMs: healthyAt, event: 'healthy' });
  }
  return events
    .filter((event) => Number.isFinite(event.atMs))
    .sort((a, b) => a.atMs - b.atMs)
    .map((event) => ({
      atMs: event.atMs,
      label: event.event === 'promoted' && event.detail ? `promoted ${event.detail}` : event.event,
      ...(event.detail ? { detail: event.detail } : {}),
      tone: TONES[event.event] ?? 'info',
    }));
}

/** recoveryMs counts from the remediation when there was one: placeable only if its moment is known. */
function healthyAtMs(observation: RecoveryObservation, events: TimelineEvent[]): number | undefined {
  if (!observation.recovered || observation.recoveryMs === undefined) {
    return undefined;
  }
  if (!observation.remediation) {
    return observation.recoveryMs;
  }
  const remediation = events.find((event) => event.event === 'remediation');
  return remediation ? remediation.atMs + observation.recoveryMs : undefined;
}

interface Failure {
  at: number;
  /** How long it took to fail; absent in results written before that was recorded. */
  took?: number;
}

/** The failed commands to draw: when each was issued and, where recorded, how long it took. */
function failures(client: RecoveryObservation['client']): Failure[] {
  const at = (client?.failedAtMs ?? []).slice(0, MAX_TICKS);
  const took = client?.failedTookMs?.length === client?.failedAtMs?.length ? client?.failedTookMs : undefined;
  return at.map((ms, i) => (took?.[i] !== undefined ? { at: ms, took: took[i] } : { at: ms }));
}

const px = (n: number) => Math.round(n * 10) / 10;

/** How the failed commands are drawn, for the text equivalent. */
function drawn(ticks: Failure[]): string {
  if (ticks.length === 0) {
    return '';
  }
  return ticks.some((tick) => tick.took !== undefined)
    ? `, ${ticks.length} drawn from when each was issued to when it failed`
    : `, ${ticks.length} drawn as ticks`;
}

function clientBand(x: (ms: number) => number, window: { from: number; to: number } | undefined, ticks: Failure[]) {
  const lines = [text(LEFT, 72, 'client', 'lane-label')];
  if (window) {
    lines.push(rect(x(window.from), 60, x(window.to) - x(window.from), 18, 'error-window'));
    lines.push(text(x(window.to) + 4, 73, `errors for ${formatMs(window.to - window.from)}`, 'small'));
  }
  // One path each for all bars and all ticks: hundreds of elements would weigh more than the rest
  // of the cell.
  const spans = ticks.filter((tick) => tick.took !== undefined && tick.took > 0);
  if (spans.length > 0) {
    const d = spans.map((tick) => `M${px(x(tick.at))} 66H${px(x(tick.at + tick.took!))}v6H${px(x(tick.at))}z`).join('');
    lines.push(`<path d="${d}" class="failed-span"/>`);
  }
  if (ticks.length > 0) {
    const d = ticks.map((tick) => `M${px(x(tick.at))} 62v14`).join('');
    lines.push(`<path d="${d}" class="failed-tick"/>`);
  }
  return lines;
}

/** A vertical line per moment, its label in the first lane where it does not overlap another. */
function markLines(marks: Mark[], x: (ms: number) => number, axisY: number): string[] {
  const laneEnds = LANES.map(() => -Infinity);
  return marks.flatMap((mark) => {
    const label = truncate(`${mark.label} ${formatOffset(mark.atMs)}`, LABEL_CHARS);
    const width = label.length * CHAR_PX;
    const at = x(mark.atMs);
    const rightAligned = at + 3 + width > WIDTH - RIGHT;
    const start = rightAligned ? at - 3 - width : at + 3;
    let lane = laneEnds.findIndex((end) => end + 6 < start);
    lane = lane === -1 ? laneEnds.indexOf(Math.min(...laneEnds)) : lane;
    laneEnds[lane] = start + width;
    const y = LANES[lane] ?? 14;
    return [
      line(at, y - 10, at, axisY, `mark ${mark.tone}`),
      text(rightAligned ? at - 3 : at + 3, y, label, `label ${mark.tone}`, rightAligned ? 'end' : 'start'),
    ];
  });
}

const STEPS = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000];

function axis(min: number, max: number, x: (ms: number) => number, y: number): string[] {
  const step = STEPS.find((candidate) => (max - min) / candidate <= 8) ?? 600_000;
  const lines = [line(LEFT, y, WIDTH - RIGHT, y, 'axis')];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) {
    lines.push(line(x(t), y, x(t), y + 4, 'axis'), text(x(t), y + 15, formatOffset(t), 'small', 'middle'));
  }
  return lines;
}

function timelineDescription(
  observation: RecoveryObservation,
  marks: Mark[],
  window: { from: number; to: number } | undefined,
  ticks: Failure[],
): string {
  const sentences = marks.map(
    (mark) =>
      `${mark.label} at ${formatOffset(mark.atMs)}${mark.detail && !mark.label.includes(mark.detail) ? ` (${mark.detail})` : ''}.`,
  );
  const client = observation.client;
  if (client && window) {
    sentences.push(
      `Client commands failed from ${formatMs(window.from)} to ${formatMs(window.to)}: ` +
        `${client.errors} of ${client.ops} failed${drawn(ticks)}.`,
    );
  } else if (client && client.errorWindowMs !== null) {
    sentences.push(
      `Client commands failed over ${formatMs(client.errorWindowMs)} (${client.errors} of ${client.ops}).`,
    );
  }
  if (!observation.recovered) {
    sentences.push('The cluster did not recover.');
  } else if (
    observation.remediation &&
    observation.recoveryMs !== undefined &&
    !marks.some((m) => m.label === 'healthy')
  ) {
    sentences.push(`Healthy ${formatMs(observation.recoveryMs)} after the remediation.`);
  }
  return sentences.join(' ');
}
