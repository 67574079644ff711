// The evidence files that are shown as they are: NAT tables, packet capture text, command output,
// and the links to captures and every artifact. Each is folded and cut to its first lines; the
// link opens the whole file.
import { posix } from 'node:path';
import { familyModule } from '../../../scenarios/registry.ts';
import type { CellResult } from '../../model/results.ts';
import { groupBy } from '../../util/format.ts';
import { cleanText } from '../../util/text.ts';
import { formatBytes } from '../format.ts';
import { artifactHref, isSafeRelative, MAX_TEXT_BYTES, type EvidenceFile } from './evidence.ts';
import { esc, fileLink, fold, markedLine, nonEmptyLines, plainLine } from './markup.ts';

/** Lines of a file shown inline; the rest is one click away in the file itself. */
export const MAX_FILE_LINES = 40;

/** The file's content through `render`, or why it cannot be shown. */
export function fileBody(file: EvidenceFile, render: (text: string) => string): string[] {
  if (file.error) {
    return [`<p class="error">${esc(file.path)}: ${esc(file.error)}</p>`];
  }
  if (file.text === undefined) {
    return [];
  }
  const note = file.truncated ? [`<p class="omitted">First ${esc(formatBytes(MAX_TEXT_BYTES))} read.</p>`] : [];
  return [`<pre>${render(cleanText(file.text))}</pre>`, ...note];
}

/** The first `max` non-empty lines through `line`, and a count of the rest with a link. */
function firstLinesBody(file: EvidenceFile, line: (text: string) => string, max = MAX_FILE_LINES): string[] {
  const all = nonEmptyLines(cleanText(file.text ?? ''));
  const body = fileBody(file, () => all.slice(0, max).map(line).join(''));
  const more = all.length - max;
  return more > 0
    ? [
        ...body,
        `<p class="omitted">${more} more line${more === 1 ? '' : 's'} in ${fileLink(file.path, 'the file')}.</p>`,
      ]
    : body;
}

function fileSummary(file: EvidenceFile): string {
  const lines = file.text === undefined ? 0 : nonEmptyLines(file.text).length;
  const size = lines > 0 ? ` · ${lines} line${lines === 1 ? '' : 's'}` : '';
  return `${esc(posix.basename(file.path))}${size} ${fileLink(file.path, 'file')}`;
}

export function natFilesSection(files: EvidenceFile[]): string[] {
  const tables = files.filter((file) => file.kind === 'nat');
  if (tables.length === 0) {
    return [];
  }
  return [
    '<h4>NAT tables</h4>',
    ...tables.flatMap((file) =>
      fold(
        fileSummary(file),
        firstLinesBody(file, (line) => plainLine(line)),
      ),
    ),
  ];
}

/**
 * Command output (add-node), with the lines the cell's family marks (add-node's "[OK]" when the
 * node never joined). The text files a cell collects for `rcnc analyze` (its `cluster/` or
 * `sentinel/` directory: node addresses, INFO replication, the kubectl-like tables, raw Sentinel
 * replies) feed the sections above; here they are one line of links per directory, so a cell of
 * eleven pods does not repeat eleven files inline.
 */
export function otherFilesSection(files: EvidenceFile[], cell: CellResult): string[] {
  const texts = files.filter((file) => file.kind === 'text');
  const others = texts.filter((file) => collectionOf(file.path) === undefined);
  const collections = groupBy(
    texts.filter((file) => collectionOf(file.path) !== undefined),
    (file) => collectionOf(file.path)!,
  );
  if (texts.length === 0) {
    return [];
  }
  const marksOf = familyModule(cell.family).report.outputMarks;
  const marks = cell.observation && marksOf ? marksOf(cell.observation) : [];
  const line = (text: string) => {
    const marked = marks.find((mark) => mark.pattern.test(text));
    return marked ? markedLine(text, marked.cls, marked.mark) : plainLine(text);
  };
  return [
    '<h4>Other output</h4>',
    ...others.flatMap((file) => fold(fileSummary(file), firstLinesBody(file, line), { cls: 'file' })),
    ...[...collections].map(
      ([dir, collected]) =>
        `<p class="collected"><code>${esc(dir)}/</code>, collected for <code>rcnc analyze</code>: ` +
        `${collected.map(collectedItem).join(', ')}</p>`,
    ),
  ];
}

/** The directory below the cell's own that a file was collected into, if any. */
function collectionOf(path: string): string | undefined {
  return /^artifacts\/[^/]+\/([^/]+)\/[^/]+$/.exec(path)?.[1];
}

function collectedItem(file: EvidenceFile): string {
  const lines = file.text === undefined ? undefined : nonEmptyLines(file.text).length;
  const problem = file.error ? ` <span class="error">${esc(file.error)}</span>` : '';
  return (
    `${fileLink(file.path, posix.basename(file.path))}` +
    `${lines === undefined ? '' : ` <span class="meta">${lines} line${lines === 1 ? '' : 's'}</span>`}${problem}`
  );
}

/**
 * Captures and their tcpdump text as links: the NAT mapping table and the probes' evidence already
 * say what the packets show, and the text of a capture runs to hundreds of lines.
 */
export function capturesSection(files: EvidenceFile[]): string[] {
  const captures = files.filter((file) => ['pcap', 'binary', 'capture-text'].includes(file.kind));
  if (captures.length === 0) {
    return [];
  }
  // A capture and its tcpdump text (beside it, or in the `cluster/` copy) are one item.
  const texts = groupBy(
    captures.filter((candidate) => candidate.kind === 'capture-text'),
    (file) => captureStem(file.path),
  );
  const paired = new Set<EvidenceFile>();
  const items = captures
    .filter((file) => file.kind !== 'capture-text')
    .map((file) => {
      const text = file.kind === 'pcap' ? (texts.get(captureStem(file.path)) ?? []) : [];
      text.forEach((each) => paired.add(each));
      return [captureItem(file), ...text.map((each) => captureItem(each, 'text'))].join(' · ');
    });
  const unpaired = captures.filter((file) => file.kind === 'capture-text' && !paired.has(file));
  const hint = captures.some((file) => file.kind === 'pcap')
    ? ['<p class="meta">A capture opens with Wireshark or <code>tcpdump -nr</code>.</p>']
    : [];
  return [
    '<h4>Packet captures and binary files</h4>',
    ...hint,
    '<ul class="captures">',
    ...[...items, ...unpaired.map((file) => captureItem(file))].map((item) => `<li>${item}</li>`),
    '</ul>',
  ];
}

/** `redis-0` for `…/redis-0.pcap`, `…/cluster/redis-0.tcpdump.txt` and `…/redis-0.tcpdump.txt`. */
function captureStem(path: string): string {
  const cell = /^(artifacts\/[^/]+)\//.exec(path)?.[1] ?? posix.dirname(path);
  return `${cell}/${posix.basename(path).replace(/\.(?:pcapng|pcap|tcpdump\.txt)$/, '')}`;
}

function captureItem(file: EvidenceFile, label = posix.basename(file.path)): string {
  const problem = file.error ? ` <span class="error">${esc(file.error)}</span>` : '';
  if (file.kind === 'capture-text') {
    const lines = nonEmptyLines(file.text ?? '').length;
    const what = label === 'text' ? 'tcpdump text' : label;
    return `${fileLink(file.path, what)} <span class="meta">${lines} line${lines === 1 ? '' : 's'}</span>${problem}`;
  }
  const size = file.size !== undefined ? ` <span class="meta">${esc(formatBytes(file.size))}</span>` : '';
  return `${fileLink(file.path, label, true)}${size}${problem}`;
}

/**
 * The artifacts no section above shows or links (files that could not be read, paths outside the
 * report, and every artifact when the page was built without evidence), folded behind a count.
 */
export function artifactsSection(cell: CellResult, files: EvidenceFile[]): string[] {
  const shown = new Set(files.filter((file) => !file.error).map((file) => file.path));
  const paths = [...new Set(cell.artifacts)].filter((path) => !shown.has(path));
  if (paths.length === 0) {
    return [];
  }
  const byPath = new Map(files.map((file) => [file.path, file]));
  const items = paths.map((path) => {
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
  const label = files.length === 0 ? 'Artifacts' : 'Other artifacts';
  return fold(`${label} (${paths.length})`, ['<ul class="artifacts">', ...items, '</ul>'], { cls: 'artifacts' });
}
