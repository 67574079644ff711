// The page around the matrices: the document with its Content-Security-Policy, the one inline
// script, the header (run, environment, verdict counts and legend) and the profile overview. No
// fetch of any kind: the report renders the same from a CI artifact zip, offline, with JS off.
import { createHash } from 'node:crypto';
import type { ResultsFile, Verdict } from '../../model/results.ts';
import { environmentFacts, formatDate, runDuration } from '../format.ts';
import { profileLines, type ProfileLine } from '../overview.ts';
import { byFamily, STATUS_MEANING } from '../words.ts';
import { statusChip } from './chips.ts';
import { esc, escClean, scrollBox } from './markup.ts';
import { CSS } from './styles.ts';

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

/** Inline SVG is markup, so `default-src 'none'` covers the pictures too. */
const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function htmlDocument(results: ResultsFile, body: string[]): string {
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

export function pageHeader(results: ResultsFile): string[] {
  const { pass, fail, skip } = results.summary;
  const counts: [Verdict['status'], number][] = [
    ['pass', pass],
    ['fail', fail],
    ['skip', skip],
  ];
  const environment = environmentFacts(results).map(
    ([name, value]) => `<div><dt>${esc(name)}</dt><dd>${escClean(value)}</dd></div>`,
  );
  return [
    '<header>',
    '<h1>Redis Cluster network compatibility</h1>',
    `<p class="meta">Run <code>${esc(results.runId)}</code> · ${esc(formatDate(results.startedAt))} · ${esc(runDuration(results))}</p>`,
    `<dl class="env">${environment.join('')}</dl>`,
    `<p class="counts">Verdicts: ${counts.map(([status, n]) => `${statusChip(status)} ${n}`).join(' · ')}</p>`,
    '<dl class="legend verdicts">',
    ...counts.map(([status]) => `<div><dt>${statusChip(status)}</dt><dd>${esc(STATUS_MEANING[status])}</dd></div>`),
    '</dl>',
    '<p class="meta">Each cell shows what a user gets as a coloured word (its family’s legend is under each heading) and, apart from it, its verdict.</p>',
    '</header>',
  ];
}

/** One line per profile: where the results come from, the words per family, the verdicts. */
export function glanceSection(results: ResultsFile): string[] {
  const families = byFamily(results.cells).map(([family]) => family);
  const head = ['Profile', 'Results from', ...families, 'Verdicts'].map((h) => `<th scope="col">${esc(h)}</th>`);
  const rows = profileLines(results.cells).map((line) => glanceRow(line, families));
  return [
    '<section id="glance">',
    '<h2>At a glance</h2>',
    ...scrollBox([
      `<table class="glance"><thead><tr>${head.join('')}</tr></thead><tbody>`,
      ...rows,
      '</tbody></table>',
    ]),
    '</section>',
  ];
}

function glanceRow(line: ProfileLine, families: string[]): string {
  const words = families.map((family) => {
    const entry = line.families.find((candidate) => candidate.family === family);
    const chips = (entry?.words ?? []).map(
      ({ word, tone, count }) => `<span class="word t-${tone}">${count} ${esc(word)}</span>`,
    );
    const unobserved =
      entry && entry.unobserved > 0 ? [`<span class="word t-none">${entry.unobserved} not observed</span>`] : [];
    return `<td>${[...chips, ...unobserved].join(' ') || '—'}</td>`;
  });
  const verdicts = (['pass', 'fail', 'skip'] as const)
    .filter((status) => line.verdicts[status] > 0)
    .map((status) => `${statusChip(status)} ${line.verdicts[status]}`)
    .join(' ');
  return (
    `<tr><th scope="row">${esc(line.label)}</th><td>${escClean(line.provenance.label)}</td>` +
    `${words.join('')}<td class="verdicts">${verdicts}</td></tr>`
  );
}

export const toolbar = (): string =>
  '<p class="toolbar"><button type="button" data-toggle-all="open" hidden>Open all cells</button>' +
  '<button type="button" data-toggle-all="close" hidden>Close all cells</button></p>';
