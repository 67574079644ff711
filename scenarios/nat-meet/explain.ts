// The story `rcnc reproduce nat-meet` tells: both views, the log line, the socket table with the
// NATed peers marked, why it happened, the fix and its result.
import { formatNatMapping } from '../../src/probes/nat-map.ts';
import type { NatMeetRun } from './run.ts';

const indent = (s: string, pad = '     ') =>
  s
    .trim()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

export function explainNatMeet(run: NatMeetRun): string {
  const r = run.record;
  const d = r.dims;
  return [
    `rcnc reproduce nat-meet — ${d.profile}, ${d.nodes} node(s), ${d.exposure}, joiner announces: ${d.announce}`,
    `cell ${r.id}`,
    '',
    ...viewsPart(run),
    '',
    ...socketsPart(run),
    '',
    ...verdictPart(run),
    '',
    `Reproduced in ${((r.timings.total ?? 0) / 1000).toFixed(1)} s (${Object.entries(r.timings)
      .map(([k, v]) => `${k} ${v}ms`)
      .join(', ')}).`,
  ].join('\n');
}

/** 1–3: the join, what the master recorded (ghost marked, its failed dial-back), what the joiner sees. */
function viewsPart(run: NatMeetRun): string[] {
  const obs = run.record.observation!;
  const out: string[] = [];
  // Who joined and whom it met first, as the run recorded them (redis-3 and redis-0 with three masters).
  const joinerName = obs.joiner?.pod ?? 'the joiner';
  const masterName = obs.entry?.pod ?? 'the master';
  const entry = run.before.find((v) => v.member === masterName);
  const joiner = run.before.find((v) => v.member === joinerName);
  if (run.join === 'add-node') {
    out.push(
      `1. ${joinerName} joins with: redis-cli --cluster add-node <its pod IP>:6379 ${run.entry.ip}:${run.entry.port} --cluster-slave`,
    );
    out.push(`   redis-cli said: ${obs.addNode?.lastLine ?? '?'}`);
  } else {
    out.push(
      `1. ${joinerName} joins with: CLUSTER MEET ${run.entry.ip} ${run.entry.port} ${run.entry.cport}, then CLUSTER REPLICATE <${masterName}'s id>`,
    );
  }
  if (entry) {
    out.push('', `2. What the master (${masterName}) sees — CLUSTER NODES:`);
    const marked = entry.raw
      .trim()
      .split('\n')
      .map((l) => (/ handshake /.test(l) ? `${l}   <== ghost: ${obs.ghostOwner ?? '?'} (${obs.ghostClass ?? '?'})` : l))
      .join('\n');
    out.push(indent(marked));
  }
  for (const f of obs.failedDialBacks.slice(0, 3)) {
    const line = run.logs[f.pod]?.split('\n').find((l) => l.includes(`Connection with Node ${f.nodeId}`));
    out.push(`   ${f.pod} log: ${line?.trim() ?? `dial-back to ${f.address} failed`}`);
  }
  if (joiner) {
    out.push('', `3. What the joiner (${joinerName}) sees — CLUSTER NODES:`, indent(joiner.raw));
  }
  return out;
}

/** 4: inbound bus connections with the NATed peers marked, and the NAT the captures show. */
function socketsPart(run: NatMeetRun): string[] {
  const obs = run.record.observation!;
  const out = ['4. Inbound cluster-bus connections (ss -tan in each pod), NATed peers marked:'];
  for (const p of obs.busPeers) {
    const nat = p.class === 'pod' || p.class === 'node-ip' ? '' : `   <== NATed (${p.class})`;
    out.push(`     ${p.pod.padEnd(8)} ${p.local.padEnd(22)} <- ${p.peer.padEnd(22)}${nat}`);
  }
  if (run.record.dims.exposure === 'nodeport' && obs.busPeers.some((p) => p.class !== 'pod' && p.class !== 'node-ip')) {
    out.push(
      '     (Every bus link that arrives through a NodePort is NATed, the masters’ own links included; theirs are',
      '      harmless because they announce their address. The joiner does not, so its MEET is recorded as the NAT address.)',
    );
  }
  if (obs.natMappings?.length) {
    out.push('', '   The same packets captured in both pods (matched by TCP timestamps), showing the rewrite:');
    for (const m of obs.natMappings) {
      out.push(`     ${formatNatMapping(m, { names: true })}`);
    }
  }
  return out;
}

/** 5–6: the verdict, why, its source, and the fix with its result. */
function verdictPart(run: NatMeetRun): string[] {
  const r = run.record;
  const obs = r.observation!;
  const out = [
    `5. Verdict: meet ${obs.meet === 'ok' ? 'succeeded' : 'FAILED'} (expected: ${r.expectation.meet}).`,
    `   Why: ${r.expectation.summary}.`,
    `   Source: ${r.expectation.source}`,
  ];
  if (obs.fix) {
    out.push(
      '',
      `6. Fix applied to ${obs.joiner?.pod ?? 'the joiner'}: ${obs.fix.settings.join(', ')}; then CLUSTER MEET again.`,
    );
    out.push(
      `   Result: ${obs.fix.meet === 'ok' ? 'every node knows every other node, connected' : 'still not joined'}; cluster_state:${obs.fix.clusterState}.`,
    );
  }
  if (r.fix) {
    out.push(`   In your manifests: ${r.fix}`);
  }
  return out;
}
