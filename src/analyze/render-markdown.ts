// The report as Markdown, to paste into a ticket: the problems first, then each diagnosis with its
// fix in code blocks, what to collect next, and the evidence read. Works from the JSON report alone.
import { cleanText } from '../util/text.ts';
import type { Diagnosis } from './diagnoses.ts';
import type { AnalyzeReport } from './report-types.ts';

const fence = (lang: string, lines: string[]) => (lines.length ? ['', '```' + lang, ...lines, '```'] : []);

/** Inline text: backticks would end a code span, pipes and angle brackets would be markup. */
const md = (s: string) => s.replace(/([\\`*_<>|[\]])/g, '\\$1');

/** A diagnosis, its commands and snippets printed once per report (`shown`), referred to after. */
function diagnosis(d: Diagnosis, i: number, shown: Set<string>): string[] {
  const once = (key: string, lines: string[], ref: string) => {
    if (shown.has(key)) {
      return ['', ref];
    }
    shown.add(key);
    return lines;
  };
  return [
    '',
    `### ${i + 1}. ${d.kind}${d.certainty === 'likely' ? ' (likely)' : ''}: ${md(d.addresses.join(', '))}`,
    '',
    `- **Owner now:** ${md(d.owner)}`,
    ...(d.previousOwner ? [`- **Held before by:** ${md(d.previousOwner)}`] : []),
    ...(d.seenBy.length ? [`- **Seen by:** ${md(d.seenBy.join(', '))}`] : []),
    `- **Cause:** ${md(d.cause)}`,
    `- **Fix:** ${md(d.fix.summary)}`,
    ...(d.fix.commands.length
      ? once(d.fix.commands.join('\n'), fence('sh', d.fix.commands), '(the same commands as above)')
      : []),
    ...d.fix.snippets.flatMap((s) =>
      once(
        s.title + s.text,
        ['', `${md(s.title)}${s.source ? ` (source: ${s.source})` : ''}:`, ...fence(s.language, s.text.split('\n'))],
        `${md(s.title)}: as above.`,
      ),
    ),
    ...(d.next.length ? ['', '**Collect next:**', '', ...d.next.map((n) => `- ${md(n)}`)] : []),
  ];
}

const list = (title: string, items: string[]) =>
  items.length ? ['', `## ${title}`, '', ...items.map((x) => `- ${md(x)}`)] : [];

export function renderAnalyzeMarkdown(r: AnalyzeReport): string {
  const shown = new Set<string>();
  const head =
    r.verdict === 'problems'
      ? `**${r.problems.length} problem(s) found.**`
      : r.verdict === 'not-cleared'
        ? '**Not cleared:** nothing wrong was found, but these files cannot rule problems out.'
        : '**No problems found.**';
  const out = [
    '# rcnc analyze',
    '',
    `${r.pods.length} pod(s), ${r.nodes.length} node(s), ${r.files.length} file(s) read. ${head}`,
    ...(r.deployer ? ['', `Deployed by: ${r.deployer.name} (${md(r.deployer.evidence)})`] : []),
    ...list(`Problems (${r.problems.length})`, r.problems),
    ...list('Why it is not cleared', r.gaps),
    ...(r.diagnoses.length
      ? ['', `## Diagnoses (${r.diagnoses.length})`, ...r.diagnoses.flatMap((d, i) => diagnosis(d, i, shown))]
      : []),
    ...(r.recommendations.length
      ? [
          '',
          '## Fix per pod',
          ...r.recommendations.flatMap((x) => [
            '',
            `**${md(x.pod)}**: ${md(x.settings.length ? x.settings.join(', ') : x.then)} — ${md(x.reason)}`,
            ...fence('sh', x.commands),
          ]),
        ]
      : []),
    ...list('Collect next', r.next),
    ...list('Not checked', r.unchecked),
    ...list('Checked', r.checks),
    ...list(
      'Files read',
      r.read.map((x) => `${x.file}: ${x.as}${x.owner ? ` of ${x.owner}` : ''}`),
    ),
    ...list(
      'Warnings',
      r.warnings.map((w) => `${w.file}${w.line ? `:${w.line}` : ''}: ${w.problem}`),
    ),
  ];
  return cleanText(out.join('\n')) + '\n';
}
