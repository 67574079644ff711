// CLUSTER NODES views: each view once (the `cluster/` copies for `rcnc analyze` repeat the ones
// taken after the join), the view that held the ghost first and open, ghost lines and a joiner that
// knows no address of its own marked. Views without a marked line are folded.
import { compareStrings } from '../../util/text.ts';
import type { EvidenceFile } from './evidence.ts';
import { fileBody } from './files.ts';
import { esc, fileLink, fold, markedLine, nonEmptyLines, plainLine } from './markup.ts';

const STAGE_WORDS: Record<string, string> = {
  ghost: 'when the failed dial-back was seen',
  'after-fix': 'after the fix',
};

/** `unstaged` names the views saved without a stage: `after the join` for nat-meet, `at the end` otherwise. */
export function viewsSection(files: EvidenceFile[], ghostIds: Set<string>, unstaged = 'after the join'): string[] {
  const views = uniqueViews(files.filter((file) => file.kind === 'cluster-nodes'));
  if (views.length === 0) {
    return [];
  }
  const lines = ['<h4>CLUSTER NODES</h4>', '<div class="views">'];
  for (const { file, copies } of views) {
    const when = file.stage === undefined ? unstaged : (STAGE_WORDS[file.stage] ?? file.stage);
    const marked = viewLines(file.text ?? '', ghostIds);
    const count = nonEmptyLines(file.text ?? '').length;
    const also = copies.map((copy) => fileLink(copy.path, 'copy')).join(' ');
    const summary =
      `<span class="member">${esc(file.member ?? file.path)}</span> · ${esc(when)} · ` +
      `${count} node${count === 1 ? '' : 's'} ${fileLink(file.path, 'file')}${also ? ` ${also}` : ''}`;
    const open = marked.includes('data-mark=');
    lines.push(
      ...fold(
        summary,
        fileBody(file, () => marked),
        { open, cls: 'view' },
      ),
    );
  }
  lines.push('</div>');
  return lines;
}

/**
 * The same member, stage and text saved twice is one view; later copies only add a link. The
 * view that held the ghost is the evidence: it comes first, then the views after the join, then
 * after the fix.
 */
function uniqueViews(views: EvidenceFile[]): { file: EvidenceFile; copies: EvidenceFile[] }[] {
  const unique = new Map<string, { file: EvidenceFile; copies: EvidenceFile[] }>();
  for (const view of views) {
    const key = `${view.member ?? view.path}\0${view.stage ?? ''}\0${view.text ?? view.path}`;
    const seen = unique.get(key);
    if (seen) {
      seen.copies.push(view);
    } else {
      unique.set(key, { file: view, copies: [] });
    }
  }
  const stageRank = (stage: string | undefined) => (stage === 'ghost' ? 0 : stage === undefined ? 1 : 2);
  return [...unique.values()].sort(
    ({ file: a }, { file: b }) =>
      stageRank(a.stage) - stageRank(b.stage) ||
      compareStrings(a.stage ?? '', b.stage ?? '') ||
      compareStrings(a.member ?? '', b.member ?? '') ||
      compareStrings(a.path, b.path),
  );
}

/** Marks the lines that stand for no live node, and the node that does not know its own address. */
export function viewLines(text: string, ghostIds: Set<string>): string {
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
