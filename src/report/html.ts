// `index.html`: the matrix in colour and, per cell, the evidence behind its verdict (CLUSTER NODES
// views with ghost lines marked, bus peers and socket tables with NATed peers marked, NAT mappings,
// the Redis log lines that matter, timings, links to captures). One self-contained file: inline CSS,
// a few lines of inline JS that only open a drill-down when its matrix link is followed, and a CSP
// that forbids every fetch, so the page works from a CI artifact zip, offline, and with JS off.
// Built from results.json plus the artifact files the cells list; nothing else.
import { createHash } from 'node:crypto';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { cellSlug } from '../cells.ts';
import { parseRedisLog } from '../probes/logs.ts';
import { environmentText, verdictText } from './markdown.ts';
import { compareStrings, compatibilityMatrix, groupBy } from './matrix.ts';
import type {
  AddressClass,
  CellResult,
  Compatibility,
  Observation,
  RecoveryObservation,
  ResultsFile,
} from './results.ts';

export const HTML_FILE = 'index.html';

// ---------------------------------------------------------------------------------------------
// Evidence: the artifact files of each cell, read once so the renderer stays a pure function.

export type ArtifactKind = 'cluster-nodes' | 'log' | 'sockets' | 'nat' | 'pcap' | 'text' | 'binary';

export interface EvidenceFile {
  /** As listed in the cell's `artifacts`: relative to the report directory. */
  path: string;
  kind: ArtifactKind;
  /** The pod the file is about, from its name (`redis-0.log` → `redis-0`). */
  member?: string;
  /** For CLUSTER NODES views: `ghost` (when the dial-back failed), `after-fix`; none = after the join. */
  stage?: string;
  size?: number;
  /** The text, cut at MAX_TEXT_BYTES; absent for captures, binary files and files that could not be read. */
  text?: string;
  truncated?: boolean;
  /** Why the file is not shown (missing, outside the report directory). */
  error?: string;
}

export interface CellEvidence {
  cellId: string;
  files: EvidenceFile[];
}

/** A Redis log of a long run can be hundreds of MB; the page shows a filtered excerpt anyway. */
const MAX_TEXT_BYTES = 512 * 1024;

/**
 * Reads every artifact the cells list, relative to `dir` (the run's report directory). Paths that
 * leave `dir` (`../`, absolute, symlinks out) are not read: a results.json handed to `rcnc report`
 * must not be able to copy arbitrary files of this machine into a page that gets shared.
 */
export async function loadEvidence(dir: string, results: ResultsFile): Promise<CellEvidence[]> {
  const root = await realpath(resolve(dir)).catch(() => resolve(dir));
  const evidence: CellEvidence[] = [];
  // Cell by cell, files in parallel: bounded file handles however many cells a run has.
  for (const cell of results.cells) {
    const paths = [...new Set(cell.artifacts)];
    evidence.push({ cellId: cell.id, files: await Promise.all(paths.map((path) => loadFile(root, path))) });
  }
  return evidence;
}

async function loadFile(root: string, path: string): Promise<EvidenceFile> {
  const file: EvidenceFile = { path, ...classifyArtifact(path) };
  if (!isSafeRelative(path)) {
    return { ...file, error: 'not inside the report directory; not read' };
  }
  let real: string;
  try {
    real = await realpath(resolve(root, path));
  } catch {
    return { ...file, error: 'missing from the report directory' };
  }
  const rel = relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { ...file, error: 'links outside the report directory; not read' };
  }
  const info = await stat(real);
  if (!info.isFile()) {
    return { ...file, error: 'not a regular file' };
  }
  file.size = info.size;
  if (file.kind === 'pcap') {
    return file;
  }
  const handle = await open(real, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(info.size, MAX_TEXT_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.includes(0)) {
      // A NUL means binary; other kinds keep their name-given kind but are not shown as text.
      return file.kind === 'text' ? { ...file, kind: 'binary' } : { ...file, error: 'binary content; not shown' };
    }
    let text = new TextDecoder('utf-8').decode(bytes);
    if (info.size > bytesRead) {
      // Cut at the last full line so the excerpt never ends in half a line (or half a character).
      const lastNewline = text.lastIndexOf('\n');
      text = lastNewline > 0 ? text.slice(0, lastNewline + 1) : text;
      file.truncated = true;
    }
    file.text = text;
    return file;
  } finally {
    await handle.close();
  }
}

/** What a file holds, from the names scenarios give artifacts (see nat-meet.ts). */
export function classifyArtifact(path: string): Pick<EvidenceFile, 'kind' | 'member' | 'stage'> {
  const name = posix.basename(path.replace(/\\/g, '/'));
  const view = /^(.+?)\.(?:cluster-)?nodes(?:\.([A-Za-z0-9_-]+))?\.txt$/.exec(name);
  if (view) {
    return { kind: 'cluster-nodes', member: view[1], ...(view[2] ? { stage: view[2] } : {}) };
  }
  const log = /^(.+)\.log$/.exec(name);
  if (log) {
    return { kind: 'log', member: log[1] };
  }
  if (/\.pcap(?:ng)?$/.test(name)) {
    return { kind: 'pcap', ...memberOf(name, /^(.+?)\.[^.]+\.pcap(?:ng)?$/) };
  }
  const sockets = /^(?:(.+?)\.)?(?:sockets|ss|netstat|proc-net-tcp6?)(?:\.[A-Za-z0-9_-]+)?\.txt$/.exec(name);
  if (sockets) {
    return { kind: 'sockets', ...(sockets[1] ? { member: sockets[1] } : {}) };
  }
  const nat = /^(?:(.+?)\.)?(?:nat|nat-map|conntrack)(?:\.[A-Za-z0-9_-]+)?\.(?:txt|json)$/.exec(name);
  if (nat) {
    return { kind: 'nat', ...(nat[1] ? { member: nat[1] } : {}) };
  }
  return { kind: 'text' };
}

function memberOf(name: string, pattern: RegExp): { member?: string } {
  const m = pattern.exec(name);
  return m?.[1] ? { member: m[1] } : {};
}

function isSafeRelative(path: string): boolean {
  if (typeof path !== 'string' || path === '' || path.includes('\0') || path.includes('\\')) {
    return false;
  }
  if (isAbsolute(path) || posix.isAbsolute(path) || /^[A-Za-z]:/.test(path)) {
    return false;
  }
  const normal = posix.normalize(path);
  return normal !== '..' && !normal.startsWith('../') && normal !== '.';
}

/**
 * A link that stays relative whatever the path looks like: `./` keeps `javascript:x` or `c:x`
 * from reading as a URL scheme, and each segment is percent-encoded.
 */
function artifactHref(path: string): string {
  return './' + posix.normalize(path).split('/').map(encodeURIComponent).join('/');
}

// ---------------------------------------------------------------------------------------------
// The page.

/** The only script on the page; its hash goes into the CSP so nothing else can run. */
const SCRIPT = `(() => {
  // Following a matrix link (or opening the page with #cell-…) opens that cell's drill-down.
  const openTarget = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    if (target && target.tagName === 'DETAILS') {
      target.open = true;
      target.scrollIntoView({ block: 'start' });
    }
  };
  addEventListener('hashchange', openTarget);
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#cell-"]') : null;
    if (link && link.getAttribute('href') === location.hash) {
      openTarget();
    }
  });
  for (const button of document.querySelectorAll('button[data-toggle-all]')) {
    button.hidden = false;
    button.addEventListener('click', () => {
      const open = button.dataset.toggleAll === 'open';
      for (const cell of document.querySelectorAll('details.cell')) {
        cell.open = open;
      }
    });
  }
  openTarget();
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT, 'utf8').digest('base64');

/** No fetch of any kind: the report must render the same from a zip on a plane. */
const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const CSS = `
:root {
  --works-bg: #d3f5dc; --works-fg: #0f5323; --works-edge: #1a7f37;
  --announce-bg: #ffe8a3; --announce-fg: #5c3c00; --announce-edge: #bf8700;
  --breaks-bg: #ffd7d5; --breaks-fg: #82071e; --breaks-edge: #cf222e;
  --skip-bg: #e6e8eb; --skip-fg: #424a53; --skip-edge: #8c959f;
  --fail-bg: #8b0000; --fail-fg: #ffffff; --fail-edge: #5c0000;
  --line: #d0d7de; --muted: #57606a; --code-bg: #f6f8fa;
}
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1400px;
  padding: 16px 24px 64px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
h4 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto;
  margin: 4px 0 8px; }
.meta { color: var(--muted); margin: 2px 0; }
.counts span { display: inline-block; margin-right: 12px; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 6px; margin: 10px 0; }
.legend .verdict { cursor: default; }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--code-bg); font-weight: 600; }
table.matrix td { padding: 2px; min-width: 150px; }
table.matrix th[scope=row] { white-space: nowrap; }
.empty { color: var(--muted); text-align: center; }
.verdict { display: block; border-left: 4px solid transparent; border-radius: 4px; padding: 4px 8px; margin: 2px;
  text-decoration: none; font-weight: 600; color: inherit; }
a.verdict:hover { filter: brightness(0.95); text-decoration: underline; }
span.verdict { display: inline-block; }
.variant { font-weight: 400; opacity: .85; margin-right: 4px; }
.v-works, .v-pass { background: var(--works-bg); color: var(--works-fg); border-color: var(--works-edge); }
.v-works-with-announce { background: var(--announce-bg); color: var(--announce-fg); border-color: var(--announce-edge); }
.v-breaks { background: var(--breaks-bg); color: var(--breaks-fg); border-color: var(--breaks-edge); }
.v-skip { background: var(--skip-bg); color: var(--skip-fg); border-color: var(--skip-edge); }
.v-fail { background: var(--fail-bg); color: var(--fail-fg); border-color: var(--fail-edge); }
/* The verdict class on a drill-down only colours its left edge; text keeps the page colours. */
details.cell { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; margin: 6px 0; background: #fff;
  color: #1f2328; }
details.cell.v-works, details.cell.v-pass { border-left-color: var(--works-edge); }
details.cell.v-works-with-announce { border-left-color: var(--announce-edge); }
details.cell.v-breaks { border-left-color: var(--breaks-edge); }
details.cell.v-skip { border-left-color: var(--skip-edge); }
details.cell.v-fail { border-left-color: var(--fail-edge); }
details.cell > summary { cursor: pointer; padding: 6px 10px; list-style-position: outside; margin-left: 14px; }
details.cell > summary .verdict { margin: 0 6px 0 0; padding: 1px 8px; font-size: 12px; }
details.cell > summary .title { color: var(--muted); }
details.cell[open] > summary { border-bottom: 1px solid var(--line); }
.body { padding: 4px 14px 12px; background: #fff; color: #1f2328; }
tr.mismatch td { background: #fff1f0; }
tr.nat td, .ln.nat { background: #fff4d6; }
.tag { display: inline-block; font-size: 11px; font-weight: 600; padding: 0 6px; border-radius: 10px;
  background: var(--announce-bg); color: var(--announce-fg); margin-left: 4px; }
.tag.bad { background: var(--breaks-bg); color: var(--breaks-fg); }
.ln { display: block; white-space: pre; width: max-content; min-width: 100%; }
pre.fix-text, pre.reason { white-space: pre-wrap; }
.ln[data-mark]::after { content: "  \\2190  " attr(data-mark); font-weight: 700; white-space: pre; }
.ln.ghost { background: var(--breaks-bg); color: var(--breaks-fg); }
.ln.noaddr { background: var(--announce-bg); color: var(--announce-fg); }
.ln.self { font-weight: 600; }
.ln.bad { color: var(--breaks-fg); }
.ln.info { color: #0550ae; }
.ln.repeat { color: var(--muted); font-style: italic; }
.ln.warn { background: var(--announce-bg); }
.omitted { color: var(--muted); font-size: 12px; margin: 0 0 8px; }
.views h5 { margin: 6px 0 0; font-size: 12px; }
.bar { display: inline-block; height: 8px; background: #8c959f; border-radius: 2px; vertical-align: middle; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.artifacts { columns: 2; margin: 4px 0; }
.toolbar button { margin-right: 6px; }
.error { color: var(--breaks-fg); }
@media print { details.cell { break-inside: avoid; } .toolbar { display: none; } }
`;

export function indexHtml(results: ResultsFile, evidence: readonly CellEvidence[] = []): string {
  const byCell = new Map(evidence.map((entry) => [entry.cellId, entry.files]));
  const anchors = cellAnchors(results.cells);
  const families = groupBy(results.cells, (cell) => cell.dims.scenario);
  const scenarios = [...families.keys()].sort(compareStrings);
  const body = [
    ...pageHeader(results),
    ...(scenarios.length === 0 ? ['<p><em>No cells ran.</em></p>'] : []),
    ...scenarios.flatMap((scenario) =>
      familySection(scenario, families.get(scenario) ?? [], anchors, (cell) => byCell.get(cell.id) ?? []),
    ),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>rcnc compatibility · ${esc(results.runId)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function pageHeader(results: ResultsFile): string[] {
  const { pass, fail, skip } = results.summary;
  const legend: [VerdictClass, string, string][] = [
    ['works', 'works', 'the nodes meet as deployed'],
    ['works-with-announce', 'works-with-announce', 'they meet once the joiner announces its address'],
    ['breaks', 'breaks', 'no tested configuration lets them meet'],
    ['skip', 'skipped', 'the cell could not run here'],
    ['fail', 'FAIL', 'the result differs from the expectation'],
  ];
  return [
    '<header>',
    '<h1>Redis Cluster network compatibility</h1>',
    `<p class="meta">Run <code>${esc(results.runId)}</code> · ${esc(formatDate(results.startedAt))} · ${esc(runDuration(results))}</p>`,
    `<p class="meta">Environment: ${esc(environmentText(results))}</p>`,
    `<p class="counts"><span class="c-pass">${pass} passed</span><span class="c-fail">${fail} failed</span><span class="c-skip">${skip} skipped</span></p>`,
    '<div class="legend">',
    ...legend.map(
      ([cls, label, meaning]) =>
        `<span class="verdict v-${cls}" title="${esc(meaning)}">${esc(label)}</span><span class="meta">${esc(meaning)}</span>`,
    ),
    '</div>',
    '<p class="toolbar"><button type="button" data-toggle-all="open" hidden>Open all cells</button>' +
      '<button type="button" data-toggle-all="close" hidden>Close all cells</button></p>',
    '</header>',
  ];
}

function familySection(
  scenario: string,
  cells: CellResult[],
  anchors: Map<CellResult, string>,
  filesOf: (cell: CellResult) => EvidenceFile[],
): string[] {
  const sorted = [...cells].sort((a, b) => compareStrings(a.id, b.id));
  return [
    `<section class="family" id="family-${esc(cellSlug(scenario))}">`,
    `<h2>${esc(scenario)}</h2>`,
    ...matrixTable(sorted, anchors),
    `<h3>Cells</h3>`,
    ...sorted.flatMap((cell) => cellDetails(cell, anchors.get(cell) ?? '', filesOf(cell))),
    '</section>',
  ];
}

/** Ids from the cell slug, with a counter when two ids slug to the same text. */
function cellAnchors(cells: readonly CellResult[]): Map<CellResult, string> {
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

// ---------------------------------------------------------------------------------------------
// Matrix: laid out by matrix.ts, so it has the same rows and columns as compatibility.md.

export type VerdictClass = Compatibility | 'pass' | 'skip' | 'fail';

/** The colour class of a cell: its compatibility when it behaved as expected, else skip or FAIL. */
export function verdictClass(cell: CellResult): VerdictClass {
  if (cell.verdict.status !== 'pass') {
    return cell.verdict.status;
  }
  return compatibilityOf(cell) ?? 'pass';
}

/** A matrix cell stays one or two lines; the drill-down has the full reason. */
const MAX_SLOT_TEXT = 90;

function matrixTable(cells: CellResult[], anchors: Map<CellResult, string>): string[] {
  const { columns, rows } = compatibilityMatrix(cells);
  const lines = [
    '<table class="matrix">',
    `<thead><tr><th scope="col">Profile</th>${columns.map((column) => `<th scope="col">${esc(column)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
  ];
  for (const row of rows) {
    const tds = row.slots.map((slot) => slotCell(slot, anchors));
    lines.push(`<tr><th scope="row">${esc(row.label)}</th>${tds.join('')}</tr>`);
  }
  lines.push('</tbody>', '</table>');
  return lines;
}

function slotCell(cells: CellResult[], anchors: Map<CellResult, string>): string {
  if (cells.length === 0) {
    return '<td class="empty">—</td>';
  }
  const links = cells.map((cell) => {
    const full = clean(verdictText(cell));
    const variant = cell.dims.variant ? `<span class="variant">${esc(cell.dims.variant)}:</span>` : '';
    return (
      `<a class="verdict v-${verdictClass(cell)}" href="#${esc(anchors.get(cell) ?? '')}" ` +
      `data-cell="${esc(cell.id)}" title="${esc(`${cell.id}\n${full}`)}">${variant}${esc(truncate(oneLine(full), MAX_SLOT_TEXT))}</a>`
    );
  });
  return `<td>${links.join('')}</td>`;
}

// ---------------------------------------------------------------------------------------------
// One cell's drill-down.

function cellDetails(cell: CellResult, anchor: string, files: EvidenceFile[]): string[] {
  const cls = verdictClass(cell);
  const observation = cell.observation;
  const nat = natAddresses(observation);
  const ghostIds = new Set((observation?.ghosts ?? []).map((ghost) => ghost.nodeId));
  const sections = [
    verdictSection(cell),
    fixSection(cell),
    expectationSection(cell),
    observation ? observationSections(observation) : [],
    viewsSection(files, ghostIds),
    socketsSection(files, nat),
    natFilesSection(files),
    logsSection(files, nat),
    otherFilesSection(files, observation),
    capturesSection(files),
    timingsSection(cell),
    artifactsSection(cell, files),
  ];
  return [
    `<details class="cell v-${cls}" id="${esc(anchor)}" data-cell="${esc(cell.id)}">`,
    `<summary><span class="verdict v-${cls}">${esc(badgeText(cell))}</span><code>${esc(cell.id)}</code> ` +
      `<span class="title">— ${esc(cell.title)} · ${esc(formatMs(cell.durationMs))}</span></summary>`,
    '<div class="body">',
    ...sections.flat(),
    '</div>',
    '</details>',
  ];
}

function badgeText(cell: CellResult): string {
  switch (cell.verdict.status) {
    case 'fail':
      return 'FAIL';
    case 'skip':
      return 'skipped';
    case 'pass':
      return compatibilityOf(cell) ?? 'pass';
  }
}

function verdictSection(cell: CellResult): string[] {
  const { status, reason } = cell.verdict;
  const lines = ['<h4>Verdict</h4>'];
  const compatibility = compatibilityOf(cell);
  const facts = [
    `status <strong>${esc(status)}</strong>`,
    ...(compatibility ? [`compatibility <strong>${esc(compatibility)}</strong>`] : []),
  ];
  lines.push(`<p>${facts.join(' · ')}</p>`);
  if (reason) {
    lines.push(`<pre class="reason">${esc(clean(reason))}</pre>`);
  } else if (status === 'skip' && cell.skipReason) {
    lines.push(`<pre class="reason">${esc(clean(cell.skipReason))}</pre>`);
  }
  return lines;
}

function fixSection(cell: CellResult): string[] {
  const fix = cell.fix ?? cell.verdict.fix;
  const applied = cell.observation?.fix;
  if (fix === undefined && applied === undefined) {
    return [];
  }
  const lines = ['<h4>How to make it work</h4>'];
  if (fix !== undefined) {
    lines.push(`<pre class="fix-text">${esc(clean(fix))}</pre>`);
  }
  if (applied) {
    const outcome = applied.meet === 'ok' ? 'the node joined' : 'the node still did not join';
    lines.push(
      `<p class="fix-applied">Applied in this run, then MEET again: ${outcome} (meet ${esc(applied.meet)}, ` +
        `cluster_state ${esc(applied.clusterState)}).</p>`,
    );
    if (applied.settings.length > 0) {
      lines.push(`<pre class="fix-settings">${esc(clean(applied.settings.join('\n')))}</pre>`);
    }
  }
  return lines;
}

function expectationSection(cell: CellResult): string[] {
  const expected = cell.expectation;
  const observed = cell.observation;
  const rows: [string, string, string | undefined][] = [
    ['meet', expected.meet, observed?.meet],
    [
      'ghost class',
      expected.ghostClass ?? '—',
      observed ? [observed.ghostClass, observed.ghostOwner].filter(Boolean).join(': ') || '—' : undefined,
    ],
  ];
  if (expected.fixWorks !== undefined || observed?.fix) {
    rows.push([
      'announcing fixes it',
      expected.fixWorks === undefined ? '—' : expected.fixWorks ? 'yes' : 'no',
      observed?.fix ? (observed.fix.meet === 'ok' ? 'yes' : 'no') : observed ? 'not tried' : undefined,
    ]);
  }
  const mismatch = (row: [string, string, string | undefined]): boolean => {
    const [name, want, got] = row;
    if (got === undefined || want === '—') {
      return false;
    }
    return name === 'ghost class' ? !got.startsWith(want) : got !== want && got !== 'not tried';
  };
  return [
    '<h4>Expected and observed</h4>',
    '<table class="expect"><thead><tr><th></th><th>expected</th><th>observed</th></tr></thead><tbody>',
    ...rows.map(
      (row) =>
        `<tr${mismatch(row) ? ' class="mismatch"' : ''}><th scope="row">${esc(row[0])}</th><td>${esc(row[1])}</td>` +
        `<td>${esc(row[2] ?? 'nothing recorded')}</td></tr>`,
    ),
    '</tbody></table>',
    `<p>${esc(clean(expected.summary))}<br><span class="meta">Source: ${esc(clean(expected.source))}</span></p>`,
  ];
}

function observationSections(observation: Observation): string[] {
  const lines: string[] = [];
  if (observation.ghosts.length > 0) {
    lines.push(
      '<h4>Ghost entries</h4>',
      ...table(
        ['seen by', 'node id', 'address', 'flags'],
        observation.ghosts.map((ghost) => [ghost.seenBy, ghost.nodeId, ghost.address, (ghost.flags ?? []).join(',')]),
        'ghosts',
      ),
    );
    if (observation.ghostOwner || observation.ghostClass) {
      lines.push(
        `<p>The ghost address belongs to <strong>${esc(observation.ghostOwner ?? 'an unknown device')}</strong>` +
          `${observation.ghostClass ? ` (${esc(observation.ghostClass)})` : ''}: the source address the datapath gave the joiner, not the joiner.</p>`,
      );
    }
  }
  if (observation.failedDialBacks.length > 0) {
    lines.push(
      '<h4>Failed dial-backs</h4>',
      ...table(
        ['from', 'node id', 'dialled'],
        observation.failedDialBacks.map((dial) => [dial.pod, dial.nodeId, dial.address]),
        'dialbacks',
      ),
    );
  }
  if (observation.busPeers.length > 0) {
    lines.push(
      '<h4>Cluster-bus peers (inbound connections)</h4>',
      '<table class="peers"><thead><tr><th>pod</th><th>local</th><th>peer</th><th>peer class</th></tr></thead><tbody>',
      ...observation.busPeers.map((peer) => {
        const natted = isNatted(peer.class);
        return (
          `<tr${natted ? ' class="nat"' : ''}><td>${esc(peer.pod)}</td><td><code>${esc(peer.local)}</code></td>` +
          `<td><code>${esc(peer.peer)}</code></td><td>${esc(peer.class)}${natted ? ' <span class="tag">NATed</span>' : ''}</td></tr>`
        );
      }),
      '</tbody></table>',
    );
  }
  const mappings = natMappingsOf(observation);
  if (mappings.length > 0) {
    const keys = [...new Set(mappings.flatMap((mapping) => Object.keys(mapping)))];
    lines.push(
      '<h4>NAT mappings</h4>',
      `<table class="nat-mappings"><thead><tr>${keys.map((key) => `<th>${esc(key)}</th>`).join('')}</tr></thead><tbody>`,
      ...mappings.map((mapping) => {
        // nat-map.ts pairs the same flow seen at two points; a different tuple there is the NAT.
        const translated =
          typeof mapping['flow'] === 'string' && mapping['as'] !== undefined && mapping['flow'] !== mapping['as'];
        const cells = keys.map((key) => `<td>${esc(clean(display(mapping[key])))}</td>`).join('');
        return `<tr${translated ? ' class="nat"' : ''}>${cells}</tr>`;
      }),
      '</tbody></table>',
    );
  }
  if (observation.recovery) {
    lines.push(...recoverySection(observation.recovery));
  }
  const facts: string[] = [];
  if (observation.addNode) {
    const misleading = observation.addNode.ok && observation.meet === 'fails';
    facts.push(
      `<code>redis-cli --cluster add-node</code> printed <code>${esc(clean(observation.addNode.lastLine))}</code>` +
        (misleading ? ' <span class="tag bad">claimed success, but the node never joined</span>' : ''),
    );
  }
  if (observation.joinerSelf) {
    facts.push(`The joiner's own line: <code>${esc(observation.joinerSelf)}</code>`);
  }
  if (observation.clusterState !== undefined || observation.slotsAssigned !== undefined) {
    facts.push(
      `cluster_state ${esc(observation.clusterState ?? '?')}, slots assigned ${esc(String(observation.slotsAssigned ?? '?'))}`,
    );
  }
  if (facts.length > 0) {
    lines.push('<h4>Cluster</h4>', '<ul>', ...facts.map((fact) => `<li>${fact}</li>`), '</ul>');
  }
  if (observation.notes.length > 0) {
    lines.push('<h4>Notes</h4>', '<ul>', ...observation.notes.map((note) => `<li>${esc(clean(note))}</li>`), '</ul>');
  }
  return lines;
}

function recoverySection(recovery: RecoveryObservation): string[] {
  const rows: [string, string][] = [['action', recovery.action]];
  if (recovery.duringFault !== undefined) {
    rows.push(['during the fault', recovery.duringFault]);
  }
  if (recovery.failover) {
    rows.push(['failover', `${recovery.failover.promoted} promoted after ${formatMs(recovery.failover.afterMs)}`]);
  }
  if (recovery.remediation !== undefined) {
    rows.push(['remediation', recovery.remediation]);
  }
  rows.push(['recovered', recovery.recovered ? 'yes' : 'no']);
  if (recovery.recoveryMs !== undefined) {
    rows.push(['time to recover', formatMs(recovery.recoveryMs)]);
  }
  if (recovery.keys) {
    rows.push(['keys readable', `${recovery.keys.readable} of ${recovery.keys.written}`]);
  }
  const client = recovery.client;
  if (client) {
    rows.push(
      ['client commands', `${client.ops} sent, ${client.errors} failed`],
      ['client error window', client.errorWindowMs === null ? 'none' : formatMs(client.errorWindowMs)],
      ['acknowledged writes lost', `${client.lostAckedWrites} of ${client.ackedWrites}`],
      ['WAIT-confirmed writes lost', `${client.lostWaitConfirmedWrites} of ${client.waitConfirmedWrites}`],
    );
    if (client.p99Ms !== undefined) {
      rows.push(['client p99 latency', formatMs(client.p99Ms)]);
    }
  }
  const bad = (name: string, value: string) =>
    (name === 'recovered' && value === 'no') || (name.endsWith('lost') && !value.startsWith('0 of'));
  return [
    '<h4>Recovery</h4>',
    '<table class="recovery"><tbody>',
    ...rows.map(
      ([name, value]) =>
        `<tr${bad(name, value) ? ' class="mismatch"' : ''}><th scope="row">${esc(name)}</th><td>${esc(clean(value))}</td></tr>`,
    ),
    '</tbody></table>',
  ];
}

/** Not seen as a pod or a node: some device rewrote the source address on the way. */
function isNatted(cls: AddressClass | string): boolean {
  return cls !== 'pod' && cls !== 'node-ip';
}

/** NATed addresses (bare IPs) and what they are, from the bus peers and the ghost. */
function natAddresses(observation: Observation | undefined): Map<string, string> {
  const addresses = new Map<string, string>();
  for (const peer of observation?.busPeers ?? []) {
    if (isNatted(peer.class)) {
      addresses.set(hostOf(peer.peer), peer.class);
    }
  }
  for (const ghost of observation?.ghosts ?? []) {
    const ip = hostOf(ghost.address.split('@')[0] ?? '');
    if (ip && !addresses.has(ip)) {
      addresses.set(ip, [observation?.ghostClass, observation?.ghostOwner].filter(Boolean).join(': ') || 'ghost');
    }
  }
  return addresses;
}

/** `10.42.0.1:40122` → `10.42.0.1`; `[fd00::1]:6379` → `fd00::1`. */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(address);
  if (bracketed?.[1]) {
    return bracketed[1];
  }
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

/**
 * `natMappings` is not in the results schema yet (see the proposal for results.ts); when a probe
 * records it, every object in it becomes a row, whatever its fields.
 */
function natMappingsOf(observation: Observation): Record<string, unknown>[] {
  const value: unknown = (observation as Observation & { natMappings?: unknown }).natMappings;
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function viewsSection(files: EvidenceFile[], ghostIds: Set<string>): string[] {
  const views = files.filter((file) => file.kind === 'cluster-nodes');
  if (views.length === 0) {
    return [];
  }
  // The view that held the ghost is the evidence; then what everyone saw after the join, then after the fix.
  const stageRank = (stage: string | undefined) => (stage === 'ghost' ? 0 : stage === undefined ? 1 : 2);
  const sorted = [...views].sort(
    (a, b) =>
      stageRank(a.stage) - stageRank(b.stage) ||
      compareStrings(a.stage ?? '', b.stage ?? '') ||
      compareStrings(a.member ?? '', b.member ?? ''),
  );
  const lines = ['<h4>CLUSTER NODES</h4>', '<div class="views">'];
  for (const view of sorted) {
    const when =
      view.stage === 'ghost'
        ? 'when the failed dial-back was seen'
        : view.stage === undefined
          ? 'after the join'
          : view.stage === 'after-fix'
            ? 'after the fix'
            : view.stage;
    lines.push(
      '<div class="view">',
      `<h5>${esc(view.member ?? view.path)} · ${esc(when)} ${fileLink(view.path, 'file')}</h5>`,
      ...fileBody(view, (text) => viewLines(text, ghostIds)),
      '</div>',
    );
  }
  lines.push('</div>');
  return lines;
}

/** Marks the lines that stand for no live node, and the node that does not know its own address. */
function viewLines(text: string, ghostIds: Set<string>): string {
  return nonEmptyLines(text)
    .map((line) => {
      const [id = '', address = '', flagText = ''] = line.trim().split(/\s+/);
      const flags = flagText.split(',');
      const ghostFlags = flags.filter((flag) => flag === 'handshake' || flag === 'noaddr');
      if (ghostFlags.length > 0 || ghostIds.has(id)) {
        const why = ghostFlags.length > 0 ? ghostFlags.join(',') : 'ghost';
        return markedLine(line, 'ghost', `ghost (${why}): recorded at an address no node listens on`);
      }
      if (address.startsWith(':') && flags.includes('myself')) {
        return markedLine(line, 'noaddr', 'knows no address of its own: nobody sent it a MEET it could answer');
      }
      if (flags.includes('fail') || flags.includes('fail?')) {
        return markedLine(line, 'noaddr', flags.includes('fail') ? 'marked failed' : 'suspected failing');
      }
      return plainLine(line, flags.includes('myself') ? 'self' : '');
    })
    .join('');
}

function socketsSection(files: EvidenceFile[], nat: Map<string, string>): string[] {
  const tables = files.filter((file) => file.kind === 'sockets');
  if (tables.length === 0) {
    return [];
  }
  const lines = ['<h4>Socket tables</h4>'];
  for (const file of tables) {
    lines.push(
      `<h5>${esc(file.member ?? file.path)} ${fileLink(file.path, 'file')}</h5>`,
      ...fileBody(file, (text) => markNattedLines(text, nat)),
    );
  }
  return lines;
}

function markNattedLines(text: string, nat: Map<string, string>): string {
  const patterns = [...nat.entries()].map(([ip, what]) => ({ what, re: addressPattern(ip) }));
  return nonEmptyLines(text)
    .map((line) => {
      const hit = patterns.find((pattern) => pattern.re.test(line));
      return hit ? markedLine(line, 'nat', `NATed peer (${hit.what})`) : plainLine(line, '');
    })
    .join('');
}

/** The IP as a whole address (`10.42.0.1` must not match `10.42.0.12`), bare or followed by a port. */
function addressPattern(ip: string): RegExp {
  const quoted = ip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.:])(?:\\[${quoted}\\]|${quoted})(?![\\w.]|:[0-9a-fA-F]*:)`);
}

function natFilesSection(files: EvidenceFile[]): string[] {
  const tables = files.filter((file) => file.kind === 'nat');
  if (tables.length === 0) {
    return [];
  }
  return [
    '<h4>NAT tables</h4>',
    ...tables.flatMap((file) => [
      `<h5>${esc(file.member ?? file.path)} ${fileLink(file.path, 'file')}</h5>`,
      ...fileBody(file, (text) =>
        nonEmptyLines(text)
          .map((line) => plainLine(line, ''))
          .join(''),
      ),
    ]),
  ];
}

// Redis log lines worth reading for a meet problem; the rest (client connects, RDB, startup
// banners) only hides them. The counts of what was left out are shown with a link to the file.
const LOG_PATTERNS: { re: RegExp; cls: string }[] = [
  { re: /Connection with Node \S+ at \S* failed/, cls: 'bad' },
  { re: /Address updated for node/, cls: 'info' },
  // The source address the receiver sees on the bus: the NATed one, when there is NAT.
  { re: /Accepting cluster node connection from/, cls: '' },
  { re: /\bMEET\b/i, cls: '' },
  { re: /handshake/i, cls: '' },
];
/** Verbose client-command lines name `cmd=cluster|meet` too, once per redis-cli call: noise here. */
const LOG_NOISE = /^Client closed connection\b/;
/** A failing dial-back repeats every 100 ms; consecutive identical messages become one line and a count. */
const MAX_LOG_ENTRIES = 200;

function logsSection(files: EvidenceFile[], nat: Map<string, string>): string[] {
  const logs = files
    .filter((file) => file.kind === 'log')
    .sort((a, b) => compareStrings(a.member ?? a.path, b.member ?? b.path));
  if (logs.length === 0) {
    return [];
  }
  const lines = ['<h4>Redis logs (relevant lines)</h4>'];
  for (const file of logs) {
    lines.push(`<h5>${esc(file.member ?? file.path)} ${fileLink(file.path, 'full log')}</h5>`);
    if (file.text === undefined) {
      lines.push(...fileBody(file, () => ''));
      continue;
    }
    const excerpt = logExcerpt(file.text, nat);
    lines.push(
      excerpt.html ? `<pre class="log">${excerpt.html}</pre>` : '<p class="omitted">No cluster-bus lines.</p>',
      `<p class="omitted">${excerpt.other} other line${excerpt.other === 1 ? '' : 's'} not shown` +
        `${excerpt.dropped > 0 ? `, and ${excerpt.dropped} more relevant line${excerpt.dropped === 1 ? '' : 's'}` : ''}` +
        `${file.truncated ? ` (read the first ${formatBytes(MAX_TEXT_BYTES)} only)` : ''}.</p>`,
    );
  }
  return lines;
}

export function logExcerpt(
  text: string,
  nat: Map<string, string> = new Map(),
): { html: string; other: number; dropped: number } {
  const natPatterns = [...nat.keys()].map(addressPattern);
  const entries: { raw: string; message: string; cls: string; repeats: number; lastTime?: string }[] = [];
  let other = 0;
  let dropped = 0;
  for (const line of parseRedisLog(text)) {
    const pattern = LOG_NOISE.test(line.message)
      ? undefined
      : LOG_PATTERNS.find((candidate) => candidate.re.test(line.message));
    if (!pattern) {
      other += 1;
      continue;
    }
    const previous = entries[entries.length - 1];
    if (previous && previous.message === line.message) {
      previous.repeats += 1;
      previous.lastTime = line.time;
      continue;
    }
    if (entries.length >= MAX_LOG_ENTRIES) {
      dropped += 1;
      continue;
    }
    const natted = pattern.cls === '' && natPatterns.some((re) => re.test(line.message));
    entries.push({ raw: line.raw, message: line.message, cls: natted ? 'nat' : pattern.cls, repeats: 0 });
  }
  const html = entries
    .map((entry) => {
      const main = plainLine(clean(entry.raw), entry.cls);
      if (entry.repeats === 0) {
        return main;
      }
      const until = entry.lastTime ? ` until ${entry.lastTime}` : '';
      return (
        main + plainLine(`    … the same ${entry.repeats} more time${entry.repeats === 1 ? '' : 's'}${until}`, 'repeat')
      );
    })
    .join('');
  return { html, other, dropped };
}

function otherFilesSection(files: EvidenceFile[], observation: Observation | undefined): string[] {
  const others = files.filter((file) => file.kind === 'text');
  if (others.length === 0) {
    return [];
  }
  const misleading = observation?.addNode?.ok === true && observation.meet === 'fails';
  const lines = ['<h4>Other output</h4>'];
  for (const file of others) {
    lines.push(
      `<details class="file"><summary>${esc(posix.basename(file.path))} ${fileLink(file.path, 'file')}</summary>`,
      ...fileBody(file, (text) =>
        nonEmptyLines(text)
          .map((line) =>
            misleading && /\[OK\] New node added correctly/.test(line)
              ? markedLine(line, 'warn', 'claimed success; the node never joined')
              : plainLine(line, ''),
          )
          .join(''),
      ),
      '</details>',
    );
  }
  return lines;
}

function capturesSection(files: EvidenceFile[]): string[] {
  const captures = files.filter((file) => file.kind === 'pcap' || file.kind === 'binary');
  if (captures.length === 0) {
    return [];
  }
  return [
    '<h4>Packet captures and binary files</h4>',
    '<ul class="captures">',
    ...captures.map(
      (file) =>
        `<li>${fileLink(file.path, posix.basename(file.path), true)}` +
        `${file.size !== undefined ? ` <span class="meta">${esc(formatBytes(file.size))}</span>` : ''}` +
        `${file.error ? ` <span class="error">${esc(file.error)}</span>` : ''}` +
        `${file.kind === 'pcap' ? ' <span class="meta">(open with Wireshark or <code>tcpdump -nr</code>)</span>' : ''}</li>`,
    ),
    '</ul>',
  ];
}

function timingsSection(cell: CellResult): string[] {
  const entries = Object.entries(cell.timings ?? {}).filter(([, ms]) => Number.isFinite(ms));
  const phases = entries.filter(([name]) => name !== 'total');
  const total = cell.timings?.['total'] ?? cell.durationMs;
  const widest = Math.max(1, total, ...phases.map(([, ms]) => ms));
  const rows = phases.map(
    ([name, ms]) =>
      `<tr><th scope="row">${esc(name)}</th><td class="num">${esc(formatMs(ms))}</td>` +
      `<td><span class="bar" style="width:${Math.max(1, Math.round((ms / widest) * 240))}px"></span></td></tr>`,
  );
  return [
    '<h4>Timings</h4>',
    '<table class="timings"><tbody>',
    ...rows,
    `<tr><th scope="row">total</th><td class="num">${esc(formatMs(total))}</td><td></td></tr>`,
    '</tbody></table>',
  ];
}

function artifactsSection(cell: CellResult, files: EvidenceFile[]): string[] {
  if (cell.artifacts.length === 0) {
    return [];
  }
  const byPath = new Map(files.map((file) => [file.path, file]));
  const items = [...new Set(cell.artifacts)].map((path) => {
    if (!isSafeRelative(path)) {
      // Never a link: the path points outside the report, whatever the browser would make of it.
      return `<li><code>${esc(path)}</code> <span class="error">not inside the report directory; not linked</span></li>`;
    }
    const problem = byPath.get(path)?.error;
    return (
      `<li><a href="${esc(artifactHref(path))}">${esc(path.replace(/^artifacts\/[^/]+\//, ''))}</a>` +
      `${problem ? ` <span class="error">${esc(problem)}</span>` : ''}</li>`
    );
  });
  return ['<h4>Artifacts</h4>', '<ul class="artifacts">', ...items, '</ul>'];
}

/** A relative link to an artifact, or only its name when the path leaves the report directory. */
function fileLink(path: string, label: string, download = false): string {
  if (!isSafeRelative(path)) {
    return `<code>${esc(label)}</code>`;
  }
  return `<a href="${esc(artifactHref(path))}"${download ? ' download' : ''}>${esc(label)}</a>`;
}

/** The file's content through `render`, or why it cannot be shown. */
function fileBody(file: EvidenceFile, render: (text: string) => string): string[] {
  if (file.error) {
    return [`<p class="error">${esc(file.path)}: ${esc(file.error)}</p>`];
  }
  if (file.text === undefined) {
    return [];
  }
  const note = file.truncated ? [`<p class="omitted">First ${esc(formatBytes(MAX_TEXT_BYTES))} shown.</p>`] : [];
  return [`<pre>${render(clean(file.text))}</pre>`, ...note];
}

function table(headers: string[], rows: string[][], cls: string): string[] {
  return [
    `<table class="${esc(cls)}"><thead><tr>${headers.map((header) => `<th>${esc(header)}</th>`).join('')}</tr></thead><tbody>`,
    ...rows.map((row) => `<tr>${row.map((value) => `<td>${esc(clean(value))}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ];
}

function markedLine(line: string, cls: string, mark: string): string {
  return `<span class="ln ${cls}" data-mark="${esc(mark)}" title="${esc(mark)}">${esc(line)}</span>`;
}

function plainLine(line: string, cls: string): string {
  return `<span class="ln${cls ? ` ${cls}` : ''}">${esc(line)}</span>`;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function compatibilityOf(cell: CellResult): Compatibility | undefined {
  return cell.verdict.compatibility ?? cell.compatibility;
}

/** Escapes for text and for quoted attribute values alike. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// eslint-disable-next-line no-control-regex -- assertion messages and logs carry ANSI colour codes
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex -- control characters other than tab and newline only garble a <pre>
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

function clean(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function display(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function runDuration(results: ResultsFile): string {
  const ms = Date.parse(results.finishedAt) - Date.parse(results.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? formatMs(ms) : 'duration unknown';
}

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

function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${(bytes / 1024).toFixed(1)} KiB`;
  }
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
